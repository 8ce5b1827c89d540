"""The dbt warehouse: staging → intermediate → marts → reports, with dbt tests as asset checks."""

from dagster import Definitions

from orchestration import dbt_project as project
from orchestration.defs.warehouse.assets import build_dbt_assets


def build_defs() -> Definitions:
    assets = build_dbt_assets()
    return Definitions(assets=assets, resources={"dbt": project.dbt_resource()} if assets else {})
