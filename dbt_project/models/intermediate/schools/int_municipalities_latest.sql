{#- Municipalities as the latest register extract describes them. -#}
with register as (
    select
        municipality_code,
        municipality_name,
        municipality_kind,
        oktmo,
        oktmo_is_synthetic,
        population,
        urban_share,
        row_number() over (partition by municipality_code order by school_year_start desc) as recency
    from {{ ref('stg_school_register__municipalities') }}
)

select
    municipality_code,
    municipality_name,
    municipality_kind,
    oktmo,
    oktmo_is_synthetic,
    population,
    urban_share
from register
where recency = 1
