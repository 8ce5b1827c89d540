with source as (
    {{ loaded_rows('school_vendor_a__guardians') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        relation,
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        phone_token,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank(
            '_sender_id, school_code, local_id, relation, name_dob_token, snils_token, _period'
        ) | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
