{{ config(materialized='view') }}
{#- Term and year marks of both vendors, one row per pupil, term and subject (vendors send subjects as columns),
    with the register's school code and the person behind the school's local id. -#}
{%- set subjects = ['russian', 'literature', 'maths', 'foreign', 'science', 'history', 'native', 'pe'] -%}
with vendor_a as (
    select
        'a|' || school_code || '|' || local_id as local_key,
        school_code,
        grade,
        term,
        school_year_start,
        {% for s in subjects %}mark_{{ s }},
        {% endfor -%}
        _submission_id,
        _source_file,
        _source_row,
        loaded_at
    from {{ ref('stg_school_vendor_a__marks') }}
),

vendor_b as (
    select
        'b|' || marks.vendor_school_code || '|' || marks.local_id as local_key,
        codes.school_code,
        marks.grade,
        marks.term,
        marks.school_year_start,
        {% for s in subjects %}marks.mark_{{ s }},
        {% endfor -%}
        marks._submission_id,
        marks._source_file,
        marks._source_row,
        marks.loaded_at
    from {{ ref('stg_school_vendor_b__marks') }} as marks
    inner join {{ ref('int_school_vendor_codes') }} as codes
        on marks.vendor_school_code = codes.vendor_school_code
),

unioned as (
    select * from vendor_a
    union all
    select * from vendor_b
),

unpivoted as (
    {% for s in subjects -%}
        select
            local_key,
            school_code,
            grade,
            term,
            school_year_start,
            '{{ s }}' as subject_code,
            mark_{{ s }} as mark,
            _submission_id,
            _source_file,
            _source_row,
            loaded_at
        from unioned
        where mark_{{ s }} is not null
        {% if not loop.last %}union all
        {% endif %}
    {%- endfor %}
)

select
    local_ids.person_key,
    unpivoted.local_key,
    unpivoted.school_code,
    unpivoted.grade,
    unpivoted.term,
    unpivoted.school_year_start,
    unpivoted.subject_code,
    unpivoted.mark,
    unpivoted._submission_id,
    unpivoted._source_file,
    unpivoted._source_row,
    unpivoted.loaded_at
from unpivoted
inner join {{ ref('int_pupil_local_ids') }} as local_ids on unpivoted.local_key = local_ids.local_key
