with source as (
    {{ loaded_rows('graduate_outcomes__destinations') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        school_code,
        school_completed_grade,
        destination,
        in_region,
        report_date,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('coalesce(snils_token, name_dob_token), school_completed_grade, report_date') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
