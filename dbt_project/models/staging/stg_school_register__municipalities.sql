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
        row_number() over (
            partition by municipality_code, _period
            order by _sent_at desc, _source_row desc
        ) as duplicate_rank
    from source
)

select *
from renamed
where duplicate_rank = 1
