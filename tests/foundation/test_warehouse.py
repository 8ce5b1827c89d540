"""The warehouse foundation: one URL setting, the embedded default, schemas and roles, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
KONTINGENT = [sys.executable, "-m", "kontingent.cli"]


def run_cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*KONTINGENT, *args],
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_every_command_with_one_line():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("setup", "demo", "stop", "bench", "clean"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:1/nowhere", "mysql://root@127.0.0.1/test"],
    ids=["unreachable-server", "not-postgresql"],
)
def test_wrong_database_url_is_one_clear_sentence_and_exit_1(isolated_env, url):
    result = run_cli("setup", env={"KONTINGENT_DATABASE_URL": url})
    assert result.returncode == 1
    assert "KONTINGENT_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_external_server_gets_schemas_and_roles_idempotently(isolated_env, make_database, monkeypatch):
    url = make_database()
    monkeypatch.setenv("KONTINGENT_DATABASE_URL", url)
    for _ in range(2):
        assert run_cli("setup").returncode == 0
    with psycopg.connect(url) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        roles = {r[0] for r in conn.execute("select rolname from pg_roles")}
    assert {"raw", "ops", "vault", "staging", "intermediate", "marts", "reports"} <= schemas
    assert {"kontingent_loader", "kontingent_transformer", "kontingent_analyst"} <= roles
    assert not (isolated_env / "pg").exists(), "an external URL must not start the embedded server"


def test_analyst_role_is_refused_on_raw_and_vault_but_reads_marts(isolated_env, make_database, monkeypatch):
    url = make_database()
    monkeypatch.setenv("KONTINGENT_DATABASE_URL", url)
    assert run_cli("setup").returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in ("raw", "vault", "ops", "marts"):
            conn.execute(f"create table {schema}.probe (x int)")
            conn.execute(f"insert into {schema}.probe values (1)")
        conn.execute("grant select on marts.probe to kontingent_analyst")
        conn.execute("set role kontingent_analyst")
        assert conn.execute("select x from marts.probe").fetchone() == (1,)
        for schema in ("raw", "vault", "ops"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select x from {schema}.probe")


def test_embedded_server_starts_is_reused_and_stops(isolated_env):
    first = run_cli("setup")
    assert first.returncode == 0, first.stderr
    try:
        pid = (isolated_env / "pg" / "postmaster.pid").read_text().split()[0]
        second = run_cli("setup")
        assert second.returncode == 0, second.stderr
        assert (isolated_env / "pg" / "postmaster.pid").read_text().split()[0] == pid, (
            "the server was restarted"
        )
    finally:
        assert run_cli("stop").returncode == 0
    assert not (isolated_env / "pg" / "postmaster.pid").exists()
    assert (isolated_env / "pg" / "PG_VERSION").exists(), "stop must keep the data"


def test_stale_lock_of_a_crashed_embedded_server_does_not_block_the_next_start(isolated_env):
    assert run_cli("setup").returncode == 0
    assert run_cli("stop").returncode == 0
    pgdata = isolated_env / "pg"
    # What a crash leaves behind: a postmaster.pid naming a process that no longer exists.
    (pgdata / "postmaster.pid").write_text(
        f"999999\n{pgdata}\n1700000000\n5432\n{pgdata}\n\n  5432001 0\nready\n"
    )
    try:
        result = run_cli("setup")
        assert result.returncode == 0, result.stderr
    finally:
        run_cli("stop")


def test_occupied_port_stops_the_demo_before_any_work(isolated_env, make_database):
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", 8088))
        except OSError:
            pytest.skip("port 8088 is already in use on this machine")
        sock.listen()
        result = run_cli("demo", env={"KONTINGENT_DATABASE_URL": make_database()})
    assert result.returncode == 1
    assert "8088" in result.stderr and "Traceback" not in result.stderr


def test_second_make_env_is_a_no_op():
    result = subprocess.run(["make", "-q", "env"], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, "make env would rebuild an environment although nothing changed"
