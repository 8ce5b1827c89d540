{#- The edges of the identity graph: two signatures that share a token are the same person, unless the token is
    in conflict (signatures with different valid СНИЛС claim it: one token, two people), in which case it links
    nothing and is listed in int_person_match_conflicts for review. Each signature is linked to the smallest
    signature sharing the token (a star, not all pairs), labelled with the rule that linked them. -#}
with claims as (
    select
        signature_id,
        rule_rank,
        token_kind,
        is_swapped,
        token_value,
        signature_snils_token
    from {{ ref('int_person_token_claims') }}
),

claims_with_anchor as (
    select
        signature_id,
        token_kind,
        is_swapped,
        token_value,
        signature_snils_token,
        min(signature_id) over (partition by token_kind, token_value) as anchor_signature_id
    from claims
),

tokens as (
    -- One pass: the anchor and whether the anchor claimed the token through swapped day and month. (A join of
    -- the claims back to their anchors made the planner expect one row and pick a quadratic nested loop.)
    select
        token_kind,
        token_value,
        count(distinct signature_id) as signatures,
        count(distinct signature_snils_token) as distinct_snils,
        min(anchor_signature_id) as anchor_signature_id,
        coalesce(bool_or(is_swapped) filter (where signature_id = anchor_signature_id), false) as anchor_swapped
    from claims_with_anchor
    group by token_kind, token_value
),

usable_tokens as (
    select
        token_kind,
        token_value,
        anchor_signature_id,
        anchor_swapped
    from tokens
    where signatures > 1 and (token_kind = 'snils' or distinct_snils <= 1)
),

edges as (
    select
        claims.signature_id,
        usable_tokens.anchor_signature_id,
        claims.rule_rank,
        claims.token_kind
        || case when claims.is_swapped or usable_tokens.anchor_swapped then '_swapped' else '' end as match_rule
    from claims
    inner join usable_tokens
        on
            claims.token_kind = usable_tokens.token_kind
            and claims.token_value = usable_tokens.token_value
    where claims.signature_id <> usable_tokens.anchor_signature_id
),

ranked as (
    select
        signature_id,
        anchor_signature_id,
        rule_rank,
        match_rule,
        row_number() over (
            partition by signature_id, anchor_signature_id order by rule_rank, match_rule
        ) as rule_order
    from edges
)

select
    signature_id,
    anchor_signature_id,
    rule_rank,
    match_rule
from ranked
where rule_order = 1
