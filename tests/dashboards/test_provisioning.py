"""Provisioning is idempotent, and Superset reaches the warehouse only as a read-only analyst."""

from __future__ import annotations

import json
import socket

import psycopg
import pytest


def _snapshot(api) -> dict:
    """What a user could notice of the provisioned objects through the API (ids, names, queries, layout)."""
    dashboard = api.dashboard("region-overview")
    charts = sorted(api.dashboard_charts("region-overview"), key=lambda c: c["id"])
    datasets = []
    for dataset in sorted(api.get("/api/v1/dataset/", q={"page_size": 100})["result"], key=lambda d: d["id"]):
        full = api.get(f"/api/v1/dataset/{dataset['id']}")["result"]
        datasets.append(
            (
                full["id"],
                full["table_name"],
                sorted((c["id"], c["column_name"], c["verbose_name"]) for c in full["columns"]),
                sorted((m["id"], m["metric_name"], m["expression"]) for m in full["metrics"]),
            )
        )
    databases = [
        (d["id"], d["database_name"]) for d in api.get("/api/v1/database/", q={"page_size": 100})["result"]
    ]
    return {
        "dashboard": (
            dashboard["id"],
            dashboard["dashboard_title"],
            dashboard["position_json"],
            dashboard["json_metadata"],
        ),
        "charts": [(c["id"], c["slice_name"], json.dumps(c["form_data"], sort_keys=True)) for c in charts],
        "datasets": datasets,
        "databases": databases,
    }


def test_provisioning_twice_changes_nothing_even_when_the_import_runs_again(api):
    from dashboards import superset
    from dashboards.provision import provision

    before = _snapshot(api)
    again = provision()
    assert (again.changed, again.imported) == (False, False), "a second run with nothing new must not import"
    assert _snapshot(api) == before

    # Forget what the last run recorded: the import itself runs again and must leave everything as it was.
    superset.record_state(inputs=None)
    forced = provision()
    assert (forced.changed, forced.imported) == (False, True)
    assert _snapshot(api) == before
    print(
        f"\n[dashboards] second provisioning: {again.seconds:.1f} s; forced re-import: {forced.seconds:.1f} s"
    )


def test_superset_reads_the_warehouse_as_a_read_only_analyst(superset_server, warehouse):
    from dashboards.warehouse_login import login_name, login_password

    user = login_name()
    params = psycopg.conninfo.conninfo_to_dict(warehouse.url)
    params.update(user=user, password=login_password())
    with psycopg.connect(**params, autocommit=True) as conn:
        assert conn.execute("select count(*) from reports.rpt_region_pupils").fetchone()[0] > 0
        assert conn.execute("select count(*) from marts.dim_school").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from ops.submissions")
        with pytest.raises((psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)):
            conn.execute("create table reports.should_not_exist (x int)")
    with psycopg.connect(warehouse.url) as conn:
        roles = conn.execute(
            "select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = %s", (user,)
        ).fetchone()
        member_of = {
            row[0]
            for row in conn.execute(
                "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
                "join pg_roles u on u.oid = m.member where u.rolname = %s",
                (user,),
            )
        }
    assert roles == (False, False, False)
    assert member_of == {"kontingent_analyst"}


def test_a_taken_port_is_reported_in_one_sentence(dashboards_env, monkeypatch, tmp_path):
    from dashboards import superset

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        monkeypatch.setenv("SUPERSET_PORT", str(blocker.getsockname()[1]))
        monkeypatch.setenv("KONTINGENT_STATE_DIR", str(tmp_path / "other-state"))
        with pytest.raises(superset.SupersetError, match=r"^Порт \d+ уже занят другой программой: .*\.$"):
            superset.start(wait_seconds=5)


def test_export_writes_the_dashboard_back_under_the_same_files_without_the_instance_uri(api, tmp_path):
    import shutil

    from dashboards.export import PLACEHOLDER_URI, export_bundle
    from dashboards.provision import BUNDLE_DIR, bundle_uuids

    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLE_DIR, copy)
    before = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*.yaml"))
    written = export_bundle("region-overview", copy)
    assert len(written) == sum(len(v) for v in bundle_uuids(BUNDLE_DIR).values())
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*.yaml")) == before, (
        "new files appeared"
    )
    assert bundle_uuids(copy) == bundle_uuids(BUNDLE_DIR)
    text = "\n".join(p.read_text(encoding="utf-8") for p in copy.rglob("*.yaml"))
    assert PLACEHOLDER_URI in text
    from dashboards.warehouse_login import login_password

    assert login_password() not in text and "127.0.0.1" not in text and "host=" not in text
