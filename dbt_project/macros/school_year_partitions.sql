{#- Facts partitioned by school year (tag `school_year`, incremental): a run with
    `--vars '{school_year_from: N, school_year_to: M}'` deletes and rebuilds only school years N…M; without the
    vars (a plain `dbt build`) it rebuilds every year. A bound left out is open: Dagster leaves it out for the first
    and the last partition, so a year outside the partitions is still built with its neighbour. -#}
{% macro in_school_years(column='school_year_start') -%}
    {%- set year_from = var('school_year_from', none) -%}
    {%- set year_to = var('school_year_to', none) -%}
    {%- if year_from is none and year_to is none -%}
    true
    {%- elif year_to is none -%}
    {{ column }} >= {{ year_from | int }}
    {%- elif year_from is none -%}
    {{ column }} <= {{ year_to | int }}
    {%- else -%}
    {{ column }} between {{ year_from | int }} and {{ year_to | int }}
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a school-year fact: drop the rows of the years about to be rebuilt. -#}
{% macro delete_school_years(column='school_year_start') -%}
    {%- if is_incremental() -%}
    delete from {{ this }} where {{ in_school_years(column) }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
