{#- Every person a staging model describes, as one row per (source row, role) with that person's tokens.
    persons: list of dicts {model, role, prefix, local_key, has_snils}; local_key is an SQL expression naming the
    pupil's id in the school system (only for the pupil described by school-system rows), or none. -#}
{% macro person_record_rows(persons) -%}
    {%- for p in persons %}
    select
        '{{ p.model }}' as source_model,
        '{{ p.role }}' as person_role,
        _source_file,
        _source_row,
        _submission_id,
        sender_id,
        {{ p.local_key if p.local_key else 'null::text' }} as local_key,
        {{ person_token_columns(p.prefix, '', has_snils=p.get('has_snils', true)) | indent(8) }},
        {{ p.prefix }}birth_year as birth_year,
        {{ p.prefix }}birth_month as birth_month
    from {{ ref(p.model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- Join a staging relation (aliased `rows`) to the person resolved for one of its roles. -#}
{% macro join_person(role, alias='links') -%}
    left join {{ ref('int_person_links') }} as {{ alias }}
        on
            rows._source_file = {{ alias }}._source_file
            and rows._source_row = {{ alias }}._source_row
            and {{ alias }}.person_role = '{{ role }}'
{%- endmacro %}
