"""Search every text column outside ``vault`` for identifiers that senders put in their files."""

from __future__ import annotations

import re

import psycopg

_SPLIT = re.compile(r"[\s,;:()«»\"'|]+")


def scan(url: str, needles: set[str], schemas: tuple[str, ...] = ("raw", "ops")) -> list[str]:
    """Return ``schema.table.column: value`` for every value that is, or contains as a word, a needle."""
    needles = {n.lower() for n in needles if n}
    hits: list[str] = []
    with psycopg.connect(url) as conn:
        cols = conn.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where table_schema = any(%s) and data_type in ('text', 'character varying', 'jsonb')""",
            (list(schemas),),
        ).fetchall()
        for schema, table, column in cols:
            for (value,) in conn.execute(f'select distinct "{column}"::text from "{schema}"."{table}"'):
                if value is None:
                    continue
                low = value.lower()
                if low in needles or any(w in needles for w in _SPLIT.split(low)):
                    hits.append(f"{schema}.{table}.{column}: {value[:80]}")
    return hits
