"""Ingestion: one asset per contract source, and the submission ledger they write."""

from dagster import Definitions

from orchestration.defs.ingestion.assets import build_ingestion_assets
from orchestration.defs.ingestion.ledger_assets import build_ledger_asset


def build_defs() -> Definitions:
    sources = build_ingestion_assets()
    raw_keys = [spec.key for asset in sources for spec in asset.specs]
    return Definitions(assets=[*sources, build_ledger_asset(raw_keys)] if sources else [])
