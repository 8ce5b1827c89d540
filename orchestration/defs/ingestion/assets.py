"""One Dagster asset per source: it loads every new file of that source from the landing folder.

Each raw table (``raw.<source>__<entity>``) is its own asset key ``["raw", "<source>__<entity>"]``; the dbt
translator maps dbt sources onto exactly these keys, so lineage runs from the landing folder to the marts.
The ledger's rejections show up per raw table as asset checks and metadata.
"""

import os

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from orchestration.defs.region.assets import LANDING_KEY
from pipelines import settings

# Transient failures (database restart, a lock timeout) are retried; a bad file never raises, it is rejected.
INGEST_RETRY = RetryPolicy(max_retries=2, delay=15, backoff=Backoff.EXPONENTIAL)
MAX_REJECTED_SHARE_ENV = "KONTINGENT_MAX_REJECTED_SHARE"
GROUP = "raw"
LEDGER_CHECK = "ledger_consistent"
REJECTIONS_CHECK = "rejections_within_threshold"
# Metadata of each raw table's materialisation: ids of the submissions this run loaded into it.
NEW_SUBMISSIONS_METADATA = "new_submission_ids"
STATUSES = ("loaded", "rejected", "duplicate", "superseded", "skipped")


class IngestionFailed(RuntimeError):
    """Ingestion stopped on an unexpected error (not a bad file): retried, then shown in the UI."""


def raw_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


def max_rejected_share() -> float:
    return float(os.environ.get(MAX_REJECTED_SHARE_ENV, "0.2"))


def contract_sources() -> dict:
    """Sources of the exchange contract ({} until the contract exists)."""
    try:
        from pipelines.contract import load_sources
    except ImportError:
        return {}
    try:
        return load_sources()
    except FileNotFoundError:
        return {}


def source_of_key(key: AssetKey) -> str | None:
    if len(key.path) == 2 and key.path[0] == "raw" and "__" in key.path[1]:
        return key.path[1].split("__", 1)[0]
    return None


def build_source_asset(source):
    """The ingestion asset of one contract source (``source`` is a ``pipelines.contract.Source``)."""
    tables = {entity: source.table(entity) for entity in source.entities}
    specs = [
        AssetSpec(
            raw_key(table),
            group_name=GROUP,
            deps=[LANDING_KEY],
            kinds={"postgres"},
            description=f"{source.title.ru}: {source.entities[entity].title.ru} "
            f"(raw.{table}, формат {source.format}, период {source.period}).",
            metadata={"source": source.source, "entity": entity, "table": f"raw.{table}"},
        )
        for entity, table in tables.items()
    ]
    check_specs = []
    for spec in specs:
        check_specs += [
            AssetCheckSpec(
                LEDGER_CHECK,
                asset=spec.key,
                description="Журнал приёма согласован: у загруженных файлов строки сходятся "
                "(всего = принято + отклонено; обезличенные строки входят в принятые), у отклонённых указана причина.",
            ),
            AssetCheckSpec(
                REJECTIONS_CHECK,
                asset=spec.key,
                description="Доля отклонённых строк в новых файлах не выше порога "
                f"({MAX_REJECTED_SHARE_ENV}); отклонённые файлы и причины — в метаданных.",
            ),
        ]

    @multi_asset(
        name=f"ingest_{source.source}",
        specs=specs,
        check_specs=check_specs,
        retry_policy=INGEST_RETRY,
        op_tags={"kontingent/source": source.source},
        description=f"Приём файлов источника «{source.title.ru}» из папки приёма.",
    )
    def _ingest(context: AssetExecutionContext):
        from pipelines.ingest import ingest_landing
        from pipelines.ingest.ledger import entity_ledger

        landing = settings.landing_dir()
        context.log.info(f"Приём источника {source.source} из {landing}")
        summary = ingest_landing(landing, sources=[source.source])
        if summary.failures:
            # Not a bad file (those are rejected and reported) but an unexpected error: fail, so the retry
            # policy tries again and the reason is shown in the UI.
            file, error = summary.failures[0]
            raise IngestionFailed(
                f"Приём {source.source} прерван на файле {file}: {error} "
                f"(всего непредвиденных ошибок: {len(summary.failures)})."
            )
        context.log.info(
            f"{source.source}: файлов {len(summary.files)}, загружено {summary.count('loaded')}, "
            f"отклонено {summary.count('rejected')}, строк принято {summary.rows_accepted}, "
            f"отклонено {summary.rows_rejected} за {summary.seconds:.1f} с"
        )
        threshold = max_rejected_share()
        for entity, table in tables.items():
            key = raw_key(table)
            files = [f for f in summary.files if f.entity == entity]
            new = {status: sum(1 for f in files if f.status == status) for status in STATUSES}
            rows_total = sum(f.rows_total for f in files if f.status in ("loaded", "rejected", "superseded"))
            # A file rejected whole loses every row it had.
            rows_rejected = sum(f.rows_total if f.status == "rejected" else f.rows_rejected for f in files)
            share = rows_rejected / rows_total if rows_total else 0.0
            rejected = [f for f in files if f.status == "rejected" or f.rows_rejected]
            ledger = entity_ledger(source.source, entity, table)
            # What this run put into raw: the Great Expectations gate validates exactly these submissions.
            loaded_now = sorted(
                f.submission_id
                for f in files
                if f.submission_id is not None and f.status in ("loaded", "superseded")
            )
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "rows_in_raw": ledger.rows_in_raw,
                    **{f"new_files_{status}": n for status, n in new.items()},
                    "new_rows": rows_total,
                    "new_rows_accepted": sum(f.rows_accepted for f in files),
                    "new_rows_rejected": rows_rejected,
                    "new_rows_warned": sum(f.rows_warned for f in files),
                    "new_rows_anonymous": sum(f.rows_anonymous for f in files),
                    "files_by_status_all_time": MetadataValue.json(ledger.files),
                    NEW_SUBMISSIONS_METADATA: MetadataValue.json(loaded_now),
                },
            )
            yield AssetCheckResult(
                asset_key=key,
                check_name=LEDGER_CHECK,
                passed=not ledger.unbalanced_files and not ledger.rejected_without_reason,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "unbalanced_files": MetadataValue.json(ledger.unbalanced_files),
                    "rejected_without_reason": MetadataValue.json(ledger.rejected_without_reason),
                },
            )
            lines = "\n".join(
                f"| {f.file} | {f.status} | {f.rows_rejected} | {f.rule or ''} | "
                f"{(f.reason or '').replace('|', '/')[:200]} |"
                for f in rejected[:50]
            )
            yield AssetCheckResult(
                asset_key=key,
                check_name=REJECTIONS_CHECK,
                passed=share <= threshold,
                severity=AssetCheckSeverity.WARN,
                description=f"Отклонено {rows_rejected} из {rows_total} новых строк ({share:.1%}), "
                f"порог {threshold:.0%}; отклонено файлов целиком: {new['rejected']}.",
                metadata={
                    "rejected_share": round(share, 4),
                    "threshold": threshold,
                    "files_with_rejections": MetadataValue.md(
                        "| файл | статус | отклонено строк | правило | причина |\n|---|---|---|---|---|\n"
                        + lines
                        if lines
                        else "нет"
                    ),
                },
            )

    return _ingest


def build_ingestion_assets() -> list:
    return [build_source_asset(src) for src in contract_sources().values()]
