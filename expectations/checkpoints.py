"""Run one dataset's suite through a checkpoint (updating Data Docs) and return a plain result.

The orchestration turns a ``GateResult`` into a Dagster asset check; the CLI prints it.
"""

from __future__ import annotations

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


def _suite_for(schema: str, table: str):
    from expectations.suites import marts, raw_gate

    if schema == "raw":
        from pipelines.contract.model import load_sources

        for source in load_sources().values():
            for entity in source.entities:
                if source.table(entity) == table:
                    return raw_gate.build_suite(source, entity)
        raise KeyError(f"raw.{table} is not a table of the exchange contract")
    return marts.SUITES[(schema, table)]()


def validate(schema: str, table: str, context=None) -> GateResult:
    """Validate the whole table ``schema.table`` against its suite."""
    import great_expectations as gx

    from expectations.context import DATASOURCE, get_context

    context = context or get_context()
    name = f"{schema}.{table}"
    datasource = context.data_sources.get(DATASOURCE)
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_table_asset(name, table_name=table, schema_name=schema)
    batch = next((b for b in asset.batch_definitions if b.name == "whole_table"), None)
    batch = batch or asset.add_batch_definition_whole_table("whole_table")
    suite = context.suites.add_or_update(_suite_for(schema, table))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
        )
    )
    run = checkpoint.run()
    failures, evaluated = [], 0
    for validation in run.run_results.values():
        for result in validation.results:
            evaluated += 1
            if not result.success:
                config = result.expectation_config
                column = config.kwargs.get("column") or ", ".join(config.kwargs.get("column_list") or [])
                count = (result.result or {}).get("unexpected_count")
                failures.append(f"{config.type}({column}) — {count if count is not None else '?'} нарушений")
    return GateResult(dataset=name, success=run.success, evaluated=evaluated, failures=failures)
