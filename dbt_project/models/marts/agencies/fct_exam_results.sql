{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        tags=['school_year'],
        pre_hook="{{ delete_school_years() }}"
    )
}}
{#- ОГЭ and ЕГЭ results: one row per person, exam, subject and sitting.
    Partitioned by school year (tag school_year): a run for some years deletes and rebuilds only their rows. -#}
with results as (
    select
        person_key,
        school_code,
        exam,
        subject,
        exam_date,
        school_year_start,
        primary_score,
        test_score,
        mark,
        attempt,
        _source_file,
        _source_row
    from {{ ref('int_exam_results_linked') }}
    where {{ in_school_years() }}
)

select
    {{ record_key('_source_file', '_source_row', "'student'") }} as exam_result_key,
    exam_date,
    {{ school_year_label('school_year_start') }} as school_year,
    school_year_start,
    person_key,
    {{ school_key('school_code') }} as school_key,
    exam,
    subject as subject_code,
    attempt,
    primary_score,
    test_score,
    mark,
    case when exam = 'oge' then mark >= 3 end as is_passed_oge
from results
