"""Fixtures every room's tests share: a fresh database on a real PostgreSQL server, isolated local state.

The server is the one named by ``KONTINGENT_TEST_SERVER_URL`` (default: the PostgreSQL on 127.0.0.1:5432 that
development and CI machines run). Each test session gets its own databases, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

TEST_SERVER_URL = os.environ.get("KONTINGENT_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PROJECT_DIR = Path(__file__).resolve().parent.parent


def _database_url(name: str) -> str:
    base, _, query = TEST_SERVER_URL.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (("?" + query) if query else "")


@pytest.fixture(scope="session")
def make_database() -> Iterator:
    """A factory of fresh, empty databases on the test server; all are dropped at the end of the session."""
    created: list[str] = []

    def make(prefix: str = "kontingent_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(TEST_SERVER_URL, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        created.append(name)
        return _database_url(name)

    yield make
    with psycopg.connect(TEST_SERVER_URL, autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture()
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Local state (secrets, generated data, outbox) in a temporary folder, no warehouse URL set."""
    state = tmp_path / "state"
    monkeypatch.setenv("KONTINGENT_STATE_DIR", str(state))
    monkeypatch.delenv("KONTINGENT_DATABASE_URL", raising=False)
    for var in ("KONTINGENT_DATA_DIR", "KONTINGENT_LANDING_DIR", "KONTINGENT_OUTBOX_DIR"):
        monkeypatch.delenv(var, raising=False)
    return state
