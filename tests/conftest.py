"""Fixtures every room's tests share: a fresh database on a real PostgreSQL server, isolated local state.

The server is the one named by ``KONTINGENT_TEST_SERVER_URL`` (default: the PostgreSQL on 127.0.0.1:5432 that
development and CI machines run). Each test session gets its own databases, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

TEST_SERVER_URL = os.environ.get(
    "KONTINGENT_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _database_url(name: str) -> str:
    base, _, query = TEST_SERVER_URL.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


@pytest.fixture(scope="session")
def make_database() -> Iterator:
    """A factory of fresh, empty databases on the test server; all are dropped at the end of the session."""
    created: list[str] = []

    def make(prefix: str = "kontingent_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(TEST_SERVER_URL, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        created.append(name)
        return _database_url(name)

    yield make
    with psycopg.connect(TEST_SERVER_URL, autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture()
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Local state (secrets, generated data, outbox) in a temporary folder, no warehouse URL set."""
    state = tmp_path / "state"
    monkeypatch.setenv("KONTINGENT_STATE_DIR", str(state))
    monkeypatch.delenv("KONTINGENT_DATABASE_URL", raising=False)
    for var in ("KONTINGENT_DATA_DIR", "KONTINGENT_LANDING_DIR", "KONTINGENT_OUTBOX_DIR"):
        monkeypatch.delenv(var, raising=False)
    return state


# ---------------------------------------------------------------------------------------------------------------
# One tiny region through the whole headless demo, shared by every room's end-to-end tests.
#
# It is exactly what a user runs (`kontingent demo --no-serve`): the Dagster demo job generates the synthetic
# region, ingests every source, builds dbt, runs the Great Expectations checks and provisions Superset, on a
# fresh database of the external server. Running it once per session keeps the suite well under its budget.
# ---------------------------------------------------------------------------------------------------------------

DEMO_SCALE, DEMO_SEED, DEMO_AS_OF = "tiny", 1, "2026-10-15"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DemoRegion:
    url: str
    state_dir: Path
    env: dict[str, str]
    seconds: float
    output: str

    @property
    def region_dir(self) -> Path:
        return self.state_dir / "region"

    @property
    def landing(self) -> Path:
        return self.region_dir / "landing"

    @property
    def ground_truth(self) -> Path:
        return self.region_dir / "ground_truth"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]


def run_kontingent(args: list[str], env: dict[str, str], timeout: int = 1800) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kontingent")
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_DIR
    )


@pytest.fixture(scope="session")
def demo_region(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRegion]:
    """The headless demo at tiny scale on a fresh database of the external server, run once per session."""
    state = tmp_path_factory.mktemp("demo") / "state"
    url = make_database("kontingent_demo")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KONTINGENT_", "DAGSTER_", "SUPERSET_"))},
        "KONTINGENT_TEST_SERVER_URL": TEST_SERVER_URL,
        "KONTINGENT_DATABASE_URL": url,
        "KONTINGENT_STATE_DIR": str(state),
        "KONTINGENT_PSEUDONYM_KEY": "test-session-pseudonym-key",
        "SUPERSET_PORT": str(free_port()),
        # Roles are cluster-wide: a warehouse login of its own keeps concurrent sessions apart.
        "KONTINGENT_SUPERSET_DB_USER": f"kontingent_superset_test_{uuid.uuid4().hex[:8]}",
    }
    started = time.monotonic()
    result = run_kontingent(
        ["demo", "--no-serve", "--scale", DEMO_SCALE, "--seed", str(DEMO_SEED), "--as-of", DEMO_AS_OF], env
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        pytest.fail(
            f"The headless demo failed (exit {result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    print(f"\n[demo_region] headless demo at {DEMO_SCALE} scale took {seconds:.0f} s")
    yield DemoRegion(url=url, state_dir=state, env=env, seconds=seconds, output=result.stdout)
    role = env["KONTINGENT_SUPERSET_DB_USER"]
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            conn.execute(f'drop owned by "{role}"')
    with psycopg.connect(TEST_SERVER_URL, autocommit=True) as conn:
        conn.execute(f'drop role if exists "{role}"')
