{#- Enrolment spells: a person's continuous stay in one school, from an entry (admission, transfer in, or the
    first roster that lists them) to an exit order (transfer out, graduation, expulsion, dropout, leaving the
    region, home education) or open. Evidence on one timeline per person and school: exits split it into spells.
    end_date is the date of the exit order; the pupil counts as enrolled on days start_date <= d < end_date. -#}
with event_types as (
    select
        event_type,
        opens_spell,
        closes_spell
    from {{ ref('enrolment_event_types') }}
),

movements as (
    select
        movements.person_key,
        movements.school_code,
        movements.event_type,
        movements.event_date,
        movements.reason,
        movements.destination_school_code,
        case
            when event_types.opens_spell then 'entry'
            when event_types.closes_spell then 'exit'
            else 'seen'
        end as evidence_kind
    from {{ ref('int_enrolment_movements_unioned') }} as movements
    inner join event_types on movements.event_type = event_types.event_type
),

rosters as (
    select
        person_key,
        school_code,
        case
            when is_september_roster then make_date(school_year_start, 9, 20)
            else coalesce(admission_date, to_date(submission_period || '-01', 'YYYY-MM-DD'))
        end as seen_date,
        admission_date
    from {{ ref('int_pupil_rosters_unioned') }}
),

evidence as (
    select
        person_key,
        school_code,
        event_date as evidence_date,
        evidence_kind,
        event_type,
        reason,
        destination_school_code,
        null::date as admission_date
    from movements
    union all
    select
        person_key,
        school_code,
        seen_date,
        'seen',
        null,
        null,
        null,
        admission_date
    from rosters
),

sequenced as (
    select
        *,
        coalesce(sum(case when evidence_kind = 'exit' then 1 else 0 end) over (
            partition by person_key, school_code
            order by evidence_date, case evidence_kind when 'entry' then 0 when 'seen' then 1 else 2 end
            rows between unbounded preceding and 1 preceding
        ), 0) as spell_number
    from evidence
),

spells as (
    select
        person_key,
        school_code,
        spell_number,
        min(evidence_date) filter (where evidence_kind <> 'exit') as first_presence_date,
        min(admission_date) as roster_admission_date,
        min(evidence_date) filter (where evidence_kind = 'entry') as entry_date,
        min(evidence_date) filter (where evidence_kind = 'exit') as exit_date,
        count(*) filter (where evidence_kind <> 'exit') as presence_evidence
    from sequenced
    group by person_key, school_code, spell_number
),

entries as (
    select distinct on (person_key, school_code, spell_number)
        person_key,
        school_code,
        spell_number,
        event_type as entry_event,
        reason as entry_reason
    from sequenced
    where evidence_kind = 'entry'
    order by person_key, school_code, spell_number, evidence_date
),

exits as (
    select distinct on (person_key, school_code, spell_number)
        person_key,
        school_code,
        spell_number,
        event_type as exit_event,
        reason as exit_reason,
        destination_school_code
    from sequenced
    where evidence_kind = 'exit'
    order by person_key, school_code, spell_number, evidence_date
),

bounded as (
    select
        spells.person_key,
        spells.school_code,
        spells.spell_number,
        lag(spells.exit_date) over (
            partition by spells.person_key, spells.school_code order by spells.spell_number
        ) as previous_exit_date,
        spells.first_presence_date,
        spells.roster_admission_date,
        spells.entry_date,
        spells.exit_date,
        spells.presence_evidence,
        entries.entry_event,
        entries.entry_reason,
        exits.exit_event,
        exits.exit_reason,
        exits.destination_school_code
    from spells
    left join entries
        on
            spells.person_key = entries.person_key
            and spells.school_code = entries.school_code
            and spells.spell_number = entries.spell_number
    left join exits
        on
            spells.person_key = exits.person_key
            and spells.school_code = exits.school_code
            and spells.spell_number = exits.spell_number
),

final as (
    select
        {{ spell_key('person_key', 'school_code', 'spell_number') }} as spell_key,
        person_key,
        school_code,
        spell_number,
        greatest(
            coalesce(
                entry_date,
                least(roster_admission_date, first_presence_date),
                first_presence_date,
                make_date({{ school_year_start('exit_date') }}, 9, 1)
            ),
            previous_exit_date
        ) as start_date,
        exit_date as end_date,
        coalesce(entry_event, 'enrolled_before_records') as entry_event,
        entry_reason,
        exit_event,
        exit_reason,
        destination_school_code,
        presence_evidence = 0 as is_exit_only
    from bounded
)

select * from final
