"""One tiny synthetic region, generated, ingested and built with dbt once per session, in a fresh database.

Every test in this room reads the same built warehouse: the session's headless demo (tests/conftest.py), i.e. the
real Dagster job running the real generator, ingestion and `dbt build` against a real PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest


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


@pytest.fixture(scope="session")
def built_region(demo_region) -> Iterator[BuiltRegion]:
    """The session's headless demo: generated, ingested and built with dbt (through Dagster) in a fresh database."""
    region = BuiltRegion(url=demo_region.url, out=demo_region.region_dir, env=dict(demo_region.env))
    region.timings["headless_demo"] = demo_region.seconds
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(region.env)
    try:
        yield region
    finally:
        os.environ.clear()
        os.environ.update(saved)
