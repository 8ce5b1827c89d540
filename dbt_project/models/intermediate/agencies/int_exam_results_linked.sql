with rows as (
    select * from {{ ref('stg_exam_centre__results') }}
)

select
    links.person_key,
    rows.school_code,
    rows.exam,
    rows.subject,
    rows.exam_date,
    {{ school_year_start('rows.exam_date') }} as school_year_start,
    rows.primary_score,
    rows.test_score,
    rows.mark,
    rows.attempt,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('student') }}
