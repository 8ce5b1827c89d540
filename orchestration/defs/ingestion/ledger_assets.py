"""The ledger tables ingestion writes beside the raw tables, as assets downstream of every source.

dbt staging reads ``ops.submissions`` (only 'loaded' submissions count) and ``ops.anonymous_headcounts``; making
them assets keeps that dependency visible in the one lineage graph.
"""

from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

SUBMISSIONS_KEY = AssetKey(["ops", "submissions"])
HEADCOUNTS_KEY = AssetKey(["ops", "anonymous_headcounts"])
GROUP = "ops"


def build_ledger_asset(raw_keys: list[AssetKey]):
    @multi_asset(
        name="submission_ledger",
        specs=[
            AssetSpec(
                SUBMISSIONS_KEY,
                group_name=GROUP,
                deps=raw_keys,
                kinds={"postgres"},
                description="Журнал приёма: каждый файл, его статус (загружен, отклонён, дубликат, заменён), "
                "число принятых и отклонённых строк и причина.",
            ),
            AssetSpec(
                HEADCOUNTS_KEY,
                group_name=GROUP,
                deps=raw_keys,
                kinds={"postgres"},
                description="Обезличенные численности учеников без согласия на обработку данных.",
            ),
        ],
    )
    def submission_ledger(context):
        from pipelines.ingest.ledger import count_rows, ledger_summary

        summary = ledger_summary()
        totals: dict[str, int] = {}
        for statuses in summary.values():
            for status, n in statuses.items():
                totals[status] = totals.get(status, 0) + n
        table = "\n".join(
            f"| {src} | "
            + " | ".join(str(st.get(s, 0)) for s in ("loaded", "rejected", "duplicate", "superseded"))
            + " |"
            for src, st in summary.items()
        )
        yield MaterializeResult(
            asset_key=SUBMISSIONS_KEY,
            metadata={
                "files_total": sum(totals.values()),
                **{f"files_{status}": n for status, n in sorted(totals.items())},
                "by_source": MetadataValue.md(
                    "| источник | загружено | отклонено | дубликаты | заменено |\n|---|---|---|---|---|\n"
                    + table
                ),
            },
        )
        yield MaterializeResult(
            asset_key=HEADCOUNTS_KEY, metadata={"rows": count_rows("ops", "anonymous_headcounts") or 0}
        )

    return submission_ledger
