{{ config(materialized='view') }}
{#- Absences of both vendors with the register's school code and the person behind the school's local id. A
    view: the incremental fact reads only the new submissions through it. -#}
with vendor_a as (
    select
        'a|' || school_code || '|' || local_id as local_key,
        school_code,
        absence_date,
        lessons_missed,
        absence_reason,
        _submission_id,
        _source_file,
        _source_row,
        loaded_at
    from {{ ref('stg_school_vendor_a__absences') }}
),

vendor_b as (
    select
        'b|' || absences.vendor_school_code || '|' || absences.local_id as local_key,
        codes.school_code,
        absences.absence_date,
        absences.lessons_missed,
        absences.absence_reason,
        absences._submission_id,
        absences._source_file,
        absences._source_row,
        absences.loaded_at
    from {{ ref('stg_school_vendor_b__absences') }} as absences
    inner join {{ ref('int_school_vendor_codes') }} as codes
        on absences.vendor_school_code = codes.vendor_school_code
),

unioned as (
    select * from vendor_a
    union all
    select * from vendor_b
)

select
    local_ids.person_key,
    unioned.local_key,
    unioned.school_code,
    unioned.absence_date,
    {{ school_year_start('unioned.absence_date') }} as school_year_start,
    unioned.lessons_missed,
    unioned.absence_reason,
    unioned._submission_id,
    unioned._source_file,
    unioned._source_row,
    unioned.loaded_at
from unioned
inner join {{ ref('int_pupil_local_ids') }} as local_ids on unioned.local_key = local_ids.local_key
