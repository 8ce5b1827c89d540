with rows as (
    select * from {{ ref('stg_graduate_outcomes__destinations') }}
)

select
    links.person_key,
    rows.school_code,
    rows.school_completed_grade,
    rows.destination,
    rows.in_region,
    rows.report_date,
    -- the leaving year: a report of 15 September 2025 is about the leavers of 2024/25
    {{ school_year_start('rows.report_date') }} - 1 as school_year_start,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('student') }}
