"""Loading one landing file: one transaction, COPY, quarantine, ledger, supersede.

Within a single transaction per file: the ledger row, the COPY of accepted rows into ``raw``, the quarantine
(``ops.quarantine`` masked, ``vault.quarantine_values`` as sent), warnings, anonymous headcounts and the
supersede bookkeeping. A crash at any moment rolls all of it back; the next run finds the file unprocessed.
Two processes never take the same file: a transaction-scoped advisory lock on the submission group and on
the content hash serialises them, and the second one then sees the ledger row and moves on.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue

import numpy as np
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from pipelines import native
from pipelines.contract import Source
from pipelines.ingest import vectorised
from pipelines.ingest.landing import LandingFile, file_sha256, parse_landing_path
from pipelines.ingest.readers import FileNotice, FileRejected, cell_text
from pipelines.ingest.scan import resolve_entity, start_scan
from pipelines.ingest.senders import SenderRegister
from pipelines.ingest.validation import Issue, _copy_text

DEFAULT_REJECT_SHARE = 0.05
DEFAULT_REJECT_MIN_ROWS = 10
COPY_BATCH = 2000


def reject_share() -> float:
    return float(os.environ.get("KONTINGENT_REJECT_SHARE", DEFAULT_REJECT_SHARE))


def reject_min_rows() -> int:
    return int(os.environ.get("KONTINGENT_REJECT_MIN_ROWS", DEFAULT_REJECT_MIN_ROWS))


@dataclass
class FileResult:
    """What happened to one file."""

    file: str
    status: str  # loaded | rejected | duplicate | superseded | skipped (already taken in earlier)
    source: str | None = None
    entity: str | None = None
    sender_id: str | None = None
    period: str | None = None
    submission_id: int | None = None
    rows_total: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    rows_anonymous: int = 0
    rule: str | None = None
    reason: str | None = None
    issues: list[Issue] = field(default_factory=list)  # the first few, for screens
    report: Path | None = None
    bytes: int = 0
    seconds: float = 0.0  # wall time of this file's transaction


class _TooManyErrors(Exception):
    pass


SPILL_BYTES = 1 << 20  # row problems and rejected cells of a file held in memory up to this, then on disk


def _spill_file():
    """A temporary file in memory until it outgrows ``SPILL_BYTES`` (most files have few problems or none: no file
    is created for them)."""
    return tempfile.SpooledTemporaryFile(SPILL_BYTES, "w+", encoding="utf-8")


class _Spill:
    """Row problems spilled to a temporary file as JSON lines, so memory stays flat for any error count."""

    def __init__(self) -> None:
        self.fh = _spill_file()
        self.count = 0
        self.first: list[Issue] = []

    def add(self, issue: Issue) -> None:
        self.fh.write(json.dumps(issue.__dict__, ensure_ascii=False) + "\n")
        self.count += 1
        if len(self.first) < 50:
            self.first.append(issue)

    def __iter__(self):
        self.fh.seek(0)
        for line in self.fh:
            yield Issue(**json.loads(line))

    def close(self) -> None:
        self.fh.close()


def _lock(conn: psycopg.Connection, text: str) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (text,))


def load_file(
    conn: psycopg.Connection,
    landing_root: Path,
    path: Path,
    sources: dict[str, Source],
    key: bytes,
    senders: SenderRegister,
    *,
    outbox: Path | None = None,
    ensure_table=None,
) -> FileResult:
    """Take in one landing file (or recognise it as already taken in). ``conn`` must not be in a transaction."""
    started = time.perf_counter()
    relative = path.resolve().relative_to(landing_root.resolve()).as_posix()
    sha = file_sha256(path)
    size = path.stat().st_size
    try:
        lf: LandingFile | None = parse_landing_path(landing_root, path)
        group = "|".join(lf.group)
    except FileRejected as exc:
        lf, group, path_error = None, relative, exc
    else:
        path_error = None

    with conn.transaction():
        _lock(conn, "ingest-group|" + group)
        _lock(conn, "ingest-sha|" + sha)
        if conn.execute(
            "select 1 from ops.submissions where file_path = %s and content_sha256 = %s", (relative, sha)
        ).fetchone():
            return FileResult(relative, "skipped", bytes=size)

        meta = {
            "source": lf.source if lf else relative.split("/")[0],
            "entity": lf.entity if lf else None,
            "sender_id": lf.sender_id if lf else None,
            "period": lf.period if lf else None,
        }
        result = FileResult(relative, "rejected", bytes=size, **meta)
        (sid,) = conn.execute(
            """insert into ops.submissions (source, entity, sender_id, period, file_path, content_sha256, sent_at,
                   received_at, status, reason)
               values (%s, %s, %s, %s, %s, %s, %s, now(), 'rejected', 'в обработке') returning submission_id""",
            (
                meta["source"],
                meta["entity"],
                meta["sender_id"],
                meta["period"],
                relative,
                sha,
                lf.sent_at if lf else None,
            ),
        ).fetchone()
        result.submission_id = sid

        earlier = conn.execute(
            "select file_path from ops.submissions where content_sha256 = %s and submission_id <> %s "
            "order by submission_id limit 1",
            (sha, sid),
        ).fetchone()
        issues = _Spill()
        vault = _spill_file()
        notices: list[FileNotice] = []
        headcounts: Counter = Counter()
        encoding = delimiter = None
        version = None
        try:
            if earlier:
                result.status, result.rule = "duplicate", "duplicate_file"
                result.reason = f"тот же файл (то же содержимое) уже получен: {earlier[0]}; повтор пропущен."
            elif path_error is not None:
                raise path_error
            else:
                source, entity = resolve_entity(sources, lf.source, lf.entity, lf.ext)
                version = source.version
                senders.check(source, lf.sender_id)
                scan = start_scan(path, source, entity, key)
                if ensure_table is not None:
                    ensure_table(source, entity.name, scan.checker)
                notices.extend(scan.opened.notices)
                delimiter = scan.opened.delimiter
                try:
                    with conn.transaction():  # savepoint: raw rows vanish if the file is rejected after all
                        maybe_dups = _copy_rows(
                            conn, scan, sid, relative, result, issues, vault, headcounts, key
                        )
                        notices.extend(scan.opened.late_notices())
                        encoding = scan.opened.decoder.used if scan.opened.decoder else None
                        dups = _drop_duplicates(conn, source, lf.entity, sid, issues) if maybe_dups else 0
                        result.rows_rejected += dups
                        result.rows_accepted -= dups
                        _check_error_share(result)
                    result.status = "loaded"
                except _TooManyErrors:
                    result.rows_accepted = 0
                    result.rule = "error_share"
                    result.reason = (
                        f"отклонено {result.rows_rejected} строк из {result.rows_total} "
                        f"({result.rows_rejected / max(result.rows_total, 1):.0%}), больше допустимых "
                        f"{reject_share():.0%}: файл не загружен целиком. Исправьте ошибки из отчёта и отправьте файл заново."
                    )
        except FileRejected as exc:
            result.status, result.rule, result.reason = "rejected", exc.rule, exc.message
            result.rows_accepted = result.rows_rejected = result.rows_warned = result.rows_anonymous = 0
            result.rows_total = 0
            issues.close()
            issues = _Spill()
            headcounts.clear()
            vault.seek(0)
            vault.truncate()

        try:
            _write_issues(conn, sid, issues, notices, result)
            _write_vault(conn, sid, vault)
            if result.status == "loaded":
                _write_headcounts(conn, sid, lf, headcounts)
                _supersede(conn, sid, lf, result)
            if result.status == "rejected" and result.rule:
                conn.execute(
                    "insert into ops.quarantine (submission_id, source_row, rule, message) values (%s, null, %s, %s)",
                    (sid, result.rule, result.reason),
                )
            conn.execute(
                """update ops.submissions set status = %s, rule = %s, reason = %s, rows_total = %s,
                       rows_accepted = %s, rows_rejected = %s, rows_warned = %s, rows_anonymous = %s,
                       loaded_at = case when %s in ('loaded', 'superseded') then now() end,
                       encoding = %s, delimiter = %s, contract_version = %s
                   where submission_id = %s""",
                (
                    result.status,
                    result.rule,
                    result.reason,
                    result.rows_total,
                    result.rows_accepted,
                    result.rows_rejected,
                    result.rows_warned,
                    result.rows_anonymous,
                    result.status,
                    encoding,
                    delimiter,
                    version,
                    sid,
                ),
            )
            result.issues = issues.first
            if outbox is not None and (result.status == "rejected" or issues.count or notices):
                from pipelines.ingest.report import write_report

                result.report = write_report(outbox, result, issues, notices)
        finally:
            issues.close()
            vault.close()
    result.seconds = time.perf_counter() - started
    return result


class _CopyWriter(QueuedLibpqWriter):
    """Sends the COPY data from a thread, so that checking the next block goes on while the server reads this one.

    Over a Unix socket (the embedded server) the kernel buffers a couple of hundred kilobytes, so a plain writer
    waited for the server to take most of each block of COPY text (about 3.5 MB for 6,000 roster rows) before
    the next block was checked: a 150k-row roster went at 64–66k rows/s, with this writer at 84–88k (measured
    interleaved against the embedded PostgreSQL; over TCP to 127.0.0.1 no difference, 87k either way). psycopg's
    queue holds up to 1,024 chunks of 128 KB; this one holds ``CHUNKS`` (8 MB, about two blocks), so a slow
    server cannot make memory grow with the file: 16 chunks were 13 % slower, 64 and 1,024 the same.
    """

    CHUNKS = 64

    def __init__(self, cursor) -> None:
        super().__init__(cursor)
        # psycopg's own attribute (3.3); tests/ingest/test_atomic.py checks that its writer still reads it
        self._queue = Queue(maxsize=self.CHUNKS)


def _copy_rows(conn, scan, sid, relative, result, issues, vault, headcounts, key=None) -> bool:
    """Stream the file into raw; returns True when the file may hold duplicate rows.

    Two engines produce the same rows: row by row (``RowChecker.check`` for every row) and vectorised
    (blocks checked column by column, only unusual rows through ``RowChecker.check``); see ``vectorised.py``.
    """
    table = sql.Identifier("raw", scan.source.table(scan.entity.name))
    columns = [c.name for c in scan.checker.columns] + [
        "_submission_id",
        "_source_file",
        "_source_row",
        "_row_hash",
    ]
    stmt = sql.SQL("copy {} ({}) from stdin").format(table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    # a compressed XLSX holds more rows than its bytes suggest: its filter takes the largest size
    sink = _RowSink(
        relative, sid, issues, vault, headcounts, None if relative.endswith(".xlsx") else result.bytes
    )
    with conn.cursor() as cur, cur.copy(stmt, writer=_CopyWriter(cur)) as copy:
        sink.copy = copy
        if key is not None and vectorised.engine() == "vectorised" and vectorised.usable(scan):
            for item in vectorised.scan_blocks(scan, scan.opened.csv_body, sid, relative, key):
                if isinstance(item, vectorised.CleanBlock):
                    sink.clean_block(*item)
                else:
                    sink.row(*item)
        else:
            for n, checked, cells in scan.rows():
                sink.row(n, checked, cells)
        sink.flush()
    result.rows_total, result.rows_accepted, result.rows_warned, result.rows_anonymous = (
        sink.total,
        sink.accepted,
        sink.warned,
        sink.anonymous,
    )
    result.rows_rejected = sink.rejected
    return sink.maybe_duplicates


class _SeenRows:
    """A Bloom filter of the row hashes of one file: if no row hits all its bits, the file has no duplicate row
    and the set-based SQL check after the COPY is skipped.

    Sized by the file: 64 bits for each row it could hold (a row takes at least ``MIN_ROW_BYTES``), between 8 KB
    and 8 MB, with 6 bits set per row. Measured on 20 files of 400 000 random row hashes (16.4 MB of absences): at
    16 bits a row every one raised a false alarm, at 64 bits none. Memory stays bounded for any file size: below
    about a million rows a file without duplicates almost never needs the SQL; beyond that false alarms grow and
    the SQL runs (it is the check that decides). A fixed 8 MB bitmap for every file cost about a millisecond per
    file just to allocate, and most landing files are small.
    """

    MAX_BITS = 1 << 26
    MIN_BITS = 1 << 16
    MIN_ROW_BYTES = 32
    BITS_PER_ROW = 64
    PROBES = 6

    def __init__(self, file_bytes: int | None = None) -> None:
        rows = self.MAX_BITS if file_bytes is None else file_bytes // self.MIN_ROW_BYTES + 1
        self.size = min(self.MAX_BITS, max(self.MIN_BITS, 1 << (self.BITS_PER_ROW * rows - 1).bit_length()))
        self.buffer = bytearray(self.size >> 3)
        self.bits = np.frombuffer(self.buffer, dtype=np.uint8)  # the same memory, for whole blocks
        self.maybe_duplicates = False
        self._compiled_add = native.bloom_add()  # row after row in C; numpy below where it is not available

    def _positions(self, hashes: np.ndarray) -> np.ndarray:
        """Bit positions (rows × probes) by double hashing on the 64-bit row hash (the step from bits 26 on)."""
        h = hashes.view(np.uint64)
        mask = np.uint64(self.size - 1)
        first = h & mask
        step = ((h >> np.uint64(26)) & mask) | np.uint64(1)
        return (first[:, None] + step[:, None] * np.arange(self.PROBES, dtype=np.uint64)) & mask

    def add_many(self, hashes: array | list[int]) -> None:
        if not len(hashes):
            return
        if self._compiled_add is not None:
            rows = hashes if isinstance(hashes, array) else array("q", hashes)
            hit = self._compiled_add(self.buffer, self.size, rows, self.PROBES)
            self.maybe_duplicates = self.maybe_duplicates or hit
            return
        values = np.array(hashes, dtype=np.int64)
        positions = self._positions(values)
        byte, bit = positions >> np.uint64(3), (positions & np.uint64(7)).astype(np.uint8)
        if not self.maybe_duplicates:
            hit = ((self.bits[byte] >> bit) & 1).all(axis=1).any()
            self.maybe_duplicates = bool(hit) or len(np.unique(values)) < len(values)
        byte, bit = byte.ravel(), bit.ravel()
        for b in range(8):
            # One bit value at a time: several positions in one byte then write the same value, so a plain
            # fancy-index OR is right (and 10× quicker than ``np.bitwise_or.at``).
            at = byte[bit == b]
            self.bits[at] |= np.uint8(1 << b)

    def add(self, row_hash: int) -> None:
        """One row (the row-by-row path): the same bits as ``add_many``, without numpy's per-call cost."""
        mask, buffer = self.size - 1, self.buffer
        h = row_hash & 0xFFFF_FFFF_FFFF_FFFF
        first, step = h & mask, ((h >> 26) & mask) | 1
        hit = True
        for i in range(self.PROBES):
            at = (first + step * i) & mask
            byte, bit = at >> 3, 1 << (at & 7)
            if not buffer[byte] & bit:
                hit = False
                buffer[byte] |= bit
        if hit:
            self.maybe_duplicates = True


class _RowSink:
    """Where checked rows go: accepted ones to COPY, problems to the spill, rejected cells to the vault."""

    def __init__(
        self,
        relative: str,
        sid: int,
        issues: _Spill,
        vault,
        headcounts: Counter,
        file_bytes: int | None = None,
    ) -> None:
        self.suffix = f"\t{sid}\t{_copy_text(relative)}\t"
        self.issues, self.vault, self.headcounts = issues, vault, headcounts
        self.copy = None
        self.anonymous_seen: set[int] = set()
        self.seen = _SeenRows(file_bytes)
        self.total = self.accepted = self.rejected = self.warned = self.anonymous = 0
        self.buf: list[str] = []

    @property
    def maybe_duplicates(self) -> bool:
        return self.seen.maybe_duplicates

    def clean_block(self, text: str | bytes, hashes: array) -> None:
        """Rows the vectorised engine found clean: ready COPY text and their row hashes."""
        self.total += len(hashes)
        self.accepted += len(hashes)
        self.seen.add_many(hashes)
        self.flush()
        self.copy.write(text)

    def row(self, n: int, checked, cells) -> None:
        self.total += 1
        if checked.issues:
            for issue in checked.issues:
                self.issues.add(issue)
        if checked.values is not None:
            self.accepted += 1
            if checked.issues:
                self.warned += 1
            self.buf.append("\t".join(checked.values) + self.suffix + f"{n}\t{checked.row_hash}\n")
            self.seen.add(checked.row_hash)
            if len(self.buf) >= COPY_BATCH:
                self.flush()
        elif checked.anonymous is not None:
            if checked.row_hash in self.anonymous_seen:
                self.rejected += 1
                self.issues.add(
                    Issue(
                        n,
                        None,
                        None,
                        "duplicate_row",
                        "reject_row",
                        "",
                        "строка повторяет предыдущую строку: удалите повтор.",
                    )
                )
                return
            self.anonymous_seen.add(checked.row_hash)
            self.anonymous += 1
            self.accepted += 1  # taken in: counted in the anonymous headcount, no row kept
            self.headcounts[checked.anonymous] += 1
        else:
            self.rejected += 1
            self.vault.write(
                json.dumps([n, {k: cell_text(v) for k, v in cells.items()}], ensure_ascii=False) + "\n"
            )

    def flush(self) -> None:
        if self.buf:
            self.copy.write("".join(self.buf))
            self.buf.clear()


def _drop_duplicates(conn, source: Source, entity: str, sid: int, issues: _Spill) -> int:
    """Later copies of a row already in this file leave raw for the quarantine (set-based, memory-flat)."""
    table = sql.Identifier("raw", source.table(entity))
    rows = conn.execute(
        sql.SQL(
            """with ranked as (
                   select _source_row, first_value(_source_row) over w as first_row, row_number() over w as rn
                   from {t} where _submission_id = %(sid)s
                   window w as (partition by _row_hash order by _source_row))
               delete from {t} r using ranked d
               where r._submission_id = %(sid)s and r._source_row = d._source_row and d.rn > 1
               returning r._source_row, d.first_row"""
        ).format(t=table),
        {"sid": sid},
    ).fetchall()
    for row, first in sorted(rows):
        issues.add(
            Issue(
                row,
                None,
                None,
                "duplicate_row",
                "reject_row",
                "",
                f"строка повторяет строку {first}: удалите повтор.",
            )
        )
    return len(rows)


def _check_error_share(result: FileResult) -> None:
    if (
        result.rows_rejected >= reject_min_rows()
        and result.rows_rejected > reject_share() * result.rows_total
    ):
        raise _TooManyErrors


def _write_issues(conn, sid: int, issues: _Spill, notices: list[FileNotice], result: FileResult) -> None:
    if not issues.count and not notices:
        return  # the usual file: no COPY to start and end
    cols = "submission_id, source_row, field, header, rule, value_masked, message"
    with conn.cursor() as cur:
        with cur.copy(f"copy ops.quarantine ({cols}) from stdin") as q:
            for i in issues:
                if i.action != "warn":
                    q.write_row((sid, i.row, i.field, i.header, i.rule, i.value, i.message))
        with cur.copy(f"copy ops.warnings ({cols}) from stdin") as w:
            for i in issues:
                if i.action == "warn":
                    w.write_row((sid, i.row, i.field, i.header, i.rule, i.value, i.message))
            for notice in notices:
                w.write_row((sid, None, None, None, notice.rule, None, notice.message))


def _write_vault(conn, sid: int, vault) -> None:
    if not vault.tell():
        return  # nothing rejected: no COPY to start and end
    vault.seek(0)
    with (
        conn.cursor() as cur,
        cur.copy("copy vault.quarantine_values (submission_id, source_row, cells) from stdin") as c,
    ):
        for line in vault:
            row, cells = json.loads(line)
            c.write_row((sid, row, json.dumps(cells, ensure_ascii=False)))


def _write_headcounts(conn, sid: int, lf: LandingFile, headcounts: Counter) -> None:
    if not headcounts:
        return
    with conn.cursor() as cur:
        cur.executemany(
            """insert into ops.anonymous_headcounts
                   (submission_id, source, sender_id, period, school_code, grade, sex, birth_year, pupils)
               values (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [
                (sid, lf.source, lf.sender_id, lf.period, *k, n)
                for k, n in sorted(headcounts.items(), key=str)
            ],
        )


def _supersede(conn, sid: int, lf: LandingFile, result: FileResult) -> None:
    """The latest loaded file of a group counts; earlier ones become 'superseded' (their rows stay in raw)."""
    later = conn.execute(
        """select submission_id from ops.submissions
           where source = %s and sender_id = %s and period = %s and entity = %s and status = 'loaded'
             and submission_id <> %s and sent_at > %s
           order by sent_at desc, submission_id desc limit 1""",
        (*lf.group, sid, lf.sent_at),
    ).fetchone()
    if later:
        result.status = "superseded"
        conn.execute(
            "update ops.submissions set superseded_by = %s where submission_id = %s", (later[0], sid)
        )
        return
    conn.execute(
        """update ops.submissions set status = 'superseded', superseded_by = %s
           where source = %s and sender_id = %s and period = %s and entity = %s and status = 'loaded'
             and submission_id <> %s""",
        (sid, *lf.group, sid),
    )
