"""Where Dagster keeps its runs, events and schedules: a project folder locally, PostgreSQL in production.

One setting decides: ``KONTINGENT_DAGSTER_STORAGE_URL`` (a ``postgresql://`` URL) selects dagster-postgres;
unset, Dagster's SQLite storage lives in ``<state_dir>/dagster``. The same code writes ``dagster.yaml`` in both
cases (the Docker images run ``python -m orchestration.instance`` at start), so nothing is copied per environment.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from pipelines import settings

STORAGE_URL_ENV = "KONTINGENT_DAGSTER_STORAGE_URL"
MAX_CONCURRENT_RUNS_ENV = "KONTINGENT_DAGSTER_MAX_CONCURRENT_RUNS"


def dagster_home() -> Path:
    """``DAGSTER_HOME`` if set (containers), else ``<state_dir>/dagster``."""
    home = os.environ.get("DAGSTER_HOME") or settings.state_dir() / "dagster"
    return Path(home).resolve()


def instance_config() -> dict:
    """The content of ``dagster.yaml`` for the current environment."""
    config: dict = {
        "telemetry": {"enabled": False},
        # Runs share the warehouse and two cores: one run at a time; the queue keeps the rest visible in the UI.
        "run_queue": {
            "max_concurrent_runs": {"env": MAX_CONCURRENT_RUNS_ENV}
            if os.environ.get(MAX_CONCURRENT_RUNS_ENV)
            else 1
        },
        "run_monitoring": {"enabled": True, "max_resume_run_attempts": 0},
        "retention": {"schedule": {"purge_after_days": 90}, "sensor": {"purge_after_days": 7}},
    }
    if os.environ.get(STORAGE_URL_ENV):
        # The URL itself stays in the environment: dagster.yaml only names the variable.
        config["storage"] = {"postgres": {"postgres_url": {"env": STORAGE_URL_ENV}}}
    return config


def ensure_dagster_home() -> Path:
    """Create the Dagster home with its ``dagster.yaml``, point ``DAGSTER_HOME`` at it and return it."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    text = "# Written by orchestration/instance.py; edit that, not this file.\n" + yaml.safe_dump(
        instance_config(), sort_keys=False
    )
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def get_instance():
    """The persistent Dagster instance (runs started from Python show up in the UI)."""
    from dagster import DagsterInstance

    ensure_dagster_home()
    return DagsterInstance.get()


if __name__ == "__main__":
    print(ensure_dagster_home())
