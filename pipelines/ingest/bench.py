"""``make bench`` figures for ingestion: rows/s against plain COPY and pandas ``to_sql``, and peak memory.

Same rows for all, two kinds of vendor-A file: a pupil roster (cp1251 CSV, 17 columns: names, СНИЛС, certificate,
address; the heaviest rows) of growing size, and an absences file (6 columns, no personal data; absences and marks
are most of a region's rows).
    ingest     our whole path: decode, validate, pseudonymise (8 HMACs per roster row), COPY, dedupe, ledger;
               once per engine: row by row, vectorised in one process, vectorised with forked worker processes
    copy       plain ``COPY FROM`` of the already-clean result (the raw table's own rows as COPY text)
    to_sql     ``pandas.DataFrame.to_sql`` of the same clean rows (SQLAlchemy, multi-row inserts), on the smallest
               file of each kind, in every round
Every ingest runs in a child process per file size: rows/s of the file's transaction, CPU seconds of that process
and its workers, peak memory (VmHWM of the main process; each worker holds about one block more). The engines and
the plain COPY take turns, ``REPEATS`` rounds per size, and the medians are compared: the shared machine's speed
drifts by tens of per cent from minute to minute. A roster of about 1 GB then goes through each vectorised engine
once: the memory figure for a 1 GB file is measured, not extrapolated. The database is ``KONTINGENT_BENCH_DB``
(default ``kontingent_bench``) on the configured server, dropped and created per run and dropped at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import psycopg
from rich.console import Console
from rich.table import Table

from pipelines.benchmarking import measured_call
from pipelines.ingest import ingest_landing
from pipelines.pseudonymise import snils_check

console = Console(width=170)  # the table is wide; pipes and CI logs would squeeze it to 80 columns
SIZES = (20_000, 60_000, 150_000)
PANDAS_ROWS = 20_000
_LAST = ["Доржиев", "Цыдыпов", "Иванов", "Балданов", "Батуев", "Петров", "Дашиев", "Смирнов"]
_FIRST = ["Баир", "Дугар", "Алексей", "Аюр", "Иван", "Тимур", "Сергей", "Цырен"]
_MIDDLE = ["Цыренович", "Баирович", "Иванович", "Петрович", ""]


def _inn() -> str:
    from stdnum.ru import inn

    base = "030000001"
    return base + inn.calc_company_check_digit(base)


def write_roster(path: Path, rows: int, seed: int = 1) -> int:
    """A clean vendor-A roster of ``rows`` pupils; returns the file size in bytes."""
    from pipelines.contract import load_sources

    rng = random.Random(seed)
    fields = load_sources()["school_vendor_a"].entities["students"].fields
    inn = _inn()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow([f.header for f in fields])
        for i in range(rows):
            nine = f"{rng.randrange(2_000_000, 999_999_999):09d}"
            values = {
                "school_code": "OO0001",
                "school_inn": inn,
                "local_id": f"L{i:07d}",
                "last_name": rng.choice(_LAST),
                "first_name": rng.choice(_FIRST),
                "middle_name": rng.choice(_MIDDLE),
                "sex": "М",
                "birth_date": f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2007, 2017)}",
                "snils": f"{nine[:3]}-{nine[3:6]}-{nine[6:]} {snils_check(nine)}",
                "birth_certificate": f"IV-АЖ {rng.randrange(100000, 999999)}",
                "address": f"г. Улан-Удэ, ул. Ленина, д. {rng.randint(1, 200)}, кв. {rng.randint(1, 300)}",
                "grade": str(rng.randint(1, 11)),
                "class_label": "5А",
                "programme": "ООП",
                "education_form": "очная",
                "consent": "Да",
                "admission_date": "01.09.2019",
            }
            w.writerow([values.get(f.name, "") for f in fields])
    return path.stat().st_size


def write_absences(path: Path, rows: int, seed: int = 1) -> int:
    """A clean vendor-A absences file of ``rows`` rows (no personal data: a pupil id, a day, lessons, a reason);
    returns the file size in bytes."""
    from pipelines.contract import load_sources

    rng = random.Random(seed)
    fields = load_sources()["school_vendor_a"].entities["absences"].fields
    inn = _inn()
    first = dt.date(2024, 9, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow([f.header for f in fields])
        for i in range(rows):
            values = {
                "school_code": "OO0001",
                "school_inn": inn,
                "local_id": f"L{i // 40:07d}",  # forty school days of one pupil, then the next pupil
                "absence_date": (first + dt.timedelta(days=i % 40)).strftime("%d.%m.%Y"),
                "lessons_missed": str(rng.randint(1, 6)),
                "absence_reason": rng.choice("БУН"),
            }
            w.writerow([values[f.name] for f in fields])
    return path.stat().st_size


@dataclass(frozen=True)
class FileKind:
    label: str
    entity: str
    write: Callable[[Path, int], int]
    sizes: tuple[int, ...]

    @property
    def table(self) -> str:
        return f"school_vendor_a__{self.entity}"


KINDS = (
    # the heaviest rows: a pupil's names, СНИЛС, certificate and address, eight HMAC tokens each
    FileKind("ученики", "students", write_roster, SIZES),
    # most of a region's rows (two thirds at demo scale are absences and marks): no personal data, no token
    FileKind("пропуски", "absences", write_absences, (400_000,)),
)


def _bench_database() -> tuple[str, str, str]:
    """(URL of the server's ``postgres`` database, bench database name, bench database URL)."""
    from pipelines.warehouse import database_url

    base, _, query = database_url().partition("?")
    suffix = ("?" + query) if query else ""
    name = os.environ.get("KONTINGENT_BENCH_DB", "kontingent_bench")
    server = base.rsplit("/", 1)[0]
    return f"{server}/postgres{suffix}", name, f"{server}/{name}{suffix}"


def _bench_url() -> str:
    """A fresh, empty bench database (dropped and created); returns its URL."""
    admin, name, url = _bench_database()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return url


def _drop_bench_database() -> None:
    """The last run's gigabytes of raw rows are no use after the figures are printed."""
    admin, name, _ = _bench_database()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def ingest_once(landing: str, entity: str = "students") -> dict:
    """One ingestion of the landing folder (in the measuring child process); returns the measured file's figures."""
    summary = ingest_landing(Path(landing))
    measured = next(f for f in summary.files if f.source == "school_vendor_a" and f.entity == entity)
    return {"file_seconds": measured.seconds, "rows": measured.rows_accepted, "status": measured.status}


def _run_ingest(
    landing: Path,
    url: str,
    state: Path,
    engine: str = "vectorised",
    workers: int = 0,
    entity: str = "students",
) -> dict:
    from pipelines.ingest.vectorised import ENGINE_ENV, WORKERS_ENV

    env = dict(
        os.environ,
        KONTINGENT_DATABASE_URL=url,
        KONTINGENT_STATE_DIR=str(state),
        KONTINGENT_OUTBOX_DIR=str(state / "outbox"),
        **{ENGINE_ENV: engine, WORKERS_ENV: str(workers)},
    )
    return measured_call("pipelines.ingest.bench:ingest_once", (str(landing), entity), env=env)


def _plain_copy(url: str, table: str) -> tuple[float, str]:
    """COPY the clean rows (exported from raw) into an identical empty table; returns (seconds, COPY text)."""
    with psycopg.connect(url) as conn:
        buf = io.BytesIO()
        with conn.cursor().copy(f'copy (select * from raw."{table}") to stdout') as cp:
            for chunk in cp:
                buf.write(chunk)
        data = buf.getvalue()
        conn.execute(f'drop table if exists raw."{table}__plain"')
        conn.execute(f'create table raw."{table}__plain" (like raw."{table}" including defaults)')
        conn.commit()
        t = time.perf_counter()
        with conn.cursor().copy(f'copy raw."{table}__plain" from stdin') as cp:
            view = memoryview(data)
            for i in range(0, len(view), 1 << 20):
                cp.write(view[i : i + (1 << 20)])
        conn.commit()
        return time.perf_counter() - t, data.decode()


def _pandas_to_sql(url: str, table: str, copy_text: str, rows: int) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    with psycopg.connect(url) as conn:
        cols = [
            r[0]
            for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = %s "
                "order by ordinal_position",
                (table,),
            )
        ]
    lines = copy_text.splitlines()[:rows]
    df = pd.DataFrame([ln.split("\t") for ln in lines], columns=cols).replace("\\N", None)
    engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
    t = time.perf_counter()
    df.to_sql(f"{table}__pandas", engine, schema="raw", if_exists="replace", index=False, chunksize=5000)
    sec = time.perf_counter() - t
    engine.dispose()
    return sec


# (label, engine, worker processes)
ENGINES = (
    ("построчно", "rowwise", 0),
    ("векторно", "vectorised", 0),
    ("векторно + 2 процесса", "vectorised", 2),
)
REPEATS = 3  # each size: every engine and the plain COPY in turn, this many times; the medians are printed
GIGABYTE = 1 << 30


def _landing(root: Path, rows: int, kind: FileKind = KINDS[0]) -> tuple[Path, int]:
    """A landing folder with the register and one file of ``rows`` rows; returns (folder, file bytes)."""
    landing = root / f"landing-{kind.entity}-{rows}"
    f = landing / "school_vendor_a" / "0300000019" / "2024-09" / f"{kind.entity}__20240920T100000.csv"
    size = kind.write(f, rows)
    _write_register(landing / "school_register" / "minobr_rb" / "2024-25" / "schools__20240901T090000.csv")
    return landing, size


def _ingest_figures(rows: int, size: int, label: str, runs: list[dict], kind: FileKind = KINDS[0]) -> dict:
    """One line of the table: medians over the runs (peak memory: the largest)."""
    return {
        "kind": kind.label,
        "rows": rows,
        "file_mb": round(size / 2**20, 2),
        "engine": label,
        "runs": len(runs),
        "ingest_rows_per_s": round(median(r["rows"] / r["file_seconds"] for r in runs)),
        "ingest_end_to_end_s": round(median(r["seconds"] for r in runs), 2),
        "cpu_s": round(median(r["cpu_seconds"] for r in runs), 2),
        "peak_rss_mb": round(max(r["peak_mb"] for r in runs), 1),
        "load": round(max(r["load"] for r in runs), 1),
        "status": ",".join(sorted({r["status"] for r in runs})),
    }


def run(
    kinds: tuple[FileKind, ...] = KINDS,
    engines: tuple = ENGINES,
    repeats: int = REPEATS,
    gigabyte: bool = True,
) -> list[dict]:
    """Measure and print; returns one dict per measurement (file kind × size × engine).

    The machine's speed drifts from minute to minute (shared cores), so each file runs every engine and the
    plain COPY in turn ``repeats`` times and the medians are compared (the slow row-by-row engine once). With
    ``gigabyte``, a roster of about 1 GB also goes through each vectorised engine once: its peak memory is the
    figure for a 1 GB file, measured rather than extrapolated.
    """
    results: list[dict] = []
    # what every run pays before the first row: Python with the ingestion package imported
    base_mb = measured_call("pipelines.ingest")["peak_mb"]
    with tempfile.TemporaryDirectory(prefix="kontingent-bench-") as tmp:
        tmp_path = Path(tmp)
        for kind in kinds:
            for rows in kind.sizes:
                landing, size = _landing(tmp_path, rows, kind)
                runs: dict[str, list[dict]] = {label: [] for label, _, _ in engines}
                copies: list[float] = []
                pandas: list[float] = []  # rows/s of to_sql, on the smallest file of the kind
                for rep in range(repeats):
                    url = ""
                    for label, engine, workers in engines:
                        if engine == "rowwise" and rep:
                            continue
                        url = _bench_url()
                        state = tmp_path / f"state-{kind.entity}-{rows}-{engine}-{workers}-{rep}"
                        runs[label].append(_run_ingest(landing, url, state, engine, workers, kind.entity))
                    seconds, text = _plain_copy(url, kind.table)
                    copies.append(seconds)
                    if rows == min(kind.sizes):
                        n = min(rows, PANDAS_ROWS)
                        pandas.append(n / _pandas_to_sql(url, kind.table, text, n))
                to_sql = round(median(pandas)) if pandas else None
                for label, got in runs.items():
                    entry = _ingest_figures(rows, size, label, got, kind)
                    entry["copy_rows_per_s"] = round(rows / median(copies))
                    entry["copy_runs"] = len(copies)
                    if to_sql is not None:
                        entry["to_sql_rows_per_s"] = to_sql
                    results.append(entry)
                shutil.rmtree(landing)
        if gigabyte:
            kind = kinds[0]
            probe = _landing(tmp_path, 10_000, kind)
            rows = int(GIGABYTE / (probe[1] / 10_000)) + 1
            shutil.rmtree(probe[0])
            landing, size = _landing(tmp_path, rows, kind)
            for label, engine, workers in engines:
                if engine == "rowwise":
                    continue  # about ten minutes for a gigabyte; its memory is flat by construction
                got = _run_ingest(
                    landing, _bench_url(), tmp_path / f"state-gb-{workers}", engine, workers, kind.entity
                )
                results.append(_ingest_figures(rows, size, label, [got], kind) | {"gigabyte": True})
    _print(results, base_mb)
    _drop_bench_database()
    return results


def _write_register(path: Path) -> None:
    from pipelines.contract import load_sources

    fields = load_sources()["school_register"].entities["schools"].fields
    values = {
        "school_code": "OO0001",
        "school_name": "МБОУ СОШ № 1",
        "inn": _inn(),
        "ogrn": "1020300000000",
        "municipality_code": "MO01",
        "school_type": "СОШ",
        "is_urban": "Да",
        "has_second_shift": "Нет",
        "instruction_language": "русский",
        "teaches_buryat_native": "Нет",
        "vendor": "ИС-А",
        "status": "действующая",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow([f.header for f in fields])
        w.writerow([values.get(f.name, "") for f in fields])


def _print(results: list[dict], base_mb: float) -> None:
    table = Table(title="Приём (ingestion): скорость и память на одних и тех же строках (медианы)")
    for col in (
        "файл",
        "строк",
        "файл, МБ",
        "движок",
        "наш приём, строк/с",
        "ЦП, с",
        "plain COPY, строк/с",
        "доля от COPY",
        "to_sql, строк/с",
        "× to_sql",
        "пик RSS, МБ",
        "весь запуск, с",
        "замеров",
    ):
        table.add_column(col, justify="right")
    to_sql = _to_sql_by_kind(results)

    def number(x: float) -> str:
        return f"{x:,}".replace(",", " ")

    for r in results:
        copy = r.get("copy_rows_per_s")
        kind_to_sql = to_sql.get(r["kind"])
        table.add_row(
            r["kind"],
            number(r["rows"]),
            str(r["file_mb"]),
            r["engine"],
            number(r["ingest_rows_per_s"]),
            str(r["cpu_s"]),
            number(copy) if copy else "",
            f"{r['ingest_rows_per_s'] / copy:.0%}" if copy else "",
            number(r["to_sql_rows_per_s"]) if "to_sql_rows_per_s" in r else "",
            f"{r['ingest_rows_per_s'] / kind_to_sql:.1f}×" if kind_to_sql else "",
            str(r["peak_rss_mb"]),
            str(r["ingest_end_to_end_s"]),
            f"{r['runs']}" + (f" / COPY {r['copy_runs']}" if copy else ""),
        )
    console.print(table)
    console.print(
        "«Наш приём» — строки в секунду транзакции файла (хеш файла, разбор, проверка, 8 HMAC на строку, COPY, "
        "поиск повторов, журнал); «ЦП» — процессорное время процесса приёма и его рабочих процессов; «весь запуск» "
        "добавляет запуск Python, чтение контракта и DDL. «× to_sql» — против to_sql на самом малом файле того же "
        "вида («ученики»: ФИО, СНИЛС, свидетельство, адрес — 8 HMAC на строку; «пропуски»: без ПДн). Движки "
        "и plain COPY идут по очереди, несколько кругов; в таблице медианы (пик памяти — наибольший)."
    )
    from pipelines import native

    reason = native.unavailable_reason()
    console.print(
        "Хеши (HMAC-токены, хеш строки): "
        + ("скомпилированные (pipelines.native, C)." if reason is None else f"на Python — {reason}.")
    )
    console.print(
        f"Сам Python с библиотеками занимает {base_mb:.0f} МБ. Пик RSS — главный процесс; у каждого "
        "рабочего процесса примерно столько же плюс один блок."
    )
    for r in results:
        if r.get("gigabyte"):
            console.print(
                f"Память ({r['engine']}), файл {r['file_mb']:,.0f} МБ ({number(r['rows'])} строк), измерено: "
                f"пик RSS {r['peak_rss_mb']} МБ, {number(r['ingest_rows_per_s'])} строк/с."
            )
    for (kind, engine), verdict in _verdicts(results).items():
        console.print(f"Цели ({kind}, {engine}): {verdict}")


def _to_sql_by_kind(results: list[dict]) -> dict[str, int]:
    return {r["kind"]: r["to_sql_rows_per_s"] for r in results if "to_sql_rows_per_s" in r}


def _verdicts(results: list[dict]) -> dict[tuple[str, str], str]:
    """Per file kind and engine, on the biggest file with a COPY figure: the two speed targets, met or not."""
    to_sql = _to_sql_by_kind(results)
    out = {}
    for kind, engine in dict.fromkeys((r["kind"], r["engine"]) for r in results):
        timed = [
            r for r in results if (r["kind"], r["engine"]) == (kind, engine) and r.get("copy_rows_per_s")
        ]
        if not timed:
            continue
        r = max(timed, key=lambda x: x["rows"])
        share = r["ingest_rows_per_s"] / r["copy_rows_per_s"]
        parts = [f"≥ 50 % от COPY — {share:.0%}, {'выполнено' if share >= 0.5 else 'НЕ выполнено'}"]
        if kind in to_sql:
            times = r["ingest_rows_per_s"] / to_sql[kind]
            parts.append(f"≥ 10× to_sql — {times:.1f}×, {'выполнено' if times >= 10 else 'НЕ выполнено'}")
        out[(kind, engine)] = f"{'; '.join(parts)} (файл {r['rows']:,} строк)".replace(",", " ")
    return out
