"""The pipeline as Dagster runs it: every asset of the demo job materialises at tiny scale with its checks
passing, lineage is one graph from a landing file to the marts, and new files flow through the sensor."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import time

import pytest
from dagster import AssetKey, AssetSelection, DagsterEventType, RunRequest, build_sensor_context

from orchestration.defs.automation.jobs import GENERATION, PIPELINE
from orchestration.defs.ingestion.assets import source_of_key
from orchestration.defs.region.assets import LANDING_KEY
from tests.orchestration.conftest import AS_OF, SEED

pytestmark = pytest.mark.slow


def _materialised(result) -> set[AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
    }


def _failure_lines(result) -> str:
    lines = []
    for e in result.all_events:
        if e.event_type == DagsterEventType.STEP_FAILURE:
            error = e.event_specific_data.error
            lines.append(f"{e.step_key}: {error.message.strip()[:600] if error else ''}")
    return "\n".join(lines)


def test_the_lineage_is_one_graph_from_the_landing_folder_to_the_dashboards(orchestrated):
    graph = orchestrated.defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    ingestion = {k for k in keys if source_of_key(k)}
    assert ingestion, "no ingestion assets: is pipelines/contract/sources/ there?"
    marts = {k for k in keys if k.path[0] == "marts"}
    if not marts:
        pytest.skip("the dbt project has no marts yet")
    # Every raw table dbt reads is the ingestion asset that writes it (not a detached external asset).
    raw_read_by_dbt = {
        p
        for k in keys
        if k.path[0] in ("staging", "intermediate", "marts")
        for p in graph.get(k).parent_keys
        if p.path[0] == "raw"
    }
    assert raw_read_by_dbt and raw_read_by_dbt <= ingestion, sorted(raw_read_by_dbt - ingestion)
    for mart in marts:
        upstream = AssetSelection.assets(mart).upstream().resolve(graph)
        reads_sources = any(k.path[0] in ("raw", "ops") for k in upstream)
        # Calendar dimensions (dates, school years, grades) are built from project variables alone.
        assert LANDING_KEY in upstream or not reads_sources, (
            f"{mart.to_user_string()} is detached from landing"
        )
        if mart.path[1].startswith("fct_"):
            assert LANDING_KEY in upstream, f"{mart.to_user_string()} is not connected to the landing folder"
    if AssetKey(["dashboards", "superset"]) in keys:
        assert marts <= set(graph.get(AssetKey(["dashboards", "superset"])).parent_keys)


def test_the_demo_job_materialises_every_asset_at_tiny_scale_and_all_checks_pass(orchestrated, demo_run):
    result = demo_run.result
    assert result.success, _failure_lines(result)
    graph = orchestrated.defs.resolve_asset_graph()
    expected = (PIPELINE | GENERATION).resolve(graph)
    missing = expected - _materialised(result)
    assert not missing, f"not materialised: {sorted(k.to_user_string() for k in missing)}"

    from orchestration.run import check_evaluations

    checks = check_evaluations(result)
    failed = [
        f"{c.asset_key.to_user_string()}:{c.check_name} ({c.severity.value})" for c in checks if not c.passed
    ]
    declared = (PIPELINE | GENERATION).resolve_checks(graph)
    evaluated = {c.asset_check_key for c in checks}
    print(f"asset checks: {len(checks)} evaluated of {len(declared)} declared, {len(failed)} failed")
    assert not failed, failed
    assert declared <= evaluated, sorted(str(c) for c in declared - evaluated)
    # The run is in the persistent instance, so the UI shows it.
    assert orchestrated.instance.get_run_by_id(result.run_id) is not None
    if orchestrated.table_exists("marts.fct_enrolment_snapshot"):
        assert orchestrated.query("select count(*) from marts.fct_enrolment_snapshot")[0][0] > 0


def _mart_counts(orchestrated) -> dict[str, int]:
    tables = orchestrated.query(
        "select table_schema || '.' || table_name from information_schema.tables where table_schema = 'marts'"
    )
    return {t: orchestrated.query(f"select count(*) from {t}")[0][0] for (t,) in tables}


def test_a_new_file_in_the_landing_folder_reaches_the_marts_through_the_sensor(
    orchestrated, demo_run, tmp_path
):
    from orchestration import run
    from orchestration.defs.automation.sensors import landing_sensor
    from pipelines import settings
    from pipelines.synth import generate

    assert demo_run.result.success, "the demo run must have succeeded first"
    landing = settings.landing_dir()
    context = build_sensor_context(instance=orchestrated.instance, definitions=orchestrated.defs)
    assert not isinstance(landing_sensor(context), RunRequest), "nothing is pending after a full run"

    # A month later the same region has sent more: copy only the files that did not exist before.
    later = tmp_path / "later"
    generate(scale="tiny", seed=SEED, as_of=AS_OF + dt.timedelta(days=62), out=later)
    new_files = [
        f
        for f in (later / "landing").rglob("*")
        if f.is_file() and not (landing / f.relative_to(later / "landing")).exists()
    ]
    assert new_files, "the generator produced no new submissions for the later date"
    for f in new_files:
        target = landing / f.relative_to(later / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    before = _mart_counts(orchestrated)

    request = landing_sensor(
        build_sensor_context(instance=orchestrated.instance, definitions=orchestrated.defs)
    )
    assert isinstance(request, RunRequest), request
    selected = set(request.asset_selection)
    sources = {f.relative_to(later / "landing").parts[0] for f in new_files}
    assert {source_of_key(k) for k in selected if source_of_key(k)} <= sources
    assert LANDING_KEY not in selected
    assert any(k.path[0] == "marts" for k in selected), "the run must rebuild what depends on the new files"

    started = time.monotonic()
    # The blocking Great Expectations gate checks the new rows of every raw table the run loads.
    gated = {c.asset_key for c in request.asset_check_keys if c.name == "great_expectations"}
    assert {k for k in selected if k.path[0] == "raw"} <= gated
    result = run.execute_job(
        "nightly_job",
        asset_selection=list(selected),
        asset_check_selection=list(request.asset_check_keys),
        tags=request.tags,
        progress=False,
    )
    print(
        f"\nsensor run ({len(new_files)} new files, {len(selected)} assets): {time.monotonic() - started:.1f} s"
    )
    assert result.success, _failure_lines(result)
    relative = [str(f.relative_to(later / "landing")) for f in new_files]
    loaded = orchestrated.query(
        "select count(*) from ops.submissions where file_path = any(%s) and status in ('loaded', 'superseded')",
        (relative,),
    )[0][0]
    assert loaded > 0, "none of the new files was loaded"
    after = _mart_counts(orchestrated)
    assert after != before, "the marts did not change after the new submissions"
    # The same files are not requested twice.
    again = landing_sensor(
        build_sensor_context(instance=orchestrated.instance, definitions=orchestrated.defs)
    )
    assert not isinstance(again, RunRequest)


def test_serving_the_ui_on_a_busy_port_says_so_in_one_sentence(orchestrated):
    from orchestration.run import OrchestrationError, serve_ui

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(OrchestrationError, match=f"Порт {port}.*занят"):
            serve_ui(port=port)


LOCATION_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
    locationOrLoadError { __typename
      ... on PythonError { message }
      ... on RepositoryLocation { repositories { name jobs { name } sensors { name } schedules { name } } } } } } } }
"""


def test_the_dagster_ui_serves_the_code_location_with_its_jobs_sensor_and_schedule(
    orchestrated, tmp_path, monkeypatch
):
    import json
    import urllib.request

    from orchestration.run import LOCATION_NAME, serve_ui

    # The daemon starts the landing sensor: give it an empty landing folder so it launches nothing here.
    monkeypatch.setenv("KONTINGENT_LANDING_DIR", str(tmp_path / "empty-landing"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    procs = serve_ui(port=port)
    try:
        deadline = time.monotonic() + 180
        entry = None
        while time.monotonic() < deadline:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=json.dumps({"query": LOCATION_QUERY}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                workspace = json.load(response)["data"]["workspaceOrError"]
            entry = next(e for e in workspace["locationEntries"] if e["name"] == LOCATION_NAME)
            if entry["loadStatus"] == "LOADED" and entry["locationOrLoadError"]:
                break
            time.sleep(2)
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location.get("message")
        repository = location["repositories"][0]
        assert {"demo_job", "nightly_job"} <= {j["name"] for j in repository["jobs"]}
        assert {s["name"] for s in repository["sensors"]} == {"landing_sensor"}
        assert "nightly_schedule" in {s["name"] for s in repository["schedules"]}
        assert len(procs) == 3 and all(p.poll() is None for p in procs), "a Dagster service stopped"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
