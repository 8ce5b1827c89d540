{#- «Обзор региона»: one row per municipality and school year: schools, pupils by level, first-graders, leavers.
    Every municipality appears in every school year of the data, with zeros where nothing happened. -#}
with

pupils as (

    select
        school_year_start,
        school_key,
        municipality_key,
        grade,
        pupils
    from {{ ref('rpt_region_pupils') }}

),

graduations as (

    select
        school_year_start,
        municipality_key,
        count(*) filter (where grade = 9) as graduates_9,
        count(*) filter (where grade = 11) as graduates_11
    from {{ ref('fct_enrolment_events') }}
    where event_type = 'graduated'
    group by school_year_start, municipality_key

),

schools as (

    select
        school_key,
        is_urban
    from {{ ref('dim_school') }}
    where is_current

),

school_years as (

    select distinct school_year_start from pupils

),

municipalities as (

    select
        municipality_key,
        municipality_name,
        oktmo,
        is_urban_okrug
    from {{ ref('dim_municipality') }}

),

scaffold as (

    select
        municipalities.municipality_key,
        school_years.school_year_start
    from municipalities
    cross join school_years

),

enrolment_rollup as (

    select
        pupils.school_year_start,
        pupils.municipality_key,
        count(distinct pupils.school_key) as schools,
        count(distinct pupils.school_key) filter (where not schools.is_urban) as rural_schools,
        sum(pupils.pupils)::bigint as pupils,
        sum(pupils.pupils) filter (where pupils.grade between 1 and 4)::bigint as pupils_primary,
        sum(pupils.pupils) filter (where pupils.grade between 5 and 9)::bigint as pupils_basic,
        sum(pupils.pupils) filter (where pupils.grade between 10 and 12)::bigint as pupils_secondary,
        sum(pupils.pupils) filter (where pupils.grade = 1)::bigint as first_graders
    from pupils
    left join schools on pupils.school_key = schools.school_key
    group by pupils.school_year_start, pupils.municipality_key

),

latest as (

    select max(school_year_start) as school_year_start from school_years

),

final as (

    select
        -- keys
        scaffold.municipality_key,
        -- attributes
        {{ school_year_label('scaffold.school_year_start') }} as school_year,
        scaffold.school_year_start,
        latest.school_year_start - scaffold.school_year_start as years_before_latest,
        municipalities.municipality_name,
        case
            when municipalities.is_urban_okrug then 'городской округ'
            else 'муниципальный район'
        end as municipality_kind,
        municipalities.oktmo,
        -- measures
        coalesce(enrolment_rollup.schools, 0) as schools,
        coalesce(enrolment_rollup.rural_schools, 0) as rural_schools,
        coalesce(enrolment_rollup.pupils, 0) as pupils,
        coalesce(enrolment_rollup.pupils_primary, 0) as pupils_primary,
        coalesce(enrolment_rollup.pupils_basic, 0) as pupils_basic,
        coalesce(enrolment_rollup.pupils_secondary, 0) as pupils_secondary,
        coalesce(enrolment_rollup.first_graders, 0) as first_graders,
        coalesce(graduations.graduates_9, 0) as graduates_9,
        coalesce(graduations.graduates_11, 0) as graduates_11
    from scaffold
    cross join latest
    inner join municipalities on scaffold.municipality_key = municipalities.municipality_key
    left join enrolment_rollup
        on
            scaffold.municipality_key = enrolment_rollup.municipality_key
            and scaffold.school_year_start = enrolment_rollup.school_year_start
    left join graduations
        on
            scaffold.municipality_key = graduations.municipality_key
            and scaffold.school_year_start = graduations.school_year_start

)

select
    municipality_key,
    school_year,
    school_year_start,
    years_before_latest,
    municipality_name,
    municipality_kind,
    oktmo,
    schools,
    rural_schools,
    pupils,
    pupils_primary,
    pupils_basic,
    pupils_secondary,
    first_graders,
    graduates_9,
    graduates_11
from final
