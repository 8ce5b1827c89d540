"""``make bench`` figures for ingestion: rows/s against plain COPY and pandas ``to_sql``, and peak memory.

Same rows for all: a vendor-A pupil roster (cp1251 CSV, 17 columns, names, СНИЛС, certificate, address) of
growing size.
    ingest     our whole path: decode, validate, pseudonymise (8 HMACs per row), COPY, dedupe, ledger; once per
               engine: row by row, vectorised in one process, vectorised with forked worker processes
    copy       plain ``COPY FROM`` of the already-clean result (the raw table's own rows as COPY text)
    to_sql     ``pandas.DataFrame.to_sql`` of the same clean rows (SQLAlchemy, multi-row inserts)
Every ingest runs in a child process per file size: rows/s of the file's transaction, CPU seconds of that process
and its workers, peak memory (VmHWM of the main process; each worker holds about one block more). The engines and
the plain COPY take turns, ``REPEATS`` rounds per size, and the medians are compared: the shared machine's speed
drifts by tens of per cent from minute to minute. A roster of about 1 GB then goes through each vectorised engine
once: the memory figure for a 1 GB file is measured, not extrapolated. The database is ``KONTINGENT_BENCH_DB``
(default ``kontingent_bench``) on the configured server, dropped and created per run and dropped at the end.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import tempfile
import time
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


def ingest_once(landing: str) -> dict:
    """One ingestion of the landing folder (in the measuring child process); returns the roster file's figures."""
    summary = ingest_landing(Path(landing))
    roster = next(f for f in summary.files if f.source == "school_vendor_a")
    return {"file_seconds": roster.seconds, "rows": roster.rows_accepted, "status": roster.status}


def _run_ingest(landing: Path, url: str, state: Path, engine: str = "vectorised", workers: int = 0) -> dict:
    from pipelines.ingest.vectorised import ENGINE_ENV, WORKERS_ENV

    env = dict(
        os.environ,
        KONTINGENT_DATABASE_URL=url,
        KONTINGENT_STATE_DIR=str(state),
        KONTINGENT_OUTBOX_DIR=str(state / "outbox"),
        **{ENGINE_ENV: engine, WORKERS_ENV: str(workers)},
    )
    return measured_call("pipelines.ingest.bench:ingest_once", (str(landing),), env=env)


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


def _landing(root: Path, rows: int) -> tuple[Path, int]:
    """A landing folder with the register and a roster of ``rows`` pupils; returns (folder, roster bytes)."""
    landing = root / f"landing-{rows}"
    f = landing / "school_vendor_a" / "0300000019" / "2024-09" / "students__20240920T100000.csv"
    size = write_roster(f, rows)
    _write_register(landing / "school_register" / "minobr_rb" / "2024-25" / "schools__20240901T090000.csv")
    return landing, size


def _ingest_figures(rows: int, size: int, label: str, runs: list[dict]) -> dict:
    """One line of the table: medians over the runs (peak memory: the largest)."""
    return {
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
    sizes: tuple[int, ...] = SIZES, engines: tuple = ENGINES, repeats: int = REPEATS, gigabyte: bool = True
) -> list[dict]:
    """Measure and print; returns one dict per measurement (file size × engine).

    The machine's speed drifts from minute to minute (shared cores), so each size runs every engine and the
    plain COPY in turn ``repeats`` times and the medians are compared (the slow row-by-row engine once). With
    ``gigabyte``, a roster of about 1 GB also goes through each vectorised engine once: its peak memory is the
    figure for a 1 GB file, measured rather than extrapolated.
    """
    results: list[dict] = []
    # what every run pays before the first row: Python with the ingestion package imported
    base_mb = measured_call("pipelines.ingest")["peak_mb"]
    table = "school_vendor_a__students"
    with tempfile.TemporaryDirectory(prefix="kontingent-bench-") as tmp:
        tmp_path = Path(tmp)
        bytes_per_row = 0.0
        for rows in sizes:
            landing, size = _landing(tmp_path, rows)
            bytes_per_row = size / rows
            runs: dict[str, list[dict]] = {label: [] for label, _, _ in engines}
            copies: list[float] = []
            url = ""
            for rep in range(repeats):
                for label, engine, workers in engines:
                    if engine == "rowwise" and rep:
                        continue
                    url = _bench_url()
                    state = tmp_path / f"state-{rows}-{engine}-{workers}-{rep}"
                    runs[label].append(_run_ingest(landing, url, state, engine, workers))
                seconds, text = _plain_copy(url, table)
                copies.append(seconds)
            copy_text = text if rows == min(sizes) else ""
            to_sql = None
            if copy_text:
                n = min(rows, PANDAS_ROWS)
                to_sql = round(n / _pandas_to_sql(url, table, copy_text, n))
            for label, got in runs.items():
                entry = _ingest_figures(rows, size, label, got)
                entry["copy_rows_per_s"] = round(rows / median(copies))
                entry["copy_runs"] = len(copies)
                if to_sql is not None:
                    entry["to_sql_rows_per_s"] = to_sql
                results.append(entry)
            shutil.rmtree(landing)
        if gigabyte:
            rows = int(GIGABYTE / bytes_per_row) + 1
            landing, size = _landing(tmp_path, rows)
            for label, engine, workers in engines:
                if engine == "rowwise":
                    continue  # about ten minutes for a gigabyte; its memory is flat by construction
                got = _run_ingest(landing, _bench_url(), tmp_path / f"state-gb-{workers}", engine, workers)
                results.append(_ingest_figures(rows, size, label, [got]) | {"gigabyte": True})
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
    to_sql = next((r["to_sql_rows_per_s"] for r in results if "to_sql_rows_per_s" in r), None)

    def number(x: float) -> str:
        return f"{x:,}".replace(",", " ")

    for r in results:
        copy = r.get("copy_rows_per_s")
        table.add_row(
            number(r["rows"]),
            str(r["file_mb"]),
            r["engine"],
            number(r["ingest_rows_per_s"]),
            str(r["cpu_s"]),
            number(copy) if copy else "",
            f"{r['ingest_rows_per_s'] / copy:.0%}" if copy else "",
            number(r["to_sql_rows_per_s"]) if "to_sql_rows_per_s" in r else "",
            f"{r['ingest_rows_per_s'] / to_sql:.1f}×" if to_sql else "",
            str(r["peak_rss_mb"]),
            str(r["ingest_end_to_end_s"]),
            f"{r['runs']}" + (f" / COPY {r['copy_runs']}" if copy else ""),
        )
    console.print(table)
    console.print(
        "«Наш приём» — строки в секунду транзакции файла (хеш файла, разбор, проверка, 8 HMAC на строку, COPY, "
        "поиск повторов, журнал); «ЦП» — процессорное время процесса приёма и его рабочих процессов; «весь запуск» "
        "добавляет запуск Python, чтение контракта и DDL. «× to_sql» — против to_sql на самом малом файле. Движки "
        "и plain COPY идут по очереди, несколько кругов; в таблице медианы (пик памяти — наибольший)."
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
    for engine, verdict in _verdicts(results).items():
        console.print(f"Цели ({engine}): {verdict}")


def _verdicts(results: list[dict]) -> dict[str, str]:
    """Per engine, on the biggest file with a COPY figure: the issue's two speed targets, met or not."""
    to_sql = next((r["to_sql_rows_per_s"] for r in results if "to_sql_rows_per_s" in r), None)
    out = {}
    for engine in dict.fromkeys(r["engine"] for r in results):
        timed = [r for r in results if r["engine"] == engine and r.get("copy_rows_per_s")]
        if not timed:
            continue
        r = max(timed, key=lambda x: x["rows"])
        share = r["ingest_rows_per_s"] / r["copy_rows_per_s"]
        parts = [f"≥ 50 % от COPY — {share:.0%}, {'выполнено' if share >= 0.5 else 'НЕ выполнено'}"]
        if to_sql:
            times = r["ingest_rows_per_s"] / to_sql
            parts.append(f"≥ 10× to_sql — {times:.1f}×, {'выполнено' if times >= 10 else 'НЕ выполнено'}")
        out[engine] = f"{'; '.join(parts)} (файл {r['rows']:,} строк)".replace(",", " ")
    return out
