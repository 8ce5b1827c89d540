{#- Graph nodes: the distinct token sets of person records. A СНИЛС that passes the check sum but was mistyped
    (digits transposed) would otherwise make a second person. When a СНИЛС occurs in a single row only, and that
    row's exact name + birth date or school pupil id is shared with rows of exactly one other СНИЛС seen in
    several rows (other single-row СНИЛС may share it too: typos in several years), the single-row СНИЛС is
    overridden (is_snils_overridden, kept for traceability) and the row is matched on its other tokens. So is a
    СНИЛС seen in two rows from two different senders (the typo carried from one system into another) next to
    exactly one СНИЛС seen in three or more rows; two rows from one sender are that source's own person (a
    namesake with the same birth date, e.g. a guardian listed two years running) and keep their СНИЛС. -#}
with records as (
    select
        signature_id,
        sender_id,
        local_key,
        snils_token,
        name_dob_token,
        name_dob_swapped_token,
        fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token
    from {{ ref('int_person_records_unioned') }}
),

signatures as (
    select
        signature_id,
        local_key,
        snils_token,
        name_dob_token,
        name_dob_swapped_token,
        fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token,
        count(*) as records
    from records
    group by
        signature_id,
        local_key,
        snils_token,
        name_dob_token,
        name_dob_swapped_token,
        fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token
),

snils_rows as (
    select
        snils_token,
        count(*) as records,
        count(distinct sender_id) as senders
    from records
    where snils_token is not null
    group by snils_token
),

strong_keys as (
    select
        signature_id,
        'name_dob' as key_kind,
        name_dob_token as key_value,
        snils_token
    from signatures
    where name_dob_token is not null
    union all
    select
        signature_id,
        'local_id' as key_kind,
        local_key as key_value,
        snils_token
    from signatures
    where local_key is not null
),

rare_snils as (
    select
        strong_keys.signature_id,
        strong_keys.key_kind,
        strong_keys.key_value,
        strong_keys.snils_token,
        snils_rows.records as snils_records
    from strong_keys
    inner join snils_rows on strong_keys.snils_token = snils_rows.snils_token
    where snils_rows.records = 1 or (snils_rows.records = 2 and snils_rows.senders = 2)
),

other_snils as (
    select
        rare_snils.signature_id,
        max(rare_snils.snils_records) as snils_records,
        count(distinct strong_keys.snils_token) filter (where snils_rows.records >= 2) as other_established_snils,
        count(distinct strong_keys.snils_token) filter (where snils_rows.records >= 3) as other_frequent_snils
    from rare_snils
    inner join strong_keys
        on
            rare_snils.key_kind = strong_keys.key_kind
            and rare_snils.key_value = strong_keys.key_value
            and rare_snils.snils_token <> strong_keys.snils_token
    inner join snils_rows on strong_keys.snils_token = snils_rows.snils_token
    group by rare_snils.signature_id
),

overridden as (
    select signature_id
    from other_snils
    where
        (snils_records = 1 and other_established_snils = 1)
        or (snils_records = 2 and other_frequent_snils = 1)
)

select
    signatures.signature_id,
    signatures.local_key,
    case when overridden.signature_id is null then signatures.snils_token end as snils_token,
    signatures.name_dob_token,
    signatures.name_dob_swapped_token,
    signatures.fuzzy_name_dob_token,
    signatures.fuzzy_name_dob_swapped_token,
    signatures.fuzzy_first_last_dob_token,
    signatures.records,
    overridden.signature_id is not null as is_snils_overridden
from signatures
left join overridden on signatures.signature_id = overridden.signature_id
