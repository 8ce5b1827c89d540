"""The session's headless demo (real pipeline at tiny scale, Superset provisioned), served once for this room.

The data path is the real one a user runs, `kontingent demo --no-serve` (tests/conftest.py ``demo_region``), in a
fresh database. Superset runs from ``.venv-superset`` with its state (SQLite metadata, secrets) in the demo's
temporary state folder and on a free port, so a running demo is never touched.

The browser test's screenshot lands in ``<your state dir>/screenshots/region_overview.png`` (the state directory
the tests were started with, ``.state/`` by default; outside git), or in ``KONTINGENT_DASHBOARDS_SCREENSHOT_DIR``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

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


@pytest.fixture(scope="session")
def dashboards_env(demo_region) -> Iterator[dict[str, str]]:
    """The session's headless demo (tests/conftest.py) as this process's environment; restored afterwards.

    The demo already ran the real pipeline at tiny scale and provisioned Superset into its state folder, on a free
    port and with a warehouse login of its own (roles are cluster-wide).
    """
    env = dict(demo_region.env)
    # Screenshots go to the caller's own state directory (outside git, kept after the run), not the temporary one.
    env["KONTINGENT_DASHBOARDS_SCREENSHOT_DIR"] = os.environ.get(
        "KONTINGENT_DASHBOARDS_SCREENSHOT_DIR"
    ) or str(Path(os.environ.get("KONTINGENT_STATE_DIR", PROJECT_DIR / ".state")).resolve() / "screenshots")
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield {**os.environ}
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def warehouse(dashboards_env, demo_region) -> Warehouse:
    return Warehouse(demo_region.url)


@pytest.fixture(scope="session")
def superset_server(warehouse: Warehouse, dashboards_env) -> Iterator[SupersetServer]:
    """Start the Superset the demo provisioned, once for the whole room (provisioning again is a no-op)."""
    from dashboards import superset
    from dashboards.provision import provision

    timings: dict[str, float] = {}
    started = time.monotonic()
    first = provision()
    timings["provision_again"] = time.monotonic() - started
    assert first.counts["charts"] == len(bundle_charts())
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
