{#- One row per signature with the person it belongs to: connected components of the match graph. A component
    that still joins two different valid СНИЛС (a chain through several weak tokens) is not merged: its
    signatures fall back to their own СНИЛС, or are held back alone, and the case is listed for review. -#}
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
            else 'held:' || signatures.signature_id
        end as person_anchor
    from signatures
    inner join components on signatures.signature_id = components.signature_id
    inner join component_profile on components.component_id = component_profile.component_id
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
