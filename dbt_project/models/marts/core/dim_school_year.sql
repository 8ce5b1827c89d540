{#- School years from 1 September to 31 August, with their ОО-1 reference date (20 September). -#}
with years as (
    select generate_series(
        {{ var('first_school_year_start') }}, {{ var('last_school_year_start') }}
    ) as school_year_start
)

select
    school_year_start,
    {{ school_year_label('school_year_start') }} as school_year,
    make_date(school_year_start, 9, 1) as first_day,
    make_date(school_year_start + 1, 8, 31) as last_day,
    make_date(school_year_start, 9, 20) as oo1_snapshot_date
from years
