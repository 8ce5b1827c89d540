with rows as (
    select * from {{ ref('stg_gosuslugi__applications') }}
)

select
    rows.application_id,
    links.person_key,
    applicant_links.person_key as applicant_person_key,
    rows.application_kind,
    rows.submitted_date,
    rows.stage,
    rows.school_code,
    rows.grade,
    rows.application_status,
    rows.decision_date,
    rows.refusal_reason,
    rows.submission_period,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('child') }}
{{ join_person('applicant', 'applicant_links') }}
