"""Ingestion: the landing folder → pseudonymised ``raw`` tables, the submission ledger and the quarantine.

Python API (orchestration calls these; no Dagster here):
    ingest_landing(landing_dir=None, sources=None) -> IngestSummary
    validate_file(path) -> ValidationReport          (never touches the warehouse)
    pending_files(landing_dir=None) -> list[Path]    (for a sensor: files the ledger has not seen)
    ledger.entity_ledger / ledger_summary / loaded_submissions / count_rows   (read-only questions to the ledger)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import settings
from pipelines.contract import Source, load_sources
from pipelines.ingest.landing import landing_files, parse_landing_path
from pipelines.ingest.load import FileResult, load_file
from pipelines.ingest.readers import FileNotice, FileRejected
from pipelines.ingest.scan import EXTENSIONS, resolve_entity, start_scan
from pipelines.ingest.validation import Issue, RowChecker

log = logging.getLogger(__name__)

__all__ = [
    "FileResult",
    "IngestSummary",
    "ValidationReport",
    "ingest_landing",
    "pending_files",
    "validate_file",
]


@dataclass
class IngestSummary:
    landing_dir: Path
    files: list[FileResult] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (file, error) of unexpected failures
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_total(self) -> int:
        return sum(f.rows_total for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.bytes for f in self.files)


@dataclass
class ValidationReport:
    path: Path
    source: str | None = None
    entity: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows_total: int = 0
    rows_ok: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    rows_anonymous: int = 0
    file_error: FileNotice | None = None  # the file cannot be taken at all
    notices: list[FileNotice] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.file_error is None and self.rows_rejected == 0


def _contract(contract_dir: Path | None) -> dict[str, Source]:
    return load_sources(contract_dir)


def _guess_entity(path: Path, sources: dict[str, Source], key: bytes):
    """For a file outside the landing layout: the entity whose header the file matches."""
    ext = path.suffix.lstrip(".").lower()
    candidates = [
        (s, e) for s in sources.values() if ext in EXTENSIONS[s.format] for e in s.entities.values()
    ]
    if path.stem.split("__")[0] in {e.name for _, e in candidates}:
        named = [(s, e) for s, e in candidates if e.name == path.stem.split("__")[0]]
        candidates = named + [c for c in candidates if c not in named]
    last_error: FileRejected | None = None
    for source, entity in candidates:
        try:
            return source, entity, start_scan(path, source, entity, key)
        except FileRejected as exc:
            if exc.rule != "missing_columns":
                raise
            last_error = exc
    raise last_error or FileRejected(
        "unknown_source", f"по расширению «.{ext}» и заголовку не удалось определить источник файла."
    )


def validate_file(
    path: Path, *, contract_dir: Path | None = None, key: bytes | None = None
) -> ValidationReport:
    """Check one file against the contract exactly as ingestion would, without any database."""
    from pipelines.ingest.vectorised import CleanBlock

    path = Path(path)
    sources = _contract(contract_dir)
    key = key or b"validate-only"  # tokens are computed but thrown away: no real key needed
    report = ValidationReport(path)
    try:
        if not path.is_file():
            raise FileRejected("empty_file", f"файла {path} нет.")
        try:
            parts = path.resolve().parts
            lf = parse_landing_path(Path(*parts[:-4]), path)
            source, entity = resolve_entity(sources, lf.source, lf.entity, lf.ext)
            scan = start_scan(path, source, entity, key)
        except FileRejected as exc:
            if exc.rule not in ("bad_path", "unknown_source", "unknown_entity"):
                raise
            source, entity, scan = _guess_entity(path, sources, key)
        report.source, report.entity = source.source, entity.name
        report.delimiter = scan.opened.delimiter
        report.notices.extend(scan.opened.notices)
        seen: set[int] = set()
        for item in _checked_rows(scan, key, path.name):
            if isinstance(item, CleanBlock):  # from the vectorised engine
                _count_clean_block(report, seen, *item)
                continue
            n, checked, _cells = item
            report.rows_total += 1
            report.issues.extend(checked.issues)
            if checked.values is None and checked.anonymous is None:
                report.rows_rejected += 1
                continue
            if checked.row_hash in seen:
                report.rows_rejected += 1
                report.issues.append(_duplicate(n))
                continue
            seen.add(checked.row_hash)
            if checked.anonymous is not None:
                report.rows_anonymous += 1
            else:
                report.rows_ok += 1
                if checked.issues:
                    report.rows_warned += 1
        report.notices.extend(scan.opened.late_notices())
        report.encoding = scan.opened.decoder.used if scan.opened.decoder else None
        report.issues.sort(key=lambda issue: issue.row)  # blocks report their clean rows before the others
    except FileRejected as exc:
        report.file_error = FileNotice(exc.rule, exc.message)
    return report


def _checked_rows(scan, key: bytes, name: str):
    """The rows as ingestion would check them: CSV through the engine ingestion uses, other formats row by row."""
    from pipelines.ingest import vectorised

    if vectorised.engine() == "vectorised" and vectorised.usable(scan):
        return vectorised.scan_blocks(scan, scan.opened.csv_body, 0, name, key)
    return scan.rows()


def _duplicate(n: int) -> Issue:
    return Issue(
        n,
        None,
        None,
        "duplicate_row",
        "reject_row",
        "",
        "строка повторяет одну из предыдущих: удалите повтор.",
    )


def _count_clean_block(
    report: ValidationReport, seen: set[int], text: str | bytes, hashes: Sequence[int]
) -> None:
    """Clean rows of a block (their COPY text and row hashes): accepted unless they repeat an earlier row."""
    lines = None
    for i, row_hash in enumerate(hashes):
        report.rows_total += 1
        if row_hash in seen:
            if lines is None:  # rare: read the row numbers, the third field from the end of each COPY line
                text = text.decode() if isinstance(text, bytes) else text
                lines = text.split("\n")
            report.rows_rejected += 1
            report.issues.append(_duplicate(int(lines[i].split("\t")[-2])))
            continue
        seen.add(row_hash)
        report.rows_ok += 1


def pending_files(landing_dir: Path | None = None) -> list[Path]:
    """Files in the landing folder that the ledger has never seen under their path (cheap: no hashing)."""
    from pipelines.warehouse import connect

    root = (landing_dir or settings.landing_dir()).resolve()
    if not root.exists():
        return []
    files = landing_files(root)
    with connect() as conn:
        exists = conn.execute("select to_regclass('ops.submissions')").fetchone()[0]
        seen = {r[0] for r in conn.execute("select file_path from ops.submissions")} if exists else set()
    return [p for p in files if p.relative_to(root).as_posix() not in seen]


def prepare_tables(conn, sources: dict[str, Source], key: bytes) -> None:
    """All DDL before any load: ledger, quarantine, vault and every raw table of the contract."""
    from pipelines.ingest.tables import ensure_ops, ensure_raw_table

    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('kontingent.ingest.ddl'))")
        ensure_ops(conn)
        for source in sources.values():
            for entity in source.entities.values():
                ensure_raw_table(conn, source, entity.name, RowChecker(source, entity, key))


def ingest_landing(
    landing_dir: Path | None = None,
    sources: list[str] | None = None,
    *,
    contract_dir: Path | None = None,
    outbox: Path | None = None,
    progress: bool = False,
) -> IngestSummary:
    """Take in every new file of the landing folder; each file in one transaction."""
    from pipelines.ingest.senders import SenderRegister
    from pipelines.warehouse.bootstrap import ensure_warehouse

    started = time.monotonic()
    root = (landing_dir or settings.landing_dir()).resolve()
    summary = IngestSummary(root)
    if not root.exists():
        raise FileNotFoundError(f"Папки приёма {root} нет: укажите папку с файлами отправителей.")
    contract = _contract(contract_dir)
    key = settings.pseudonym_key()
    outbox = outbox or settings.outbox_dir()
    files = landing_files(root)
    if sources:
        wanted = set(sources)
        files = [p for p in files if p.relative_to(root).parts[0] in wanted]

    ensure_warehouse()
    with _ingest_connection() as conn:
        prepare_tables(conn, contract, key)
        register = SenderRegister()
        register.refresh(conn)
        bar = _progress(progress, sum(p.stat().st_size for p in files), len(files))
        try:
            for path in files:
                rel = path.relative_to(root).as_posix()
                if bar is not None:
                    bar.update(bar.task_ids[0], description=rel[-60:])
                try:
                    result = load_file(conn, root, path, contract, key, register, outbox=outbox)
                    if result.status != "skipped":
                        summary.files.append(result)
                    if result.source == "school_register" and result.status == "loaded":
                        register.refresh(conn)
                except (
                    Exception
                ) as exc:  # one broken file must not stop the others; the transaction is rolled back
                    log.exception("ingest of %s failed", rel)
                    summary.failures.append((rel, f"{type(exc).__name__}: {exc}"))
                    if conn.broken:
                        conn = _ingest_connection()
                finally:
                    if bar is not None:
                        bar.advance(bar.task_ids[0], path.stat().st_size if path.exists() else 0)
        finally:
            if bar is not None:
                bar.stop()
    summary.seconds = time.monotonic() - started
    return summary


def _ingest_connection():
    """The loading connection, in autocommit: each file's `conn.transaction()` is then a transaction of its own,
    committed before the next file starts, whatever else ran on the connection (a query left open would turn every
    file into a savepoint of one run-long transaction, holding each file's locks to the end)."""
    from pipelines.warehouse import connect

    conn = connect(autocommit=True)
    # Safe to relax: a commit lost in a server crash loses its ledger row too, so the file loads again.
    conn.execute("set synchronous_commit = off")
    return conn


def _progress(enabled: bool, total_bytes: int, n_files: int):
    if not enabled or n_files == 0:
        return None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("[bold]Приём[/]"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        transient=True,
    )
    bar.add_task("", total=total_bytes)
    bar.start()
    return bar
