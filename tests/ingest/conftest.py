"""Ingestion tests: each module gets its own database on the test server and its own local state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

TEST_KEY = "test-pseudonym-key-not-secret"
TINY_SEED, TINY_AS_OF = 1, dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def tiny_region(tmp_path_factory) -> Path:
    """The tiny synthetic region (seed 1), generated once for the room; modules that add files copy its landing."""
    from pipelines.synth import generate

    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", TINY_SEED, TINY_AS_OF, out)
    return out


@pytest.fixture(scope="module")
def warehouse(make_database, tmp_path_factory) -> Iterator[dict]:
    """Environment of a fresh warehouse: database URL, state dir, HMAC key (set for the whole module)."""
    url = make_database("kontingent_ingest_test")
    state = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KONTINGENT_DATABASE_URL", url)
        mp.setenv("KONTINGENT_STATE_DIR", str(state))
        mp.setenv("KONTINGENT_PSEUDONYM_KEY", TEST_KEY)
        mp.setenv("KONTINGENT_OUTBOX_DIR", str(state / "outbox"))
        for var in ("KONTINGENT_DATA_DIR", "KONTINGENT_LANDING_DIR"):
            mp.delenv(var, raising=False)
        yield {"url": url, "state": state, "outbox": state / "outbox"}


def query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def submission(url: str, landing: Path, path: Path) -> dict:
    rel = path.relative_to(landing).as_posix()
    with psycopg.connect(url) as conn:
        cur = conn.execute(
            "select * from ops.submissions where file_path = %s order by submission_id", (rel,)
        )
        cols = [c.name for c in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    assert rows, f"no ledger row for {rel}"
    return rows[-1]
