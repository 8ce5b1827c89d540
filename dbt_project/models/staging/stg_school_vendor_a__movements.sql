with source as (
    {{ loaded_rows('school_vendor_a__movements') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        birth_year,
        birth_month,
        null::text as snils_token,
        name_dob_token as name_dob_token,
        name_dob_swapped_token as name_dob_swapped_token,
        fuzzy_name_dob_token as fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token as fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token as fuzzy_first_last_dob_token,
        event_type,
        event_date,
        grade,
        reason,
        destination,
        destination_school_code,
        order_no,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by school_code, local_id, event_type, event_date
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
