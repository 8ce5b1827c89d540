with source as (
    {{ loaded_rows('olympiads__results') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        {{ person_token_columns(has_snils=false) | indent(8) }},
        school_code,
        grade,
        subject,
        stage as olympiad_stage,
        competition_name,
        result as olympiad_result,
        score as score_percent,
        event_date,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank("name_dob_token, stage, subject, coalesce(competition_name, ''), event_date") | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
