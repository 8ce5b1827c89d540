with source as (
    {{ loaded_rows('civil_registry__children') | indent(4) }}
),

renamed as (
    select
        registry_record_id,
        sex,
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        birth_certificate_token,
        address_token,
        oktmo,
        registered_from,
        extract_date,
        guardian_birth_year,
        guardian_birth_month,
        {{ person_token_columns('guardian_') | indent(8) }},
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('registry_record_id, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
