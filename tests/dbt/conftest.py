"""One tiny synthetic region, generated, ingested and built with dbt once per session, in a fresh database.

Every test in this room reads the same built warehouse; the build is the real one (`dbt build`), on the real
generator's output after the real ingestion, against a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

AS_OF = dt.date(2026, 10, 15)
SEED = 1


@dataclass
class BuiltRegion:
    url: str
    out: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ground_truth(self) -> Path:
        return self.out / "ground_truth"

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, params).fetchall()


def _kontingent(args: list[str], env: dict[str, str]) -> None:
    exe = Path(sys.executable).with_name("kontingent")
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(
            f"kontingent {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


@pytest.fixture(scope="session")
def built_region(make_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltRegion]:
    base = tmp_path_factory.mktemp("dbt_region")
    url = make_database("kontingent_dbt")
    env = {
        **os.environ,
        "KONTINGENT_DATABASE_URL": url,
        "KONTINGENT_STATE_DIR": str(base / "state"),
        "KONTINGENT_PSEUDONYM_KEY": "dbt-tests-pseudonym-key",
        "KONTINGENT_LANDING_DIR": str(base / "region" / "landing"),
        "KONTINGENT_OUTBOX_DIR": str(base / "outbox"),
    }
    region = BuiltRegion(url=url, out=base / "region", env=env)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        started = time.monotonic()
        _kontingent(
            [
                "generate",
                "--scale",
                "tiny",
                "--seed",
                str(SEED),
                "--as-of",
                AS_OF.isoformat(),
                "--out",
                str(region.out),
            ],
            env,
        )
        region.timings["generate"] = time.monotonic() - started
        started = time.monotonic()
        _kontingent(["setup"], env)
        _kontingent(["ingest"], env)
        region.timings["ingest"] = time.monotonic() - started
        from pipelines.warehouse.dbt_profile import run_dbt

        started = time.monotonic()
        run_dbt(["build"], url=url, capture=True)
        region.timings["dbt_build_from_empty"] = time.monotonic() - started
        print(f"\n[dbt] timings at tiny scale: {region.timings}")
        yield region
    finally:
        os.environ.clear()
        os.environ.update(saved)
