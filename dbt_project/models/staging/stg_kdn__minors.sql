with source as (
    {{ loaded_rows('kdn__minors') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns(has_snils=false) | indent(8) }},
        registered_date,
        deregistered_date,
        ground,
        school_name,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('name_dob_token, registered_date, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
