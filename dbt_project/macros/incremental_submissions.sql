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

{#- With local_key_column: also the rows of older submissions whose pupil became known since (absences or marks
    sent before the roster that lists the pupil found no person then; now they do). The model declares
    `-- depends_on: {{ ref('int_pupil_local_ids') }}`. -#}
{% macro only_new_submissions(column='_submission_id', local_key_column=none) -%}
    {%- if is_incremental() -%}
    where {{ column }} > (select coalesce(max(submission_id), 0) from {{ this }})
    {%- if local_key_column %}
        or {{ local_key_column }} in (
            select local_key from {{ ref('int_pupil_local_ids') }}
            where first_submission_id > (select coalesce(max(submission_id), 0) from {{ this }})
        )
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}
