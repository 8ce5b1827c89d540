"""New submissions flow through without anyone pressing a button: a sensor on the landing folder."""

import hashlib
import os
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from orchestration.defs.automation.jobs import GENERATION, job_range_tags, nightly_job
from orchestration.defs.ingestion.assets import source_of_key
from pipelines import settings

INTERVAL_ENV = "KONTINGENT_LANDING_SENSOR_SECONDS"


def _relative(path, landing: Path) -> str:
    p = Path(path)
    return str(p.relative_to(landing)) if p.is_absolute() else str(p)


def _fingerprint(landing: Path, rels: list[str]) -> str:
    digest = hashlib.sha256()
    for rel in rels:
        stat = (landing / rel).stat() if (landing / rel).exists() else None
        digest.update(f"{rel}\0{stat.st_size if stat else -1}\0{stat.st_mtime_ns if stat else -1}\n".encode())
    return digest.hexdigest()[:32]


@sensor(
    job=nightly_job,
    minimum_interval_seconds=int(os.environ.get(INTERVAL_ENV, "30")),
    default_status=DefaultSensorStatus.RUNNING,
    description="Следит за папкой приёма: новые файлы → приём их источников и всё, что от них зависит.",
)
def landing_sensor(context: SensorEvaluationContext):
    from pipelines.ingest import pending_files

    landing = settings.landing_dir()
    if not landing.exists():
        return SkipReason(f"Папки приёма {landing} нет.")
    rels = sorted(_relative(f, landing) for f in pending_files(landing))
    if not rels:
        return SkipReason("Новых файлов нет.")
    fingerprint = _fingerprint(landing, rels)
    if fingerprint == context.cursor:
        return SkipReason(f"Новые файлы ({len(rels)}) уже переданы в запуск; жду его.")

    asset_graph = context.repository_def.asset_graph
    sources = {rel.split("/", 1)[0] for rel in rels}
    ingest_keys = [k for k in asset_graph.materializable_asset_keys if source_of_key(k) in sources]
    unknown = sorted(sources - {source_of_key(k) for k in ingest_keys})
    if unknown:
        context.log.warning(f"Файлы неизвестных источников пропущены: {', '.join(unknown)}")
    if not ingest_keys:
        return SkipReason(f"Новые файлы только неизвестных источников: {', '.join(unknown)}.")
    selection = AssetSelection.assets(*ingest_keys).downstream() - GENERATION
    keys = sorted(selection.resolve(asset_graph), key=lambda k: k.to_user_string())
    # Name the checks too (the blocking Great Expectations gate on the new submissions among them).
    checks = sorted(selection.resolve_checks(asset_graph), key=str)
    context.update_cursor(fingerprint)
    return RunRequest(
        run_key=fingerprint,
        asset_selection=keys,
        asset_check_keys=checks,
        # The yearly facts downstream are rebuilt for every school year, in this one run.
        tags={
            **job_range_tags(context.repository_def.get_job(nightly_job.name)),
            "kontingent/trigger": "landing",
            "kontingent/new_files": str(len(rels)),
        },
    )
