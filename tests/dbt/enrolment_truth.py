"""The 20 September snapshot pupil by pupil: the generator's truth against the warehouse, every difference explained.

The ground truth folder holds the snapshot as counts only (`enrolment_snapshots.csv`); the pupils behind them come
from re-running the generator's simulation with the session's scale, seed and date (a few seconds at tiny scale;
the same world, checked against those counts). Warehouse persons are mapped to true persons through the
ground-truth record links (`record_links.csv`: file, row, role → person).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Cell = tuple[int, str, int]  # (school year start, school code, grade)

# Why a pupil's 20 September cell differs, when the warehouse could not know better.
EXPLANATIONS = {
    "roster_row_rejected": "the pupil's September roster row was rejected at ingestion and nothing else places "
    "them at school on 20 September",
    "roster_not_received": "the school's September roster of that year never reached the warehouse (never sent, "
    "or rejected whole and not sent again) and nothing else places the pupil there by 20 September",
    "exit_order_not_received": "the order by which the pupil left the school before 20 September never reached "
    "the warehouse (its row was rejected, or the school's movements file for that month was never sent or was "
    "rejected whole) and nothing received dates the leaving before the 20th",
}
# the dbt seed that says which event types end a stay at a school (closes_spell)
EVENT_TYPES_SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "enrolment_event_types.csv"


# Why an anonymous headcount (pupils without consent, counted only from the 20 September rosters) differs from
# the truth, when the warehouse could not know better; a cell is explained when these account for all of it.
ANONYMOUS_EXPLANATIONS = {
    "roster_row_not_received": "the pupil's September roster row never reached the headcount: the school did not "
    "send that roster, the file was rejected, or the row was rejected",
    "double_enrolment_row": "the old school's September roster still lists a pupil who left it (a planted "
    "double enrolment): counted there too, with no identity to deduplicate",
}


@dataclass
class TruthPupil:
    cell: Cell
    person_id: str
    consent: bool
    ghost_cell: Cell | None = None  # set on ghost rows: the old school's roster that still lists the pupil


@dataclass
class SnapshotComparison:
    cells: int
    cells_equal: int
    truth_total: int
    warehouse_total: int
    anonymous_cells_off: int
    differences: list[tuple[str, Cell, str, str]] = field(default_factory=list)  # (side, cell, person, class)
    # (cell, truth, warehouse) of anonymous headcounts the explanations do not account for
    anonymous_cells_unexplained: list[tuple[Cell, int, int]] = field(default_factory=list)
    anonymous_by_class: Counter = field(default_factory=Counter)
    anonymous_off_cells: set[Cell] = field(default_factory=set)

    def by_class(self) -> Counter:
        return Counter(kind for _, _, _, kind in self.differences)


def truth_snapshot_pupils(scale: str, seed: int, as_of: dt.date) -> list[TruthPupil]:
    """Pupils on the books on 20 September of each simulated year (the generator's timeline must not run backwards)."""
    from pipelines.synth.generator import _rng
    from pipelines.synth.scales import SCALES, school_years
    from pipelines.synth.schooling import simulate
    from pipelines.synth.world import build_world

    sc = SCALES[scale]
    world = build_world(_rng(seed, "world"), sc, school_years(sc, as_of), as_of)
    sim = simulate(world, _rng(seed, "schooling"))
    st = sim.stints
    children, codes = world.children, world.schools.code
    inverted = st[st["start"] > st["end"]]
    assert inverted.empty, (
        f"the generator's timeline runs backwards (exit before entry) for {len(inverted)} stints"
    )
    pupils = []
    # rows of a September roster that still lists a pupil who left the school the year before (the truth has no
    # stint there; the generator writes them with the next grade)
    ghosts = st[st["ghost"]]
    for child, school, grade, year in ghosts[["child", "school", "grade", "year"]].itertuples(index=False):
        if int(year) + 1 in world.years:
            cell = (int(year) + 1, str(codes[school]), int(min(grade + 1, 11)))
            pupils.append(
                TruthPupil(
                    cell=cell,
                    person_id=str(children.person_id[child]),
                    consent=bool(children.consent[child]),
                    ghost_cell=cell,
                )
            )
    for year in world.years:
        snap = np.datetime64(f"{year}-09-20")
        on_books = st[(st["year"] == year) & (st["start"] <= snap) & (st["end"] >= snap)]
        for child, school, grade in on_books[["child", "school", "grade"]].itertuples(index=False):
            pupils.append(
                TruthPupil(
                    cell=(int(year), str(codes[school]), int(grade)),
                    person_id=str(children.person_id[child]),
                    consent=bool(children.consent[child]),
                )
            )
    return pupils


def _read(path: Path):
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _rejected_rows(ground_truth: Path, entity: str) -> set[tuple[str, int]]:
    """(file, row) of the planted faults that reject a row of ``entity`` files at ingestion."""
    return {
        (r["file"], int(r["row"]))
        for r in _read(ground_truth / "faults.csv")
        if r["row"] and r["action"] == "reject_row" and f"/{entity}__" in r["file"]
    }


def received_september_roster_rows(region, ground_truth: Path) -> tuple[set, set]:
    """(person, school year) with a September roster row that was loaded (file in force, row not rejected): the
    ordinary rows, and the rows planted as double enrolment."""
    loaded = {
        path
        for (path,) in region.query(
            "select file_path from ops.submissions where status = 'loaded' and entity = 'students'"
        )
    }
    rejected = _rejected_rows(ground_truth, "students")
    ghost = {
        (r["file"], int(r["row"]))
        for r in _read(ground_truth / "faults.csv")
        if r["row"] and r["fault"] == "double_enrolment" and "/students__" in r["file"]
    }
    ordinary, ghosts = set(), set()
    for r in _read(ground_truth / "record_links.csv"):
        period = r["file"].split("/")[2] if r["file"].count("/") >= 3 else ""
        row = (r["file"], int(r["row"]))
        if r["role"] == "student" and period.endswith("-09") and r["file"] in loaded and row not in rejected:
            (ghosts if row in ghost else ordinary).add((r["person_id"], int(period[:4])))
    return ordinary, ghosts


def person_of_key(region, ground_truth: Path) -> dict[str, str]:
    """Warehouse person_key → true person id (the person most of its linked rows belong to)."""
    truth = {
        (r["file"], int(r["row"]), r["role"]): r["person_id"]
        for r in _read(ground_truth / "record_links.csv")
    }
    votes: dict[str, Counter] = defaultdict(Counter)
    for file, row, role, person_key in region.query(
        "select _source_file, _source_row, person_role, person_key from intermediate.int_person_links"
    ):
        person = truth.get((file, row, role))
        if person:
            votes[person_key][person] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in votes.items()}


def rejected_september_roster_rows(ground_truth: Path) -> set[tuple[str, int]]:
    """(person, school year) whose September roster row (any school) was rejected at ingestion."""
    rejected_rows = _rejected_rows(ground_truth, "students")
    out = set()
    for r in _read(ground_truth / "record_links.csv"):
        if r["role"] == "student" and (r["file"], int(r["row"])) in rejected_rows:
            period = r["file"].split("/")[2]  # school_vendor_x/<sender>/<YYYY-MM>/students__….
            if period.endswith("-09"):
                out.add((r["person_id"], int(period[:4])))
    return out


def lost_september_rosters(region, ground_truth: Path) -> set[tuple[str, int]]:
    """(school code, school year) whose September roster the ground truth records as never sent or rejected whole,
    and of which the warehouse loaded no other copy."""
    schools_of: dict[str, set[str]] = defaultdict(set)  # source/sender → school codes
    for school_code, folder in region.query(
        "select distinct school_code, split_part(_source_file, '/', 1) || '/' || split_part(_source_file, '/', 2) "
        "from intermediate.int_pupil_rosters_unioned"
    ):
        schools_of[folder].add(school_code)
    loaded = {
        folder.rsplit("/", 1)[0]
        for (folder,) in region.query(
            "select file_path from ops.submissions where entity = 'students' and status in ('loaded', 'superseded')"
        )
    }
    out = set()
    for r in _read(ground_truth / "faults.csv"):
        parts = r["file"].split("/")
        if len(parts) < 4 or not parts[3].startswith("students") or not parts[2].endswith("-09"):
            continue
        if r["fault"] != "missing_submission" and r["action"] != "reject_file":
            continue
        if "/".join(parts[:3]) in loaded:
            continue  # sent again, and loaded
        out |= {(code, int(parts[2][:4])) for code in schools_of.get("/".join(parts[:2]), ())}
    return out


def _months_from(day: dt.date, count: int) -> list[str]:
    """``YYYY-MM`` of the month of ``day`` and the ``count - 1`` months after it."""
    out, y, m = [], day.year, day.month
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def lost_exit_orders(region, ground_truth: Path) -> dict[tuple[str, str], int]:
    """(person, school code) → the first 20 September's school year after an exit order from that school that never
    arrived: the ground truth records the row as rejected, or the school's movements file of the order's month
    (or of one of the three months after it, when summer and late orders go out) as never sent or rejected."""
    sender_dirs: dict[str, set[str]] = defaultdict(set)
    for school_code, source_file in region.query(
        "select distinct school_code, split_part(_source_file, '/', 1) || '/' || split_part(_source_file, '/', 2) "
        "from intermediate.int_pupil_rosters_unioned"
    ):
        sender_dirs[school_code].add(source_file)
    rejected_rows = _rejected_rows(ground_truth, "movements")
    lost_files = {  # source/sender/period of movements files never sent or rejected whole
        r["file"].rsplit("/", 1)[0]
        for r in _read(ground_truth / "faults.csv")
        if "/movements" in r["file"] and (r["fault"] == "missing_submission" or r["action"] == "reject_file")
    }
    exit_events = {r["event_type"] for r in _read(EVENT_TYPES_SEED) if r["closes_spell"] == "true"}
    # person → source/sender/period of their rejected rows
    rejected_of_person: dict[str, set[str]] = defaultdict(set)
    for r in _read(ground_truth / "record_links.csv"):
        if r["role"] == "student" and (r["file"], int(r["row"])) in rejected_rows:
            rejected_of_person[r["person_id"]].add(r["file"].rsplit("/", 1)[0])
    out: dict[tuple[str, str], int] = {}
    for e in _read(ground_truth / "events.csv"):
        if e["event_type"] not in exit_events:
            continue
        day = dt.date.fromisoformat(e["date"])
        folders = {f"{d}/{m}" for d in sender_dirs.get(e["school_code"], ()) for m in _months_from(day, 4)}
        if folders & (lost_files | rejected_of_person.get(e["person_id"], set())):
            first = day.year if day < dt.date(day.year, 9, 20) else day.year + 1
            key = (e["person_id"], e["school_code"])
            out[key] = min(first, out.get(key, first))
    return out


def compare_20_september(
    region, ground_truth: Path, scale: str, seed: int, as_of: dt.date
) -> SnapshotComparison:
    everyone = truth_snapshot_pupils(scale, seed, as_of)
    pupils = [p for p in everyone if p.ghost_cell is None]
    ghost_rows = [p for p in everyone if p.ghost_cell is not None]
    published = Counter()
    for row in _read(ground_truth / "enrolment_snapshots.csv"):
        published[(int(row["snapshot_date"][:4]), row["school_code"], int(row["grade"]))] += int(
            row["pupils"]
        )
    simulated = Counter(p.cell for p in pupils)
    assert simulated == +published, "re-simulated world differs from the generated one: same scale/seed/date?"

    key_person = person_of_key(region, ground_truth)
    ours = Counter()  # (cell, person) of pupils with consent in the warehouse snapshot
    for year, code, grade, person_key in region.query(
        """
        select s.school_year_start, d.school_code, s.grade, s.person_key
        from marts.fct_enrolment_snapshot as s
        inner join marts.dim_school as d on s.school_key = d.school_key and d.is_current
        where s.snapshot_date = make_date(s.school_year_start, 9, 20)
        """
    ):
        ours[((year, code, grade), key_person.get(person_key, f"unmapped:{person_key}"))] += 1
    anonymous = Counter()
    for year, code, grade, pupils_n in region.query(
        """
        select a.school_year_start, d.school_code, a.grade, a.pupils
        from marts.fct_anonymous_headcounts as a
        inner join marts.dim_school as d on a.school_key = d.school_key and d.is_current
        """
    ):
        anonymous[(year, code, grade)] += pupils_n

    years = {cell[0] for cell, _ in ours}
    truth_consent = Counter((p.cell, p.person_id) for p in pupils if p.consent and p.cell[0] in years)
    truth_anonymous = Counter(p.cell for p in pupils if not p.consent and p.cell[0] in years)
    rejected = rejected_september_roster_rows(ground_truth)
    lost_exits = lost_exit_orders(region, ground_truth)
    lost_rosters = lost_september_rosters(region, ground_truth)

    def explain(side: str, person: str, cell: Cell) -> str:
        if (person, cell[0]) in rejected:
            return "roster_row_rejected"
        if side == "missing" and (cell[1], cell[0]) in lost_rosters:
            return "roster_not_received"
        # the warehouse keeps the pupil on that school's books from then on: every later 20 September
        if side == "extra" and cell[0] >= lost_exits.get((person, cell[1]), 10_000):
            return "exit_order_not_received"
        return "unexplained"

    differences = []
    for (cell, person), n in (truth_consent - ours).items():
        differences += [("missing", cell, person, explain("missing", person, cell))] * n
    for (cell, person), n in (ours - truth_consent).items():
        differences += [("extra", cell, person, explain("extra", person, cell))] * n

    # anonymous headcounts: the truth, less the rows that never reached them, plus the old schools' stale rows
    ordinary_rows, ghost_row_keys = received_september_roster_rows(region, ground_truth)
    explained_anonymous = Counter(truth_anonymous)
    anonymous_by_class = Counter()
    for p in pupils:
        if not p.consent and p.cell[0] in years and (p.person_id, p.cell[0]) not in ordinary_rows:
            explained_anonymous[p.cell] -= 1
            anonymous_by_class["roster_row_not_received"] += 1
    for p in ghost_rows:
        if not p.consent and p.cell[0] in years and (p.person_id, p.cell[0]) in ghost_row_keys:
            explained_anonymous[p.cell] += 1
            anonymous_by_class["double_enrolment_row"] += 1
    anonymous_cells = {c for c in set(truth_anonymous) | set(anonymous) if c[0] in years}
    anonymous_unexplained = sorted(
        (c, truth_anonymous[c], anonymous[c])
        for c in anonymous_cells
        if explained_anonymous[c] != anonymous[c]
    )

    truth_cells = Counter(p.cell for p in pupils if p.cell[0] in years)
    ours_cells = Counter(cell for cell, _ in ours.elements()) + anonymous
    ours_cells = Counter({cell: n for cell, n in ours_cells.items() if cell[0] in years})
    cells = set(truth_cells) | set(ours_cells)
    return SnapshotComparison(
        cells=len(cells),
        cells_equal=sum(truth_cells[c] == ours_cells[c] for c in cells),
        truth_total=sum(truth_cells.values()),
        warehouse_total=sum(ours_cells.values()),
        anonymous_cells_off=sum(truth_anonymous[c] != anonymous[c] for c in anonymous_cells),
        anonymous_off_cells={c for c in anonymous_cells if truth_anonymous[c] != anonymous[c]},
        differences=sorted(differences),
        anonymous_cells_unexplained=anonymous_unexplained,
        anonymous_by_class=anonymous_by_class,
    )
