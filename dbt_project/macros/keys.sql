{#- Surrogate keys: each through its own macro, never ad-hoc hashing in a model. -#}

{#- A person's key: derived from the anchor token of the resolved identity cluster (a СНИЛС token when the
    cluster has one, else its smallest name/birth-date token), so it is stable between runs. -#}
{% macro person_key(anchor) -%}
    ('p_' || substr(md5('person|' || {{ anchor }}), 1, 20))
{%- endmacro %}

{% macro school_key(school_code) -%}
    ('s_' || substr(md5('school|' || {{ school_code }}), 1, 16))
{%- endmacro %}

{% macro municipality_key(municipality_code) -%}
    ('m_' || substr(md5('municipality|' || {{ municipality_code }}), 1, 12))
{%- endmacro %}

{#- A school version (history-tracked row of dim_school). -#}
{% macro school_version_key(school_code, valid_from) -%}
    ('sv_' || substr(md5('school_version|' || {{ school_code }} || '|' || {{ valid_from }}::text), 1, 16))
{%- endmacro %}

{% macro record_key(source_file, source_row, role) -%}
    md5({{ source_file }} || '|' || {{ source_row }}::text || '|' || {{ role }})
{%- endmacro %}

{% macro spell_key(person_key, school_code, start_date) -%}
    ('e_' || substr(md5('spell|' || {{ person_key }} || '|' || {{ school_code }} || '|' || {{ start_date }}::text), 1, 20))
{%- endmacro %}

{#- The school version in force on a date (else the nearest one): used to give facts the municipality a school
    belonged to at the time. Expects dim_school aliased `schools` joined on school_key; pick with DISTINCT ON. -#}
{% macro school_version_preference(date_expr) -%}
    ({{ date_expr }} between schools.valid_from and coalesce(schools.valid_to, '9999-12-31'::date)) desc,
    abs({{ date_expr }} - schools.valid_from)
{%- endmacro %}
