with source as (
    {{ loaded_rows('school_vendor_a__students') | indent(4) }}
),

renamed as (
    select
        school_code,
        school_inn,
        local_id,
        sex,
        birth_year,
        birth_month,
        {{ person_token_columns() | indent(8) }},
        birth_certificate_token,
        address_token,
        grade,
        class_label,
        programme,
        education_form,
        coalesce(consent, true) as has_consent,
        admission_date,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('_sender_id, school_code, local_id, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
