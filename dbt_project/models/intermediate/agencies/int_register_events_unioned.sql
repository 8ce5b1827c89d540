{#- Neglect-related registers in one shape: КДН и ЗП (minors), ПДН (minors) and families in a socially dangerous
    situation (СОП, the child's row). -#}
with kdn as (
    select
        'kdn' as register_kind,
        links.person_key,
        null::text as guardian_person_key,
        rows.registered_date,
        rows.deregistered_date,
        rows.ground as register_ground,
        null::text as oktmo,
        rows.submission_period,
        rows._source_file,
        rows._source_row
    from {{ ref('stg_kdn__minors') }} as rows
    {{ join_person('child') }}
),

pdn as (
    select
        'pdn' as register_kind,
        links.person_key,
        null::text as guardian_person_key,
        rows.registered_date,
        rows.deregistered_date,
        rows.article,
        rows.oktmo,
        rows.submission_period,
        rows._source_file,
        rows._source_row
    from {{ ref('stg_pdn__minors') }} as rows
    {{ join_person('child') }}
),

sop as (
    select
        'sop' as register_kind,
        links.person_key,
        guardian_links.person_key as guardian_person_key,
        rows.registered_date,
        rows.deregistered_date,
        'family_at_risk' as register_ground,
        null::text as oktmo,
        rows.submission_period,
        rows._source_file,
        rows._source_row
    from {{ ref('stg_kdn__sop_families') }} as rows
    {{ join_person('child') }}
    {{ join_person('guardian', 'guardian_links') }}
)

select * from kdn
union all
select * from pdn
union all
select * from sop
