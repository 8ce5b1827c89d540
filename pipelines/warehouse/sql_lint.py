"""sqlfluff with the dbt templater over the dbt models: what `make lint` and the test suite run.

The dbt templater compiles every model, so it needs the warehouse connection (``dbt_env``) but no built tables.
``python -m pipelines.warehouse.sql_lint`` prints one line per violation and exits 1 when there is any.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import dbt_project_dir, state_dir
from pipelines.warehouse.dbt_profile import dbt_env


@dataclass(frozen=True)
class SqlViolation:
    path: str
    line: int
    code: str
    description: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} {self.description}"


@contextmanager
def _dbt_process_state(url: str | None, target: Path) -> Iterator[None]:
    """Environment and working folder the dbt templater expects, restored afterwards."""
    env = {**dbt_env(url), "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    saved = {name: os.environ.get(name) for name in env}
    cwd = Path.cwd()
    os.environ.update(env)
    os.chdir(dbt_project_dir())
    try:
        yield
    finally:
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def lint_models(
    paths: tuple[str, ...] = ("models",),
    url: str | None = None,
    target: Path | None = None,
    reuse_parse_from: Path | None = None,
    processes: int = 2,
) -> list[SqlViolation]:
    """Every sqlfluff violation in ``paths`` (relative to ``dbt_project/``), with `dbt_project/.sqlfluff`'s rules.

    ``target`` keeps the templater's dbt artifacts (default: ``<state>/sqlfluff_target``, so a second run parses
    partially); ``reuse_parse_from`` is a dbt target folder whose ``partial_parse.msgpack`` seeds it (for example
    the one a `dbt build` just wrote), which saves the full parse of the project. Parsing the SQL, not dbt,
    takes most of the time: ``processes`` lint files in parallel.
    """
    from sqlfluff.core import FluffConfig, Linter

    target = target or state_dir() / "sqlfluff_target"
    target.mkdir(parents=True, exist_ok=True)
    seed = reuse_parse_from / "partial_parse.msgpack" if reuse_parse_from else None
    if seed and seed.exists():
        shutil.copyfile(seed, target / "partial_parse.msgpack")
    with _dbt_process_state(url, target):
        linter = Linter(config=FluffConfig.from_path("."))
        result = linter.lint_paths(paths, processes=processes)
    return [
        SqlViolation(
            path=record["filepath"],
            line=int(violation.get("start_line_no") or 0),
            code=violation["code"],
            description=violation["description"],
        )
        for record in result.as_records()
        for violation in record["violations"]
    ]


def main() -> int:
    violations = lint_models(tuple(sys.argv[1:]) or ("models",))
    for violation in violations:
        print(violation)
    print(f"sqlfluff (dbt templater): {len(violations)} violation(s) in dbt_project/")
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
