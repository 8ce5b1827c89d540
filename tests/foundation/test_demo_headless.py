"""The headless demo, end to end at the smallest scale: once on the embedded default, once on an external server.

This is the path a person on a fresh machine takes (`make demo`), minus serving; it must never rot unnoticed.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.foundation.test_warehouse import run_cli

pytestmark = pytest.mark.slow

DEMO_ARGS = ("demo", "--no-serve", "--scale", "tiny", "--seed", "11", "--as-of", "2026-11-28")


def _assert_marts_filled(url: str) -> None:
    with psycopg.connect(url) as conn:
        pupils = conn.execute("select count(*) from marts.fct_enrolment_snapshot").fetchone()[0]
        schools = conn.execute("select count(*) from marts.dim_school").fetchone()[0]
        submissions = conn.execute("select count(*) from ops.submissions where status = 'loaded'").fetchone()[0]
    assert pupils > 1000 and schools > 3 and submissions > 10


def test_headless_demo_runs_on_the_embedded_default_and_reuses_it(isolated_env):
    try:
        started = time.monotonic()
        first = run_cli(*DEMO_ARGS, timeout=1200)
        first_seconds = time.monotonic() - started
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        url = f"postgresql://postgres@/kontingent?host={isolated_env / 'pg'}"
        _assert_marts_filled(url)
        pid = (isolated_env / "pg" / "postmaster.pid").read_text().split()[0]

        started = time.monotonic()
        second = run_cli(*DEMO_ARGS, timeout=1200)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        print(f"headless demo, embedded: first run {first_seconds:.0f} s, second {time.monotonic() - started:.0f} s")
        assert (isolated_env / "pg" / "postmaster.pid").read_text().split()[0] == pid, "database not reused"
        _assert_marts_filled(url)
    finally:
        run_cli("stop")


def test_headless_demo_runs_on_the_external_server(isolated_env, make_database):
    url = make_database()
    result = run_cli(*DEMO_ARGS, env={"KONTINGENT_DATABASE_URL": url}, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    _assert_marts_filled(url)
    assert not (isolated_env / "pg").exists(), "an external URL must not start the embedded server"
