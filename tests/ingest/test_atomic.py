"""Loads are atomic and exclusive: kill -9 mid-load leaves nothing half-loaded, two ingest processes never
load a file twice, and the result equals a clean run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.ingest.builders import student_row, write_register, write_students
from tests.ingest.conftest import TEST_KEY, query

PROJECT = Path(__file__).resolve().parents[2]
BIG_ROWS = 150_000


def _landing(root: Path, big_rows: int) -> Path:
    write_register(root, n_schools=3)
    rows = [student_row(i) for i in range(1, big_rows + 1)]
    write_students(root, rows, period="2024-09")
    for k in range(3):
        write_students(
            root, [student_row(i) for i in range(1 + 100 * k, 40 + 100 * k)], school=3, period=f"2024-1{k}"
        )
    return root


def _env(url: str, state: Path) -> dict:
    env = dict(os.environ)
    env.update(
        KONTINGENT_DATABASE_URL=url,
        KONTINGENT_STATE_DIR=str(state),
        KONTINGENT_PSEUDONYM_KEY=TEST_KEY,
        KONTINGENT_OUTBOX_DIR=str(state / "outbox"),
    )
    return env


def _ingest_process(landing: Path, url: str, state: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kontingent.cli", "ingest", str(landing)],
        cwd=PROJECT,
        env=_env(url, state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def fingerprint(url: str) -> dict:
    """The warehouse content that matters, independent of ids and load times."""
    out = {}
    with psycopg.connect(url) as conn:
        out["ledger"] = conn.execute(
            """select file_path, status, rule, rows_total, rows_accepted, rows_rejected, rows_warned,
                      (select file_path from ops.submissions x where x.submission_id = s.superseded_by)
               from ops.submissions s order by s.file_path"""
        ).fetchall()
        out["quarantine"] = conn.execute(
            """select s.file_path, q.source_row, q.rule, q.field from ops.quarantine q
               join ops.submissions s using (submission_id) order by 1, 2, 3, 4"""
        ).fetchall()
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            )
        ]
        for t in tables:
            cols = [
                r[0]
                for r in conn.execute(
                    """select column_name from information_schema.columns where table_schema = 'raw'
                   and table_name = %s and column_name not in ('_submission_id', '_loaded_at') order by 1""",
                    (t,),
                )
            ]
            collist = ", ".join(f'"{c}"' for c in cols)
            out[t] = conn.execute(
                f"select md5(coalesce(string_agg(r::text, '|' order by r::text), '')), count(*) "
                f'from (select {collist} from raw."{t}") r'
            ).fetchone()
    return out


@pytest.fixture(scope="module")
def big_landing(tmp_path_factory) -> Path:
    # big enough that its COPY still runs when the kill comes: about 0.9 s at the compiled helpers' 170k rows/s
    return _landing(tmp_path_factory.mktemp("atomic") / "landing", big_rows=BIG_ROWS)


def test_kill_9_during_a_load_then_rerun_equals_a_clean_run(make_database, big_landing, tmp_path):
    clean_url, killed_url = (
        make_database("kontingent_ingest_clean"),
        make_database("kontingent_ingest_killed"),
    )
    state = tmp_path / "state"
    assert _ingest_process(big_landing, clean_url, state).wait(120) == 0
    clean = fingerprint(clean_url)
    assert clean["school_vendor_a__students"][1] == BIG_ROWS + 3 * 39

    proc = _ingest_process(big_landing, killed_url, state)
    deadline = time.monotonic() + 60
    copying = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with psycopg.connect(killed_url, autocommit=True) as conn:
                copying = bool(
                    conn.execute(
                        "select 1 from pg_stat_activity where datname = current_database() "
                        "and query ilike 'copy \"raw\".\"school_vendor_a__students\"%' and state = 'active'"
                    ).fetchone()
                )
        except psycopg.OperationalError:
            pass
        if copying:
            time.sleep(0.2)  # well into the big COPY
            break
        time.sleep(0.05)
    assert copying, "the big load never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    # Nothing of the interrupted file is visible (the server rolls the transaction back).
    time.sleep(0.5)
    half = query(killed_url, "select count(*) from raw.school_vendor_a__students")[0][0]
    assert half == 0

    assert _ingest_process(big_landing, killed_url, state).wait(120) == 0
    assert fingerprint(killed_url) == clean


def test_two_ingest_processes_never_load_a_file_twice(make_database, big_landing, tmp_path):
    url = make_database("kontingent_ingest_race")
    a = _ingest_process(big_landing, url, tmp_path / "a")
    b = _ingest_process(big_landing, url, tmp_path / "b")
    assert a.wait(180) == 0, a.stderr.read().decode()[-2000:]
    assert b.wait(180) == 0, b.stderr.read().decode()[-2000:]
    per_file = query(url, "select file_path, count(*) from ops.submissions group by 1 having count(*) > 1")
    assert per_file == []
    n = query(url, "select count(*) from raw.school_vendor_a__students")[0][0]
    assert n == BIG_ROWS + 3 * 39


def test_each_file_is_committed_before_the_next_starts(warehouse, tmp_path, monkeypatch):
    """A run over thousands of files must not become one transaction: a kill would lose every file of the run, and
    its per-file advisory locks would fill the server's lock table (seen at demo scale: «out of shared memory»)."""
    import pipelines.ingest as ingest

    landing = _landing(tmp_path / "landing", big_rows=50)
    n_files = sum(1 for p in landing.rglob("*") if p.is_file())
    seen: list[tuple[int, int]] = []
    real = ingest.load_file

    def load_and_look(conn, *args, **kwargs):
        # what another session sees before this file starts: every file before it, committed
        visible = query(warehouse["url"], "select count(*) from ops.submissions")[0][0]
        seen.append((len(seen), visible))
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        return real(conn, *args, **kwargs)

    monkeypatch.setattr(ingest, "load_file", load_and_look)
    summary = ingest.ingest_landing(landing)
    assert not summary.failures and len(seen) == n_files
    assert seen == [(k, k) for k in range(n_files)]


def test_the_copy_writer_sends_from_a_bounded_queue(warehouse):
    """The COPY data goes out from a thread through a queue of at most ``CHUNKS`` chunks: memory cannot grow with
    the file when the server is slower than the checks. The queue is psycopg's own attribute, replaced: if a psycopg
    upgrade renamed it, the writer would silently queue without bound, so check that the writer really uses it."""
    from queue import Queue

    from psycopg.copy import QueuedLibpqWriter

    from pipelines.ingest.load import _CopyWriter

    with psycopg.connect(warehouse["url"]) as conn:
        conn.execute("create temporary table copied (n int, t text)")
        with conn.cursor() as cur:
            assert isinstance(QueuedLibpqWriter(cur)._queue, Queue)  # what psycopg's writer reads
            writer = _CopyWriter(cur)
            assert writer._queue.maxsize == _CopyWriter.CHUNKS
            put = []
            original = writer._queue.put
            writer._queue.put = lambda item, *a, **k: (put.append(len(item)), original(item, *a, **k))
            chunk = "".join(f"{n}\tстрока {n}\n" for n in range(20_000)).encode()  # about 400 KB: split in 4
            with cur.copy("copy copied from stdin", writer=writer) as copy:
                for _ in range(50):
                    copy.write(chunk)
        assert conn.execute("select count(*), sum(n) from copied").fetchone() == (1_000_000, 50 * 199_990_000)
    assert len(put) > _CopyWriter.CHUNKS  # more chunks than the queue holds went through it
