{#- Registrations on the КДН и ЗП, ПДН and СОП registers, with registration and deregistration dates. -#}
with registers as (
    select
        register_kind,
        person_key,
        guardian_person_key,
        registered_date,
        deregistered_date,
        register_ground,
        oktmo,
        _source_file,
        _source_row
    from {{ ref('int_register_events_unioned') }}
),

municipalities as (
    select
        municipality_key,
        oktmo
    from {{ ref('dim_municipality') }}
)

select
    {{ record_key('registers._source_file', 'registers._source_row', 'registers.register_kind') }} as register_event_key,
    registers.register_kind,
    registers.person_key,
    registers.guardian_person_key,
    registers.registered_date,
    registers.deregistered_date,
    registers.register_ground,
    {{ school_year_label(school_year_start('registers.registered_date')) }} as school_year,
    {{ school_year_start('registers.registered_date') }} as school_year_start,
    municipalities.municipality_key
from registers
left join municipalities on registers.oktmo = municipalities.oktmo
