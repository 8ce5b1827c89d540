"""Facts partitioned by school year: a backfill of one school year rebuilds just that year's rows, through Dagster,
with the dbt tests on them passing; and the Great Expectations gate on raw blocks dbt when new rows break the
contract. Runs after test_pipeline.py (the session's demo and its sensor run)."""

from __future__ import annotations

import pytest
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterEventType

from orchestration.defs.automation.jobs import YEARLY
from orchestration.defs.warehouse.assets import school_year_key

pytestmark = pytest.mark.slow

# Each yearly fact's row identity (its surrogate key, derived from the source file and row).
ROW_KEYS = {"fct_exam_results": "exam_result_key", "fct_health_checkups": "checkup_key"}


def _rows(orchestrated, table: str) -> dict[int, dict[str, int]]:
    """school year → {row key: xmin} (xmin changes when a row is written again)."""
    years: dict[int, dict[str, int]] = {}
    for year, key, xmin in orchestrated.query(
        f"select school_year_start, {ROW_KEYS[table]}, xmin::text::bigint from marts.{table}"
    ):
        years.setdefault(year, {})[key] = xmin
    return years


def test_a_backfill_of_one_school_year_rebuilds_just_that_year(orchestrated, demo_run):
    assert demo_run.result.success, "the demo run must have succeeded first"
    graph = orchestrated.defs.resolve_asset_graph()
    yearly = YEARLY.resolve(graph)
    assert {AssetKey(["marts", t]) for t in ROW_KEYS} <= yearly, sorted(k.to_user_string() for k in yearly)
    job = orchestrated.defs.resolve_job_def("school_year_job")
    partitions = job.partitions_def.get_partition_keys()
    # The demo built every school year of the yearly facts, in its one run.
    demo_partitions = {
        e.event_specific_data.materialization.partition
        for e in demo_run.result.all_events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
        and e.event_specific_data.materialization.asset_key in yearly
    }
    assert demo_partitions == set(partitions)

    before = {t: _rows(orchestrated, t) for t in ROW_KEYS}
    shared = set.intersection(*(set(rows) for rows in before.values()))
    assert len(shared) >= 2, f"need two school years with rows in every yearly fact, have {sorted(shared)}"
    # A year in the middle: neither open-ended edge partition (they also take years outside the range).
    inner = [y for y in sorted(shared) if school_year_key(y) in partitions[1:-1]]
    chosen = max(inner or sorted(shared), key=lambda y: len(before["fct_exam_results"][y]))
    # One row of the chosen year goes missing: rebuilding the year must bring it back.
    for table, key in ROW_KEYS.items():
        orchestrated.query(
            f"delete from marts.{table} where {key} = %s returning {key}", (min(before[table][chosen]),)
        )

    result = job.execute_in_process(
        partition_key=school_year_key(chosen), instance=orchestrated.instance, raise_on_error=False
    )
    assert result.success
    materialised = {
        (e.event_specific_data.materialization.asset_key, e.event_specific_data.materialization.partition)
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
    }
    assert materialised == {(k, school_year_key(chosen)) for k in yearly}

    from orchestration.run import check_evaluations

    checks = check_evaluations(result)
    assert checks, "the dbt tests on the yearly facts ran as asset checks"
    assert all(c.passed for c in checks), [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks]

    for table in ROW_KEYS:
        after = _rows(orchestrated, table)
        assert set(after) == set(before[table]), f"{table}: school years changed"
        old_xmins = {x for rows in before[table].values() for x in rows.values()}
        # The chosen year: every row written again, none missing.
        assert set(after[chosen]) == set(before[table][chosen]), table
        assert not old_xmins & set(after[chosen].values()), f"{table}: rows of {chosen} were not rebuilt"
        # Every other year: the very same row versions.
        for year in set(before[table]) - {chosen}:
            assert after[year] == before[table][year], f"{table}: year {year} was touched"


def _materialised(result) -> set[AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_MATERIALIZATION
    }


def test_new_raw_rows_that_break_the_contract_block_dbt_until_they_are_fixed(orchestrated, demo_run):
    """The Great Expectations gate on raw is a blocking check on the rows of the submissions just loaded: when it
    fails, the dbt models reading that table do not run, and a later run with no new files still checks them."""
    from orchestration.defs.ingestion.assets import NEW_SUBMISSIONS_METADATA
    from orchestration.defs.quality import CHECK_NAME
    from orchestration.run import check_evaluations
    from pipelines.contract import load_sources
    from pipelines.ingest.ledger import loaded_submissions

    graph = orchestrated.defs.resolve_asset_graph()

    def latest_loaded(key: AssetKey) -> list[int]:
        event = orchestrated.instance.get_latest_materialization_event(key)
        value = event.asset_materialization.metadata.get(NEW_SUBMISSIONS_METADATA) if event else None
        return loaded_submissions(value.value) if value is not None else []

    # A raw table whose last load brought rows, and a code field of its contract to break (a loader bug: a code
    # the contract does not know lands in raw).
    table, column, loaded = next(
        (source.table(entity), field.name, latest_loaded(AssetKey(["raw", source.table(entity)])))
        for source in load_sources().values()
        for entity, spec in source.entities.items()
        for field in spec.fields
        if field.type == "code"
        and field.codes
        and not field.pii
        and latest_loaded(AssetKey(["raw", source.table(entity)]))
    )
    key = AssetKey(["raw", table])
    gate = AssetCheckKey(key, CHECK_NAME)
    assert graph.get_check_spec(gate).blocking
    row = orchestrated.query(
        f"select _submission_id, _source_row, {column}::text from raw.{table} where _submission_id = %s limit 1",
        (loaded[-1],),
    )[0]
    staging = {
        k for k in AssetSelection.assets(key).downstream(depth=1).resolve(graph) if k.path[0] == "staging"
    }
    assert staging
    ingest = graph.get(key).assets_def  # the source's ingestion asset: all its raw tables and their checks
    nightly = orchestrated.defs.resolve_job_def("nightly_job")

    def run(assets: set[AssetKey], checks: set = frozenset()):
        job = nightly.get_subset(asset_selection=assets, asset_check_selection={gate, *checks})
        result = job.execute_in_process(instance=orchestrated.instance, raise_on_error=False)
        return result, {c.asset_check_key: c for c in check_evaluations(result)}[gate]

    def set_value(value) -> None:
        orchestrated.query(
            f"update raw.{table} set {column} = %s where _submission_id = %s and _source_row = %s returning 1",
            (value, row[0], row[1]),
        )

    set_value("не из контракта")
    try:
        result, evaluation = run(staging)
        assert not result.success and not evaluation.passed
        assert not _materialised(result) & staging, "dbt ran on rows the gate rejected"
        # The next run loads nothing new for this source: the failed submission is checked again, still blocking.
        result, evaluation = run(set(ingest.keys) | staging, set(ingest.check_keys))
        assert not result.success and not evaluation.passed
        assert key in _materialised(result) and not _materialised(result) & staging
    finally:
        set_value(row[2])
    # Fixed: the gate passes and dbt runs.
    result, evaluation = run(staging)
    assert result.success and evaluation.passed
    assert staging <= _materialised(result)
