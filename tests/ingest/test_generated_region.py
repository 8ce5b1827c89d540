"""The tiny synthetic region end to end: every source ingests, counts reconcile with the generator's ground
truth, and no identifier from the landing files is found outside the vault.

The same checks run on any region already generated and ingested (the demo scale, a re-measurement on unseen
data): set ``KONTINGENT_CHECK_REGION_DIR`` (the ``--out`` folder of ``kontingent generate``) and
``KONTINGENT_CHECK_REGION_DATABASE_URL`` (the warehouse its ``landing`` was ingested into), then run this module.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import load_sources
from pipelines.ingest import ingest_landing
from pipelines.ingest.landing import parse_landing_path
from pipelines.ingest.readers import BrokenRow, FileRejected, cell_text, open_file
from tests.ingest.pii_scan import scan


@pytest.fixture(scope="module")
def region(request) -> dict:
    given = os.environ.get("KONTINGENT_CHECK_REGION_DIR")
    if given:
        out = Path(given)
        return {
            "out": out,
            "landing": out / "landing",
            "summary": None,
            "url": os.environ["KONTINGENT_CHECK_REGION_DATABASE_URL"],
        }
    warehouse = request.getfixturevalue("warehouse")
    out = request.getfixturevalue("tiny_region")
    summary = ingest_landing(out / "landing")
    return {"out": out, "landing": out / "landing", "summary": summary, "url": warehouse["url"]}


def _ledger(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        return {
            r[0]: r[1:]
            for r in conn.execute(
                "select file_path, status, rule, rows_total, rows_accepted, rows_rejected from ops.submissions"
            )
        }


def _faults(region) -> list[dict]:
    with (region["out"] / "ground_truth" / "faults.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ascii_only(path: Path) -> bool:
    return path.read_bytes().isascii()


def test_every_file_of_every_source_is_taken_in(region):
    if region["summary"] is not None:
        assert not region["summary"].failures
    ledger = _ledger(region["url"])
    landing_files = {
        p.relative_to(region["landing"]).as_posix() for p in region["landing"].rglob("*") if p.is_file()
    }
    assert landing_files == set(ledger)
    assert {rel.split("/")[0] for rel in ledger} == set(load_sources())


def test_file_level_faults_get_their_rule(region):
    ledger = _ledger(region["url"])
    landing = region["landing"]
    groups = defaultdict(list)
    for rel in ledger:
        lf = parse_landing_path(landing, landing / rel)
        groups[lf.group].append(rel)
    missed = []
    for f in _faults(region):
        status, rule = ledger.get(f["file"], (None, None))[:2]
        action = f["action"]
        if action == "reject_file":
            ok = (status, rule) == ("rejected", f["rule"])
            # "Mixed bytes" planted in a file with no non-ASCII byte (a short absences list) cannot be seen.
            ok = ok or (f["rule"] == "encoding" and _ascii_only(landing / f["file"]))
        elif action == "skip_file":
            ok = status == "duplicate"
        elif action == "supersede":
            # A "corrected" resubmission that is byte-identical to the earlier file is, by the contract's own
            # definition, a duplicate_file: the later copy is skipped and the earlier stays (same rows).
            lf = parse_landing_path(landing, landing / f["file"])
            later = [r for r in groups[lf.group] if r > f["file"]]
            identical = any((landing / r).read_bytes() == (landing / f["file"]).read_bytes() for r in later)
            # A correction that is itself rejected (say, a missing column) must not wipe out the loaded data.
            all_rejected = all(ledger[r][0] in ("rejected", "duplicate") for r in later)
            ok = status == "superseded" or ((identical or all_rejected) and status == "loaded")
        elif action == "warn" and not f["row"]:
            # An ASCII-only file is the same bytes in UTF-8 and Windows-1251: nothing to detect.
            ok = _ascii_only(landing / f["file"]) or status in ("loaded", "superseded")
        else:
            continue
        if not ok:
            missed.append((f["fault"], f["file"], status, rule))
    assert missed == []


def test_every_planted_bad_row_is_quarantined_with_the_right_rule_and_nothing_else(region):
    url = region["url"]
    ledger = _ledger(url)
    with psycopg.connect(url) as conn:
        quarantined = {
            (f, r): rule
            for f, r, rule in conn.execute(
                "select s.file_path, q.source_row, q.rule from ops.quarantine q join ops.submissions s "
                "using (submission_id) where q.source_row is not null"
            )
        }
        warned = {
            (f, r, rule)
            for f, r, rule in conn.execute(
                "select s.file_path, w.source_row, w.rule from ops.warnings w join ops.submissions s "
                "using (submission_id) where w.source_row is not null"
            )
        }
    expected = set()
    missed = []
    for f in _faults(region):
        if not f["row"] or ledger.get(f["file"], ("",))[0] in ("rejected", "duplicate"):
            continue  # rejected whole, or a byte copy of a file whose rows were checked under its first name
        key = (f["file"], int(f["row"]))
        if f["action"] == "reject_row":
            expected.add(key)
            if quarantined.get(key) != f["rule"]:
                missed.append((f["fault"], *key, quarantined.get(key)))
        elif f["action"] == "warn" and (*key, f["rule"]) not in warned:
            missed.append((f["fault"], *key, "no warning"))
    assert missed == []
    # No valid row rejected. Superseded files are uncorrected versions: the generator lists no faults in them.
    uncorrected = {f["file"] for f in _faults(region) if f["action"] == "supersede"}
    false = [k for k in quarantined if k not in expected and k[0] not in uncorrected]
    assert false == []


def test_counts_reconcile_every_valid_row_is_in(region):
    url = region["url"]
    with psycopg.connect(url) as conn:
        bad = conn.execute(
            """select file_path, rows_total, rows_accepted, rows_rejected from ops.submissions
               where status in ('loaded', 'superseded') and rows_total <> rows_accepted + rows_rejected"""
        ).fetchall()
        assert bad == []
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            )
        ]
        in_raw = 0
        for t in tables:
            in_raw += conn.execute(f'select count(*) from raw."{t}"').fetchone()[0]
        accepted, anonymous = conn.execute(
            "select sum(rows_accepted), sum(rows_anonymous) from ops.submissions "
            "where status in ('loaded', 'superseded')"
        ).fetchone()
        headcount = conn.execute("select coalesce(sum(pupils), 0) from ops.anonymous_headcounts").fetchone()[
            0
        ]
    assert in_raw == accepted - anonymous
    assert headcount == anonymous


def _landing_identifiers(landing: Path) -> set[str]:
    """Every personal value (names, СНИЛС, certificates, addresses, phones) in the landing files."""
    sources = load_sources()
    values: set[str] = set()
    for path in landing.rglob("*"):
        if not path.is_file():
            continue
        try:
            lf = parse_landing_path(landing, path)
            source = sources[lf.source]
            entity = source.entities[lf.entity]
            opened = open_file(path, source, entity)
            pii = [f for f in entity.fields if f.pii and f.pii != "birth_date"]
            if not pii:
                continue
            for _n, cells in opened.rows:
                if isinstance(cells, BrokenRow):
                    continue
                for f in pii:
                    v = cell_text(cells.get(f.header)).strip()
                    if len(v) >= 4:
                        values.add(v)
                        if f.pii == "snils":
                            values.add("".join(c for c in v if c.isdigit()))
        except (FileRejected, KeyError, UnicodeDecodeError):
            continue
    return values


def test_no_identifier_of_the_generator_outside_the_vault(region):
    needles = _landing_identifiers(region["landing"])
    assert len(needles) > 1000
    # Names also occur as plain words in free text (a school named after a person, a settlement): compare whole
    # values for names and every word for numbers, which is what a leak would look like.
    hits = scan(region["url"], needles)
    assert hits == []


def test_olympiads_and_leaver_destinations_arrive_as_tokens_and_reconcile(region):
    """The gifted-children centre's workbooks (no СНИЛС) and the municipal leavers' monitoring load like any source:
    every file taken in, every accepted row in raw, names and dates only as tokens."""
    url = region["url"]
    landing = region["landing"]
    with psycopg.connect(url) as conn:
        for table, source, entity, must_have, must_not in (
            ("olympiads__results", "olympiads", "results", {"name_dob_token", "birth_year"}, {"snils_token"}),
            (
                "graduate_outcomes__destinations",
                "graduate_outcomes",
                "destinations",
                {"name_dob_token", "snils_token"},
                set(),
            ),
        ):
            cols = {
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = 'raw' "
                    "and table_name = %s",
                    (table,),
                )
            }
            assert must_have <= cols and not (must_not & cols)
            assert not cols & {"last_name", "first_name", "middle_name", "birth_date", "snils"}
            files = sorted(landing.glob(f"{source}/*/*/{entity}__*"))
            assert files, f"no {table} files generated"
            ledger = conn.execute(
                "select count(*), coalesce(sum(rows_accepted), 0) from ops.submissions "
                "where source = %s and entity = %s and status in ('loaded', 'superseded')",
                (source, entity),
            ).fetchone()
            taken = conn.execute(
                "select count(*) from ops.submissions where source = %s and entity = %s", (source, entity)
            ).fetchone()[0]
            assert taken == len(files)
            in_raw = conn.execute(f'select count(*) from raw."{table}"').fetchone()[0]
            assert in_raw == ledger[1] > 0
        stages = {
            r[0]
            for r in conn.execute("select distinct stage from raw.olympiads__results where stage is not null")
        }
        assert {"school", "municipal"} <= stages <= {"school", "municipal", "regional", "final", "other"}
        destinations = {
            r[0]
            for r in conn.execute(
                "select distinct destination from raw.graduate_outcomes__destinations where destination is not null"
            )
        }
        assert {"grade_10", "college", "university"} <= destinations
