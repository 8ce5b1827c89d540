"""One tiny synthetic region run through Dagster once per module, in its own database and state folder."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SEED = 7
AS_OF = dt.date(2026, 10, 15)
CLEARED = (
    "KONTINGENT_DATA_DIR",
    "KONTINGENT_LANDING_DIR",
    "KONTINGENT_OUTBOX_DIR",
    "DAGSTER_HOME",
    "KONTINGENT_DAGSTER_STORAGE_URL",
    "KONTINGENT_DBT_TARGET_DIR",
)


@dataclass
class Orchestrated:
    url: str
    state: Path
    defs: object
    instance: object

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()

    def table_exists(self, name: str) -> bool:
        return self.query("select to_regclass(%s) is not null", (name,))[0][0]


@pytest.fixture(scope="session")
def orchestrated(make_database, tmp_path_factory) -> Iterator[Orchestrated]:
    """Environment, warehouse and Dagster definitions for this room (nothing materialised yet)."""
    base = tmp_path_factory.mktemp("orchestration")
    url = make_database("kontingent_orch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KONTINGENT_DATABASE_URL", url)
        mp.setenv("KONTINGENT_STATE_DIR", str(base / "state"))
        mp.setenv("KONTINGENT_PSEUDONYM_KEY", "orchestration-tests-pseudonym-key")
        mp.setenv("KONTINGENT_DBT_THREADS", os.environ.get("KONTINGENT_DBT_THREADS", "4"))
        for var in CLEARED:
            mp.delenv(var, raising=False)
        from pipelines.warehouse.bootstrap import ensure_warehouse

        ensure_warehouse()
        from orchestration import run
        from orchestration.instance import get_instance

        instance = get_instance()
        yield Orchestrated(url=url, state=base / "state", defs=run.load_definitions(), instance=instance)
        instance.dispose()


@dataclass
class DemoRun:
    result: object
    seconds: float


@pytest.fixture(scope="session")
def demo_run(orchestrated: Orchestrated) -> DemoRun:
    """The demo job at tiny scale, executed once through Dagster's API on the persistent instance."""
    from orchestration import run

    started = time.monotonic()
    result = run.execute_job("demo_job", run.demo_run_config("tiny", SEED, AS_OF), progress=False)
    seconds = time.monotonic() - started
    print(f"\ndemo_job at tiny scale: {seconds:.1f} s, success={result.success}")
    return DemoRun(result=result, seconds=seconds)
