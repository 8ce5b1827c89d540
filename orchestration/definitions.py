"""The one Dagster code location: per-domain definitions under ``orchestration/defs/`` merged here.

Domains join the graph as their rooms land: without a dbt project the graph ends at ingestion; without
``dashboards.provision`` there is no provisioning step; without ``expectations`` no Great Expectations checks. Load with ``dagster … -m orchestration.definitions``.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs import automation, dashboards, ingestion, quality, region, warehouse
from orchestration.defs.warehouse.assets import SCHOOL_YEAR_TAG


def build_definitions() -> Definitions:
    warehouse_defs = warehouse.build_defs()
    dbt_keys = [key for a in warehouse_defs.assets or [] for key in a.keys]
    with_yearly = any(
        SCHOOL_YEAR_TAG in (a.tags_by_key.get(k) or {}) for a in warehouse_defs.assets or [] for k in a.keys
    )
    ingestion_defs = ingestion.build_defs()
    ingestion_keys = [key for a in ingestion_defs.assets or [] for key in a.keys]
    quality_defs = quality.build_defs(ingestion_keys + dbt_keys)
    with_raw_gate = any(
        getattr(c, "node_def", None) and c.node_def.name == "ge_raw_gate"
        for c in quality_defs.asset_checks or []
    )
    return Definitions.merge(
        region.defs,
        ingestion_defs,
        warehouse_defs,
        quality_defs,
        dashboards.build_defs(dbt_keys),
        automation.build_defs(with_yearly, with_raw_gate),
    )


defs = build_definitions()
