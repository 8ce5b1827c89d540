"""dbt nodes → Dagster asset keys: ``[schema, table]`` for models, seeds and sources alike.

Because a dbt source's key is built from the relation it reads (``raw.school_vendor_a__students`` →
``["raw", "school_vendor_a__students"]``), it is exactly the key of the ingestion asset that writes that table,
however the dbt project names its sources: lineage is one graph from the landing folder to the marts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


class KontingentDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        schema = dbt_resource_props.get("schema") or "public"
        if dbt_resource_props.get("resource_type") == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
        else:
            table = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return AssetKey([schema, table])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("schema")
