"""dbt models, seeds and tests as Dagster assets and asset checks (one ``dbt build``).

Models tagged ``school_year`` form a second family partitioned by school year (``2019-20`` …, from the project's
``first/last_school_year_start`` vars): a run for a range of partitions passes
``--vars '{school_year_from: N, school_year_to: M}'`` and dbt deletes and rebuilds just those years. A backfill runs
as one dbt invocation (single-run policy); the demo and nightly jobs run the whole range.
"""

import json
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Failure,
    MetadataValue,
    RetryRequested,
    StaticPartitionsDefinition,
)
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration import dbt_project as project
from orchestration.defs.warehouse.translator import KontingentDbtTranslator

SCHOOL_YEAR_TAG = "school_year"
TRANSIENT_MARKERS = (
    "could not connect",
    "connection refused",
    "server closed the connection",
    "connection to server",
    "deadlock detected",
    "could not obtain lock",
    "the database system is starting up",
    "the database system is shutting down",
    "terminating connection",
)


def school_year_key(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


def school_year_start(key: str) -> int:
    return int(key.split("-", 1)[0])


def school_year_partitions() -> StaticPartitionsDefinition:
    """One partition per school year that ``dbt_project.yml`` covers (vars ``first/last_school_year_start``; the
    manifest does not carry project vars)."""
    import yaml

    config = yaml.safe_load((project.PROJECT_DIR / "dbt_project.yml").read_text()) or {}
    variables = config.get("vars") or {}
    first = int(variables.get("first_school_year_start", 2019))
    last = int(variables.get("last_school_year_start", 2026))
    return StaticPartitionsDefinition([school_year_key(y) for y in range(first, last + 1)])


def school_year_vars(first_key: str, last_key: str, all_keys: list[str]) -> dict[str, int]:
    """dbt vars for a run of partitions ``first_key…last_key``: the first and the last partition are open-ended
    (no bound), so a fact dated before or after the partitions' years is still rebuilt; all of them, no vars."""
    variables = {}
    if first_key != all_keys[0]:
        variables["school_year_from"] = school_year_start(first_key)
    if last_key != all_keys[-1]:
        variables["school_year_to"] = school_year_start(last_key)
    return variables


def _failure_reason(invocation) -> tuple[str, bool]:
    """One line per failed dbt node (for the UI), and whether it looks transient (worth a retry)."""
    lines: list[str] = []
    try:
        results = invocation.get_artifact("run_results.json").get("results", [])
    except Exception:  # dbt died before writing run results
        results = []
    for r in results:
        if r.get("status") in ("error", "fail", "runtime error"):
            message = (r.get("message") or "").strip().replace("\n", " ")
            lines.append(f"{r.get('unique_id')}: {message[:300]}")
    error = invocation.get_error()
    if not lines and error is not None:
        lines.append(str(error)[:500])
    text = " ".join(lines).lower()
    return "\n".join(lines) or "dbt завершился с ошибкой без сообщения", any(
        m in text for m in TRANSIENT_MARKERS
    )


def run_dbt(context: AssetExecutionContext, dbt: DbtCliResource, args: list[str]):
    project.apply_dbt_env()
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        reason, transient = _failure_reason(invocation)
        if transient:
            context.log.warning(f"Временная ошибка базы при dbt, повторю: {reason}")
            raise RetryRequested(max_retries=2, seconds_to_wait=15)
        raise Failure(
            description=f"dbt {' '.join(args)} не выполнен: {reason.splitlines()[0][:300]}",
            metadata={"failed_nodes": MetadataValue.md("```\n" + reason + "\n```")},
        )


def build_dbt_assets() -> list:
    """The dbt asset definitions, or [] while there is no dbt project (the graph then ends at ingestion)."""
    manifest_path = project.ensure_manifest()
    if manifest_path is None:
        return []
    manifest = json.loads(Path(manifest_path).read_text())
    if not any(n.get("resource_type") in ("model", "seed") for n in manifest.get("nodes", {}).values()):
        return []
    translator = KontingentDbtTranslator()
    has_yearly = any(
        SCHOOL_YEAR_TAG in (node.get("tags") or [])
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    )
    common = dict(manifest=manifest, dagster_dbt_translator=translator, project=project.dbt_project())

    @dbt_assets(name="dbt_warehouse", exclude=f"tag:{SCHOOL_YEAR_TAG}" if has_yearly else None, **common)
    def dbt_warehouse(context: AssetExecutionContext, dbt: DbtCliResource):
        yield from run_dbt(context, dbt, ["build"])

    assets = [dbt_warehouse]
    if has_yearly:
        partitions = school_year_partitions()

        @dbt_assets(
            name="dbt_warehouse_by_school_year",
            select=f"tag:{SCHOOL_YEAR_TAG}",
            partitions_def=partitions,
            backfill_policy=BackfillPolicy.single_run(),
            **common,
        )
        def dbt_warehouse_by_school_year(context: AssetExecutionContext, dbt: DbtCliResource):
            keys = context.partition_key_range
            variables = school_year_vars(keys.start, keys.end, partitions.get_partition_keys())
            context.log.info(
                f"Пересобираю учебные годы {keys.start}…{keys.end}: dbt --vars {variables or '{}'}"
            )
            args = ["build", "--vars", json.dumps(variables)] if variables else ["build"]
            yield from run_dbt(context, dbt, args)

        assets.append(dbt_warehouse_by_school_year)
    return assets
