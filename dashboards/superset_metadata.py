"""Work on Superset's metadata database, run by ``.venv-superset/bin/python -m dashboards.superset_metadata``.

This module runs inside Superset's own environment (never imported by the main one): each ``superset`` CLI
command costs a full app start, so one process does everything and prints one JSON line as its result.

    bootstrap          db upgrade + init + the demo admin (name/password from KONTINGENT_SUPERSET_ADMIN*)
    provision BUNDLE   bootstrap, then import the unzipped bundle with overwrite, the warehouse URI and
                       password from KONTINGENT_SUPERSET_WAREHOUSE_URI / _PASSWORD (``dashboards.provision``
                       decides beforehand whether anything needs doing at all)

Also lets anonymous visitors fetch the Russian language pack so that the login page is Russian too:
Superset guards ``/superset/language_pack/<lang>/`` with a permission only logged-in users have by default.
"""

from __future__ import annotations

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


def scope_native_filters(dashboard_uuids: list[str]) -> None:
    """Fill each native filter's ``chartsInScope`` from its ``scope.excluded``.

    The importer remaps chart ids inside ``scope.excluded`` but not ``chartsInScope``, and the front end applies
    a filter without ``chartsInScope`` to every chart: the five-year trends would collapse to the chosen year.
    """
    from superset.extensions import db
    from superset.models.dashboard import Dashboard

    for dashboard in db.session.query(Dashboard).filter(Dashboard.uuid.in_(dashboard_uuids)):
        metadata = json.loads(dashboard.json_metadata or "{}")
        chart_ids = sorted(s.id for s in dashboard.slices)
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [cid for cid in chart_ids if cid not in excluded]
        dashboard.json_metadata = json.dumps(metadata, ensure_ascii=False, sort_keys=True)
    db.session.commit()


def provision(app, bundle_dir: Path) -> dict[str, Any]:
    from superset import security_manager
    from superset.utils.core import override_user

    # The main environment knows (from metadata_db) whether the last bootstrap still holds; skip it then.
    admin_action = "skipped" if os.environ.get("KONTINGENT_SUPERSET_BOOTSTRAPPED") == "1" else bootstrap(app)
    uri = os.environ["KONTINGENT_SUPERSET_WAREHOUSE_URI"]
    password = os.environ.get("KONTINGENT_SUPERSET_WAREHOUSE_PASSWORD", "")
    contents = read_bundle(bundle_dir, uri)
    passwords = {key: password for key in contents if key.startswith(DATABASE_FILE_PREFIX)}
    admin = security_manager.find_user(username=os.environ["KONTINGENT_SUPERSET_ADMIN"])
    with override_user(admin):
        # Each importer overwrites only its own kind (a dashboard import keeps existing charts, datasets and
        # connections as they are), so import kind by kind, parents first.
        for command, kinds in _importers():
            subset = {key: text for key, text in contents.items() if key.split("/", 1)[0] in kinds}
            subset["metadata.yaml"] = _metadata_of_type(
                contents["metadata.yaml"], command.dao.model_cls.__name__
            )
            command(subset, passwords=passwords, overwrite=True).run()
    scope_native_filters(json.loads(os.environ["KONTINGENT_SUPERSET_BUNDLE_DASHBOARDS"]))
    return {"admin": admin_action, "imported": True}


def _importers() -> list[tuple[Any, tuple[str, ...]]]:
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand

    return [
        (ImportDatabasesCommand, ("databases",)),
        (ImportDatasetsCommand, ("databases", "datasets")),
        (ImportChartsCommand, ("databases", "datasets", "charts")),
        (ImportDashboardsCommand, ("databases", "datasets", "charts", "dashboards")),
    ]


def _metadata_of_type(text: str, model: str) -> str:
    import yaml

    metadata = yaml.safe_load(text)
    metadata["type"] = model
    return yaml.safe_dump(metadata)


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
