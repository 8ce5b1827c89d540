{#- Children resident in the region per civil-registry extract: one row per child and extract year, with age on
    1 September of the extract year (from birth year and month), for out-of-school and enrolment-rate analytics. -#}
with population as (
    select
        person_key,
        registry_record_id,
        sex,
        birth_year,
        birth_month,
        oktmo,
        extract_date,
        submission_period,
        _source_file,
        _source_row
    from {{ ref('int_population_linked') }}
),

municipalities as (
    select
        municipality_key,
        oktmo
    from {{ ref('dim_municipality') }}
),

aged as (
    select
        *,
        extract(year from extract_date)::int as extract_year,
        extract(year from extract_date)::int - birth_year - case when birth_month > 9 then 1 else 0 end
            as age_on_1_september
    from population
)

select
    {{ record_key('aged._source_file', 'aged._source_row', "'child'") }} as population_record_key,
    aged.extract_date,
    aged.extract_year,
    {{ school_year_label('aged.extract_year') }} as school_year,
    aged.extract_year as school_year_start,
    aged.person_key,
    municipalities.municipality_key,
    aged.sex,
    aged.birth_year,
    aged.birth_month,
    aged.age_on_1_september,
    aged.age_on_1_september between 7 and 17 as is_school_age
from aged
left join municipalities on aged.oktmo = municipalities.oktmo
