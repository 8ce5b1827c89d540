"""Read-only questions to the submission ledger (``ops.submissions``) that the ingestion assets report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pipelines.warehouse import connect

STATUSES = ("loaded", "rejected", "duplicate", "superseded")


@dataclass
class EntityLedger:
    """What the ledger says about one raw table's submissions: in total and since ``since``."""

    files: dict[str, int] = field(default_factory=dict)  # status -> count, all time
    new_files: dict[str, int] = field(default_factory=dict)  # status -> count, this run
    new_rows_total: int = 0
    new_rows_rejected: int = 0
    new_rows_warned: int = 0
    rows_in_raw: int = 0
    rejected_reasons: list[tuple[str, str]] = field(default_factory=list)  # (file, reason), this run
    unbalanced_files: list[str] = field(default_factory=list)  # loaded, rows_total != accepted + rejected
    rejected_without_reason: list[str] = field(default_factory=list)

    @property
    def new_rejected_share(self) -> float:
        return self.new_rows_rejected / self.new_rows_total if self.new_rows_total else 0.0


def _table_exists(conn, schema: str, table: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (f'"{schema}"."{table}"',)).fetchone()[0]


def entity_ledger(source: str, entity: str, table: str, since: dt.datetime) -> EntityLedger:
    result = EntityLedger()
    with connect() as conn:
        if not _table_exists(conn, "ops", "submissions"):
            return result
        for status, n in conn.execute(
            "select status, count(*) from ops.submissions where source = %s and entity = %s group by status",
            (source, entity),
        ):
            result.files[status] = n
        for status, n, total, rejected, warned in conn.execute(
            """select status, count(*), coalesce(sum(rows_total), 0), coalesce(sum(rows_rejected), 0),
                      coalesce(sum(rows_warned), 0)
               from ops.submissions where source = %s and entity = %s and received_at >= %s group by status""",
            (source, entity, since),
        ):
            result.new_files[status] = n
            if status in ("loaded", "rejected"):
                result.new_rows_total += int(total)
                # A file rejected whole loses every row, whatever its own counters say.
                result.new_rows_rejected += int(total if status == "rejected" else rejected)
                result.new_rows_warned += int(warned)
        result.rejected_reasons = [
            (f, r or "")
            for f, r in conn.execute(
                """select file_path, reason from ops.submissions
                   where source = %s and entity = %s and received_at >= %s and status = 'rejected'
                   order by file_path limit 50""",
                (source, entity, since),
            )
        ]
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
                f'select count(*) from raw."{table}" r join ops.submissions s '
                "on s.submission_id = r._submission_id where s.status = 'loaded'"
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
    with connect() as conn:
        if not _table_exists(conn, schema, table):
            return None
        return conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]


def database_now() -> dt.datetime:
    """The warehouse clock (ledger timestamps come from it, not from this machine)."""
    with connect() as conn:
        return conn.execute("select now()").fetchone()[0]
