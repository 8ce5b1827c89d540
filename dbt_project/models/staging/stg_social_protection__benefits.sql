with source as (
    {{ loaded_rows('social_protection__benefits') | indent(4) }}
),

renamed as (
    select
        child_birth_year,
        child_birth_month,
        {{ person_token_columns('child_') | indent(8) }},
        guardian_birth_year,
        guardian_birth_month,
        {{ person_token_columns('guardian_') | indent(8) }},
        benefit,
        start_date,
        end_date,
        oktmo,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank(
            'coalesce(child_snils_token, child_name_dob_token), benefit, start_date, _period'
        ) | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
