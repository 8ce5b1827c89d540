"""The warehouse login Superset uses: a member of ``kontingent_analyst`` that reads marts and reports only.

Its password comes from ``KONTINGENT_SUPERSET_DB_PASSWORD`` or is generated once under ``<state>/secrets``;
the login itself is read-only at the database level too (``default_transaction_read_only``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pipelines import settings
from pipelines.warehouse import connect, database_url
from pipelines.warehouse.bootstrap import ANALYST, ensure_warehouse

DEFAULT_LOGIN = "kontingent_superset"


@dataclass(frozen=True)
class WarehouseLogin:
    user: str
    password: str
    sqlalchemy_uri: (
        str  # with the password masked as Superset expects in a bundle; the password goes separately
    )


def login_name() -> str:
    return os.environ.get("KONTINGENT_SUPERSET_DB_USER", DEFAULT_LOGIN)


def login_password() -> str:
    return settings.read_or_create_secret("superset_warehouse.password", "KONTINGENT_SUPERSET_DB_PASSWORD")


def superset_uri(user: str, url: str | None = None, password_placeholder: str = "XXXXXXXXXX") -> str:
    """The SQLAlchemy URI (psycopg2, as in Superset's environment) of the warehouse for ``user``.

    A Unix-socket server (``host=/dir``) becomes ``postgresql+psycopg2://user:pw@/db?host=/dir``.
    """
    params = conninfo_to_dict(url or database_url())
    host = str(params.get("host") or "127.0.0.1")
    port = params.get("port")
    dbname = quote(str(params.get("dbname") or "postgres"), safe="")
    credentials = f"{quote(user, safe='')}:{password_placeholder}"
    if host.startswith("/"):
        socket_port = f"&port={port}" if port else ""
        return f"postgresql+psycopg2://{credentials}@/{dbname}?host={quote(host, safe='/')}{socket_port}"
    return f"postgresql+psycopg2://{credentials}@{host}:{port or 5432}/{dbname}"


def ensure_login() -> WarehouseLogin:
    """Create or update the read-only login (idempotent) and return how Superset reaches the warehouse."""
    ensure_warehouse()
    user, password = login_name(), login_password()
    role = sql.Identifier(user)
    with connect(autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(hashtext('kontingent.superset_login'))")
        try:
            if not conn.execute("select 1 from pg_roles where rolname = %s", (user,)).fetchone():
                conn.execute(sql.SQL("create role {} login").format(role))
            conn.execute(
                sql.SQL(
                    "alter role {} with login inherit nosuperuser nocreatedb nocreaterole noreplication "
                    "password {}"
                ).format(role, sql.Literal(password))
            )
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(ANALYST), role))
            conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(role))
            conn.execute(sql.SQL("alter role {} set search_path = reports, marts").format(role))
            conn.execute(sql.SQL("alter role {} set statement_timeout = '120s'").format(role))
        finally:
            conn.execute("select pg_advisory_unlock(hashtext('kontingent.superset_login'))")
    return WarehouseLogin(user, password, superset_uri(user))
