{#- Olympiads and competitions (portfolio): one row per person, stage, subject and event. -#}
with results as (
    select
        person_key,
        school_code,
        grade,
        subject,
        olympiad_stage,
        competition_name,
        olympiad_result,
        score_percent,
        event_date,
        school_year_start,
        _source_file,
        _source_row
    from {{ ref('int_olympiad_results_linked') }}
),

final as (
    select
        {{ record_key('_source_file', '_source_row', "'student'") }} as olympiad_result_key,
        event_date,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        {{ school_key('school_code') }} as school_key,
        grade,
        subject as subject_code,
        olympiad_stage,
        competition_name,
        olympiad_result,
        score_percent,
        olympiad_result = 'winner' as is_winner,
        olympiad_result in ('winner', 'prize_winner') as is_awarded
    from results
)

select
    olympiad_result_key,
    event_date,
    school_year,
    school_year_start,
    person_key,
    school_key,
    grade,
    subject_code,
    olympiad_stage,
    competition_name,
    olympiad_result,
    score_percent,
    is_winner,
    is_awarded
from final
