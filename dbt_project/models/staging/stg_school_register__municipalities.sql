with source as (
    {{ loaded_rows('school_register__municipalities') | indent(4) }}
),

renamed as (
    select
        municipality_code,
        municipality_name,
        municipality_kind,
        oktmo,
        coalesce(oktmo_is_synthetic, false) as oktmo_is_synthetic,
        population,
        urban_share,
        {{ period_start_year('_period') }} as school_year_start,
        {{ lineage_columns() | indent(8) }},
        {{ latest_row_rank('municipality_code, _period') | indent(8) }}
    from source
)

select *
from renamed
where duplicate_rank = 1
