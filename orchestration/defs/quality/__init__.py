"""Great Expectations checkpoints as Dagster asset checks on the same keys: the gate on ``raw`` (derived from the
exchange contract) and the mart suites. One op per layer shares one GE context (building it costs seconds).
Empty until ``expectations.checkpoints`` exists.

The raw gate is blocking: it validates only the submissions the ingestion step just loaded (named in the raw
table's materialisation metadata), and while it fails, nothing downstream (dbt, the dashboards) runs on them."""

import importlib.util
import os

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Definitions,
    MetadataValue,
    multi_asset_check,
)

CHECK_NAME = "great_expectations"
# The raw gate's result names the submissions it validated (a failed one's are validated again next run).
SUBMISSIONS_METADATA = "submission_ids"


def expectations_available() -> bool:
    try:
        return importlib.util.find_spec("expectations.checkpoints") is not None
    except ModuleNotFoundError:
        return False


def _suites_for_marts() -> set[tuple[str, str]]:
    from expectations.suites.marts import SUITES

    return set(SUITES)


def _new_submissions(context, key: AssetKey) -> list[int]:
    """Submissions the latest materialisation of a raw table loaded (this run's ingestion step, when it ran)."""
    from orchestration.defs.ingestion.assets import NEW_SUBMISSIONS_METADATA

    event = context.instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get(NEW_SUBMISSIONS_METADATA) if materialization else None
    return list(value.value or []) if value is not None else []


def _still_failing(context, key: AssetKey) -> list[int]:
    """Submissions whose rows failed the gate when it last ran in an earlier run: they are checked again (with the
    new ones) until they pass or are no longer in force, so a later run with no new files cannot let them through."""
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as Status

    history = context.instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(key, CHECK_NAME), limit=5
    )
    for record in history:
        if (
            record.run_id == context.op_execution_context.run_id
            or record.status == Status.PLANNED
            or record.event is None
        ):
            continue
        if record.status != Status.FAILED:
            return []
        value = record.event.dagster_event.event_specific_data.metadata.get(SUBMISSIONS_METADATA)
        return list(value.value or []) if value is not None else []
    return []


def _gate_submissions(context, key: AssetKey) -> list[int]:
    from pipelines.ingest.ledger import loaded_submissions

    return loaded_submissions(sorted(set(_new_submissions(context, key)) | set(_still_failing(context, key))))


def _build_layer_check(name: str, keys: list[AssetKey], description: str, new_submissions_only: bool = False):
    @multi_asset_check(
        name=name,
        specs=[
            AssetCheckSpec(CHECK_NAME, asset=k, description=description, blocking=new_submissions_only)
            for k in keys
        ],
        can_subset=True,
    )
    def _check(context):
        from expectations.checkpoints import validate_many

        os.environ["TQDM_DISABLE"] = "1"  # GE draws a progress bar per table; the run log is enough
        selected = {k.asset_key for k in context.selected_asset_check_keys}
        targets = [
            (key, _gate_submissions(context, key) if new_submissions_only else None)
            for key in keys
            if key in selected
        ]
        # One checkpoint for the layer: one GE context, Data Docs rebuilt once (not per table); with no new
        # submissions anywhere GE is not even started.
        results = validate_many(f"dagster_{name}", [(k.path[0], k.path[1], ids) for k, ids in targets])
        for (key, ids), result in zip(targets, results, strict=True):
            context.log.info(result.describe())
            yield AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=result.success,
                severity=AssetCheckSeverity.ERROR,
                description=result.describe()[:1000],
                metadata={
                    "evaluated": result.evaluated,
                    **({SUBMISSIONS_METADATA: MetadataValue.json(ids)} if ids is not None else {}),
                    "failures": MetadataValue.md("\n".join(f"- {f}" for f in result.failures) or "нет"),
                },
            )

    return _check


def build_defs(asset_keys: list[AssetKey]) -> Definitions:
    if not expectations_available():
        return Definitions()
    raw = sorted((k for k in asset_keys if k.path[0] == "raw" and "__" in k.path[-1]), key=str)
    marts = _suites_for_marts()
    mart_keys = sorted((k for k in asset_keys if tuple(k.path) in marts), key=str)
    checks = []
    if raw:
        checks.append(
            _build_layer_check(
                "ge_raw_gate",
                raw,
                "Great Expectations (блокирующая): строки только что загруженных файлов соответствуют контракту "
                "обмена; пока проверка не пройдена, dbt на них не запускается.",
                new_submissions_only=True,
            )
        )
    if mart_keys:
        checks.append(
            _build_layer_check("ge_marts", mart_keys, "Great Expectations: набор ожиданий витрины выполнен.")
        )
    return Definitions(asset_checks=checks)
