{#- Where 9th- and 11th-grade leavers went, as schools report it (one row per leaver and report). -#}
with destinations as (
    select
        person_key,
        school_code,
        school_completed_grade,
        destination,
        in_region,
        report_date,
        school_year_start,
        _source_file,
        _source_row
    from {{ ref('int_graduate_destinations_linked') }}
),

final as (
    select
        {{ record_key('_source_file', '_source_row', "'student'") }} as destination_key,
        report_date,
        {{ school_year_label('school_year_start') }} as school_year,
        school_year_start,
        person_key,
        {{ school_key('school_code') }} as school_key,
        school_completed_grade,
        destination,
        in_region,
        destination in ('grade_10', 'college', 'university') as is_continuing_education
    from destinations
)

select
    destination_key,
    report_date,
    school_year,
    school_year_start,
    person_key,
    school_key,
    school_completed_grade,
    destination,
    in_region,
    is_continuing_education
from final
