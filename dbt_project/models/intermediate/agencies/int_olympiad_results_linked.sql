with rows as (
    select * from {{ ref('stg_olympiads__results') }}
)

select
    links.person_key,
    rows.school_code,
    rows.grade,
    rows.subject,
    rows.olympiad_stage,
    rows.competition_name,
    rows.olympiad_result,
    rows.score_percent,
    rows.event_date,
    {{ school_year_start('rows.event_date') }} as school_year_start,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('student') }}
