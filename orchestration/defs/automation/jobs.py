"""The jobs: the nightly increment and the demo (the same graph plus generating the synthetic region)."""

from __future__ import annotations

from dagster import AssetCheckKey, AssetSelection, define_asset_job

from orchestration.defs.ingestion.assets import contract_sources, raw_key
from orchestration.defs.quality import CHECK_NAME as GE_CHECK
from orchestration.defs.region.assets import LANDING_KEY
from orchestration.defs.warehouse.assets import SCHOOL_YEAR_TAG

# dagster-dbt turns each dbt tag into an asset tag with an empty value.
YEARLY = AssetSelection.tag(SCHOOL_YEAR_TAG, "")
GENERATION = AssetSelection.assets(LANDING_KEY)
# The Great Expectations gate on every raw table re-reads whole tables (minutes even at tiny scale): it runs in
# its own job after the nightly one instead of holding up the marts; the cheaper mart suites stay inline.
RAW_GATE = AssetSelection.checks(
    *(
        AssetCheckKey(raw_key(src.table(e)), GE_CHECK)
        for src in contract_sources().values()
        for e in src.entities
    )
)
# Everything from ingestion to the dashboards (the yearly family runs by partition in its own job).
PIPELINE = AssetSelection.all() - GENERATION - YEARLY - RAW_GATE

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

raw_quality_job = define_asset_job(
    "raw_quality_job",
    selection=RAW_GATE,
    description="Great Expectations: проверка всех сырых таблиц по контракту обмена (после ночного запуска).",
)
