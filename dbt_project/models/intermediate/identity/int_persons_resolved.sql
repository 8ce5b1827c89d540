{#- One row per signature with the person it belongs to: connected components of the match graph. A component
    that still joins two different valid СНИЛС (a chain through several weak tokens) is not merged: its
    signatures fall back to their own СНИЛС, or to the one СНИЛС whose rows share their school pupil id or exact
    name + birth date (no other СНИЛС does), or are held back alone; the case is listed for review. -#}
with recursive signatures as (
    select
        signature_id,
        snils_token,
        name_dob_token,
        local_key,
        is_snils_overridden
    from {{ ref('int_person_signatures') }}
),

edges as (
    select
        signature_id as from_signature_id,
        anchor_signature_id as to_signature_id
    from {{ ref('int_person_match_edges') }}
    union
    select
        anchor_signature_id,
        signature_id
    from {{ ref('int_person_match_edges') }}
),

reach (signature_id, reached_signature_id) as (
    select
        signature_id,
        signature_id as reached_signature_id
    from signatures
    union
    select
        reach.signature_id,
        edges.to_signature_id
    from reach
    inner join edges on reach.reached_signature_id = edges.from_signature_id
),

components as (
    select
        signature_id,
        min(reached_signature_id) as component_id
    from reach
    group by signature_id
),

component_profile as (
    select
        components.component_id,
        count(distinct signatures.snils_token) as distinct_snils,
        min(signatures.snils_token) as min_snils_token,
        min(signatures.name_dob_token) as min_name_dob_token,
        min(signatures.local_key) as min_local_key
    from components
    inner join signatures on components.signature_id = signatures.signature_id
    group by components.component_id
),

strong_keys as (
    -- each signature's school pupil id and exact name + birth date, one row per key
    select
        signatures.signature_id,
        signatures.snils_token,
        strong_key.key_value
    from signatures
    cross join
        lateral unnest(
            array['local:' || signatures.local_key, 'name_dob:' || signatures.name_dob_token]
        ) as strong_key (key_value)
    where strong_key.key_value is not null
),

strong_key_matches as (
    -- a signature without СНИЛС in a conflicted component, and the СНИЛС of the rows sharing a strong key with it
    select
        held.signature_id,
        anchored.snils_token
    from strong_keys as held
    inner join components on held.signature_id = components.signature_id
    inner join component_profile on components.component_id = component_profile.component_id
    inner join strong_keys as anchored on held.key_value = anchored.key_value
    where
        held.snils_token is null
        and anchored.snils_token is not null
        and component_profile.distinct_snils > 1
),

strong_key_snils as (
    select
        signature_id,
        min(snils_token) as snils_token,
        count(distinct snils_token) as distinct_snils
    from strong_key_matches
    group by signature_id
),

resolved as (
    select
        signatures.signature_id,
        components.component_id,
        component_profile.distinct_snils > 1 as is_conflicted,
        signatures.is_snils_overridden,
        case
            when component_profile.distinct_snils <= 1
                then coalesce(
                        'snils:' || component_profile.min_snils_token,
                        'name_dob:' || component_profile.min_name_dob_token,
                        'local:' || component_profile.min_local_key,
                        'signature:' || components.component_id
                    )
            when signatures.snils_token is not null then 'snils:' || signatures.snils_token
            when strong_key_snils.distinct_snils = 1 then 'snils:' || strong_key_snils.snils_token
            else 'held:' || signatures.signature_id
        end as person_anchor
    from signatures
    inner join components on signatures.signature_id = components.signature_id
    inner join component_profile on components.component_id = component_profile.component_id
    left join strong_key_snils on signatures.signature_id = strong_key_snils.signature_id
),

final as (
    select
        signature_id,
        component_id,
        {{ person_key('person_anchor') }} as person_key,
        person_anchor like 'held:%' as is_held_back,
        is_conflicted,
        is_snils_overridden
    from resolved
)

select * from final
