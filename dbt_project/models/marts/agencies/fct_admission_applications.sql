{#- Госуслуги applications for admission to 1st grade and for transfers, with campaign stage, status and
    decision. -#}
with applications as (
    select
        application_id,
        person_key,
        applicant_person_key,
        application_kind,
        submitted_date,
        stage,
        school_code,
        grade,
        application_status,
        decision_date,
        refusal_reason,
        _source_file,
        _source_row
    from {{ ref('int_admission_applications_linked') }}
)

select
    md5('application|' || application_id) as application_key,
    submitted_date,
    {{ school_year_label(school_year_start('submitted_date') ~ ' + 1') }} as school_year,
    {{ school_year_start('submitted_date') }} + 1 as school_year_start,
    person_key,
    applicant_person_key,
    {{ school_key('school_code') }} as school_key,
    application_kind,
    stage,
    grade,
    application_status,
    decision_date,
    refusal_reason,
    decision_date - submitted_date as days_to_decision
from applications
