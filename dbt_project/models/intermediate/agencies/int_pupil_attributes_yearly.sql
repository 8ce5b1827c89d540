{#- A pupil's attributes as of 20 September of each school year, gathered from every source: sex and birth
    year/month (most frequent value in school rosters), residence (latest civil-registry extract up to that
    year), special needs and disability (latest checkup up to that year), benefits and registers active that day. -#}
with snapshot_years as (
    select distinct
        person_key,
        school_year_start,
        make_date(school_year_start, 9, 20) as reference_date
    from {{ ref('int_enrolment_snapshots_built') }}
    where reference_kind = 'oo1_20_september'
),

demographics as (
    select distinct on (person_key)
        person_key,
        sex,
        birth_year,
        birth_month
    from (
        select
            person_key,
            sex,
            birth_year,
            birth_month,
            count(*) as observations
        from {{ ref('int_pupil_rosters_unioned') }}
        group by person_key, sex, birth_year, birth_month
    ) as counted
    order by person_key asc, observations desc
),

residence as (
    select distinct on (snapshot_years.person_key, snapshot_years.school_year_start)
        snapshot_years.person_key,
        snapshot_years.school_year_start,
        municipalities.municipality_code
    from snapshot_years
    inner join {{ ref('int_population_linked') }} as population
        on
            snapshot_years.person_key = population.person_key
            and population.extract_date <= snapshot_years.reference_date + interval '1 year'
    inner join {{ ref('int_municipalities_latest') }} as municipalities on population.oktmo = municipalities.oktmo
    order by snapshot_years.person_key asc, snapshot_years.school_year_start asc, population.extract_date desc
),

health as (
    select distinct on (snapshot_years.person_key, snapshot_years.school_year_start)
        snapshot_years.person_key,
        snapshot_years.school_year_start,
        checkups.special_needs,
        checkups.disability
    from snapshot_years
    inner join {{ ref('int_health_checkups_linked') }} as checkups
        on
            snapshot_years.person_key = checkups.person_key
            and snapshot_years.school_year_start >= checkups.school_year_start
    order by snapshot_years.person_key asc, snapshot_years.school_year_start asc, checkups.checkup_date desc
),

benefits as (
    select
        snapshot_years.person_key,
        snapshot_years.school_year_start,
        string_agg(distinct benefits.benefit, ',' order by benefits.benefit) as benefit_codes
    from snapshot_years
    inner join {{ ref('int_benefits_linked') }} as benefits
        on
            snapshot_years.person_key = benefits.person_key
            and snapshot_years.reference_date >= benefits.start_date
            and (benefits.end_date is null or snapshot_years.reference_date <= benefits.end_date)
    group by snapshot_years.person_key, snapshot_years.school_year_start
),

registers as (
    select
        snapshot_years.person_key,
        snapshot_years.school_year_start,
        bool_or(registers.register_kind = 'sop') as is_family_at_risk,
        bool_or(registers.register_kind = 'kdn') as is_on_kdn_register,
        bool_or(registers.register_kind = 'pdn') as is_on_pdn_register
    from snapshot_years
    inner join {{ ref('int_register_events_unioned') }} as registers
        on
            snapshot_years.person_key = registers.person_key
            and snapshot_years.reference_date >= registers.registered_date
            and (registers.deregistered_date is null or snapshot_years.reference_date <= registers.deregistered_date)
    group by snapshot_years.person_key, snapshot_years.school_year_start
)

select
    snapshot_years.person_key,
    snapshot_years.school_year_start,
    demographics.sex,
    demographics.birth_year,
    demographics.birth_month,
    {{ municipality_key('residence.municipality_code') }} as residence_municipality_key,
    health.special_needs as has_special_needs,
    health.disability as has_disability,
    benefits.benefit_codes,
    registers.is_family_at_risk,
    registers.is_on_kdn_register,
    registers.is_on_pdn_register
from snapshot_years
left join demographics on snapshot_years.person_key = demographics.person_key
left join residence
    on snapshot_years.person_key = residence.person_key and snapshot_years.school_year_start = residence.school_year_start
left join health
    on snapshot_years.person_key = health.person_key and snapshot_years.school_year_start = health.school_year_start
left join benefits
    on snapshot_years.person_key = benefits.person_key and snapshot_years.school_year_start = benefits.school_year_start
left join registers
    on snapshot_years.person_key = registers.person_key and snapshot_years.school_year_start = registers.school_year_start
