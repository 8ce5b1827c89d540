"""Great Expectations checkpoints as Dagster asset checks on the same keys: the gate on ``raw`` (derived from the
exchange contract) and the mart suites. One op per layer shares one GE context (building it costs seconds).
Empty until ``expectations.checkpoints`` exists."""

import importlib.util
import os

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Definitions,
    MetadataValue,
    multi_asset_check,
)

CHECK_NAME = "great_expectations"


def expectations_available() -> bool:
    try:
        return importlib.util.find_spec("expectations.checkpoints") is not None
    except ModuleNotFoundError:
        return False


def _suites_for_marts() -> set[tuple[str, str]]:
    from expectations.suites.marts import SUITES

    return set(SUITES)


def _build_layer_check(name: str, keys: list[AssetKey], description: str):
    @multi_asset_check(
        name=name,
        specs=[AssetCheckSpec(CHECK_NAME, asset=k, description=description) for k in keys],
        can_subset=True,
    )
    def _check(context):
        from expectations.checkpoints import validate
        from expectations.context import get_context

        os.environ["TQDM_DISABLE"] = "1"  # GE draws a progress bar per table; the run log is enough
        gx_context = get_context()
        for key in keys:
            check_key = next(iter(k for k in context.selected_asset_check_keys if k.asset_key == key), None)
            if check_key is None:
                continue
            result = validate(key.path[0], key.path[1], context=gx_context)
            context.log.info(result.describe())
            yield AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=result.success,
                severity=AssetCheckSeverity.ERROR,
                description=result.describe()[:1000],
                metadata={
                    "evaluated": result.evaluated,
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
                "ge_raw_gate", raw, "Great Expectations: загруженные строки соответствуют контракту обмена."
            )
        )
    if mart_keys:
        checks.append(
            _build_layer_check("ge_marts", mart_keys, "Great Expectations: набор ожиданий витрины выполнен.")
        )
    return Definitions(asset_checks=checks)
