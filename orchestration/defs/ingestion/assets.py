"""One Dagster asset per source: it loads every new file of that source from the landing folder.

Each raw table (``raw.<source>__<entity>``) is its own asset key ``["raw", "<source>__<entity>"]``; the dbt
translator maps dbt sources onto exactly these keys, so lineage runs from the landing folder to the marts.
The ledger's rejections show up per raw table as asset checks and metadata.
"""

import datetime as dt
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
                "(всего = принято + отклонено), у отклонённых указана причина.",
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
        from orchestration.defs.ingestion.ledger import database_now, entity_ledger
        from pipelines.ingest import ingest_landing

        since = database_now() - dt.timedelta(seconds=1)
        landing = settings.landing_dir()
        context.log.info(f"Приём источника {source.source} из {landing}")
        summary = ingest_landing(landing, sources=[source.source])
        context.log.info(f"Итог приёма {source.source}: {summary}")
        threshold = max_rejected_share()
        for entity, table in tables.items():
            key = raw_key(table)
            ledger = entity_ledger(source.source, entity, table, since)
            new = ledger.new_files
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "rows_in_raw": ledger.rows_in_raw,
                    "new_files_loaded": new.get("loaded", 0),
                    "new_files_rejected": new.get("rejected", 0),
                    "new_files_duplicate": new.get("duplicate", 0),
                    "new_files_superseded": new.get("superseded", 0),
                    "new_rows": ledger.new_rows_total,
                    "new_rows_rejected": ledger.new_rows_rejected,
                    "new_rows_warned": ledger.new_rows_warned,
                    "files_by_status": MetadataValue.json(ledger.files),
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
            reasons = "\n".join(f"| {f} | {r.replace('|', '/')} |" for f, r in ledger.rejected_reasons)
            yield AssetCheckResult(
                asset_key=key,
                check_name=REJECTIONS_CHECK,
                passed=ledger.new_rejected_share <= threshold,
                severity=AssetCheckSeverity.WARN,
                description=f"Отклонено {ledger.new_rows_rejected} из {ledger.new_rows_total} новых строк "
                f"({ledger.new_rejected_share:.1%}), порог {threshold:.0%}; "
                f"отклонено файлов: {new.get('rejected', 0)}.",
                metadata={
                    "rejected_share": round(ledger.new_rejected_share, 4),
                    "threshold": threshold,
                    "rejected_files": MetadataValue.md(
                        "| файл | причина |\n|---|---|\n" + reasons if reasons else "нет"
                    ),
                },
            )

    return _ingest


def build_ingestion_assets() -> list:
    return [build_source_asset(src) for src in contract_sources().values()]
