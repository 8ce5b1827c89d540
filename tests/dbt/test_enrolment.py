"""Enrolment snapshots equal the generator's truth; overlaps are exposed."""

from __future__ import annotations

import datetime as dt

from tests.conftest import DEMO_AS_OF, DEMO_SCALE, DEMO_SEED
from tests.dbt.enrolment_truth import ANONYMOUS_EXPLANATIONS, EXPLANATIONS, compare_20_september


def test_20_september_counts_equal_ground_truth_per_school_grade_and_year(built_region):
    """Pupils with consent pupil by pupil, pupils without consent through the anonymous headcounts: every cell
    equals the truth except where the sources cannot show it, and each such pupil (or headcount) is explained."""
    comparison = compare_20_september(
        built_region, built_region.ground_truth, DEMO_SCALE, DEMO_SEED, dt.date.fromisoformat(DEMO_AS_OF)
    )
    classes = comparison.by_class()
    print(
        f"\n[enrolment, {DEMO_SCALE}] 20 September, all pupils (consent + anonymous headcounts): "
        f"truth {comparison.truth_total}, warehouse {comparison.warehouse_total}; "
        f"{comparison.cells_equal} of {comparison.cells} school×grade×year cells equal; "
        f"anonymous headcount cells off: {comparison.anonymous_cells_off}"
    )
    print(f"[enrolment, {DEMO_SCALE}] pupil-level differences by class: {dict(classes) or 'none'}")
    for kind, text in EXPLANATIONS.items():
        print(f"  {kind} ({classes.get(kind, 0)}): {text}")
    for side, cell, person, kind in comparison.differences:
        print(f"  {side} {cell} {person}: {kind}")
    print(f"[enrolment, {DEMO_SCALE}] anonymous headcount pupils explained by class:")
    for kind, text in ANONYMOUS_EXPLANATIONS.items():
        print(f"  {kind} ({comparison.anonymous_by_class.get(kind, 0)}): {text}")
    for cell, truth, ours in comparison.anonymous_cells_unexplained:
        print(f"  anonymous {cell}: truth {truth}, warehouse {ours}: unexplained")
    assert comparison.anonymous_cells_unexplained == []
    assert classes.get("unexplained", 0) == 0, [d for d in comparison.differences if d[3] == "unexplained"]
    # every cell that differs is accounted for by the explained pupils in it
    off_cells = {cell for _, cell, _, _ in comparison.differences} | comparison.anonymous_off_cells
    assert comparison.cells - comparison.cells_equal <= len(off_cells)
    assert abs(comparison.warehouse_total - comparison.truth_total) <= len(comparison.differences) + sum(
        comparison.anonymous_by_class.values()
    )


def test_pupil_enrolled_in_two_schools_at_once_is_exposed(built_region):
    overlaps = built_region.query("select count(*) from marts.fct_enrolment_overlaps")[0][0]
    print(f"\n[enrolment, tiny] overlapping enrolments exposed: {overlaps}")
    assert overlaps > 0


def test_every_snapshot_pupil_has_a_spell_and_a_known_school(built_region):
    orphans = built_region.query(
        """
        select count(*) from marts.fct_enrolment_snapshot as s
        left join marts.dim_school as d on d.school_key = s.school_key and d.is_current
        where d.school_key is null or s.municipality_key is null
        """
    )[0][0]
    assert orphans == 0
