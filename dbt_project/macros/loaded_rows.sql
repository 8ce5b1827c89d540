{#- Rows of one raw table that belong to submissions currently in force (status 'loaded'), with the ledger's
    sender, period and send time. Superseded, rejected and duplicate submissions stay in raw for history only. -#}
{% macro loaded_rows(table_name) -%}
    select
        raw_rows.*,
        submissions.sender_id as _sender_id,
        submissions.period as _period,
        submissions.sent_at as _sent_at
    from {{ source('raw', table_name) }} as raw_rows
    inner join {{ source('ops', 'submissions') }} as submissions
        on raw_rows._submission_id = submissions.submission_id
    where submissions.status = 'loaded'
{%- endmacro %}

{#- The six token columns of one person in a row (prefix '' or e.g. 'guardian_'), named with ``alias_prefix``
    instead (default: the same names, so they are listed bare). ``has_snils=false`` for a source that carries no
    СНИЛС: the column is still there, null, so every person has the same six. -#}
{% macro person_token_columns(prefix='', alias_prefix=none, has_snils=true) -%}
    {%- set alias_prefix = prefix if alias_prefix is none else alias_prefix -%}
    {%- set columns = [] -%}
    {%- for token in [
        'snils_token',
        'name_dob_token',
        'name_dob_swapped_token',
        'fuzzy_name_dob_token',
        'fuzzy_name_dob_swapped_token',
        'fuzzy_first_last_dob_token',
    ] -%}
        {%- if token == 'snils_token' and not has_snils -%}
            {%- do columns.append('null::text as ' ~ alias_prefix ~ token) -%}
        {%- elif prefix == alias_prefix -%}
            {%- do columns.append(prefix ~ token) -%}
        {%- else -%}
            {%- do columns.append(prefix ~ token ~ ' as ' ~ alias_prefix ~ token) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ columns | join(',\n') }}
{%- endmacro %}

{#- Staging's deduplication: ranks the copies of one row (``partition_by``: the SQL list that identifies it) that
    loaded submissions carry, 1 for the one sent last (within a file, the last row). Each view keeps rank 1.
    Written flush left: the caller indents it (`| indent(8)`). -#}
{% macro latest_row_rank(partition_by) -%}
row_number() over (
    partition by {{ partition_by }}
    order by _sent_at desc, _source_row desc
) as duplicate_rank
{%- endmacro %}

{% macro lineage_columns() -%}
    _submission_id,
    _source_file,
    _source_row,
    _sender_id as sender_id,
    _period as submission_period,
    _sent_at as sent_at,
    _loaded_at as loaded_at
{%- endmacro %}
