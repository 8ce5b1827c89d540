with rows as (
    select * from {{ ref('stg_clinics__checkups') }}
)

select
    links.person_key,
    rows.sex,
    rows.birth_year,
    rows.checkup_date,
    {{ school_year_start('rows.checkup_date') }} as school_year_start,
    rows.health_group,
    rows.pe_group,
    rows.disability,
    rows.special_needs,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('child') }}
