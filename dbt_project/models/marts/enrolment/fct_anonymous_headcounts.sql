{#- Pupils without consent to personal-data processing, counted as of 20 September from the September rosters
    (they leave no person-level row anywhere). One row per school year, school and grade. -#}
with headcounts as (
    select
        school_code,
        grade,
        school_year_start,
        pupils
    from {{ ref('int_anonymous_headcounts_september') }}
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
    select distinct on (headcounts.school_code, headcounts.grade, headcounts.school_year_start)
        headcounts.school_year_start,
        {{ school_key('headcounts.school_code') }} as school_key,
        schools.municipality_key,
        headcounts.grade,
        headcounts.pupils
    from headcounts
    left join schools on {{ school_key('headcounts.school_code') }} = schools.school_key
    order by
        headcounts.school_code,
        headcounts.grade,
        headcounts.school_year_start,
        {{ school_version_preference('make_date(headcounts.school_year_start, 9, 20)') }}
)

select
    {{ school_year_label('school_year_start') }} as school_year,
    school_year_start,
    school_key,
    municipality_key,
    grade,
    pupils::integer as pupils
from placed
