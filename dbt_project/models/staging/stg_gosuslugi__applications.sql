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
        {{ person_token_columns('child_') | indent(8) }},
        child_birth_certificate_token,
        applicant_birth_year,
        applicant_birth_month,
        {{ person_token_columns('applicant_') | indent(8) }},
        applicant_phone_token,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('application_id') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
