"""Tables ingestion writes: the ledger and quarantine in ``ops``, rejected values in ``vault``, and one
``raw.<source>__<entity>`` per contract entity. All DDL is idempotent and runs before any load."""

from __future__ import annotations

import psycopg
from psycopg import sql

from pipelines.contract import Source
from pipelines.ingest.validation import RowChecker

OPS_DDL = """
create table if not exists ops.submissions (
    submission_id   bigserial primary key,
    source          text not null,
    entity          text,
    sender_id       text,
    period          text,
    file_path       text not null,
    content_sha256  text not null,
    sent_at         timestamp,
    received_at     timestamptz,
    loaded_at       timestamptz,
    rows_total      integer not null default 0,
    rows_accepted   integer not null default 0,
    rows_rejected   integer not null default 0,
    rows_warned     integer not null default 0,
    rows_anonymous  integer not null default 0,
    status          text not null check (status in ('loaded', 'rejected', 'duplicate', 'superseded')),
    rule            text,
    reason          text,
    superseded_by   bigint references ops.submissions (submission_id),
    encoding        text,
    delimiter       text,
    contract_version integer,
    unique (file_path, content_sha256)
);
create index if not exists submissions_group on ops.submissions (source, sender_id, period, entity, sent_at);
create index if not exists submissions_sha on ops.submissions (content_sha256);
comment on table ops.submissions is
    'Ledger: one row per landing file taken in (loaded, rejected, duplicate or superseded). No personal data.';

create table if not exists ops.quarantine (
    submission_id bigint not null references ops.submissions (submission_id),
    source_row    integer,
    field         text,
    header        text,
    rule          text not null,
    value_masked  text,
    message       text not null
);
create index if not exists quarantine_submission on ops.quarantine (submission_id);
comment on table ops.quarantine is
    'Rejected rows (source_row set) and the reason a whole file was rejected (source_row null). '
    'Values are masked; the rows as sent are in vault.quarantine_values.';

create table if not exists ops.warnings (
    submission_id bigint not null references ops.submissions (submission_id),
    source_row    integer,
    field         text,
    header        text,
    rule          text not null,
    value_masked  text,
    message       text not null
);
create index if not exists warnings_submission on ops.warnings (submission_id);
comment on table ops.warnings is 'Problems that did not stop a row or file from loading (masked values).';

create table if not exists ops.anonymous_headcounts (
    submission_id bigint not null references ops.submissions (submission_id),
    source        text not null,
    sender_id     text not null,
    period        text not null,
    school_code   text,
    grade         integer,
    sex           text,
    birth_year    integer,
    pupils        integer not null
);
comment on table ops.anonymous_headcounts is
    'Pupils without consent to processing: counted here only, no person-level row anywhere.';

create table if not exists vault.quarantine_values (
    submission_id bigint not null,
    source_row    integer not null,
    cells         jsonb not null,
    primary key (submission_id, source_row)
);
comment on table vault.quarantine_values is
    'Rejected rows exactly as sent (may hold personal data), for the operator helping a sender fix them.';
"""

META_COLUMNS = (
    ("_submission_id", "bigint not null"),
    ("_source_file", "text not null"),
    ("_source_row", "integer not null"),
    ("_loaded_at", "timestamptz not null default now()"),
    ("_row_hash", "bigint"),
)


_OPS_TABLES = (
    "ops.submissions",
    "ops.quarantine",
    "ops.warnings",
    "ops.anonymous_headcounts",
    "vault.quarantine_values",
)


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def ensure_ops(conn: psycopg.Connection) -> None:
    # DDL even with IF NOT EXISTS takes strong locks; skip it when everything is there, so a second
    # ingest process never queues behind (or deadlocks with) a running load.
    if all(_exists(conn, t) for t in _OPS_TABLES):
        return
    conn.execute(OPS_DDL)


def ensure_raw_table(conn: psycopg.Connection, source: Source, entity: str, checker: RowChecker) -> None:
    """Create ``raw.<source>__<entity>`` or add the columns a newer contract version brings."""
    table = sql.Identifier("raw", source.table(entity))
    cols = [(c.name, c.sql_type) for c in checker.columns] + list(META_COLUMNS)
    present = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = %s",
            (source.table(entity),),
        )
    }
    if present and all(n in present for n, _ in cols):
        return  # nothing to do: take no lock
    if present:
        for name, sql_type in cols:
            if name not in present:
                conn.execute(
                    sql.SQL("alter table {} add column {} {}").format(
                        table, sql.Identifier(name), sql.SQL(sql_type.replace(" not null", ""))
                    )
                )
        return
    conn.execute(
        sql.SQL("create table if not exists {} ({})").format(
            table,
            sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t in cols),
        )
    )
    # Rows of one submission are appended together: a BRIN index finds them at almost no cost to COPY.
    conn.execute(
        sql.SQL("create index if not exists {} on {} using brin (_submission_id)").format(
            sql.Identifier(f"{source.table(entity)}__sub_brin"), table
        )
    )
    conn.execute(
        sql.SQL("comment on table {} is {}").format(
            table,
            sql.Literal(
                f"{source.title.en} / {source.entities[entity].title.en} — contract v{source.version}; personal fields "
                "are HMAC tokens (pipelines/pseudonymise.py)."
            ),
        )
    )
