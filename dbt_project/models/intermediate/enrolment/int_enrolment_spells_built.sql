{#- Enrolment spells: a person's continuous stay in one school, from an entry (admission, transfer in, or the
    first roster that lists them) to an exit order (transfer out, graduation, expulsion, dropout, leaving the
    region, home education) or open; an entry order after a September roster that did not list the pupil also
    starts a new spell (left, exit order lost, came back). Marks and absences count as presence. When the exit
    order was lost (a rejected row), a later full September roster of the school without the pupil ends the
    spell at the last day the pupil was seen (exit_event 'absent_from_roster'), or on that year's 20 September
    when the pupil was seen in early September and the school never sent that 20 September roster. An entry order
    at another school ends a stay whose exit order was lost the day before (exit_event 'enrolled_elsewhere'), unless
    the old school still records the pupil's school life afterwards. Evidence on one timeline per person and
    school: exits split it into spells. end_date is the date of the exit order, the pupil's last day
    (enrolled on start_date <= d <= end_date). -#}
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
        admission_date,
        is_september_roster as is_observed
    from {{ ref('int_pupil_rosters_unioned') }}
),

school_life as (
    -- days with absences (first and last of each school year) and term ends with marks: the pupil was there
    select
        person_key,
        school_code,
        min(absence_date) as seen_date
    from {{ ref('int_absences_unioned') }}
    group by person_key, school_code, school_year_start
    union all
    select
        person_key,
        school_code,
        max(absence_date) as seen_date
    from {{ ref('int_absences_unioned') }}
    group by person_key, school_code, school_year_start
    union all
    select distinct
        person_key,
        school_code,
        case term
            when 'q1' then make_date(school_year_start, 10, 25)
            when 'q2' then make_date(school_year_start, 12, 27)
            when 'q3' then make_date(school_year_start + 1, 3, 20)
            else make_date(school_year_start + 1, 5, 25)
        end as seen_date
    from {{ ref('int_marks_unpivoted') }}
),

september_rosters as (
    -- full rosters received with no row rejected: a pupil they do not list had left before that 20 September
    select
        rosters.school_code,
        make_date(rosters.school_year_start, 9, 20) as roster_date,
        max(submissions.rows_rejected) > 0 as has_rejected_rows
    from {{ ref('int_pupil_rosters_unioned') }} as rosters
    inner join {{ ref('stg_ops__submissions') }} as submissions
        on rosters._submission_id = submissions.submission_id
    where rosters.is_september_roster
    group by rosters.school_code, rosters.school_year_start
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
        null::date as admission_date,
        false as is_observed,
        false as is_school_life
    from movements
    union all
    select
        person_key,
        school_code,
        seen_date as evidence_date,
        'seen' as evidence_kind,
        null as event_type,
        null as reason,
        null as destination_school_code,
        admission_date,
        is_observed,
        false as is_school_life
    from rosters
    union all
    select
        person_key,
        school_code,
        seen_date as evidence_date,
        'seen' as evidence_kind,
        null as event_type,
        null as reason,
        null as destination_school_code,
        null as admission_date,
        true as is_observed,
        true as is_school_life
    from school_life
),

ordered_evidence as (
    -- every piece of evidence (orders, observations), with the order its kind takes on the same day
    select
        *,
        case evidence_kind when 'entry' then 0 when 'seen' then 1 else 2 end as kind_order
    from evidence
),

first_seen as (
    select
        person_key,
        school_code,
        min(evidence_date) as first_seen_date
    from ordered_evidence
    where evidence_kind <> 'exit'
    group by person_key, school_code
),

entries_elsewhere as (
    -- the day before each entry order (admission, transfer in) at another school, for every school where the
    -- person was seen before it
    select distinct
        first_seen.person_key,
        first_seen.school_code,
        entry.evidence_date - 1 as evidence_date,
        entry.school_code as entry_school_code
    from ordered_evidence as entry
    inner join first_seen
        on
            entry.person_key = first_seen.person_key
            and entry.school_code <> first_seen.school_code
            and first_seen.first_seen_date < entry.evidence_date
    where entry.evidence_kind = 'entry'
),

entries_elsewhere_checked as (
    select
        timeline.*,
        -- the latest evidence of this school before (date, then 0 entry / 1 seen / 2 exit), as 'YYYY-MM-DD' || kind
        max(case when not timeline.is_candidate then timeline.evidence_date::text || timeline.kind_order end) over (
            in_school rows between unbounded preceding and 1 preceding
        ) as previous_evidence,
        max(case when timeline.is_school_life then timeline.evidence_date end) over (
            in_school rows between 1 following and unbounded following
        ) as later_school_life_date
    from (
        select
            person_key,
            school_code,
            evidence_date,
            kind_order,
            is_school_life,
            false as is_candidate,
            null as entry_school_code
        from ordered_evidence
        union all
        select
            person_key,
            school_code,
            evidence_date,
            3 as kind_order,
            false as is_school_life,
            true as is_candidate,
            entry_school_code
        from entries_elsewhere
    ) as timeline
    window in_school as (partition by person_key, school_code order by evidence_date, kind_order)
),

implied_exits as (
    -- the pupil's exit order here was lost, and an entry order at another school says the pupil had left: the stay
    -- here ends the day before (exit 'enrolled_elsewhere'), unless it was already closed or this school still saw
    -- the pupil afterwards (absences, marks: a real double enrolment, kept and exposed) or sent a September roster
    -- of a later school year in between (it decides, see absent_from_roster). A later roster listing here with the
    -- old admission date is then a stale listing, counted nowhere.
    select distinct on (checked.person_key, checked.school_code, checked.previous_evidence)
        checked.person_key,
        checked.school_code,
        checked.evidence_date,
        'exit' as evidence_kind,
        'enrolled_elsewhere' as event_type,
        null as reason,
        checked.entry_school_code as destination_school_code,
        null::date as admission_date,
        false as is_observed,
        false as is_school_life,
        2 as kind_order
    from entries_elsewhere_checked as checked
    left join september_rosters
        on
            checked.school_code = september_rosters.school_code
            and september_rosters.roster_date > left(checked.previous_evidence, 10)::date
            and september_rosters.roster_date < checked.evidence_date
            and {{ school_year_start('left(checked.previous_evidence, 10)::date') }}
            < extract(year from september_rosters.roster_date)
    where
        checked.is_candidate
        and right(checked.previous_evidence, 1) <> '2'
        and checked.later_school_life_date is null
        and september_rosters.school_code is null
    order by checked.person_key, checked.school_code, checked.previous_evidence, checked.evidence_date
),

ordered as (
    select * from ordered_evidence
    union all
    select * from implied_exits  -- the same columns in the same order
),

preceded as (
    select
        *,
        max(case when evidence_kind <> 'exit' then evidence_date end) over (
            in_school rows between unbounded preceding and 1 preceding
        ) as previous_presence_date,
        lag(evidence_kind) over in_school as previous_evidence_kind,
        lag(event_type) over in_school as previous_event_type,
        row_number() over (
            partition by person_key, school_code, evidence_date, evidence_kind order by event_type
        ) as same_day_order
    from ordered
    -- the pupil's evidence at one school in time order (on one day: entry, then presence, then exit)
    window in_school as (partition by person_key, school_code order by evidence_date, kind_order)
),

reentries as (
    -- an entry order after a 20 September roster of the school that did not list the pupil (seen there before):
    -- the pupil had left (the exit order was lost) and came back, so the entry starts a new spell. As for
    -- absent_from_roster, a roster with rejected rows does not overrule a promotion or repetition order.
    select distinct
        preceded.person_key,
        preceded.school_code,
        preceded.evidence_date
    from preceded
    inner join september_rosters
        on
            preceded.school_code = september_rosters.school_code
            and september_rosters.roster_date > preceded.previous_presence_date
            and september_rosters.roster_date < preceded.evidence_date
            and (
                not september_rosters.has_rejected_rows
                or coalesce(preceded.previous_event_type not in ('promoted', 'repeated'), true)
            )
    where preceded.evidence_kind = 'entry' and preceded.previous_evidence_kind <> 'exit'
),

sequenced as (
    select
        preceded.*,
        coalesce(sum(case when preceded.evidence_kind = 'exit' then 1 else 0 end) over (
            in_school rows between unbounded preceding and 1 preceding
        ), 0)
        + sum(case when reentries.evidence_date is not null then 1 else 0 end) over (
            in_school range between unbounded preceding and current row
        ) as spell_number
    from preceded
    left join reentries
        on
            preceded.person_key = reentries.person_key
            and preceded.school_code = reentries.school_code
            and preceded.evidence_date = reentries.evidence_date
            and preceded.evidence_kind = 'entry'
            and preceded.same_day_order = 1
    window in_school as (
        partition by preceded.person_key, preceded.school_code
        order by preceded.evidence_date, preceded.kind_order
    )
),

spells as (
    select
        person_key,
        school_code,
        spell_number,
        min(evidence_date) filter (where evidence_kind <> 'exit') as first_presence_date,
        max(evidence_date) filter (where evidence_kind <> 'exit') as last_presence_date,
        -- seen on a 20 September roster, absent or marked (a roster's admission date is a claim, not presence)
        min(evidence_date) filter (where is_observed) as first_observed_date,
        min(admission_date) as roster_admission_date,
        min(evidence_date) filter (where evidence_kind = 'entry') as entry_date,
        min(evidence_date) filter (where evidence_kind = 'exit') as exit_date,
        count(*) filter (where evidence_kind <> 'exit') as presence_evidence,
        (
            array_agg(event_type order by evidence_date desc, event_type asc nulls last)
            filter (where evidence_kind <> 'exit')
        )[1
        ] in ('promoted', 'repeated'
        ) as ends_with_continuation_order
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
        spells.last_presence_date,
        spells.first_observed_date,
        spells.presence_evidence,
        coalesce(spells.ends_with_continuation_order, false) as ends_with_continuation_order,
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

absent_from_roster as (
    -- an open spell whose school later sent a full September roster without the pupil: the exit order was lost
    select
        bounded.person_key,
        bounded.school_code,
        bounded.spell_number,
        min(september_rosters.roster_date) as first_roster_without_pupil
    from bounded
    inner join september_rosters
        on
            bounded.school_code = september_rosters.school_code
            and september_rosters.roster_date > bounded.last_presence_date
            -- seen at the school in that school year (e.g. absent on 5 September): still there
            and {{ school_year_start('bounded.last_presence_date') }} < extract(year from september_rosters.roster_date)
            -- a roster with rejected rows may have lost this pupil's row: a June promotion (or repetition)
            -- order says the pupil was expected back, so only a complete roster overrules it
            and not (september_rosters.has_rejected_rows and bounded.ends_with_continuation_order)
    where bounded.exit_date is null
    group by bounded.person_key, bounded.school_code, bounded.spell_number
),

inferred as (
    select
        bounded.*,
        case
            when absent_from_roster.first_roster_without_pupil is null then bounded.exit_date
            -- last seen in September before the 20th of a school year whose 20 September roster never arrived:
            -- nothing says the pupil left within those days (few do), so on the books through the 20th
            when
                last_year_roster.roster_date is null
                and bounded.last_presence_date
                between make_date({{ school_year_start('bounded.last_presence_date') }}, 9, 1)
                and make_date({{ school_year_start('bounded.last_presence_date') }}, 9, 19)
                then make_date({{ school_year_start('bounded.last_presence_date') }}, 9, 20)
            else bounded.last_presence_date
        end as end_date,
        case
            when absent_from_roster.first_roster_without_pupil is not null then 'absent_from_roster'
            else bounded.exit_event
        end as effective_exit_event
    from bounded
    left join absent_from_roster
        on
            bounded.person_key = absent_from_roster.person_key
            and bounded.school_code = absent_from_roster.school_code
            and bounded.spell_number = absent_from_roster.spell_number
    left join september_rosters as last_year_roster
        on
            bounded.school_code = last_year_roster.school_code
            and last_year_roster.roster_date
            = make_date({{ school_year_start('bounded.last_presence_date') }}, 9, 20)
),

presence_checked as (
    -- present in an earlier school year than the entry order (e.g. listed by last September's roster, then an
    -- admission to 10th grade): the order that ended that earlier stay (graduation after 9th grade) was lost, the
    -- pupil never left; the spell starts with the earlier presence
    select
        inferred.*,
        coalesce(
            inferred.first_observed_date < make_date({{ school_year_start('inferred.entry_date') }}, 9, 1), false
        ) as is_present_before_entry,
        -- no entry order, first seen in a school year for which the school's 20 September roster never arrived
        -- (not sent, or the file rejected): nothing says the pupil came later, so on the books since 1 September
        first_year_roster.roster_date is null as is_first_year_unlisted
    from inferred
    left join september_rosters as first_year_roster
        on
            inferred.school_code = first_year_roster.school_code
            and first_year_roster.roster_date
            = make_date({{ school_year_start('inferred.first_presence_date') }}, 9, 20)
),

final as (
    select
        {{ spell_key('person_key', 'school_code', 'spell_number') }} as spell_key,
        person_key,
        school_code,
        spell_number,
        greatest(
            coalesce(
                case when not is_present_before_entry then entry_date end,
                case
                    -- the roster's admission date, when it is not later than the pupil was seen
                    when roster_admission_date <= first_presence_date then roster_admission_date
                    when spell_number = 0 and is_first_year_unlisted
                        then make_date({{ school_year_start('first_presence_date') }}, 9, 1)
                end,
                first_presence_date,
                make_date({{ school_year_start('exit_date') }}, 9, 1)
            ),
            previous_exit_date
        ) as start_date,
        end_date,
        case
            when is_present_before_entry then 'enrolled_before_records'
            else coalesce(entry_event, 'enrolled_before_records')
        end as entry_event,
        case when not is_present_before_entry then entry_reason end as entry_reason,
        effective_exit_event as exit_event,
        exit_reason,
        destination_school_code,
        presence_evidence = 0 as is_exit_only,
        -- listed again by a school after its own exit order, with no new admission: a roster that was not
        -- cleaned (the pupil is usually enrolled elsewhere by then)
        entry_event is null and previous_exit_date is not null as is_reappearance,
        -- a reappearance whose roster row keeps the admission from before the exit order: the old school never
        -- took the pupil off its roster (no new enrolment); exposed as an overlap, not counted in snapshots
        entry_event is null
        and previous_exit_date is not null
        and coalesce(roster_admission_date <= previous_exit_date, false) as is_stale_listing
    from presence_checked
)

select * from final
