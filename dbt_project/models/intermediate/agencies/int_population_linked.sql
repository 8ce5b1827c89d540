{#- Children resident in the region by civil-registry extract (one per year): who should be at school. -#}
with rows as (
    select * from {{ ref('stg_civil_registry__children') }}
)

select
    links.person_key,
    rows.registry_record_id,
    rows.sex,
    rows.birth_year,
    rows.birth_month,
    rows.oktmo,
    rows.registered_from,
    rows.extract_date,
    rows.submission_period,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('child') }}
