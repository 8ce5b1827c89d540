{#- Models land in the schemas named in dbt_project.yml literally (staging, intermediate, marts, reports),
    not in dbt's default "<target>_<custom>" so that roles and dashboards can rely on fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
