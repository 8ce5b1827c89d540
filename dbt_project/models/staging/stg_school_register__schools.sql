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
        {{ latest_row_rank('school_code, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
