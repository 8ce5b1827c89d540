with source as (
    {{ loaded_rows('clinics__checkups') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        sex,
        school_name,
        checkup_date,
        health_group,
        pe_group,
        disability,
        special_needs,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('_sender_id, coalesce(snils_token, name_dob_token), checkup_date') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
