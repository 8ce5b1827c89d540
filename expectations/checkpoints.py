"""Run one dataset's suite through a checkpoint (updating Data Docs) and return a plain result.

The orchestration turns a ``GateResult`` into a Dagster asset check; the CLI prints it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field


@dataclass
class GateResult:
    dataset: str
    success: bool
    evaluated: int
    failures: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.success:
            return f"{self.dataset}: все {self.evaluated} проверок пройдены"
        return f"{self.dataset}: не пройдено {len(self.failures)} из {self.evaluated}: " + "; ".join(
            self.failures
        )


@functools.lru_cache(maxsize=1)
def _contract_sources() -> dict:
    """The exchange contract, parsed once per process (parsing it costs seconds; every raw suite needs it)."""
    from pipelines.contract.model import load_sources

    return load_sources()


def _suite_for(schema: str, table: str):
    from expectations.suites import marts, raw_gate

    if schema == "raw":
        for source in _contract_sources().values():
            for entity in source.entities:
                if source.table(entity) == table:
                    return raw_gate.build_suite(source, entity)
        raise KeyError(f"raw.{table} is not a table of the exchange contract")
    return marts.SUITES[(schema, table)]()


def submission_rows_query(schema: str, table: str, submission_ids: list[int]) -> str:
    """SQL for the rows of ``submission_ids`` in ``schema.table`` (the range lets the BRIN index on
    ``_submission_id`` find them); GE's query assets take the text, so it is composed here, quoted by psycopg."""
    from psycopg import sql

    ids = sorted({int(i) for i in submission_ids})
    return (
        sql.SQL("select * from {} where _submission_id between {} and {} and _submission_id = any({})")
        .format(sql.Identifier(schema, table), sql.Literal(ids[0]), sql.Literal(ids[-1]), sql.Literal(ids))
        .as_string()
    )


def _submissions_asset(datasource, name: str, schema: str, table: str, submission_ids: list[int]):
    """A query asset over just the rows of ``submission_ids``."""
    query = submission_rows_query(schema, table, submission_ids)
    try:
        datasource.delete_asset(name)  # the query differs every run
    except LookupError:
        pass
    return datasource.add_query_asset(name, query=query)


def _definition(context, schema: str, table: str, submission_ids: list[int] | None):
    import great_expectations as gx

    from expectations.context import DATASOURCE

    name = f"{schema}.{table}"
    datasource = context.data_sources.get(DATASOURCE)
    if submission_ids is not None:
        name = f"{name}@new"
        asset = _submissions_asset(datasource, name, schema, table, submission_ids)
    else:
        try:
            asset = datasource.get_asset(name)
        except LookupError:
            asset = datasource.add_table_asset(name, table_name=table, schema_name=schema)
    batch = next((b for b in asset.batch_definitions if b.name == "whole_table"), None)
    batch = batch or asset.add_batch_definition_whole_table("whole_table")
    suite = context.suites.add_or_update(_suite_for(schema, table))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )


def _result(name: str, validation) -> GateResult:
    failures, evaluated = [], 0
    for result in validation.results:
        evaluated += 1
        if not result.success:
            config = result.expectation_config
            column = config.kwargs.get("column") or ", ".join(config.kwargs.get("column_list") or [])
            count = (result.result or {}).get("unexpected_count")
            failures.append(f"{config.type}({column}) — {count if count is not None else '?'} нарушений")
    return GateResult(dataset=name, success=validation.success, evaluated=evaluated, failures=failures)


def validate_many(
    checkpoint_name: str, targets: list[tuple[str, str, list[int] | None]], context=None
) -> list[GateResult]:
    """Validate several ``(schema, table, submission_ids)`` through one checkpoint, then update Data Docs once.

    ``submission_ids`` None validates the whole table; a list validates only those submissions' rows (what one
    ingestion run loaded: the pipeline's gate on raw); an empty list has nothing to validate and passes."""
    import great_expectations as gx

    from expectations.context import get_context

    results: dict[str, GateResult] = {}
    definitions = []
    for schema, table, ids in targets:
        if ids is not None and not ids:
            results[f"{schema}.{table}"] = GateResult(f"{schema}.{table} (новых загрузок нет)", True, 0)
    pending = [(s, t, ids) for s, t, ids in targets if f"{s}.{t}" not in results]
    if pending:
        context = context or get_context()
        definitions = [_definition(context, s, t, ids) for s, t, ids in pending]
        # One stored checkpoint per set of tables: a stored checkpoint naming a table's `@new` asset that this run
        # did not recreate cannot even be read back by add_or_update.
        tables = hashlib.sha1("|".join(sorted(d.name for d in definitions)).encode()).hexdigest()[:10]
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(name=f"{checkpoint_name}.{tables}", validation_definitions=definitions, actions=[])
        )
        run = checkpoint.run()
        # Data Docs once for the whole checkpoint: GE's UpdateDataDocsAction rebuilds the site (compiling every
        # template again) after each validation, which was most of the gate's time.
        pages = [i for v in run.run_results for i in (v, v.expectation_suite_identifier)]
        context.build_data_docs(resource_identifiers=pages)
        by_suite = {v.suite_name: v for v in run.run_results.values()}
        for (schema, table, _), definition in zip(pending, definitions, strict=True):
            results[f"{schema}.{table}"] = _result(definition.name, by_suite[definition.suite.name])
    return [results[f"{s}.{t}"] for s, t, _ in targets]


def validate(schema: str, table: str, context=None, submission_ids: list[int] | None = None) -> GateResult:
    """Validate ``schema.table`` against its suite: the whole table, or only the rows of ``submission_ids``."""
    return validate_many(f"{schema}.{table}", [(schema, table, submission_ids)], context=context)[0]
