"""The jobs: the nightly increment and the demo (the same graph plus generating the synthetic region)."""

from __future__ import annotations

from dagster import AssetSelection, JobDefinition, PartitionsDefinition, define_asset_job
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.defs.region.assets import LANDING_KEY
from orchestration.defs.warehouse.assets import SCHOOL_YEAR_TAG

# dagster-dbt turns each dbt tag into an asset tag with an empty value.
YEARLY = AssetSelection.tag(SCHOOL_YEAR_TAG, "")
GENERATION = AssetSelection.assets(LANDING_KEY)
# Everything from ingestion (with its blocking Great Expectations gate) to the dashboards, the facts partitioned by
# school year included: the nightly and demo runs rebuild all their years in one run (the whole partition range).
PIPELINE = AssetSelection.all() - GENERATION

nightly_job = define_asset_job(
    "nightly_job",
    selection=PIPELINE,
    description="Ночной прирост: приём новых файлов всех источников → проверка Great Expectations → dbt (модели "
    "и тесты, все учебные годы) → дашборды.",
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
    description="Факты по учебным годам: запуск (или перезапуск) одного года пересобирает только его строки.",
)


def whole_range_tags(partitions: PartitionsDefinition | None) -> dict[str, str]:
    """Run tags that cover every school year in one run (the yearly facts have a single-run backfill policy);
    {} while no model is partitioned."""
    if partitions is None:
        return {}
    keys = partitions.get_partition_keys()
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def job_range_tags(job: JobDefinition) -> dict[str, str]:
    return whole_range_tags(job.partitions_def)
