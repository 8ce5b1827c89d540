"""The synthetic region at tiny and demo scale: every source present, rates within DOMAIN.md, valid identifiers, faults as configured,
same seed same bytes, and ground truth for every person row."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
from stdnum.ru import inn, ogrn

from pipelines.synth.contract import CONTRACT_DIR, source
from pipelines.synth.identifiers import snils_is_valid
from pipelines.synth.landing import default_rates
from tests.synth.conftest import AS_OF, FILE_FAULTS, TINY_WORKERS, clean_rows, landing_files, read_rows

ALL_SOURCES = sorted(p.stem for p in (CONTRACT_DIR / "sources").glob("*.yaml"))


def test_every_contract_source_and_entity_has_landing_files(region):
    for name in ALL_SOURCES:
        for entity in source(name).entities:
            assert landing_files(region, name, entity), f"no files for {name}.{entity}"
    for f in (
        "record_links.csv",
        "faults.csv",
        "persons.csv",
        "enrolment_snapshots.csv",
        "pupil_years.csv",
        "school_effects.csv",
        "manifest.json",
        "events.csv",
        "outcomes.csv",
        "effects.json",
    ):
        assert (region / "ground_truth" / f).exists(), f


def test_landing_paths_follow_the_convention(region):
    import re

    pat = re.compile(
        r"^[a-z_]+/[A-Za-z0-9_]+/(\d{4}-\d{2}|\d{4}-Q[1-4]|\d{4}-\d{2}|\d{4}|\d{4}-campaign)/[a-z_]+__\d{8}T\d{6}\.(csv|jsonl|xlsx)$"
    )
    for p in (region / "landing").rglob("*.*"):
        rel = str(p.relative_to(region / "landing"))
        assert pat.match(rel), rel
        assert p.stem.split("__")[1][:8] <= AS_OF.strftime("%Y%m%d"), f"{rel} sent after --as-of"


# pupils on 20 September per school year, school years and municipalities, per scale (issue: tiny about 2,000 in
# 1–2 municipalities over 3 years; demo about 15,000 in about 4 municipalities over the full history)
SCALE_SHAPE = {"tiny": ((1500, 2600), 3, 2), "demo": ((13000, 19000), 6, 4)}


def test_each_scale_has_its_pupils_years_and_municipalities(region):
    manifest = json.loads((region / "ground_truth" / "manifest.json").read_text())
    (lo, hi), years, municipalities = SCALE_SHAPE[manifest["scale"]]
    snap = pd.read_csv(region / "ground_truth" / "enrolment_snapshots.csv")
    per_year = snap.groupby("school_year")["pupils"].sum()
    assert len(per_year) == years
    assert per_year.between(lo, hi).all(), per_year.to_dict()
    assert manifest["counts"]["municipalities"] == municipalities
    consent_share = 1 - snap["pupils_with_consent"].sum() / snap["pupils"].sum()
    assert 0.01 <= consent_share <= 0.06


def test_marks_follow_the_domain_distribution(region, faults):
    a = clean_rows(region, faults, "school_vendor_a", "marks")
    cols = [c for c in a.columns if c.startswith("mark_")]
    v = pd.to_numeric(a[cols].stack().replace("", np.nan), errors="coerce").dropna()
    share = v.value_counts(normalize=True)
    assert 0.17 <= share[5] <= 0.28, share.to_dict()
    assert 0.37 <= share[4] <= 0.48, share.to_dict()
    assert 0.27 <= share[3] <= 0.40, share.to_dict()
    assert 0.005 <= share[2] <= 0.04, share.to_dict()


def test_absences_are_mostly_illness_peaking_in_winter(region, faults):
    ab = clean_rows(region, faults, "school_vendor_a", "absences")
    ab["lessons"] = pd.to_numeric(ab["lessons_missed"], errors="coerce")
    by_reason = ab.groupby("absence_reason")["lessons"].sum()
    share_ill = by_reason["Б"] / by_reason.sum()
    assert 0.6 <= share_ill <= 0.9, by_reason.to_dict()
    month = ab["absence_date"].str[3:5]
    per_month = month.value_counts()
    assert per_month.get("02", 0) > per_month.get("09", 0)
    py = pd.read_csv(region / "ground_truth" / "pupil_years.csv")
    assert 0.06 <= py["missed_share"].mean() <= 0.10
    assert 0.005 <= py["unexcused_share"].mean() <= 0.02


def test_health_and_pe_groups_within_domain_ranges(region):
    py = pd.read_csv(region / "ground_truth" / "pupil_years.csv")
    hg = py["health_group"].value_counts(normalize=True)
    assert 0.12 <= hg[1] <= 0.30 and 0.45 <= hg[2] <= 0.65 and 0.14 <= hg[3] <= 0.32, hg.to_dict()
    assert hg.get(5, 0) <= 0.035
    g1 = py[py["grade"] == 1]["health_group"].eq(1).mean()
    g11 = py[py["grade"] == 11]["health_group"].eq(1).mean()
    assert g1 > g11
    pe = py["pe_group"].value_counts(normalize=True)
    assert 0.52 <= pe["main"] <= 0.72 and 0.18 <= pe["preparatory"] <= 0.36, pe.to_dict()


def test_repetition_and_leaving_rates_are_plausible(region):
    ev = pd.read_csv(region / "ground_truth" / "events.csv")
    py = pd.read_csv(region / "ground_truth" / "pupil_years.csv")
    done = py[py["school_year"] != "2026/27"]
    rep = (ev["event_type"] == "repeated").sum() / len(done)
    assert 0.0005 <= rep <= 0.01, rep
    g9 = done[done["grade"] == 9]
    assert 0.02 <= g9["p_leave"].mean() <= 0.09
    assert done[done["grade"] < 9]["p_leave"].mean() < 0.01
    # the planted drivers really drive: pupils with much unexcused absence have a higher true probability
    hi = done["unexcused_share"] > done["unexcused_share"].quantile(0.9)
    assert done.loc[hi, "p_leave"].mean() > 2 * done.loc[~hi, "p_leave"].mean()


def test_every_uncorrupted_snils_inn_and_ogrn_is_valid(region, faults):
    bad = set(
        zip(faults["file"], faults["row"], strict=True)
    )  # any planted fault in the row (a duplicate copies it)
    # a duplicate file is a byte copy of another (of a Windows-1251 one too) and is skipped at ingestion
    bad_files = set(faults.loc[faults["fault"].isin(FILE_FAULTS | {"duplicate_file"}), "file"])
    checked = 0
    # every file at tiny scale; every fifth of each entity at demo (the same code wrote them all; a minute saved)
    step = 5 if json.loads((region / "ground_truth" / "manifest.json").read_text())["scale"] == "demo" else 1
    for name in ALL_SOURCES:
        src = source(name)
        for entity, ent in src.entities.items():
            snils_fields = [f.name for f in ent.fields if f.type == "snils"]
            if not snils_fields:
                continue
            for p in landing_files(region, name, entity)[::step]:
                rel = str(p.relative_to(region / "landing"))
                if rel in bad_files:
                    continue
                for i, row in enumerate(read_rows(p, name, entity), start=1):
                    for f in snils_fields:
                        v = row.get(f, "")
                        if v and (rel, str(i)) not in bad:
                            assert snils_is_valid(v), (rel, i, f, v)
                            checked += 1
    assert checked > 1000
    reg = pd.concat(
        [
            pd.DataFrame(read_rows(p, "school_register", "schools"))
            for p in landing_files(region, "school_register", "schools")
        ]
    )
    assert reg["inn"].map(inn.is_valid).all() and reg["inn"].str.startswith("03").all()
    assert reg["ogrn"].map(ogrn.is_valid).all()


def test_faults_appear_at_the_configured_rates(region, faults, links):
    rates = default_rates()
    counts = faults["fault"].value_counts()
    named = ~links["file"].str.contains("/marks__|/absences__", regex=True)
    person_rows = int(named.sum())  # rows that carry names and СНИЛС
    for fault in ("name_variant", "snils_missing"):
        observed = counts.get(fault, 0) / person_rows
        assert 0.4 * rates[fault] <= observed <= 1.3 * rates[fault], (fault, observed)
    manifest = json.loads((region / "ground_truth" / "manifest.json").read_text())
    rows = sum(manifest["counts"]["rows"].values())
    for fault in ("duplicate_row", "unknown_code", "missing_required"):
        observed = counts.get(fault, 0) / rows
        assert 0.3 * rates[fault] <= observed <= 2.0 * rates[fault], (fault, observed)
    for fault in ("resubmission", "duplicate_file", "late_submission", "missing_submission"):
        assert counts.get(fault, 0) > 0, fault
    # each listed fault names a known kind with the rule and action of faults.yaml
    import yaml

    spec = {f["fault"]: f for f in yaml.safe_load((CONTRACT_DIR / "faults.yaml").read_text())["faults"]}
    for fault, rule, action in faults[["fault", "rule", "action"]].drop_duplicates().itertuples(index=False):
        assert fault in spec and (spec[fault]["rule"] or "") == rule and spec[fault]["action"] == action


def test_ground_truth_links_every_person_row(region, links, faults):
    linked = links.groupby("file")["row"].agg(["max", "nunique"])
    missing_cols = set(faults.loc[faults["fault"] == "missing_columns", "file"])
    broken = set(faults.loc[faults["fault"].isin({"wrong_encoding", "encoding_detected"}), "file"])
    for name in ALL_SOURCES:
        src = source(name)
        for entity, ent in src.entities.items():
            if not ent.persons:
                continue
            for p in landing_files(region, name, entity):
                rel = str(p.relative_to(region / "landing"))
                if rel in broken or rel in missing_cols:
                    continue
                if src.format == "xlsx":
                    n = len(read_rows(p, name, entity))
                else:  # count lines: a truncated last row is still a (broken) person row
                    n = len(p.read_bytes().splitlines()) - (1 if src.format == "csv" else 0)
                if n == 0:  # an empty report (no registrations that quarter) is a valid file
                    continue
                assert rel in linked.index, rel
                assert linked.loc[rel, "max"] == n and linked.loc[rel, "nunique"] == n, (
                    rel,
                    n,
                    linked.loc[rel].to_dict(),
                )
    persons = pd.read_csv(region / "ground_truth" / "persons.csv", usecols=["person_id"])
    assert set(links["person_id"]) <= set(persons["person_id"])


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def _cli(*args: str):
    from typer.testing import CliRunner

    from kontingent.cli import app

    return CliRunner().invoke(app, list(args))


def test_same_seed_gives_the_same_bytes_through_the_command(tiny, tmp_path):
    out = tmp_path / "again"
    result = _cli(
        "generate", "--scale", "tiny", "--seed", "7", "--as-of", AS_OF.isoformat(), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "Готово" in result.output
    assert _tree_hash(out) == _tree_hash(tiny)


def test_one_or_two_worker_processes_give_the_same_bytes(tiny, tmp_path):
    from pipelines.synth import generate

    # the session's `tiny` is already the bytes of TINY_WORKERS processes, unless it was reused from elsewhere
    made_here = not os.environ.get("KONTINGENT_SYNTH_TINY_DIR")
    for workers in [w for w in (1, 2) if not (made_here and w == TINY_WORKERS)]:
        out = tmp_path / f"workers_{workers}"
        generate("tiny", 7, AS_OF, out, workers=workers)
        assert _tree_hash(out) == _tree_hash(tiny), f"{workers} worker(s) changed the bytes"


def test_bad_arguments_give_one_russian_sentence(tmp_path):
    result = _cli("generate", "--scale", "huge", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "Неизвестный масштаб" in result.output and "Traceback" not in result.output
    result = _cli("generate", "--scale", "region", "--as-of", "2026-13-01", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1 and "--as-of" in result.output


def test_rural_and_urban_schools_differ_as_in_the_domain(region):
    """DOMAIN.md: rural pupils repeat a year more often (0.5 % against 0.2 %), miss more and leave more; about 40 %
    of rural schools have under 100 pupils, about 15 % under 30. Needs a city: demo scale (tiny is two districts)."""
    gt = region / "ground_truth"
    if json.loads((gt / "manifest.json").read_text())["scale"] == "tiny":
        return  # no city in the tiny region: nothing to compare
    se = pd.read_csv(gt / "school_effects.csv", dtype={"school_code": str})[["school_code", "is_urban"]]
    py = pd.read_csv(gt / "pupil_years.csv", dtype={"school_code": str}).merge(se, on="school_code")
    done = py[py["school_year"] != py["school_year"].max()]
    ev = pd.read_csv(gt / "events.csv", dtype={"school_code": str}).merge(se, on="school_code")
    repeated = ev[ev["event_type"] == "repeated"].groupby("is_urban").size() / done.groupby("is_urban").size()
    assert 0.002 <= repeated[False] <= 0.009 and 0.0005 <= repeated[True] <= 0.005, repeated.to_dict()
    assert repeated[False] > 1.3 * repeated[True], repeated.to_dict()
    by = done.groupby("is_urban")
    assert by["missed_share"].mean()[False] > by["missed_share"].mean()[True]
    assert by["p_leave"].mean()[False] > by["p_leave"].mean()[True]
    snap = pd.read_csv(gt / "enrolment_snapshots.csv", dtype={"school_code": str})
    last = snap[snap["school_year"] == snap["school_year"].max()]
    size = (
        last.groupby("school_code")["pupils"].sum().rename("pupils").reset_index().merge(se, on="school_code")
    )
    rural = size.loc[~size["is_urban"], "pupils"]
    assert 0.25 <= (rural < 100).mean() <= 0.55 and 0.05 <= (rural < 30).mean() <= 0.25, rural.describe()
    assert size.loc[size["is_urban"], "pupils"].median() > 3 * rural.median()
