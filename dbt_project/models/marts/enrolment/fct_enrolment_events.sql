{#- Enrolment movements with reasons (admitted, transferred in/out, promoted, repeated, graduated, expelled,
    dropped out, left the region, home education): one row per order. -#}
with movements as (
    select
        person_key,
        school_code,
        event_type,
        event_date,
        school_year_start,
        grade,
        reason,
        destination_school_code,
        _source_file,
        _source_row
    from {{ ref('int_enrolment_movements_unioned') }}
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
    select distinct on (movements._source_file, movements._source_row)
        movements.event_date,
        movements.school_year_start,
        movements.person_key,
        {{ school_key('movements.school_code') }} as school_key,
        schools.municipality_key,
        movements.grade,
        movements.event_type,
        movements.reason,
        {{ school_key('movements.destination_school_code') }} as destination_school_key,
        {{ record_key('movements._source_file', 'movements._source_row', "'student'") }} as event_key
    from movements
    left join schools on {{ school_key('movements.school_code') }} = schools.school_key
    order by movements._source_file, movements._source_row, {{ school_version_preference('movements.event_date') }}
),

final as (
    select
        event_key,
        event_date,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        school_key,
        municipality_key,
        grade,
        event_type,
        reason,
        destination_school_key
    from placed
)

select
    event_date,
    school_year,
    school_year_start,
    person_key,
    school_key,
    municipality_key,
    grade,
    event_type,
    reason,
    event_key,
    destination_school_key
from final
