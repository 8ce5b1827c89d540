{#- Pupil roster rows of both school-system vendors in one vocabulary, with the resolved person. September
    submissions are the full roster as of 20 September; other months list only the pupils admitted that month. -#}
with vendor_a as (
    select
        'a|' || school_code || '|' || local_id as local_key,
        school_code,
        local_id,
        sex,
        birth_year,
        birth_month,
        grade,
        class_label,
        programme,
        education_form,
        admission_date,
        submission_period,
        _submission_id,
        _source_file,
        _source_row
    from {{ ref('stg_school_vendor_a__students') }}
    where has_consent
),

vendor_b as (
    select
        'b|' || students.vendor_school_code || '|' || students.local_id as local_key,
        codes.school_code,
        students.local_id,
        students.sex,
        students.birth_year,
        students.birth_month,
        students.grade,
        students.class_label,
        students.programme,
        students.education_form,
        students.admission_date,
        students.submission_period,
        students._submission_id,
        students._source_file,
        students._source_row
    from {{ ref('stg_school_vendor_b__students') }} as students
    inner join {{ ref('int_school_vendor_codes') }} as codes
        on students.vendor_school_code = codes.vendor_school_code
    where students.has_consent
),

unioned as (
    select * from vendor_a
    union all
    select * from vendor_b
),

final as (
    select
        links.person_key,
        unioned.local_key,
        unioned.school_code,
        unioned.local_id,
        unioned.sex,
        unioned.birth_year,
        unioned.birth_month,
        unioned.grade,
        unioned.class_label,
        unioned.programme,
        unioned.education_form,
        unioned.admission_date,
        unioned.submission_period,
        {{ period_start_year('unioned.submission_period') }} as school_year_start,
        substr(unioned.submission_period, 6, 2) = '09' as is_september_roster,
        unioned._submission_id,
        unioned._source_file,
        unioned._source_row
    from unioned
    inner join {{ ref('int_person_links') }} as links
        on
            unioned._source_file = links._source_file
            and unioned._source_row = links._source_row
            and links.person_role = 'student'
)

select * from final
