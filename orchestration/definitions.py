"""The one Dagster code location: per-domain definitions under ``orchestration/defs/`` merged here.

Domains join the graph as their rooms land: without a dbt project the graph ends at ingestion; without
``dashboards.provision`` there is no provisioning step; without ``expectations`` no Great Expectations checks. Load with ``dagster … -m orchestration.definitions``.
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs import automation, dashboards, ingestion, quality, region, warehouse


def build_definitions() -> Definitions:
    warehouse_defs = warehouse.build_defs()
    dbt_keys = [key for a in warehouse_defs.assets or [] for key in a.keys]
    # The facts partitioned by school year (None while no dbt model is tagged `school_year`).
    yearly_partitions = next(
        (a.partitions_def for a in warehouse_defs.assets or [] if a.partitions_def), None
    )
    ingestion_defs = ingestion.build_defs()
    ingestion_keys = [key for a in ingestion_defs.assets or [] for key in a.keys]
    quality_defs = quality.build_defs(ingestion_keys + dbt_keys)
    return Definitions.merge(
        region.defs,
        ingestion_defs,
        warehouse_defs,
        quality_defs,
        dashboards.build_defs(dbt_keys),
        automation.build_defs(yearly_partitions),
    )


defs = build_definitions()
