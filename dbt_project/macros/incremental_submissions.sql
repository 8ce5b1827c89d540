{#- Incremental facts loaded per submission. A nightly run inserts only rows of submissions newer than the
    newest already in the table; a pre-hook first deletes rows of submissions no longer in force (superseded by a
    corrected resubmission), whose replacement rows then arrive as a new submission. History is not rebuilt. -#}
{% macro delete_rows_of_replaced_submissions() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where submission_id not in (
        select submission_id from {{ source('ops', 'submissions') }} where status = 'loaded'
    )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{% macro only_new_submissions(column='_submission_id') -%}
    {%- if is_incremental() -%}
    where {{ column }} > (select coalesce(max(submission_id), 0) from {{ this }})
    {%- endif -%}
{%- endmacro %}
