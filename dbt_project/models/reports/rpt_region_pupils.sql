{#- «Обзор региона»: pupils on 20 September of each school year, per school and grade, with and without consent.
    Pupils without consent leave no person-level row; they arrive as anonymous headcounts and are added here. -#}
with

snapshot as (

    select
        school_year,
        school_year_start,
        school_key,
        municipality_key,
        grade,
        count(*) as pupils_identified
    from {{ ref('fct_enrolment_snapshot') }}
    where snapshot_date = make_date(school_year_start, 9, 20)
    group by school_year, school_year_start, school_key, municipality_key, grade

),

anonymous as (

    select
        school_year,
        school_year_start,
        school_key,
        municipality_key,
        grade,
        sum(pupils)::bigint as pupils_anonymous
    from {{ ref('fct_anonymous_headcounts') }}
    group by school_year, school_year_start, school_key, municipality_key, grade

),

counts as (

    select
        coalesce(snapshot.school_year, anonymous.school_year) as school_year,
        coalesce(snapshot.school_year_start, anonymous.school_year_start) as school_year_start,
        coalesce(snapshot.school_key, anonymous.school_key) as school_key,
        coalesce(snapshot.municipality_key, anonymous.municipality_key) as municipality_key,
        coalesce(snapshot.grade, anonymous.grade) as grade,
        coalesce(snapshot.pupils_identified, 0) as pupils_identified,
        coalesce(anonymous.pupils_anonymous, 0) as pupils_anonymous
    from snapshot
    full outer join anonymous
        on
            snapshot.school_year_start = anonymous.school_year_start
            and snapshot.school_key = anonymous.school_key
            and snapshot.municipality_key = anonymous.municipality_key
            and snapshot.grade = anonymous.grade

),

schools as (

    select
        school_key,
        school_name,
        school_type,
        is_urban
    from {{ ref('dim_school') }}
    where is_current

),

municipalities as (

    select
        municipality_key,
        municipality_name,
        is_urban_okrug
    from {{ ref('dim_municipality') }}

),

latest as (

    select max(school_year_start) as school_year_start from counts

),

final as (

    select
        -- keys
        counts.school_key,
        counts.municipality_key,
        -- attributes
        counts.school_year,
        counts.school_year_start,
        make_date(counts.school_year_start, 9, 20) as snapshot_date,
        latest.school_year_start - counts.school_year_start as years_before_latest,
        municipalities.municipality_name,
        case
            when municipalities.is_urban_okrug then 'городской округ'
            else 'муниципальный район'
        end as municipality_kind,
        schools.school_name,
        schools.school_type,
        case when schools.is_urban then 'город' else 'село' end as settlement_type,
        counts.grade,
        {{ education_level('counts.grade') }} as education_level,
        -- measures
        counts.pupils_identified,
        counts.pupils_anonymous,
        counts.pupils_identified + counts.pupils_anonymous as pupils
    from counts
    cross join latest
    left join schools on counts.school_key = schools.school_key
    left join municipalities on counts.municipality_key = municipalities.municipality_key

)

select
    school_key,
    municipality_key,
    school_year,
    school_year_start,
    snapshot_date,
    years_before_latest,
    municipality_name,
    municipality_kind,
    school_name,
    school_type,
    settlement_type,
    grade,
    education_level,
    pupils_identified,
    pupils_anonymous,
    pupils
from final
