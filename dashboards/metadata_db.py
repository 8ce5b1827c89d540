"""A read-only look at Superset's metadata database from the main environment (plain SQL, no Superset import).

Starting Superset's app costs 15–40 s; deciding that nothing needs doing must not. Provisioning and serving
compare what is in the metadata database with what the last successful run recorded in
``<state>/superset/provisioned.json`` and skip the Superset process when both agree.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import sqlalchemy as sa

from pipelines import settings


def metadata_uri() -> str:
    """The same choice ``dashboards/superset_config.py`` makes: SUPERSET_DATABASE_URI, else SQLite in the state."""
    return os.environ.get("SUPERSET_DATABASE_URI") or (
        f"sqlite:///{settings.state_dir() / 'superset' / 'superset.db'}"
    )


def _engine() -> sa.Engine | None:
    uri = metadata_uri()
    if uri.startswith("sqlite:///") and not os.path.exists(uri.removeprefix("sqlite:///").split("?", 1)[0]):
        return None
    return sa.create_engine(uri, poolclass=sa.pool.NullPool)


def _rows(conn: sa.Connection, query: str, **params: Any) -> list[list[Any]]:
    return [list(row) for row in conn.execute(sa.text(query), params)]


def alembic_revision() -> str | None:
    engine = _engine()
    if engine is None:
        return None
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select version_num from alembic_version")).scalar()
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def objects_fingerprint(uuids: dict[str, list[str]]) -> str | None:
    """A hash of what a user could notice of the bundle's objects (ids, names, queries, layout; no timestamps).

    None when the metadata database does not exist yet or lacks any of the objects.
    """
    engine = _engine()
    if engine is None:
        return None
    wanted = {kind: sorted(values) for kind, values in uuids.items()}
    try:
        with engine.connect() as conn:
            found: dict[str, Any] = {}
            for kind, table, columns in (
                (
                    "databases",
                    "dbs",
                    "id, uuid, database_name, sqlalchemy_uri, extra, allow_dml, expose_in_sqllab",
                ),
                ("datasets", "tables", "id, uuid, table_name, schema, database_id, description"),
                ("charts", "slices", "id, uuid, slice_name, viz_type, datasource_id, params, query_context"),
                (
                    "dashboards",
                    "dashboards",
                    "id, uuid, dashboard_title, slug, published, position_json, json_metadata",
                ),
            ):
                rows = _rows(conn, f"select {columns} from {table}")  # noqa: S608 (fixed table names)
                rows = sorted(
                    [_uuid_text(row) for row in rows if _uuid_text(row)[1] in wanted[kind]], key=str
                )
                if len(rows) != len(wanted[kind]):
                    return None
                found[kind] = rows
            dataset_ids = [row[0] for row in found["datasets"]]
            dashboard_ids = [row[0] for row in found["dashboards"]]
            found["columns"] = sorted(
                row
                for row in _rows(
                    conn, "select table_id, id, column_name, verbose_name, type, groupby from table_columns"
                )
                if row[0] in dataset_ids
            )
            found["metrics"] = sorted(
                row
                for row in _rows(
                    conn,
                    "select table_id, id, metric_name, verbose_name, expression, d3format from sql_metrics",
                )
                if row[0] in dataset_ids
            )
            found["dashboard_slices"] = sorted(
                row
                for row in _rows(conn, "select dashboard_id, slice_id from dashboard_slices")
                if row[0] in dashboard_ids
            )
    except sa.exc.SQLAlchemyError:
        return None
    finally:
        engine.dispose()
    return hashlib.sha256(json.dumps(found, sort_keys=True, default=str).encode()).hexdigest()


def _uuid_text(row: list[Any]) -> list[Any]:
    """Superset stores UUIDs as 16 raw bytes in SQLite and as uuid in PostgreSQL: compare them as text."""
    value = row[1]
    if isinstance(value, bytes | bytearray | memoryview):
        import uuid

        value = str(uuid.UUID(bytes=bytes(value)))
    return [row[0], str(value), *row[2:]]
