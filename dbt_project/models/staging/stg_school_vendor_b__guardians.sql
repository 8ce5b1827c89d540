with source as (
    {{ loaded_rows('school_vendor_b__guardians') | indent(4) }}
),

renamed as (
    select
        vendor_school_code,
        local_id,
        relation,
        birth_year,
        birth_month,
        snils_token as snils_token,
        name_dob_token as name_dob_token,
        name_dob_swapped_token as name_dob_swapped_token,
        fuzzy_name_dob_token as fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token as fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token as fuzzy_first_last_dob_token,
        phone_token,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by _sender_id, vendor_school_code, local_id, relation, name_dob_token, snils_token, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
