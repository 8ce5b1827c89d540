{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        tags=['school_year'],
        pre_hook="{{ delete_school_years() }}"
    )
}}
{#- Yearly health checkups: health group I–V, physical-education group, disability and special needs.
    Partitioned by school year like fct_exam_results. -#}
with checkups as (
    select
        person_key,
        checkup_date,
        school_year_start,
        health_group,
        pe_group,
        disability,
        special_needs,
        _source_file,
        _source_row
    from {{ ref('int_health_checkups_linked') }}
    where {{ in_school_years() }}
)

select
    {{ record_key('_source_file', '_source_row', "'child'") }} as checkup_key,
    checkup_date,
    {{ school_year_label('school_year_start') }} as school_year,
    school_year_start,
    person_key,
    health_group::integer as health_group,
    pe_group,
    disability as has_disability,
    special_needs as has_special_needs
from checkups
