with rows as (
    select * from {{ ref('stg_graduate_outcomes__enrolments') }}
)

select
    links.person_key,
    rows.institution_level,
    rows.institution_name,
    rows.in_region,
    rows.programme_name,
    rows.enrolment_date,
    rows.school_completed_grade,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('student') }}
