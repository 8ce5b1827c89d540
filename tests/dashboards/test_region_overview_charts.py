"""Every chart of «Обзор региона» answers through /api/v1/chart/data, and its figures equal the warehouse's.

Expected figures are computed here straight from the marts (not from the rpt_ models the charts read), with the
rules of TEAM.md: a school year's pupils are its 20 September snapshot plus the anonymous headcounts.
"""

from __future__ import annotations

import copy
import re
from collections import Counter

import pytest

from tests.dashboards.conftest import bundle_charts, bundle_dashboard

PUPILS_BY_SCHOOL_YEAR_SQL = """
    with pupils as (
        select school_year, school_year_start, school_key, municipality_key, grade, 1::bigint as pupils
        from marts.fct_enrolment_snapshot
        where snapshot_date = make_date(school_year_start, 9, 20)
        union all
        select school_year, school_year_start, school_key, municipality_key, grade, pupils::bigint
        from marts.fct_anonymous_headcounts
    )
    select {columns}
    from pupils
    left join (select school_key, school_type, is_urban from marts.dim_school where is_current) s using (school_key)
    left join marts.dim_municipality m using (municipality_key)
    {where}
    {group_by}
"""
LEVEL = "case when grade <= 4 then 'начальное' when grade <= 9 then 'основное' else 'среднее' end"


def pupils_sql(columns: str, where: str = "", group_by: str = "") -> str:
    return PUPILS_BY_SCHOOL_YEAR_SQL.format(columns=columns, where=where, group_by=group_by)


def last_five_years(warehouse) -> list[int]:
    latest = warehouse.scalar(pupils_sql("max(school_year_start)"))
    return [year for year in range(latest - 4, latest + 1)]


def expected_rows(name: str, warehouse, school_year: str | None) -> list[tuple]:
    """The rows a chart must show, computed from the marts; ``school_year`` mimics the dashboard's filter."""
    year = f"where school_year = '{school_year}'" if school_year else ""
    five = f"where school_year_start >= {last_five_years(warehouse)[0]}"
    if name == "pupils_total":
        return warehouse.query(pupils_sql("sum(pupils)", year))
    if name == "schools_total":
        return warehouse.query(pupils_sql("count(distinct school_key)", year))
    if name == "first_graders_total":
        return warehouse.query(pupils_sql("coalesce(sum(pupils) filter (where grade = 1), 0)", year))
    if name == "pupils_by_level_trend":
        return warehouse.query(pupils_sql(f"school_year, {LEVEL}, sum(pupils)", five, "group by 1, 2"))
    if name == "pupils_by_municipality":
        return warehouse.query(pupils_sql(f"municipality_name, {LEVEL}, sum(pupils)", year, "group by 1, 2"))
    if name == "schools_by_type_and_settlement":
        settlement = "case when is_urban then 'город' else 'село' end"
        return warehouse.query(
            pupils_sql(f"school_type, {settlement}, count(distinct school_key)", year, "group by 1, 2")
        )
    if name == "first_graders_and_graduates":
        first = {
            row[0]: row[1]
            for row in warehouse.query(
                pupils_sql(
                    "school_year, coalesce(sum(pupils) filter (where grade = 1), 0)", five, "group by 1"
                )
            )
        }
        graduates = {
            (row[0], row[1]): row[2]
            for row in warehouse.query(
                "select school_year_start, grade, count(*) from marts.fct_enrolment_events "
                "where event_type = 'graduated' and grade in (9, 11) group by 1, 2"
            )
        }
        rows = []
        for start in last_five_years(warehouse):
            label = f"{start}/{(start + 1) % 100:02d}"
            if label in first:
                rows.append(
                    (label, first[label], graduates.get((start, 9), 0), graduates.get((start, 11), 0))
                )
        return rows
    if name == "municipalities_table":
        # The table sums per-year rows: a school counts once in every school year it has pupils.
        totals: dict[str, list[int]] = {m: [0, 0, 0] for m in _municipalities(warehouse)}
        for municipality, *figures in warehouse.query(
            pupils_sql(
                "municipality_name, count(distinct school_key), sum(pupils), "
                "coalesce(sum(pupils) filter (where grade = 1), 0)",
                year,
                "group by municipality_name, school_year",
            )
        ):
            totals[municipality] = [a + int(b) for a, b in zip(totals[municipality], figures, strict=True)]
        return [(municipality, *figures) for municipality, figures in totals.items()]
    raise AssertionError(f"no expectation written for chart {name}: add one")


def _municipalities(warehouse) -> list[str]:
    return [row[0] for row in warehouse.query("select municipality_name from marts.dim_municipality")]


def actual_rows(name: str, data: list[dict]) -> list[tuple]:
    """The same figures, read from the chart's response."""
    if name in ("pupils_total", "schools_total", "first_graders_total"):
        return [tuple(data[0].values())]
    if name == "pupils_by_level_trend":
        return [(r["school_year"], r["education_level"], r["pupils_total"]) for r in data]
    if name == "pupils_by_municipality":
        return [(r["municipality_name"], r["education_level"], r["pupils_total"]) for r in data]
    if name == "schools_by_type_and_settlement":
        return [(r["school_type"], r["settlement_type"], r["schools_count"]) for r in data]
    if name == "first_graders_and_graduates":
        return [
            (r["school_year"], r["first_graders_total"], r["graduates_9_total"], r["graduates_11_total"])
            for r in data
        ]
    if name == "municipalities_table":
        return [
            (r["municipality_name"], r["schools_total"], r["pupils_total"], r["first_graders_total"])
            for r in data
        ]
    raise AssertionError(f"no reader written for chart {name}")


def _normalise(rows: list[tuple]) -> Counter:
    return Counter(
        tuple(int(v) if isinstance(v, int | float) or hasattr(v, "as_tuple") else v for v in r) for r in rows
    )


def _chart_ids(api) -> dict[str, int]:
    by_title = {chart["slice_name"]: chart["id"] for chart in api.dashboard_charts("region-overview")}
    return {name: by_title[chart["slice_name"]] for name, chart in bundle_charts().items()}


def _year_filtered(api) -> set[str]:
    """Charts the «Учебный год» native filter applies to (its scope, as provisioned)."""
    import json

    metadata = json.loads(api.dashboard("region-overview")["json_metadata"])
    year_filter = next(f for f in metadata["native_filter_configuration"] if f["name"] == "Учебный год")
    in_scope = set(year_filter["chartsInScope"])
    return {name for name, chart_id in _chart_ids(api).items() if chart_id in in_scope}


def test_the_dashboard_has_every_chart_of_the_bundle(api):
    charts = api.dashboard_charts("region-overview")
    assert sorted(c["slice_name"] for c in charts) == sorted(
        c["slice_name"] for c in bundle_charts().values()
    )
    assert len(charts) >= 8


@pytest.mark.parametrize("name", sorted(bundle_charts()))
def test_chart_shows_the_warehouse_figures_for_all_years_and_for_the_latest_year(name, api, warehouse):
    chart_id = _chart_ids(api)[name]
    query_context = api.saved_query_context(chart_id)
    [result] = api.chart_data(query_context)
    assert not result.get("error"), result.get("error")
    assert result["rowcount"] > 0, f"chart {name} returned no rows"
    assert _normalise(actual_rows(name, result["data"])) == _normalise(expected_rows(name, warehouse, None))

    if name not in _year_filtered(api):
        return
    latest = warehouse.scalar(pupils_sql("max(school_year)"))
    filtered = copy.deepcopy(query_context)
    filtered["queries"][0]["filters"].append({"col": "school_year", "op": "IN", "val": [latest]})
    [result] = api.chart_data(filtered)
    assert not result.get("error"), result.get("error")
    assert _normalise(actual_rows(name, result["data"])) == _normalise(expected_rows(name, warehouse, latest))


def test_five_year_trends_ignore_the_school_year_filter_and_the_rest_obey_it(api):
    assert _year_filtered(api) == set(bundle_charts()) - {
        "pupils_by_level_trend",
        "first_graders_and_graduates",
    }


CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def test_every_title_label_and_filter_is_russian_and_numbers_use_russian_grouping(api):
    for chart in bundle_charts().values():
        assert CYRILLIC.search(chart["slice_name"]), chart["slice_name"]
        for key in ("x_axis_title", "y_axis_title", "subheader"):
            if chart["params"].get(key):
                assert CYRILLIC.search(chart["params"][key]), (chart["slice_name"], key)
    for dataset in api.get("/api/v1/dataset/", q={"page_size": 100})["result"]:
        full = api.get(f"/api/v1/dataset/{dataset['id']}")["result"]
        for metric in full["metrics"]:
            assert CYRILLIC.search(metric["verbose_name"] or ""), metric["metric_name"]
            assert metric["d3format"] == ",d", metric["metric_name"]
        for column in full["columns"]:
            assert CYRILLIC.search(column["verbose_name"] or ""), column["column_name"]
    dashboard = bundle_dashboard()
    assert CYRILLIC.search(dashboard["dashboard_title"])
    for native_filter in dashboard["metadata"]["native_filter_configuration"]:
        assert CYRILLIC.search(native_filter["name"])
