"""One tiny region built by the real pipeline, provisioned into one Superset started once per session.

The data path is the real one a user runs: ``kontingent generate --scale tiny`` → ``setup`` → ``ingest`` →
``build`` (dbt, which also builds the rpt_ models the dashboard reads), in a fresh database. Superset runs from
``.venv-superset`` with its state (SQLite metadata, secrets) in a temporary folder and on a free port, so a
running demo is never touched.

The browser test's screenshot lands in ``<your state dir>/screenshots/region_overview.png`` (the state directory
the tests were started with, ``.state/`` by default; outside git), or in ``KONTINGENT_DASHBOARDS_SCREENSHOT_DIR``.

``KONTINGENT_DASHBOARDS_TEST_DATABASE_URL`` points the tests at an already built warehouse instead (marts and
reports present), for quick iterations on the dashboard alone; CI never sets it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

AS_OF = dt.date(2026, 10, 15)
SEED = 7
PROJECT_DIR = Path(__file__).resolve().parents[2]
BUNDLE_DIR = PROJECT_DIR / "dashboards" / "bundle"


@dataclass
class Warehouse:
    url: str
    timings: dict[str, float] = field(default_factory=dict)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]


@dataclass
class SupersetServer:
    url: str
    username: str
    password: str
    state_dir: Path
    timings: dict[str, float] = field(default_factory=dict)


def _kontingent(args: list[str], env: dict[str, str], timeout: int = 900) -> None:
    exe = Path(sys.executable).with_name("kontingent")
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(
            f"The real pipeline step `kontingent {' '.join(args)}` failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dashboards_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Process environment for the whole room: isolated state, a free Superset port; restored afterwards."""
    base = tmp_path_factory.mktemp("dashboards")
    env = {
        "KONTINGENT_STATE_DIR": str(base / "state"),
        "KONTINGENT_PSEUDONYM_KEY": "dashboards-tests-pseudonym-key",
        "KONTINGENT_DATA_DIR": str(base / "region"),
        "KONTINGENT_LANDING_DIR": str(base / "region" / "landing"),
        "KONTINGENT_OUTBOX_DIR": str(base / "outbox"),
        "SUPERSET_PORT": str(_free_port()),
        # Roles are cluster-wide: a login of its own keeps concurrent sessions from resetting each other's password.
        "KONTINGENT_SUPERSET_DB_USER": f"kontingent_superset_test_{uuid.uuid4().hex[:8]}",
    }
    # Screenshots go to the caller's own state directory (outside git, kept after the run), not the temporary one.
    env["KONTINGENT_DASHBOARDS_SCREENSHOT_DIR"] = os.environ.get(
        "KONTINGENT_DASHBOARDS_SCREENSHOT_DIR"
    ) or str(Path(os.environ.get("KONTINGENT_STATE_DIR", PROJECT_DIR / ".state")).resolve() / "screenshots")
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield {**os.environ}
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def superset_bootstrap(dashboards_env) -> Future:
    """Prepare Superset's metadata (the slow, data-independent part) while the pipeline builds the data."""
    from dashboards import superset

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="superset-bootstrap")
    started = time.monotonic()
    future = pool.submit(lambda: (superset.bootstrap(), time.monotonic() - started)[1])
    pool.shutdown(wait=False)
    return future


@pytest.fixture(scope="session")
def warehouse(dashboards_env, make_database, superset_bootstrap) -> Warehouse:
    prebuilt = os.environ.get("KONTINGENT_DASHBOARDS_TEST_DATABASE_URL")
    if prebuilt:
        os.environ["KONTINGENT_DATABASE_URL"] = prebuilt
        return Warehouse(prebuilt)
    url = make_database("kontingent_dashboards")
    os.environ["KONTINGENT_DATABASE_URL"] = url
    env = {**os.environ}
    built = Warehouse(url)
    region = Path(env["KONTINGENT_DATA_DIR"])
    steps = [
        ("generate", ["generate", "--scale", "tiny", "--seed", str(SEED), "--as-of", AS_OF.isoformat()]
         + ["--out", str(region)]),
        ("setup", ["setup"]),
        ("ingest", ["ingest"]),
        # Only what the dashboards read (and its ancestors' tests): faster, and unrelated failures don't block it.
        ("build", ["build", "--select", "+rpt_region_pupils +rpt_region_municipalities"]),
    ]  # fmt: skip
    for name, args in steps:
        started = time.monotonic()
        _kontingent(args, env)
        built.timings[name] = time.monotonic() - started
    print(f"\n[dashboards] real pipeline at tiny scale: {built.timings}")
    return built


@pytest.fixture(scope="session")
def superset_server(
    warehouse: Warehouse, dashboards_env, superset_bootstrap: Future
) -> Iterator[SupersetServer]:
    """Provision (bootstrap + import) and start Superset once for the whole room."""
    from dashboards import superset
    from dashboards.provision import provision

    timings: dict[str, float] = {"bootstrap_in_background": superset_bootstrap.result(timeout=600)}
    started = time.monotonic()
    first = provision()
    timings["provision_first"] = time.monotonic() - started
    assert first.imported and first.counts["charts"] == len(bundle_charts())
    started = time.monotonic()
    superset.serve(bootstrap_first=False)
    timings["superset_start"] = time.monotonic() - started
    login = superset.admin_login()
    print(f"\n[dashboards] Superset: {timings}")
    try:
        yield SupersetServer(
            login.url, login.username, login.password, Path(os.environ["KONTINGENT_STATE_DIR"]), timings
        )
    finally:
        superset.stop()
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop role if exists {}").format(
                    sql.Identifier(os.environ["KONTINGENT_SUPERSET_DB_USER"])
                )
            )


@pytest.fixture(scope="session")
def api(superset_server):
    from dashboards.superset_api import SupersetApi

    return SupersetApi()


def bundle_charts() -> dict[str, dict]:
    """The bundle's charts keyed by file stem (e.g. ``pupils_total``)."""
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((BUNDLE_DIR / "charts").glob("*.yaml"))
    }


def bundle_dashboard() -> dict:
    return yaml.safe_load((BUNDLE_DIR / "dashboards" / "region_overview.yaml").read_text(encoding="utf-8"))
