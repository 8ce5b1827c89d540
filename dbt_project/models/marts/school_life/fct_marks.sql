{{
    config(
        materialized='incremental',
        unique_key='mark_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_rows_of_replaced_submissions() }}"
    )
}}
{#- Term and year marks: one row per pupil, school, school year, term and subject. Incremental by submission
    like fct_attendance. -#}
-- depends_on: {{ ref('int_pupil_local_ids') }}
with marks as (
    select
        person_key,
        school_code,
        grade,
        term,
        school_year_start,
        subject_code,
        mark,
        local_key,
        _submission_id,
        _source_file,
        _source_row
    from {{ ref('int_marks_unpivoted') }}
    {{ only_new_submissions(local_key_column='local_key') }}
),

final as (
    select
        md5(_source_file || '|' || _source_row::text || '|' || subject_code) as mark_key,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        {{ school_key('school_code') }} as school_key,
        grade,
        term,
        term = 'year' as is_year_mark,
        subject_code,
        mark,
        mark = 2 as is_failing,
        _submission_id as submission_id
    from marks
)

select
    mark_key,
    school_year,
    school_year_start,
    person_key,
    school_key,
    grade,
    term,
    is_year_mark,
    subject_code,
    mark,
    is_failing,
    submission_id
from final
