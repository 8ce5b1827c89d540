with source as (
    {{ loaded_rows('school_vendor_b__marks') | indent(4) }}
),

renamed as (
    select
        vendor_school_code,
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
        {{ latest_row_rank('vendor_school_code, local_id, term, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
