{#- What each pupil studied in each school and school year: grade, class and programme. Rosters say it directly;
    movement orders add the grade of admissions and of June promotions/repetitions (which also fix next year's
    grade). Preference: the September roster, another roster, then movement orders. -#}
with rosters as (
    select
        person_key,
        school_code,
        school_year_start,
        grade,
        class_label,
        programme,
        education_form,
        case when is_september_roster then 1 else 2 end as preference,
        submission_period
    from {{ ref('int_pupil_rosters_unioned') }}
),

movements as (
    select
        person_key,
        school_code,
        school_year_start,
        event_type,
        grade
    from {{ ref('int_enrolment_movements_unioned') }}
),

observed as (
    select
        person_key,
        school_code,
        school_year_start,
        grade,
        class_label,
        programme,
        education_form,
        preference
    from rosters
    union all
    select
        person_key,
        school_code,
        school_year_start,
        grade,
        null as class_label,
        null as programme,
        null as education_form,
        3 as preference
    from movements
    union all
    -- June orders fix the next school year's grade
    select
        person_key,
        school_code,
        school_year_start + 1 as school_year_start,
        case when event_type = 'promoted' then grade + 1 else grade end as grade,
        null as class_label,
        null as programme,
        null as education_form,
        4 as preference
    from movements
    where event_type in ('promoted', 'repeated')
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key, school_code, school_year_start
            order by preference asc, grade desc
        ) as preference_order
    from observed
    where grade between 1 and 12
)

select
    person_key,
    school_code,
    school_year_start,
    grade,
    class_label,
    programme,
    education_form,
    preference as evidence_rank
from ranked
where preference_order = 1
