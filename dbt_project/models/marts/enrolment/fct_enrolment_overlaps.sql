{#- Pupils enrolled in two schools at the same time: every pair of overlapping spells, exposed, never hidden. -#}
with spells as (
    select
        spell_key,
        person_key,
        school_key,
        start_date,
        end_date
    from {{ ref('fct_enrolment_spells') }}
),

pairs as (
    select
        first_spell.person_key,
        first_spell.spell_key as first_spell_key,
        second_spell.spell_key as second_spell_key,
        first_spell.school_key as first_school_key,
        second_spell.school_key as second_school_key,
        greatest(first_spell.start_date, second_spell.start_date) as overlap_start_date,
        least(
            coalesce(first_spell.end_date, '9999-12-31'::date), coalesce(second_spell.end_date, '9999-12-31'::date)
        ) as overlap_end_date
    from spells as first_spell
    inner join spells as second_spell
        on
            first_spell.person_key = second_spell.person_key
            and first_spell.spell_key < second_spell.spell_key
            and first_spell.school_key <> second_spell.school_key
            and first_spell.start_date < coalesce(second_spell.end_date, '9999-12-31'::date)
            and second_spell.start_date < coalesce(first_spell.end_date, '9999-12-31'::date)
)

select
    person_key,
    first_spell_key,
    second_spell_key,
    first_school_key,
    second_school_key,
    overlap_start_date,
    nullif(overlap_end_date, '9999-12-31'::date) as overlap_end_date,
    {{ school_year_label(school_year_start('overlap_start_date')) }} as school_year,
    {{ school_year_start('overlap_start_date') }} as school_year_start,
    (least(overlap_end_date, current_date) - overlap_start_date) as overlap_days
from pairs
