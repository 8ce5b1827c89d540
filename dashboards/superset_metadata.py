"""Work on Superset's metadata database, run by ``.venv-superset/bin/python -m dashboards.superset_metadata``.

This module runs inside Superset's own environment (never imported by the main one): each ``superset`` CLI
command costs a full app start, so one process does everything and prints one JSON line as its result.

    bootstrap          db upgrade + init + the demo admin (name/password from KONTINGENT_SUPERSET_ADMIN*)
    provision BUNDLE   bootstrap, then import the unzipped bundle with overwrite, the warehouse URI and
                       password from KONTINGENT_SUPERSET_WAREHOUSE_URI / _PASSWORD; skipped when nothing changed

Also lets anonymous visitors fetch the Russian language pack so that the login page is Russian too:
Superset guards ``/superset/language_pack/<lang>/`` with a permission only logged-in users have by default.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

DATABASE_FILE_PREFIX = "databases/"


def bootstrap(app) -> str:
    from flask_migrate import upgrade
    from superset import appbuilder, security_manager
    from superset.extensions import db

    migrations = Path(sys.modules["superset"].__file__).parent / "migrations"
    upgrade(directory=str(migrations))
    appbuilder.add_permissions(update_perms=True)
    security_manager.sync_role_definitions()

    public_name = app.config.get("AUTH_ROLE_PUBLIC", "Public")
    public = security_manager.find_role(public_name) or security_manager.add_role(public_name)
    language_pack = security_manager.find_permission_view_menu("can_language_pack", "Superset")
    if language_pack is not None and language_pack not in public.permissions:
        security_manager.add_permission_role(public, language_pack)

    username = os.environ["KONTINGENT_SUPERSET_ADMIN"]
    password = os.environ["KONTINGENT_SUPERSET_ADMIN_PASSWORD"]
    admin_role = security_manager.find_role("Admin")
    user = security_manager.find_user(username=username)
    action = "unchanged"
    if user is None:
        security_manager.add_user(
            username, "Администратор", "демо", f"{username}@kontingent.local", admin_role, password=password
        )
        action = "created"
    else:
        from werkzeug.security import check_password_hash

        if not check_password_hash(user.password, password):
            security_manager.reset_password(user.id, password)
            action = "password_reset"
        if admin_role not in user.roles:
            user.roles.append(admin_role)
            security_manager.update_user(user)
            action = "role_added"
    db.session.commit()
    return action


def read_bundle(bundle_dir: Path, warehouse_uri: str) -> dict[str, str]:
    """The bundle's YAML files keyed by path inside the bundle, with the warehouse URI filled in."""
    import yaml

    contents: dict[str, str] = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        key = path.relative_to(bundle_dir).as_posix()
        text = path.read_text(encoding="utf-8")
        if key.startswith(DATABASE_FILE_PREFIX):
            config = yaml.safe_load(text)
            config["sqlalchemy_uri"] = warehouse_uri
            text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        contents[key] = text
    return contents


def bundle_uuids(contents: dict[str, str]) -> dict[str, list[str]]:
    import yaml

    kinds: dict[str, list[str]] = {"databases": [], "datasets": [], "charts": [], "dashboards": []}
    for key, text in contents.items():
        kind = key.split("/", 1)[0]
        if kind in kinds:
            kinds[kind].append(str(yaml.safe_load(text)["uuid"]))
    return kinds


def fingerprint(uuids: dict[str, list[str]]) -> dict[str, Any]:
    """What a user could notice of the provisioned objects: ids, names, queries, layout (not timestamps)."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db
    from superset.models.core import Database
    from superset.models.dashboard import Dashboard
    from superset.models.slice import Slice

    def by_uuid(model, kind):
        rows = db.session.query(model).filter(model.uuid.in_(uuids[kind])).all()
        return sorted(rows, key=lambda row: str(row.uuid))

    return {
        "databases": [
            [d.id, str(d.uuid), d.database_name, d.sqlalchemy_uri, d.extra, d.allow_dml, d.expose_in_sqllab]
            for d in by_uuid(Database, "databases")
        ],
        "datasets": [
            [
                t.id,
                str(t.uuid),
                t.table_name,
                t.schema,
                t.database_id,
                t.description,
                sorted([c.id, c.column_name, c.verbose_name, c.type, c.groupby] for c in t.columns),
                sorted([m.id, m.metric_name, m.verbose_name, m.expression, m.d3format] for m in t.metrics),
            ]
            for t in by_uuid(SqlaTable, "datasets")
        ],
        "charts": [
            [s.id, str(s.uuid), s.slice_name, s.viz_type, s.datasource_id, s.params, s.query_context]
            for s in by_uuid(Slice, "charts")
        ],
        "dashboards": [
            [
                d.id,
                str(d.uuid),
                d.dashboard_title,
                d.slug,
                d.published,
                d.position_json,
                d.json_metadata,
                sorted(s.id for s in d.slices),
            ]
            for d in by_uuid(Dashboard, "dashboards")
        ],
    }


def scope_native_filters(uuids: dict[str, list[str]]) -> None:
    """Fill each native filter's ``chartsInScope`` from its ``scope.excluded``.

    The importer remaps chart ids inside ``scope.excluded`` but not ``chartsInScope``, and the front end applies
    a filter without ``chartsInScope`` to every chart: the five-year trends would collapse to the chosen year.
    """
    from superset.extensions import db
    from superset.models.dashboard import Dashboard

    for dashboard in db.session.query(Dashboard).filter(Dashboard.uuid.in_(uuids["dashboards"])):
        metadata = json.loads(dashboard.json_metadata or "{}")
        chart_ids = sorted(s.id for s in dashboard.slices)
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [cid for cid in chart_ids if cid not in excluded]
        dashboard.json_metadata = json.dumps(metadata, ensure_ascii=False, sort_keys=True)
    db.session.commit()


def provision(app, bundle_dir: Path) -> dict[str, Any]:
    from superset import security_manager
    from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
    from superset.utils.core import override_user

    admin_action = bootstrap(app)
    uri = os.environ["KONTINGENT_SUPERSET_WAREHOUSE_URI"]
    password = os.environ.get("KONTINGENT_SUPERSET_WAREHOUSE_PASSWORD", "")
    contents = read_bundle(bundle_dir, uri)
    uuids = bundle_uuids(contents)
    passwords = {key: password for key in contents if key.startswith(DATABASE_FILE_PREFIX)}

    state_file = Path(os.environ["KONTINGENT_SUPERSET_PROVISION_STATE"])
    bundle_hash = hashlib.sha256(
        json.dumps([contents, hashlib.sha256(password.encode()).hexdigest()], sort_keys=True).encode()
    ).hexdigest()
    before = fingerprint(uuids)
    before_hash = hashlib.sha256(json.dumps(before, sort_keys=True, default=str).encode()).hexdigest()
    previous = json.loads(state_file.read_text()) if state_file.exists() else {}
    if previous.get("bundle") == bundle_hash and previous.get("objects") == before_hash:
        return {"admin": admin_action, "changed": False, "imported": False, "counts": _counts(before)}

    admin = security_manager.find_user(username=os.environ["KONTINGENT_SUPERSET_ADMIN"])
    with override_user(admin):
        ImportDashboardsCommand(contents, passwords=passwords, overwrite=True).run()
    scope_native_filters(uuids)

    after = fingerprint(uuids)
    after_hash = hashlib.sha256(json.dumps(after, sort_keys=True, default=str).encode()).hexdigest()
    state_file.write_text(json.dumps({"bundle": bundle_hash, "objects": after_hash}))
    return {
        "admin": admin_action,
        "changed": after_hash != before_hash,
        "imported": True,
        "counts": _counts(after),
        "dashboards": [row[0] for row in after["dashboards"]],
    }


def _counts(print_: dict[str, Any]) -> dict[str, int]:
    return {kind: len(rows) for kind, rows in print_.items()}


def main(argv: list[str]) -> int:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        if argv[:1] == ["bootstrap"]:
            result: dict[str, Any] = {"admin": bootstrap(app)}
        elif argv[:1] == ["provision"] and len(argv) == 2:
            result = provision(app, Path(argv[1]))
        else:
            print(
                "usage: python -m dashboards.superset_metadata bootstrap | provision BUNDLE_DIR",
                file=sys.stderr,
            )
            return 2
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
