{#- What school leavers did next: enrolment in colleges and universities, in or outside the region. -#}
with outcomes as (
    select
        person_key,
        institution_level,
        institution_name,
        in_region,
        programme_name,
        enrolment_date,
        school_completed_grade,
        _source_file,
        _source_row
    from {{ ref('int_graduate_outcomes_linked') }}
)

select
    {{ record_key('_source_file', '_source_row', "'student'") }} as outcome_key,
    enrolment_date,
    {{ school_year_label(school_year_start('enrolment_date') ~ ' - 1') }} as school_year,
    {{ school_year_start('enrolment_date') }} - 1 as school_year_start,
    person_key,
    school_completed_grade,
    institution_level,
    institution_name,
    in_region,
    programme_name
from outcomes
