with source as (
    {{ loaded_rows('exam_centre__results') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        school_code,
        exam,
        subject,
        exam_date,
        primary_score,
        test_score,
        mark,
        attempt,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('coalesce(snils_token, name_dob_token), exam, subject, exam_date, attempt') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
