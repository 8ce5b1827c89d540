"""One setting names the warehouse: ``KONTINGENT_DATABASE_URL``; unset means the embedded server."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import psycopg

from pipelines.errors import KontingentError
from pipelines.warehouse import embedded

ENV_VAR = "KONTINGENT_DATABASE_URL"


class WarehouseError(KontingentError):
    """A problem with the warehouse connection, phrased for the person who has to fix it."""


def is_embedded() -> bool:
    return not os.environ.get(ENV_VAR)


def database_url() -> str:
    """The libpq URL of the warehouse (``postgresql://…``), starting the embedded server when needed."""
    url = os.environ.get(ENV_VAR)
    if url:
        if urlsplit(url).scheme not in ("postgresql", "postgres"):
            raise WarehouseError(
                f"{ENV_VAR} must be a postgresql:// URL, got scheme {urlsplit(url).scheme or '(none)'!r}: "
                "fix the variable, or unset it to use the embedded PostgreSQL."
            )
        return url
    try:
        url = embedded.server_url()
    except embedded.EmbeddedDatabaseError as exc:
        raise WarehouseError(str(exc)) from exc
    _create_embedded_database(url)
    return url


def sqlalchemy_url(driver: str = "psycopg") -> str:
    """The same URL for SQLAlchemy (``postgresql+psycopg://…``)."""
    return "postgresql+" + driver + "://" + database_url().split("://", 1)[1]


def _create_embedded_database(url: str) -> None:
    admin_url = url.replace(f"/{embedded.EMBEDDED_DATABASE}?", "/postgres?", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "select 1 from pg_database where datname = %s", (embedded.EMBEDDED_DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'create database "{embedded.EMBEDDED_DATABASE}"')


def connect(autocommit: bool = False, **kwargs) -> psycopg.Connection:
    """A psycopg connection to the warehouse, or a WarehouseError saying what to do."""
    url = database_url()
    try:
        return psycopg.connect(url, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        where = "the embedded PostgreSQL" if is_embedded() else f"{ENV_VAR}={_masked(url)}"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseError(
            f"Cannot connect to the warehouse at {where} ({reason}): check that the server runs and the URL "
            f"is right, or unset {ENV_VAR} to use the embedded PostgreSQL."
        ) from exc


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
