with source as (
    {{ loaded_rows('gosuslugi__applications') | indent(4) }}
),

renamed as (
    select
        application_id,
        kind as application_kind,
        submitted_date,
        stage,
        school_code,
        grade,
        status as application_status,
        decision_date,
        refusal_reason,
        child_birth_year,
        child_birth_month,
        child_snils_token as child_snils_token,
        child_name_dob_token as child_name_dob_token,
        child_name_dob_swapped_token as child_name_dob_swapped_token,
        child_fuzzy_name_dob_token as child_fuzzy_name_dob_token,
        child_fuzzy_name_dob_swapped_token as child_fuzzy_name_dob_swapped_token,
        child_fuzzy_first_last_dob_token as child_fuzzy_first_last_dob_token,
        child_birth_certificate_token,
        applicant_birth_year,
        applicant_birth_month,
        applicant_snils_token as applicant_snils_token,
        applicant_name_dob_token as applicant_name_dob_token,
        applicant_name_dob_swapped_token as applicant_name_dob_swapped_token,
        applicant_fuzzy_name_dob_token as applicant_fuzzy_name_dob_token,
        applicant_fuzzy_name_dob_swapped_token as applicant_fuzzy_name_dob_swapped_token,
        applicant_fuzzy_first_last_dob_token as applicant_fuzzy_first_last_dob_token,
        applicant_phone_token,
        {{ lineage_columns() | indent(8) }},
        row_number() over (
            partition by application_id
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
