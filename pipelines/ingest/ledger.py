"""Read-only questions to the submission ledger (``ops.submissions``): what the orchestration reports and gates on.

The ledger is written by ``load.py``; this module only reads it. Tables that do not exist yet (a warehouse that
has never ingested) read as empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from pipelines.warehouse import connect


@dataclass
class EntityLedger:
    """What the ledger says about one raw table's submissions, all time."""

    files: dict[str, int] = field(default_factory=dict)  # status -> count
    rows_in_raw: int = 0  # rows of loaded submissions (superseded ones stay in raw for history)
    unbalanced_files: list[str] = field(default_factory=list)  # loaded: total != accepted + rejected
    rejected_without_reason: list[str] = field(default_factory=list)


def _table_exists(conn, schema: str, table: str) -> bool:
    name = sql.Identifier(schema, table).as_string(conn)
    return conn.execute("select to_regclass(%s) is not null", (name,)).fetchone()[0]


def entity_ledger(source: str, entity: str, table: str) -> EntityLedger:
    """Files per status, rows in force in ``raw.<table>`` and the ledger's inconsistencies for one entity."""
    result = EntityLedger()
    with connect() as conn:
        if not _table_exists(conn, "ops", "submissions"):
            return result
        for status, n in conn.execute(
            "select status, count(*) from ops.submissions where source = %s and entity = %s group by status",
            (source, entity),
        ):
            result.files[status] = n
        result.unbalanced_files = [
            f
            for (f,) in conn.execute(
                """select file_path from ops.submissions where source = %s and entity = %s and status = 'loaded'
                   and rows_total <> coalesce(rows_accepted, 0) + coalesce(rows_rejected, 0) limit 20""",
                (source, entity),
            )
        ]
        result.rejected_without_reason = [
            f
            for (f,) in conn.execute(
                """select file_path from ops.submissions where source = %s and entity = %s
                   and status = 'rejected' and coalesce(reason, '') = '' limit 20""",
                (source, entity),
            )
        ]
        if _table_exists(conn, "raw", table):
            result.rows_in_raw = conn.execute(
                sql.SQL(
                    "select count(*) from {} r join ops.submissions s on s.submission_id = r._submission_id "
                    "where s.status = 'loaded'"
                ).format(sql.Identifier("raw", table))
            ).fetchone()[0]
    return result


def ledger_summary() -> dict[str, dict[str, int]]:
    """Files per source and status, all time (for the ledger asset's metadata)."""
    with connect() as conn:
        if not _table_exists(conn, "ops", "submissions"):
            return {}
        summary: dict[str, dict[str, int]] = {}
        for source, status, n in conn.execute(
            "select source, status, count(*) from ops.submissions group by source, status order by 1, 2"
        ):
            summary.setdefault(source, {})[status] = n
        return summary


def count_rows(schema: str, table: str) -> int | None:
    """Rows in ``schema.table``; None when it does not exist yet."""
    with connect() as conn:
        if not _table_exists(conn, schema, table):
            return None
        return conn.execute(
            sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
        ).fetchone()[0]


def loaded_submissions(submission_ids: list[int]) -> list[int]:
    """Those of ``submission_ids`` still in force (status 'loaded', the rows staging reads), in order."""
    if not submission_ids:
        return []
    with connect() as conn:
        return [
            sid
            for (sid,) in conn.execute(
                "select submission_id from ops.submissions where submission_id = any(%s) and status = 'loaded' "
                "order by 1",
                (list(submission_ids),),
            )
        ]
