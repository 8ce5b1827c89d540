"""dbt models, seeds and tests as Dagster assets and asset checks (one ``dbt build``).

Models tagged ``school_year`` (if any) form a second family partitioned by school year: dbt gets
``--vars '{school_year_start: N}'`` and rebuilds just that year, so a backfill of one partition rebuilds one year.
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


def school_year_partitions(manifest: dict) -> StaticPartitionsDefinition:
    variables = manifest.get("metadata", {}).get("project_vars") or {}
    # dbt_project.yml names the years its snapshot models cover; fall back to the generator's history.
    first = int(variables.get("first_school_year_start", 2021))
    last = int(variables.get("last_school_year_start", 2026))
    return StaticPartitionsDefinition([school_year_key(y) for y in range(first, last + 1)])


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

        @dbt_assets(
            name="dbt_warehouse_by_school_year",
            select=f"tag:{SCHOOL_YEAR_TAG}",
            partitions_def=school_year_partitions(manifest),
            backfill_policy=BackfillPolicy.single_run(),
            **common,
        )
        def dbt_warehouse_by_school_year(context: AssetExecutionContext, dbt: DbtCliResource):
            keys = context.partition_keys
            years = sorted(school_year_start(k) for k in keys)
            variables = {"school_year_from": years[0], "school_year_to": years[-1]}
            context.log.info(f"Пересобираю учебные годы {keys[0]}…{keys[-1]}")
            yield from run_dbt(context, dbt, ["build", "--vars", json.dumps(variables)])

        assets.append(dbt_warehouse_by_school_year)
    return assets
