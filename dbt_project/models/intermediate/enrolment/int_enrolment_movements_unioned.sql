{#- Movement orders (admission, transfer, promotion, repetition, graduation, exits) of both vendors, with the
    resolved person, the register's school code and the school year the order is for. -#}
with vendor_a as (
    select
        'a|' || school_code || '|' || local_id as local_key,
        school_code,
        event_type,
        event_date,
        grade,
        reason,
        destination,
        destination_school_code,
        order_no,
        _source_file,
        _source_row
    from {{ ref('stg_school_vendor_a__movements') }}
),

vendor_b as (
    select
        'b|' || movements.vendor_school_code || '|' || movements.local_id as local_key,
        codes.school_code,
        movements.event_type,
        movements.event_date,
        movements.grade,
        movements.reason,
        movements.destination,
        movements.destination_school_code,
        movements.order_no,
        movements._source_file,
        movements._source_row
    from {{ ref('stg_school_vendor_b__movements') }} as movements
    inner join {{ ref('int_school_vendor_codes') }} as codes
        on movements.vendor_school_code = codes.vendor_school_code
),

unioned as (
    select * from vendor_a
    union all
    select * from vendor_b
),

final as (
    select
        links.person_key,
        unioned.local_key,
        unioned.school_code,
        unioned.event_type,
        unioned.event_date,
        -- an admission or arrival ordered in the summer (1st grade in late August) is for the coming school year
        case
            when
                unioned.event_type in ('admitted', 'transferred_in')
                and extract(month from unioned.event_date) in (7, 8)
                then extract(year from unioned.event_date)::int
            else {{ school_year_start('unioned.event_date') }}
        end as school_year_start,
        unioned.grade,
        unioned.reason,
        unioned.destination,
        unioned.destination_school_code,
        unioned.order_no,
        unioned._source_file,
        unioned._source_row
    from unioned
    inner join {{ ref('int_person_links') }} as links
        on
            unioned._source_file = links._source_file
            and unioned._source_row = links._source_row
            and links.person_role = 'student'
)

select * from final
