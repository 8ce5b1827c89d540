"""The synthetic Republic of Buryatia: generated into the landing folder for the demo (never in production)."""

from dagster import Definitions

from orchestration.defs.region.assets import LANDING_KEY, synthetic_region

defs = Definitions(assets=[synthetic_region])

__all__ = ["LANDING_KEY", "defs", "synthetic_region"]
