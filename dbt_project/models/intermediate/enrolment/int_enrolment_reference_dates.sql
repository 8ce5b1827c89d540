{#- Reference dates of enrolment snapshots: 20 September (ОО-1) and 1 January of every school year the data
    covers, plus the end of each school quarter; none later than the newest evidence. -#}
with first_roster as (
    select min(school_year_start) as first_school_year_start
    from {{ ref('int_pupil_rosters_unioned') }}
),

newest_evidence as (
    select greatest(max(start_date), max(end_date)) as data_as_of
    from {{ ref('int_enrolment_spells_built') }}
),

bounds as (
    select
        first_roster.first_school_year_start,
        newest_evidence.data_as_of
    from first_roster
    cross join newest_evidence
),

years as (
    select generate_series(first_school_year_start, extract(year from data_as_of)::int) as school_year_start
    from bounds
),

candidates as (
    select
        school_year_start,
        make_date(school_year_start, 9, 20) as reference_date,
        'oo1_20_september' as reference_kind
    from years
    union all
    select
        school_year_start,
        make_date(school_year_start + 1, 1, 1) as reference_date,
        'january_1' as reference_kind
    from years
    union all
    select
        school_year_start,
        make_date(school_year_start, 10, 31) as reference_date,
        'quarter_1_end' as reference_kind
    from years
    union all
    select
        school_year_start,
        make_date(school_year_start, 12, 31) as reference_date,
        'quarter_2_end' as reference_kind
    from years
    union all
    select
        school_year_start,
        make_date(school_year_start + 1, 3, 31) as reference_date,
        'quarter_3_end' as reference_kind
    from years
    union all
    select
        school_year_start,
        make_date(school_year_start + 1, 5, 31) as reference_date,
        'quarter_4_end' as reference_kind
    from years
)

select
    candidates.school_year_start,
    candidates.reference_date,
    candidates.reference_kind
from candidates
cross join bounds
where candidates.reference_date <= bounds.data_as_of
