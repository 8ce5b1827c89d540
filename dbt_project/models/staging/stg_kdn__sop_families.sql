with source as (
    {{ loaded_rows('kdn__sop_families') | indent(4) }}
),

renamed as (
    select
        guardian_birth_year,
        guardian_birth_month,
        null::text as guardian_snils_token,
        guardian_name_dob_token as guardian_name_dob_token,
        guardian_name_dob_swapped_token as guardian_name_dob_swapped_token,
        guardian_fuzzy_name_dob_token as guardian_fuzzy_name_dob_token,
        guardian_fuzzy_name_dob_swapped_token as guardian_fuzzy_name_dob_swapped_token,
        guardian_fuzzy_first_last_dob_token as guardian_fuzzy_first_last_dob_token,
        child_birth_year,
        child_birth_month,
        null::text as child_snils_token,
        child_name_dob_token as child_name_dob_token,
        child_name_dob_swapped_token as child_name_dob_swapped_token,
        child_fuzzy_name_dob_token as child_fuzzy_name_dob_token,
        child_fuzzy_name_dob_swapped_token as child_fuzzy_name_dob_swapped_token,
        child_fuzzy_first_last_dob_token as child_fuzzy_first_last_dob_token,
        registered_date,
        deregistered_date,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by guardian_name_dob_token, child_name_dob_token, registered_date, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
