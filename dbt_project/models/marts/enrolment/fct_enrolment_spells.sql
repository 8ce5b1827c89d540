{#- Enrolment spells: a person's continuous stay in one school with entry and exit events and reasons. -#}
with spells as (
    select
        spell_key,
        person_key,
        school_code,
        spell_number,
        start_date,
        end_date,
        entry_event,
        entry_reason,
        exit_event,
        exit_reason,
        destination_school_code,
        is_exit_only
    from {{ ref('int_enrolment_spells_built') }}
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
    select distinct on (spells.spell_key)
        spells.spell_key,
        spells.person_key,
        {{ school_key('spells.school_code') }} as school_key,
        schools.municipality_key,
        spells.start_date,
        spells.end_date,
        {{ school_year_start('spells.start_date') }} as start_school_year_start,
        spells.entry_event,
        spells.entry_reason,
        spells.exit_event,
        spells.exit_reason,
        {{ school_key('spells.destination_school_code') }} as destination_school_key,
        spells.is_exit_only
    from spells
    left join schools on {{ school_key('spells.school_code') }} = schools.school_key
    order by spells.spell_key, {{ school_version_preference('spells.start_date') }}
)

select
    spell_key,
    person_key,
    school_key,
    municipality_key,
    start_date,
    end_date,
    {{ school_year_label('start_school_year_start') }} as school_year,
    start_school_year_start as school_year_start,
    entry_event,
    entry_reason,
    exit_event,
    exit_reason,
    destination_school_key,
    is_exit_only
from placed
