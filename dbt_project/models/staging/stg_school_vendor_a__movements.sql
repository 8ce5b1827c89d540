with source as (
    {{ loaded_rows('school_vendor_a__movements') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        birth_year,
        birth_month,
        {{ person_token_columns(has_snils=false) | indent(8) }},
        event_type,
        event_date,
        grade,
        reason,
        destination,
        destination_school_code,
        order_no,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('school_code, local_id, event_type, event_date') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
