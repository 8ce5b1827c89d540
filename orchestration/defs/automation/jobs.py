"""The jobs: the nightly increment and the demo (the same graph plus generating the synthetic region)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

from orchestration.defs.region.assets import LANDING_KEY
from orchestration.defs.warehouse.assets import SCHOOL_YEAR_TAG

# dagster-dbt turns each dbt tag into an asset tag with an empty value.
YEARLY = AssetSelection.tag(SCHOOL_YEAR_TAG, "")
GENERATION = AssetSelection.assets(LANDING_KEY)
# Everything from ingestion to the dashboards (the yearly family runs by partition in its own job).
PIPELINE = AssetSelection.all() - GENERATION - YEARLY

nightly_job = define_asset_job(
    "nightly_job",
    selection=PIPELINE,
    description="Ночной прирост: приём новых файлов всех источников → dbt (модели и тесты) → дашборды.",
    tags={"kontingent/job": "nightly"},
)

demo_job = define_asset_job(
    "demo_job",
    selection=PIPELINE | GENERATION,
    description="Демо: тот же граф, что ночью, плюс генерация синтетического региона в папку приёма.",
    tags={"kontingent/job": "demo"},
)

school_year_job = define_asset_job(
    "school_year_job",
    selection=YEARLY,
    description="Модели по учебным годам: запуск одного года (раздела) пересобирает только его.",
)
