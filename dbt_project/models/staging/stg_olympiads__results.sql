with source as (
    {{ loaded_rows('olympiads__results') | indent(4) }}
),

renamed as (
    select
        birth_year,
        birth_month,
        null::text as snils_token,
        name_dob_token as name_dob_token,
        name_dob_swapped_token as name_dob_swapped_token,
        fuzzy_name_dob_token as fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token as fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token as fuzzy_first_last_dob_token,
        school_code,
        grade,
        subject,
        stage as olympiad_stage,
        competition_name,
        result as olympiad_result,
        score as score_percent,
        event_date,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by name_dob_token, stage, subject, coalesce(competition_name, ''), event_date
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
