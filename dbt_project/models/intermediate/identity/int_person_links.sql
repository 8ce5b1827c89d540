{{ config(indexes=[{'columns': ['_source_file', '_source_row', 'person_role']}, {'columns': ['local_key']}]) }}
{#- Every person-describing source row (and role) with its person key and the rule that linked it: the
    traceable record of each merge decision. match_rule: the strongest rule joining the row's signature to
    another of the same person (snils, local_id, name_dob[_swapped], fuzzy_name_dob[_swapped],
    fuzzy_first_last_dob), 'identical_tokens' when only rows with the same tokens were found, 'unmatched' for
    a person seen once, 'held_back' when a conflict kept the row apart. is_snils_overridden: the row's СНИЛС
    was taken for a typo (int_person_signatures). -#}
with records as (
    select
        record_key,
        source_model,
        person_role,
        _source_file,
        _source_row,
        _submission_id,
        sender_id,
        local_key,
        signature_id,
        birth_year,
        birth_month
    from {{ ref('int_person_records_unioned') }}
),

resolved as (
    select
        signature_id,
        person_key,
        is_held_back,
        is_conflicted,
        is_snils_overridden
    from {{ ref('int_persons_resolved') }}
),

edges as (
    select
        signature_id,
        anchor_signature_id,
        rule_rank,
        match_rule
    from {{ ref('int_person_match_edges') }}
),

incident as (
    -- both ends of an edge within one person
    select
        edges.signature_id,
        edges.anchor_signature_id as other_signature_id,
        edges.rule_rank,
        edges.match_rule
    from edges
    union all
    select
        edges.anchor_signature_id,
        edges.signature_id,
        edges.rule_rank,
        edges.match_rule
    from edges
),

best_rule as (
    select
        incident.signature_id,
        incident.match_rule,
        incident.other_signature_id as matched_signature_id,
        row_number() over (
            partition by incident.signature_id order by incident.rule_rank, incident.match_rule, incident.other_signature_id
        ) as rule_order
    from incident
    inner join resolved as self_resolved on incident.signature_id = self_resolved.signature_id
    inner join resolved as other_resolved on incident.other_signature_id = other_resolved.signature_id
    where self_resolved.person_key = other_resolved.person_key
),

signature_rows as (
    select
        signature_id,
        count(*) as rows_with_signature
    from records
    group by signature_id
),

final as (
    select
        records.record_key,
        resolved.person_key,
        records.source_model,
        records.person_role,
        records._source_file,
        records._source_row,
        records._submission_id,
        records.sender_id,
        records.local_key,
        records.signature_id,
        best_rule.matched_signature_id,
        case
            when resolved.is_held_back then 'held_back'
            when best_rule.match_rule is not null then best_rule.match_rule
            when signature_rows.rows_with_signature > 1 then 'identical_tokens'
            else 'unmatched'
        end as match_rule,
        resolved.is_conflicted,
        resolved.is_snils_overridden,
        records.birth_year,
        records.birth_month
    from records
    inner join resolved on records.signature_id = resolved.signature_id
    inner join signature_rows on records.signature_id = signature_rows.signature_id
    left join best_rule on records.signature_id = best_rule.signature_id and best_rule.rule_order = 1
)

select * from final
