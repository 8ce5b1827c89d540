"""The dbt connection: environment variables read by ``dbt_project/profiles.yml``, derived from the one URL.

dbt-postgres connects through psycopg2, which accepts a Unix-socket directory as ``host``; that is how the
embedded server (``postgresql://postgres:@/kontingent?host=/path``) is reached.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from pipelines.settings import dbt_project_dir, state_dir
from pipelines.warehouse.connection import database_url


def dbt_env(url: str | None = None) -> dict[str, str]:
    """Variables for a dbt process: ``KONTINGENT_DBT_{HOST,PORT,USER,PASSWORD,DBNAME}`` and the profiles dir."""
    params = conninfo_to_dict(url or database_url())
    host = str(params.get("host") or "127.0.0.1")
    return {
        "KONTINGENT_DBT_HOST": host,
        "KONTINGENT_DBT_PORT": str(params.get("port") or "5432"),
        "KONTINGENT_DBT_USER": str(params.get("user") or os.environ.get("PGUSER") or "postgres"),
        "KONTINGENT_DBT_PASSWORD": str(params.get("password") or ""),
        "KONTINGENT_DBT_DBNAME": str(params.get("dbname") or "postgres"),
        "DBT_PROFILES_DIR": str(dbt_project_dir()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


class DbtFailed(RuntimeError):
    """dbt exited non-zero; the message names the command and where its log is."""


def dbt_executable() -> str:
    """The ``dbt`` beside the running Python (the project's environment), else the one on PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(args: list[str], url: str | None = None, capture: bool = False) -> subprocess.CompletedProcess:
    """Run ``dbt <args>`` in the project against the warehouse; raise DbtFailed when it fails."""
    env = {**os.environ, **dbt_env(url)}
    # Artifacts and logs per state folder: concurrent builds (demo, tests) never share dbt_project/target.
    target = state_dir() / "dbt_target"
    env.setdefault("DBT_TARGET_PATH", str(target))
    env.setdefault("DBT_LOG_PATH", str(target))
    command = [dbt_executable(), *args, "--project-dir", str(dbt_project_dir())]
    result = subprocess.run(command, env=env, cwd=dbt_project_dir(), capture_output=capture, text=True)
    if result.returncode != 0:
        tail = ""
        if capture:
            lines = [line for line in (result.stdout or "").splitlines() if "ERROR" in line or "FAIL" in line]
            tail = " " + " | ".join(lines[-5:])
        raise DbtFailed(
            f"dbt {' '.join(args)} завершился с ошибкой (код {result.returncode}): подробности в "
            f"{Path(env['DBT_LOG_PATH']) / 'dbt.log'}.{tail}"
        )
    return result
