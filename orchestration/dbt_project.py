"""The dbt project as Dagster sees it, in its own module so ``@dbt_assets`` can find the manifest at import.

The manifest is written by ``dbt parse`` into ``<state_dir>/dbt_target`` (not ``dbt_project/target``), so each
state folder (the demo, every test run) has its own artifacts. ``ensure_manifest()`` parses only when the manifest
is missing or older than a file of the project; ``python -m orchestration.dbt_project`` does it explicitly (the
Docker image runs it at build time).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines import settings
from pipelines.errors import KontingentError

PROJECT_DIR = settings.dbt_project_dir()
# Same interpreter's environment: `dbt` is the one next to the running Python (.venv/bin/dbt).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class DbtProjectError(KontingentError):
    """The dbt project could not be parsed; the message says why and what to do."""


def is_present() -> bool:
    return (PROJECT_DIR / "dbt_project.yml").exists()


def target_dir() -> Path:
    """``KONTINGENT_DBT_TARGET_DIR`` (the Docker image parses into it at build time), else under the state dir."""
    override = os.environ.get("KONTINGENT_DBT_TARGET_DIR")
    return Path(override).resolve() if override else settings.state_dir() / "dbt_target"


def dbt_env() -> dict[str, str]:
    """Environment dbt needs to reach the warehouse (from the warehouse room), plus the PATH to our dbt."""
    try:
        from pipelines.warehouse.dbt_profile import dbt_env as warehouse_dbt_env
    except ImportError:  # the profile module has not landed yet: dbt reads its own defaults
        env: dict[str, str] = {}
    else:
        env = {k: str(v) for k, v in warehouse_dbt_env().items()}
    bin_dir = str(Path(DBT_EXECUTABLE).parent)
    path = env.get("PATH", os.environ.get("PATH", ""))
    if not path.startswith(bin_dir + os.pathsep):
        env["PATH"] = bin_dir + os.pathsep + path
    if "DBT_PROFILES_DIR" not in env and (PROJECT_DIR / "profiles.yml").exists():
        env["DBT_PROFILES_DIR"] = str(PROJECT_DIR)
    return env


def apply_dbt_env() -> dict[str, str]:
    """Put the dbt environment into ``os.environ`` (DbtCliResource passes os.environ to dbt)."""
    env = {**dbt_env(), "DBT_TARGET_PATH": str(target_dir())}  # per-run artifacts go under the state folder
    os.environ.update(env)
    return env


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=PROJECT_DIR, target_path=target_dir())


def manifest_path() -> Path:
    return target_dir() / "manifest.json"


def _newest_source_mtime() -> float:
    newest = 0.0
    for sub in ("dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests", "packages.yml"):
        path = PROJECT_DIR / sub
        if path.is_file():
            newest = max(newest, path.stat().st_mtime)
        elif path.is_dir():
            for f in path.rglob("*"):
                if f.suffix in (".sql", ".yml", ".yaml", ".csv", ".md"):
                    newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_manifest(force: bool = False) -> Path | None:
    """Run ``dbt parse`` when the manifest is missing or stale; None when there is no dbt project yet."""
    if not is_present():
        return None
    path = manifest_path()
    if not force and path.exists() and path.stat().st_mtime >= _newest_source_mtime():
        return path
    target_dir().mkdir(parents=True, exist_ok=True)
    # The webserver, the daemon and run processes may all load the definitions at once: one parses (keeping
    # dbt's partial-parse cache in its own folder), the others wait, and the manifest moves into place atomically.
    parse_dir = target_dir() / "parse"
    with open(target_dir() / "parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and path.exists() and path.stat().st_mtime >= _newest_source_mtime():
            return path  # another process parsed while we waited
        env = {**os.environ, **dbt_env(), "DBT_TARGET_PATH": str(parse_dir), "DBT_LOG_PATH": str(parse_dir)}
        if (PROJECT_DIR / "packages.yml").exists() or (PROJECT_DIR / "dependencies.yml").exists():
            if not (PROJECT_DIR / "dbt_packages").exists():
                subprocess.run([DBT_EXECUTABLE, "deps", "--quiet"], cwd=PROJECT_DIR, env=env, check=False)
        result = subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True
        )
        parsed = parse_dir / "manifest.json"
        if result.returncode != 0 or not parsed.exists():
            lines = [line for line in (result.stdout + result.stderr).strip().splitlines() if line.strip()]
            raise DbtProjectError(
                f"dbt не смог разобрать проект {PROJECT_DIR} ({' | '.join(lines[-4:]) or 'без сообщения'}): "
                f"исправьте модели и повторите; полное сообщение покажет `{DBT_EXECUTABLE} parse`."
            )
        shutil.copyfile(parsed, path.with_suffix(".tmp"))
        os.replace(path.with_suffix(".tmp"), path)
    return path


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


if __name__ == "__main__":
    print(ensure_manifest(force=True) or f"No dbt project in {PROJECT_DIR}.")
