with municipalities as (
    select
        municipality_code,
        municipality_name,
        municipality_kind,
        oktmo,
        oktmo_is_synthetic,
        population,
        urban_share
    from {{ ref('int_municipalities_latest') }}
),

final as (
    select
        {{ municipality_key('municipality_code') }} as municipality_key,
        municipality_code,
        municipality_name,
        oktmo,
        oktmo_is_synthetic,
        municipality_kind = 'urban_okrug' as is_urban_okrug,
        population,
        urban_share
    from municipalities
)

select
    municipality_key,
    municipality_code,
    municipality_name,
    oktmo,
    oktmo_is_synthetic,
    is_urban_okrug,
    population,
    urban_share
from final
