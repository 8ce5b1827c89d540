{{
    config(
        materialized='incremental',
        unique_key='absence_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_replaced_submissions() }}"
    )
}}
{#- Daily absences (one row per pupil, school and day with missed lessons). Incremental by submission: a nightly
    load adds the new days; a corrected resubmission replaces its period's rows. -#}
-- depends_on: {{ ref('int_pupil_local_ids') }}
with absences as (
    select
        person_key,
        school_code,
        absence_date,
        school_year_start,
        lessons_missed,
        absence_reason,
        local_key,
        _submission_id,
        _source_file,
        _source_row
    from {{ ref('int_absences_unioned') }}
    {{ only_new_submissions(local_key_column='local_key') }}
),

final as (
    select
        {{ record_key('_source_file', '_source_row', "'student'") }} as absence_key,
        absence_date,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        {{ school_key('school_code') }} as school_key,
        lessons_missed,
        absence_reason,
        absence_reason = 'unexcused' as is_unexcused,
        _submission_id as submission_id
    from absences
)

select
    absence_key,
    absence_date,
    school_year,
    school_year_start,
    person_key,
    school_key,
    lessons_missed,
    absence_reason,
    is_unexcused,
    submission_id
from final
