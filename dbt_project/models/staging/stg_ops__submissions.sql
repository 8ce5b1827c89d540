{#- The submission ledger: every landing file taken in, its status and row counts (no personal data). -#}
with submissions as (
    select
        submission_id,
        source,
        entity,
        sender_id,
        period,
        file_path,
        sent_at,
        received_at,
        loaded_at,
        rows_total,
        rows_accepted,
        rows_rejected,
        rows_warned,
        status,
        reason,
        superseded_by
    from {{ source('ops', 'submissions') }}
)

select
    submission_id,
    source,
    entity,
    sender_id,
    period,
    file_path,
    sent_at,
    received_at,
    loaded_at,
    rows_total,
    rows_accepted,
    rows_rejected,
    rows_warned,
    status as submission_status,
    status = 'loaded' as is_in_force,
    reason,
    superseded_by
from submissions
