"""The headless demo, end to end at the smallest scale: once on the external server, once on the embedded default.

This is the path a person on a fresh machine takes (`make demo`), minus serving; it must never rot unnoticed.
The external run is the session's shared ``demo_region``; the embedded run is its own, twice, to show reuse.
"""

from __future__ import annotations

import time

import psycopg
import pytest

from tests.conftest import DEMO_AS_OF, DEMO_SCALE, DEMO_SEED, free_port, run_kontingent

pytestmark = pytest.mark.slow

DEMO_ARGS = ["demo", "--no-serve", "--scale", DEMO_SCALE, "--seed", str(DEMO_SEED), "--as-of", DEMO_AS_OF]


def _assert_marts_filled(url: str) -> None:
    with psycopg.connect(url) as conn:
        pupils = conn.execute("select count(*) from marts.fct_enrolment_snapshot").fetchone()[0]
        schools = conn.execute("select count(*) from marts.dim_school").fetchone()[0]
        submissions = conn.execute("select count(*) from ops.submissions where status = 'loaded'").fetchone()[
            0
        ]
        overview = conn.execute("select count(*) from reports.rpt_region_pupils").fetchone()[0]
    assert pupils > 1000 and schools > 3 and submissions > 10 and overview > 0


def test_headless_demo_runs_on_the_external_server(demo_region):
    _assert_marts_filled(demo_region.url)
    assert not (demo_region.state_dir / "pg").exists(), "an external URL must not start the embedded server"
    assert "Конвейер выполнен" in demo_region.output


def test_headless_demo_runs_on_the_embedded_default_and_reuses_it(tmp_path):
    import os

    state = tmp_path / "state"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KONTINGENT_", "DAGSTER_", "SUPERSET_"))},
        "KONTINGENT_STATE_DIR": str(state),
        "SUPERSET_PORT": str(free_port()),
    }
    try:
        started = time.monotonic()
        first = run_kontingent(DEMO_ARGS, env)
        first_seconds = time.monotonic() - started
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        url = f"postgresql://postgres@/kontingent?host={state / 'pg'}"
        _assert_marts_filled(url)
        pid = (state / "pg" / "postmaster.pid").read_text().split()[0]
        key = (state / "secrets" / "pseudonym.key").read_text()

        started = time.monotonic()
        second = run_kontingent(DEMO_ARGS, env)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        print(
            f"\nheadless demo, embedded: first run {first_seconds:.0f} s, second {time.monotonic() - started:.0f} s"
        )
        assert (state / "pg" / "postmaster.pid").read_text().split()[0] == pid, "the database was not reused"
        assert (state / "secrets" / "pseudonym.key").read_text() == key, (
            "the pseudonym key changed between runs"
        )
        _assert_marts_filled(url)
    finally:
        run_kontingent(["stop"], env)
