{#- Pupils, history-tracked by school year: one row per person and school year in which they were enrolled on
    20 September, with that year's attributes (no direct identifiers: sex, birth year and month, municipality
    of residence, special needs, disability, benefit categories, family-risk flags). -#}
with pupil_years as (
    select distinct
        person_key,
        school_year_start
    from {{ ref('fct_enrolment_snapshot') }}
    where snapshot_date = make_date(school_year_start, 9, 20)
),

attributes as (
    select
        person_key,
        school_year_start,
        sex,
        birth_year,
        birth_month,
        residence_municipality_key,
        has_special_needs,
        has_disability,
        benefit_codes,
        is_family_at_risk,
        is_on_kdn_register,
        is_on_pdn_register
    from {{ ref('int_pupil_attributes_yearly') }}
)

select
    pupil_years.person_key,
    pupil_years.school_year_start,
    {{ school_year_label('pupil_years.school_year_start') }} as school_year,
    make_date(pupil_years.school_year_start, 9, 1) as valid_from,
    make_date(pupil_years.school_year_start + 1, 8, 31) as valid_to,
    pupil_years.school_year_start = max(pupil_years.school_year_start) over (partition by pupil_years.person_key)
        as is_current,
    attributes.sex,
    attributes.birth_year,
    attributes.birth_month,
    attributes.residence_municipality_key,
    coalesce(attributes.has_special_needs, false) as has_special_needs,
    coalesce(attributes.has_disability, false) as has_disability,
    attributes.benefit_codes,
    coalesce(attributes.is_family_at_risk, false) as is_family_at_risk,
    coalesce(attributes.is_on_kdn_register, false) as is_on_kdn_register,
    coalesce(attributes.is_on_pdn_register, false) as is_on_pdn_register
from pupil_years
left join attributes
    on
        pupil_years.person_key = attributes.person_key
        and pupil_years.school_year_start = attributes.school_year_start
