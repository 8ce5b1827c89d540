with rows as (
    select * from {{ ref('stg_social_protection__benefits') }}
)

select
    links.person_key,
    guardian_links.person_key as guardian_person_key,
    rows.benefit,
    rows.start_date,
    rows.end_date,
    rows.oktmo,
    rows.submission_period,
    rows._source_file,
    rows._source_row
from rows
{{ join_person('child') }}
{{ join_person('guardian', 'guardian_links') }}
