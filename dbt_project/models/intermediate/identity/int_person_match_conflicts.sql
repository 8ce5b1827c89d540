{#- The review list: tokens that two people claim (different valid СНИЛС behind one name/birth-date or local id),
    and signatures held apart because a chain of weak matches would have joined two СНИЛС. Nothing here is
    merged silently; an operator decides. -#}
with claims as (
    select
        signature_id,
        token_kind,
        token_value,
        signature_snils_token
    from {{ ref('int_person_token_claims') }}
),

token_conflicts as (
    select
        'token_claimed_by_several_snils' as conflict_kind,
        token_kind,
        token_value,
        count(distinct signature_id) as signatures,
        count(distinct signature_snils_token) as distinct_snils
    from claims
    where token_kind <> 'snils'
    group by token_kind, token_value
    having count(distinct signature_snils_token) > 1
),

chain_conflicts as (
    select
        'chain_joins_several_snils' as conflict_kind,
        'component' as token_kind,
        component_id as token_value,
        count(*) as signatures,
        count(distinct person_key) as distinct_snils
    from {{ ref('int_persons_resolved') }}
    where is_conflicted
    group by component_id
),

final as (
    select
        conflict_kind,
        token_kind,
        token_value,
        signatures,
        distinct_snils
    from token_conflicts
    union all
    select
        conflict_kind,
        token_kind,
        token_value,
        signatures,
        distinct_snils
    from chain_conflicts
)

select * from final
