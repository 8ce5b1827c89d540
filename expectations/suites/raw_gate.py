"""The gate on raw tables, derived from the exchange contract so that it can never drift from it.

Ingestion already validates row by row; this suite re-checks what actually landed (codes decoded to the contract's
canonical values, numbers and dates within bounds, required fields present, every row tied to a submission), so a
bug in a loader cannot slip bad data into the warehouse unnoticed.
"""

from __future__ import annotations

import datetime as dt

from pipelines.contract.model import Entity, Source


def suite_name(source: Source, entity: str) -> str:
    return f"raw.{source.table(entity)}"


def _bound(value, field_type: str):
    if value is None:
        return None
    if field_type == "date":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    return value


def build_suite(source: Source, entity: str):
    import great_expectations as gx
    import great_expectations.expectations as gxe

    spec: Entity = source.entities[entity]
    suite = gx.ExpectationSuite(name=suite_name(source, entity))
    for column in ("_submission_id", "_source_file", "_source_row"):
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=column))
    for field in spec.fields:
        if field.pii:  # personal fields never reach raw; only their tokens do
            continue
        if field.type == "code" and field.codes:
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeInSet(
                    column=field.name, value_set=sorted(set(field.codes.values()))
                )
            )
        if field.type in ("int", "decimal", "date") and (field.min is not None or field.max is not None):
            suite.add_expectation(
                gxe.ExpectColumnValuesToBeBetween(
                    column=field.name,
                    min_value=_bound(field.min, field.type),
                    max_value=_bound(field.max, field.type),
                )
            )
    return suite
