with source as (
    {{ loaded_rows('school_vendor_a__marks') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        grade,
        term,
        {{ school_year_start("to_date(_period || '-01', 'YYYY-MM-DD')") }} as school_year_start,
        mark_russian,
        mark_literature,
        mark_maths,
        mark_foreign,
        mark_science,
        mark_history,
        mark_native,
        mark_pe,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by school_code, local_id, term, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
