{#- Which tokens each signature (a distinct set of tokens) claims, one row per (signature, token). A token is a
    matching key of one kind: the СНИЛС, the school's local pupil id, the exact name + birth date (also through
    swapped day and month), the phonetic name + birth date (also swapped), the phonetic surname + given name + date. -#}
with signatures as (
    select
        signature_id,
        local_key,
        snils_token,
        name_dob_token,
        name_dob_swapped_token,
        fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token
    from {{ ref('int_person_signatures') }}
),

claims as (
    select
        signature_id,
        1 as rule_rank,
        'snils' as token_kind,
        false as is_swapped,
        snils_token as token_value
    from signatures
    where snils_token is not null
    union all
    select
        signature_id,
        2 as rule_rank,
        'local_id' as token_kind,
        false as is_swapped,
        local_key
    from signatures
    where local_key is not null
    union all
    select
        signature_id,
        3 as rule_rank,
        'name_dob' as token_kind,
        false as is_swapped,
        name_dob_token
    from signatures
    where name_dob_token is not null
    union all
    select
        signature_id,
        3 as rule_rank,
        'name_dob' as token_kind,
        true as is_swapped,
        name_dob_swapped_token
    from signatures
    where name_dob_swapped_token is not null
    union all
    select
        signature_id,
        4 as rule_rank,
        'fuzzy_name_dob' as token_kind,
        false as is_swapped,
        fuzzy_name_dob_token
    from signatures
    where fuzzy_name_dob_token is not null
    union all
    select
        signature_id,
        4 as rule_rank,
        'fuzzy_name_dob' as token_kind,
        true as is_swapped,
        fuzzy_name_dob_swapped_token
    from signatures
    where fuzzy_name_dob_swapped_token is not null
    union all
    select
        signature_id,
        5 as rule_rank,
        'fuzzy_first_last_dob' as token_kind,
        false as is_swapped,
        fuzzy_first_last_dob_token
    from signatures
    where fuzzy_first_last_dob_token is not null
),

final as (
    select
        claims.signature_id,
        claims.rule_rank,
        claims.token_kind,
        claims.is_swapped,
        claims.token_value,
        signatures.snils_token as signature_snils_token
    from claims
    inner join signatures on claims.signature_id = signatures.signature_id
)

select * from final
