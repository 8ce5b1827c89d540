{#- Pupils enrolled on each reference date (20 September for ОО-1, 1 January, ends of quarters): one row per
    person, school and date. A pupil enrolled in two schools at once appears in both (see fct_enrolment_overlaps). -#}
with snapshots as (
    select
        reference_date,
        school_year_start,
        person_key,
        school_code,
        grade,
        class_label,
        programme
    from {{ ref('int_enrolment_snapshots_built') }}
),

schools as (
    select
        school_key,
        municipality_key,
        valid_from,
        valid_to
    from {{ ref('dim_school') }}
),

placed as (
    select distinct on (snapshots.reference_date, snapshots.person_key, snapshots.school_code)
        snapshots.reference_date,
        snapshots.school_year_start,
        snapshots.person_key,
        {{ school_key('snapshots.school_code') }} as school_key,
        schools.municipality_key,
        snapshots.grade,
        snapshots.class_label,
        snapshots.programme
    from snapshots
    left join schools on {{ school_key('snapshots.school_code') }} = schools.school_key
    order by
        snapshots.reference_date,
        snapshots.person_key,
        snapshots.school_code,
        {{ school_version_preference('snapshots.reference_date') }}
),

final as (
    select
        reference_date as snapshot_date,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        school_key,
        municipality_key,
        grade,
        {{ education_level('grade') }} as education_level,
        class_label,
        programme
    from placed
)

select
    snapshot_date,
    school_year,
    school_year_start,
    person_key,
    school_key,
    municipality_key,
    grade,
    education_level,
    class_label,
    programme
from final
