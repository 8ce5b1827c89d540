{#- Benefits granted by social protection (многодетные, малоимущие, опека, сироты, семьи участников СВО,
    бесплатное питание) with start and end dates. -#}
with benefits as (
    select
        person_key,
        guardian_person_key,
        benefit,
        start_date,
        end_date,
        oktmo,
        _source_file,
        _source_row
    from {{ ref('int_benefits_linked') }}
),

municipalities as (
    select
        municipality_key,
        oktmo
    from {{ ref('dim_municipality') }}
)

select
    {{ record_key('benefits._source_file', 'benefits._source_row', "'child'") }} as benefit_record_key,
    benefits.person_key,
    benefits.guardian_person_key,
    benefits.benefit as benefit_code,
    benefits.start_date,
    benefits.end_date,
    {{ school_year_label(school_year_start('benefits.start_date')) }} as school_year,
    {{ school_year_start('benefits.start_date') }} as school_year_start,
    municipalities.municipality_key
from benefits
left join municipalities on benefits.oktmo = municipalities.oktmo
