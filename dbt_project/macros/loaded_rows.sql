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

{#- The token columns of one person in a row (prefix '' or e.g. 'guardian_'), renamed without the prefix. -#}
{% macro person_token_columns(prefix='', alias_prefix='') -%}
    {{ prefix }}snils_token as {{ alias_prefix }}snils_token,
    {{ prefix }}name_dob_token as {{ alias_prefix }}name_dob_token,
    {{ prefix }}name_dob_swapped_token as {{ alias_prefix }}name_dob_swapped_token,
    {{ prefix }}fuzzy_name_dob_token as {{ alias_prefix }}fuzzy_name_dob_token,
    {{ prefix }}fuzzy_name_dob_swapped_token as {{ alias_prefix }}fuzzy_name_dob_swapped_token,
    {{ prefix }}fuzzy_first_last_dob_token as {{ alias_prefix }}fuzzy_first_last_dob_token
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
