"""Olympiads (portfolio) and the leavers' monitoring: plausible rates, the planted signal, faults and ground truth."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.synth.conftest import clean_rows, landing_files, read_rows


@pytest.fixture(scope="module")
def entries(region) -> pd.DataFrame:
    return pd.read_csv(region / "ground_truth" / "olympiad_entries.csv", dtype={"school_code": str})


@pytest.fixture(scope="module")
def pupils_4_11(region) -> pd.DataFrame:
    py = pd.read_csv(
        region / "ground_truth" / "pupil_years.csv", usecols=["person_id", "school_year", "grade"]
    )
    persons = pd.read_csv(
        region / "ground_truth" / "persons.csv", usecols=["person_id", "consent"], low_memory=False
    )
    with_consent = set(persons.loc[persons["consent"].astype(str) == "True", "person_id"])
    py = py[py["grade"].between(4, 11) & py["person_id"].isin(with_consent)]
    return py.drop_duplicates(["person_id", "school_year"])


def test_most_pupils_sit_the_school_stage_few_reach_the_regional_and_winners_are_rare(entries, pupils_4_11):
    assert len(entries), "no olympiad workbook was sent"
    for year, e in entries.groupby("school_year"):
        n = (pupils_4_11["school_year"] == year).sum()
        share = {
            st: e.loc[e["stage"] == st, "person_id"].nunique() / n
            for st in ("school", "municipal", "regional")
        }
        assert 0.5 <= share["school"] <= 0.8, (year, share)
        assert 0.05 <= share["municipal"] <= 0.25, (year, share)
        assert share["regional"] <= 0.05, (year, share)
        assert e.loc[e["stage"] == "final", "person_id"].nunique() / n <= 0.01
        school = e[e["stage"] == "school"]
        assert 1.5 <= len(school) / school["person_id"].nunique() <= 2.5  # subjects per participant
        assert (school["result"] == "winner").mean() <= 0.15
        assert (school["result"] == "participant").mean() >= 0.65
        other = e[e["stage"] == "other"]
        assert 0.03 <= other["person_id"].nunique() / n <= 0.15


def test_olympiad_success_follows_talent_and_the_school_effect(region, entries):
    school = entries[entries["stage"] == "school"]
    assert school.loc[school["result"] != "participant", "talent"].mean() > school["talent"].mean() + 0.5
    further = entries.loc[entries["stage"].isin(["regional", "final"]), "talent"]
    assert further.mean() > 1.5
    effects = pd.read_csv(region / "ground_truth" / "school_effects.csv", dtype={"school_code": str})
    per_school = school.groupby("school_code")["person_id"].nunique().rename("participants")
    per_school = effects.set_index("school_code").join(per_school, how="inner")
    # awarded pupils come more often from schools with a positive marks effect
    awarded = school[school["result"] != "participant"].groupby("school_code").size()
    per_school["awarded_share"] = (
        awarded.reindex(per_school.index).fillna(0) / per_school["participants"]
    ).values
    assert per_school["effect_marks"].corr(per_school["awarded_share"]) > 0.2


def test_the_centre_sends_no_snils_and_names_carry_planted_spelling_variants(region, faults, links):
    files = landing_files(region, "olympiads", "results")
    assert files
    rows = read_rows(files[0], "olympiads", "results")
    assert rows and "snils" not in rows[0]
    rels = {str(p.relative_to(region / "landing")) for p in files}
    n_rows = links[links["file"].isin(rels)].shape[0]
    variants = faults[(faults["fault"] == "name_variant") & faults["file"].isin(rels)]
    assert 0.01 <= len(variants) / n_rows <= 0.06  # contract rate 0.03


def test_workbook_rows_match_the_ground_truth(region, faults, entries):
    rows = clean_rows(region, faults, "olympiads", "results")
    by_stage = rows["stage"].value_counts()
    assert by_stage.index[0] == "Школьный этап ВсОШ"
    # clean rows are the truth minus rows with planted faults (a few per cent), over the school years whose
    # workbook is clean (a year's one workbook may carry a file-level fault, such as a missing column)
    years = {rel.split("/")[2].replace("-", "/") for rel in rows["_file"]}
    assert len(years) >= entries["school_year"].nunique() - 1
    truth = entries[entries["school_year"].isin(years)]
    assert 0.85 * len(truth) <= len(rows) <= len(truth)


def test_destinations_shares_match_the_domain(region, faults):
    d = clean_rows(region, faults, "graduate_outcomes", "destinations")
    assert len(d)
    for grade, want in (
        # DOMAIN.md §4: after 9th ≈40% 10th grade / ≈55% college / ≈6% work; after 11th 55–65% university,
        # 20–30% college, 10–15% work, army or other
        ("9", {"Продолжает обучение в 10 классе": (0.3, 0.5), "СПО": (0.45, 0.65)}),
        ("11", {"ВО": (0.45, 0.7), "СПО": (0.15, 0.35)}),
    ):
        g = d[d["school_completed_grade"] == grade]["destination"].value_counts(normalize=True)
        for code, (lo, hi) in want.items():
            assert lo <= g.get(code, 0) <= hi, (grade, g.to_dict())
        rest = g.reindex(["Трудоустроен", "Служба в армии", "Не определено"]).fillna(0)
        assert rest.sum() <= 0.2, (grade, g.to_dict())
        assert 0.005 <= rest["Не определено"] <= 0.06, (grade, g.to_dict())
    # in/outside the republic only for colleges and universities
    cont = d["destination"].isin(["СПО", "ВО"])
    assert (d.loc[cont, "in_region"] != "").all()
    assert (d.loc[~cont, "in_region"] == "").all()


def test_each_reported_destination_is_the_true_outcome(region, faults, links):
    d = clean_rows(region, faults, "graduate_outcomes", "destinations")
    truth = pd.read_csv(region / "ground_truth" / "outcomes.csv")
    truth["report_year"] = (truth["year"] + 1).astype(str)
    d = d.merge(links[links["role"] == "student"], left_on=["_file", "_row"], right_on=["file", "row"])
    d["report_year"] = d["_file"].str.split("/").str[2]
    m = d.merge(truth, on=["person_id", "report_year"])
    assert len(m) == len(d)
    expected = m["outcome"].map(
        {
            "grade_10": "Продолжает обучение в 10 классе",
            "college_in": "СПО",
            "college_out": "СПО",
            "university_in": "ВО",
            "university_out": "ВО",
            "work": "Трудоустроен",
            "army": "Служба в армии",
            "unknown": "Не определено",
        }
    )
    assert (expected == m["destination"]).all()
