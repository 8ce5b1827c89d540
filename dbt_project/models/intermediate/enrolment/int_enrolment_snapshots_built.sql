{#- Who was enrolled where, in which grade, at every reference date: the spell that covers the date, with the
    grade of that school year (observed, else carried forward from the last observed year). A person counts once
    per date: when two spells overlap (fct_enrolment_overlaps shows them), a school's reappearance after its own
    exit order yields to the other school, else the most recent entry wins. A stale listing (the old school's
    roster still carrying the pupil with the admission from before its own exit order) counts nowhere. -#}
with dates as (
    select
        school_year_start,
        reference_date,
        reference_kind
    from {{ ref('int_enrolment_reference_dates') }}
),

spells as (
    select
        spell_key,
        person_key,
        school_code,
        start_date,
        end_date,
        is_reappearance
    from {{ ref('int_enrolment_spells_built') }}
    -- a row the old school never took off its roster after the pupil left is no enrolment
    where not coalesce(is_stale_listing, false)
),

grade_years as (
    select
        person_key,
        school_code,
        school_year_start,
        grade,
        class_label,
        programme
    from {{ ref('int_pupil_grade_years') }}
),

covered as (
    select
        dates.reference_date,
        dates.reference_kind,
        dates.school_year_start,
        spells.spell_key,
        spells.person_key,
        spells.school_code,
        row_number() over (
            partition by dates.reference_date, spells.person_key
            order by spells.is_reappearance asc, spells.start_date desc, spells.spell_key asc
        ) as spell_preference
    from dates
    inner join spells
        on
            dates.reference_date >= spells.start_date
            and (spells.end_date is null or dates.reference_date <= spells.end_date)
),

with_grade as (
    select distinct on (covered.reference_date, covered.spell_key)
        covered.reference_date,
        covered.reference_kind,
        covered.school_year_start,
        covered.spell_key,
        covered.person_key,
        covered.school_code,
        case
            when grade_years.grade is not null
                then greatest(least(grade_years.grade + (covered.school_year_start - grade_years.school_year_start), 11), 1)
        end as grade,
        case when grade_years.school_year_start = covered.school_year_start then grade_years.class_label end
            as class_label,
        grade_years.programme,
        grade_years.school_year_start = covered.school_year_start as is_grade_observed
    from covered
    left join grade_years
        on
            covered.person_key = grade_years.person_key
            and covered.school_code = grade_years.school_code
    where covered.spell_preference = 1
    order by
        covered.reference_date,
        covered.spell_key,
        grade_years.school_year_start <= covered.school_year_start desc,
        abs(covered.school_year_start - grade_years.school_year_start)
)

select * from with_grade
