"""The session's headless demo (tests/conftest.py: the demo job run through Dagster by `kontingent demo --no-serve`
at tiny scale), read back from its Dagster instance. The sensor test adds files to that region: it runs last."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import DEMO_AS_OF, DEMO_SEED

SEED = DEMO_SEED
AS_OF = dt.date.fromisoformat(DEMO_AS_OF)
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
def orchestrated(demo_region) -> Iterator[Orchestrated]:
    """Environment, warehouse and Dagster instance of the session's headless demo (tests/conftest.py)."""
    with pytest.MonkeyPatch.context() as mp:
        for var in CLEARED:
            mp.delenv(var, raising=False)
        for name, value in demo_region.env.items():
            if name.startswith(("KONTINGENT_", "SUPERSET_")):
                mp.setenv(name, value)
        from orchestration import run
        from orchestration.instance import get_instance

        instance = get_instance()
        yield Orchestrated(
            url=demo_region.url, state=demo_region.state_dir, defs=run.load_definitions(), instance=instance
        )
        instance.dispose()


@dataclass
class StoredRun:
    """A finished run read back from the instance: what the UI shows (``success``, ``run_id``, ``all_events``)."""

    run_id: str
    success: bool
    all_events: list


@dataclass
class DemoRun:
    result: StoredRun
    seconds: float


@pytest.fixture(scope="session")
def demo_run(orchestrated: Orchestrated, demo_region) -> DemoRun:
    """The demo job at tiny scale that `kontingent demo --no-serve` executed through Dagster on this instance."""
    from dagster import DagsterRunStatus, RunsFilter

    runs = orchestrated.instance.get_runs(filters=RunsFilter(job_name="demo_job"), limit=1)
    assert runs, "the headless demo left no demo_job run in its Dagster instance"
    run = runs[0]
    events = [r.dagster_event for r in orchestrated.instance.all_logs(run.run_id) if r.dagster_event]
    result = StoredRun(run.run_id, run.status == DagsterRunStatus.SUCCESS, events)
    print(f"\ndemo_job at tiny scale (through `kontingent demo --no-serve`): {demo_region.seconds:.1f} s")
    return DemoRun(result=result, seconds=demo_region.seconds)
