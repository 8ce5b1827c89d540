{#- School year helpers: a school year starts 1 September; '2024/25' ↔ 2024. -#}

{% macro school_year_start(date_expr) -%}
    (extract(year from {{ date_expr }})::int - case when extract(month from {{ date_expr }}) < 9 then 1 else 0 end)
{%- endmacro %}

{% macro school_year_label(start_expr) -%}
    (({{ start_expr }})::text || '/' || lpad(((({{ start_expr }}) + 1) % 100)::text, 2, '0'))
{%- endmacro %}

{% macro education_level(grade_expr) -%}
    (case
        when {{ grade_expr }} between 1 and 4 then 'начальное'
        when {{ grade_expr }} between 5 and 9 then 'основное'
        when {{ grade_expr }} between 10 and 12 then 'среднее'
    end)
{%- endmacro %}

{#- First calendar year of a period string: '2024-25' → 2024, '2024' → 2024, '2024-09' → 2024 (month: the school
    year it falls in), '2025-campaign' → 2025. -#}
{% macro period_start_year(period_expr) -%}
    (case
        when {{ period_expr }} ~ '^\d{4}-\d{2}$' and substr({{ period_expr }}, 6, 2)::int between 1 and 12
            then {{ school_year_start("to_date(" ~ period_expr ~ " || '-01', 'YYYY-MM-DD')") }}
        else substr({{ period_expr }}, 1, 4)::int
    end)
{%- endmacro %}
