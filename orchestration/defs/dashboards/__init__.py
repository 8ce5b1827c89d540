"""Superset provisioning: the last step of the graph, after every mart and report it reads."""

import dataclasses
import importlib.util

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Backoff,
    Definitions,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

DASHBOARDS_KEY = AssetKey(["dashboards", "superset"])
READ_SCHEMAS = ("marts", "reports")


def provisioning_available() -> bool:
    try:
        return importlib.util.find_spec("dashboards.provision") is not None
    except ModuleNotFoundError:
        return False


def build_defs(upstream_keys: list[AssetKey]) -> Definitions:
    """The provisioning asset, depending on every mart/report asset; empty until ``dashboards.provision`` lands."""
    if not provisioning_available():
        return Definitions()
    deps = [k for k in upstream_keys if k.path[0] in READ_SCHEMAS]

    @asset(
        key=DASHBOARDS_KEY,
        group_name="dashboards",
        deps=deps,
        kinds={"superset"},
        retry_policy=RetryPolicy(max_retries=2, delay=20, backoff=Backoff.EXPONENTIAL),
        description="Дашборды Superset: подключение к витринам и импорт пакета из dashboards/ (идемпотентно).",
    )
    def superset_dashboards(context: AssetExecutionContext) -> MaterializeResult:
        from dashboards.provision import provision

        context.log.info("Публикую дашборды в Superset")
        result = provision()
        if dataclasses.is_dataclass(result):
            result = dataclasses.asdict(result)
        metadata: dict = {}
        if isinstance(result, dict):
            metadata = {
                str(k): (v if isinstance(v, int | float | str | bool) else MetadataValue.json(v))
                for k, v in result.items()
                if v is not None and (isinstance(v, int | float | str | bool | list | dict))
            }
        elif result is not None:
            metadata["result"] = str(result)
        return MaterializeResult(metadata=metadata)

    return Definitions(assets=[superset_dashboards])
