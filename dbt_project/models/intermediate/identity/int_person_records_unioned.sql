{#- One row per person described by a source row (a row with a child and a guardian gives two), with the tokens
    identity resolution compares. Marks and absences name a pupil only by the school's local id and are linked
    through the roster later (int_pupil_local_ids). -#}
{%- set persons = [
    {'model': 'stg_school_vendor_a__students', 'role': 'student', 'prefix': '',
     'local_key': "'a|' || school_code || '|' || local_id"},
    {'model': 'stg_school_vendor_a__movements', 'role': 'student', 'prefix': '', 'has_snils': false,
     'local_key': "'a|' || school_code || '|' || local_id"},
    {'model': 'stg_school_vendor_a__guardians', 'role': 'guardian', 'prefix': ''},
    {'model': 'stg_school_vendor_b__students', 'role': 'student', 'prefix': '',
     'local_key': "'b|' || vendor_school_code || '|' || local_id"},
    {'model': 'stg_school_vendor_b__movements', 'role': 'student', 'prefix': '', 'has_snils': false,
     'local_key': "'b|' || vendor_school_code || '|' || local_id"},
    {'model': 'stg_school_vendor_b__guardians', 'role': 'guardian', 'prefix': ''},
    {'model': 'stg_civil_registry__children', 'role': 'child', 'prefix': ''},
    {'model': 'stg_civil_registry__children', 'role': 'guardian', 'prefix': 'guardian_'},
    {'model': 'stg_clinics__checkups', 'role': 'child', 'prefix': ''},
    {'model': 'stg_exam_centre__results', 'role': 'student', 'prefix': ''},
    {'model': 'stg_gosuslugi__applications', 'role': 'child', 'prefix': 'child_'},
    {'model': 'stg_gosuslugi__applications', 'role': 'applicant', 'prefix': 'applicant_'},
    {'model': 'stg_graduate_outcomes__enrolments', 'role': 'student', 'prefix': ''},
    {'model': 'stg_graduate_outcomes__destinations', 'role': 'student', 'prefix': ''},
    {'model': 'stg_kdn__minors', 'role': 'child', 'prefix': '', 'has_snils': false},
    {'model': 'stg_kdn__sop_families', 'role': 'guardian', 'prefix': 'guardian_', 'has_snils': false},
    {'model': 'stg_kdn__sop_families', 'role': 'child', 'prefix': 'child_', 'has_snils': false},
    {'model': 'stg_olympiads__results', 'role': 'student', 'prefix': '', 'has_snils': false},
    {'model': 'stg_pdn__minors', 'role': 'child', 'prefix': '', 'has_snils': false},
    {'model': 'stg_social_protection__benefits', 'role': 'child', 'prefix': 'child_'},
    {'model': 'stg_social_protection__benefits', 'role': 'guardian', 'prefix': 'guardian_'},
] -%}

with unioned as (
    {{ person_record_rows(persons) | indent(4) }}
),

described as (
    select
        {{ record_key('_source_file', '_source_row', 'person_role') }} as record_key,
        source_model,
        person_role,
        _source_file,
        _source_row,
        _submission_id,
        sender_id,
        local_key,
        snils_token,
        name_dob_token,
        name_dob_swapped_token,
        fuzzy_name_dob_token,
        fuzzy_name_dob_swapped_token,
        fuzzy_first_last_dob_token,
        birth_year,
        birth_month,
        -- Identical token sets are one node of the identity graph (a pupil's monthly rows collapse into one);
        -- a row with no token at all stays a node of its own.
        case
            when snils_token is null and name_dob_token is null and local_key is null
                then 'r' || {{ record_key('_source_file', '_source_row', 'person_role') }}
            else 'g' || md5(
                    coalesce(local_key, '') || '|' || coalesce(snils_token, '') || '|' || coalesce(name_dob_token, '')
                    || '|' || coalesce(name_dob_swapped_token, '') || '|' || coalesce(fuzzy_name_dob_token, '')
                    || '|' || coalesce(fuzzy_name_dob_swapped_token, '') || '|' || coalesce(fuzzy_first_last_dob_token, '')
                )
        end as signature_id
    from unioned
)

select * from described
