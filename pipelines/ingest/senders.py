"""Who may send what: school senders must be in the school register.

The register itself arrives through the landing folder (source ``school_register``) and is loaded first.
A school source names its sender by a register column (vendor A: the school's ИНН; vendor B: its own code,
mapped through «Код в ИС-Б»). Agencies are few and fixed by agreement; their ids are not checked here.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from pipelines.contract import Source
from pipelines.ingest.readers import FileRejected

REGISTER_TABLE = ("raw", "school_register__schools")
# Which register column identifies the sender of each school source.
SENDER_COLUMN = {"school_vendor_a": "inn", "school_vendor_b": "vendor_school_code"}


class SenderRegister:
    def __init__(self) -> None:
        self.known: dict[str, set[str]] = {}

    def refresh(self, conn: psycopg.Connection) -> None:
        exists = conn.execute("select to_regclass('raw.school_register__schools')").fetchone()[0]
        self.known = {}
        if not exists:
            return
        for source, column in SENDER_COLUMN.items():
            rows = conn.execute(
                sql.SQL(
                    "select distinct r.{} from {} r join ops.submissions s on s.submission_id = r._submission_id "
                    "where s.status in ('loaded', 'superseded') and r.{} is not null"
                ).format(sql.Identifier(column), sql.Identifier(*REGISTER_TABLE), sql.Identifier(column))
            ).fetchall()
            self.known[source] = {r[0] for r in rows}

    def check(self, source: Source, sender_id: str) -> None:
        known = self.known.get(source.source)
        if source.sender_kind != "school" or not known:  # no register loaded yet: nothing to check against
            return
        if sender_id not in known:
            what = "ИНН" if SENDER_COLUMN.get(source.source) == "inn" else "кода школы"
            raise FileRejected(
                "unknown_sender",
                f"отправителя «{sender_id}» нет в реестре образовательных организаций (проверка по {what}). "
                "Проверьте имя папки отправителя; если школа новая, её сначала вносят в реестр.",
            )
