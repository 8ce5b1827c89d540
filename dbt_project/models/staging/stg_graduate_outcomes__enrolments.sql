with source as (
    {{ loaded_rows('graduate_outcomes__enrolments') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        level as institution_level,
        institution_name,
        in_region,
        programme_name,
        enrolment_date,
        school_completed_grade,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('coalesce(snils_token, name_dob_token), institution_name, enrolment_date') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
