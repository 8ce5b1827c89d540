with source as (
    {{ loaded_rows('kdn__sop_families') | indent(4) }}
),

renamed as (
    select
        guardian_birth_year,
        guardian_birth_month,
        {{ person_token_columns('guardian_', has_snils=false) | indent(8) }},
        child_birth_year,
        child_birth_month,
        {{ person_token_columns('child_', has_snils=false) | indent(8) }},
        registered_date,
        deregistered_date,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('guardian_name_dob_token, child_name_dob_token, registered_date, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
