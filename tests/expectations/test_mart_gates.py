"""The Great Expectations gates catch what they are meant to catch, on a real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from expectations.checkpoints import validate


@pytest.fixture()
def warehouse(isolated_env, make_database, monkeypatch):
    url = make_database()
    monkeypatch.setenv("KONTINGENT_DATABASE_URL", url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.dim_school (school_key text, valid_from date, school_type text, inn text, "
            "municipality_key text)"
        )
        conn.execute(
            "insert into marts.dim_school values "
            "('a', '2021-09-01', 'СОШ', '0323456789', 'm1'), ('b', '2021-09-01', 'Лицей', '0312345678', 'm1')"
        )
    return url


def test_a_clean_school_dimension_passes(warehouse):
    result = validate("marts", "dim_school")
    assert result.success, result.describe()
    assert result.evaluated >= 5


def test_a_broken_school_dimension_fails_and_names_the_column(warehouse):
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("insert into marts.dim_school values ('a', '2021-09-01', 'Школа', '12345', null)")
    result = validate("marts", "dim_school")
    assert not result.success
    text = result.describe()
    for column in ("school_type", "inn", "municipality_key", "school_key"):
        assert column in text, text
