{#- Calendar days of the school years covered, with school year, quarter (approximate regional calendar),
    weekday and the Russian month name. -#}
with days as (
    select generate_series(
        make_date({{ var('first_school_year_start') }}, 9, 1),
        make_date({{ var('last_school_year_start') }} + 1, 8, 31),
        interval '1 day'
    )::date as calendar_date
),

described as (
    select
        calendar_date,
        {{ school_year_start('calendar_date') }} as school_year_start,
        extract(isodow from calendar_date)::int as iso_weekday,
        extract(month from calendar_date)::int as month_number,
        extract(year from calendar_date)::int as calendar_year
    from days
)

select
    calendar_date,
    {{ school_year_label('school_year_start') }} as school_year,
    school_year_start,
    calendar_year,
    month_number,
    (array[
        'январь', 'февраль', 'март', 'апрель', 'май', 'июнь',
        'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'
    ])[month_number] as month_name,
    iso_weekday,
    iso_weekday = 7 as is_sunday,
    case
        when month_number in (9, 10) then 1
        when month_number in (11, 12) then 2
        when month_number in (1, 2, 3) then 3
        when month_number in (4, 5) then 4
    end as school_quarter,
    month_number in (6, 7, 8) as is_summer_holiday
from described
