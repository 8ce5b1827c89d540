with source as (
    {{ loaded_rows('school_vendor_a__absences') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        absence_date,
        lessons_missed,
        absence_reason,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('school_code, local_id, absence_date') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
