with source as (
    {{ loaded_rows('civil_registry__children') | indent(4) }}
),

renamed as (
    select
        registry_record_id,
        sex,
        birth_year,
        birth_month,
        snils_token as snils_token,
        name_dob_token as name_dob_token,
        name_dob_swapped_token as name_dob_swapped_token,
        fuzzy_name_dob_token as fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token as fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token as fuzzy_first_last_dob_token,
        birth_certificate_token,
        address_token,
        oktmo,
        registered_from,
        extract_date,
        guardian_birth_year,
        guardian_birth_month,
        guardian_snils_token as guardian_snils_token,
        guardian_name_dob_token as guardian_name_dob_token,
        guardian_name_dob_swapped_token as guardian_name_dob_swapped_token,
        guardian_fuzzy_name_dob_token as guardian_fuzzy_name_dob_token,
        guardian_fuzzy_name_dob_swapped_token as guardian_fuzzy_name_dob_swapped_token,
        guardian_fuzzy_first_last_dob_token as guardian_fuzzy_first_last_dob_token,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by registry_record_id, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
