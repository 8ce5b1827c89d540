"""What must exist in the warehouse before anything loads: schemas and roles, created idempotently.

Schemas
    raw           loaded sources, pseudonymised at the door (the loader writes here)
    ops           the submission ledger and quarantine (no identifying values)
    vault         the only place identifying values may live; analysts never see it
    staging, intermediate, marts, reports   built by dbt (the transformer)

Roles (cluster-wide, NOLOGIN groups; grant them to login users)
    kontingent_loader       writes raw, ops and vault
    kontingent_transformer  reads raw/ops, builds the dbt schemas
    kontingent_analyst      reads marts and reports, nothing else
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from pipelines.warehouse.connection import connect

LOADED_SCHEMAS = ("raw", "ops", "vault")
DBT_SCHEMAS = ("staging", "intermediate", "marts", "reports")
ANALYST_SCHEMAS = ("marts", "reports")

LOADER = "kontingent_loader"
TRANSFORMER = "kontingent_transformer"
ANALYST = "kontingent_analyst"
ROLES = (LOADER, TRANSFORMER, ANALYST)


def ensure_warehouse() -> None:
    """Create the schemas and roles if missing and (re)apply their grants. Safe to run any number of times."""
    with connect(autocommit=True) as conn:
        # Two processes bootstrapping at once would race on CREATE ROLE; serialise them.
        conn.execute("select pg_advisory_lock(hashtext('kontingent.bootstrap'))")
        try:
            _ensure(conn)
        finally:
            conn.execute("select pg_advisory_unlock(hashtext('kontingent.bootstrap'))")


def _ensure(conn: psycopg.Connection) -> None:
    for role in ROLES:
        if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
            try:
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            except psycopg.errors.DuplicateObject:
                pass
    for schema in LOADED_SCHEMAS + DBT_SCHEMAS:
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    database = conn.execute("select current_database()").fetchone()[0]
    conn.execute(sql.SQL("revoke all on database {} from public").format(sql.Identifier(database)))
    conn.execute(
        sql.SQL("grant connect on database {} to {}, {}, {}").format(
            sql.Identifier(database), *map(sql.Identifier, ROLES)
        )
    )
    conn.execute("revoke create on schema public from public")

    grants = {
        LOADER: {"raw": "all", "ops": "all", "vault": "all"},
        TRANSFORMER: {"raw": "usage", "ops": "usage", **{s: "all" for s in DBT_SCHEMAS}},
        ANALYST: {s: "usage" for s in ANALYST_SCHEMAS},
    }
    for role, schemas in grants.items():
        for schema, privilege in schemas.items():
            conn.execute(
                sql.SQL("grant {} on schema {} to {}").format(
                    sql.SQL("all privileges" if privilege == "all" else "usage"),
                    sql.Identifier(schema),
                    sql.Identifier(role),
                )
            )
    # Reads on what already exists and on what the current user creates later.
    for role, schemas in {TRANSFORMER: ("raw", "ops"), ANALYST: ANALYST_SCHEMAS}.items():
        for schema in schemas:
            conn.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
            conn.execute(
                sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
                    sql.Identifier(schema), sql.Identifier(role)
                )
            )
    # Nobody but the loader (and superusers) may touch the vault.
    for role in (TRANSFORMER, ANALYST):
        conn.execute(sql.SQL("revoke all on schema vault from {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("revoke all on all tables in schema vault from {}").format(sql.Identifier(role)))
