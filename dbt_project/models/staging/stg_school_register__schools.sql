with source as (
    {{ loaded_rows('school_register__schools') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_name,
        school_short_name,
        inn,
        ogrn,
        kpp,
        municipality_code,
        school_type,
        is_urban,
        settlement,
        has_second_shift,
        instruction_language,
        teaches_buryat_native,
        capacity,
        vendor,
        vendor_school_code,
        parent_school_code,
        status as school_status,
        opened_date,
        closed_date,
        successor_school_code,
        {{ period_start_year('_period') }} as school_year_start,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by school_code, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
