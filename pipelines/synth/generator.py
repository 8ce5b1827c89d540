"""``generate(scale, seed, as_of, out)``: build the synthetic republic and write landing files and ground truth."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.synth.agency_sources import write_agency_sources
from pipelines.synth.graduate_destinations import write_graduate_destinations
from pipelines.synth.landing import Landing, default_rates
from pipelines.synth.olympiads import OLYMPIAD_EFFECTS, write_olympiads
from pipelines.synth.registers import write_civil_registry, write_register
from pipelines.synth.scales import SCALES, school_years
from pipelines.synth.school_exports import export_tasks
from pipelines.synth.schooling import HEALTH_EFFECTS, LEAVE_COEF, TARGET_LEAVE, simulate
from pipelines.synth.workers import Task, default_workers, run_tasks
from pipelines.synth.world import build_world

DEFAULT_AS_OF = dt.date(2026, 11, 28)


class GenerateError(ValueError):
    """Bad arguments to the generator (a message the user can act on)."""


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def generate(
    scale: str,
    seed: int,
    as_of: dt.date = DEFAULT_AS_OF,
    out: Path | str = Path("region"),
    fault_rates: dict[str, float] | None = None,
    faults: bool = True,
    progress: bool = False,
    workers: int | None = None,
) -> dict:
    """Generate a synthetic region into ``out`` (``out/landing``, ``out/ground_truth``) and return the manifest.

    ``workers`` processes write the files (default: both cores); any number gives the same bytes.
    """
    if scale not in SCALES:
        raise GenerateError(f"Неизвестный масштаб «{scale}»: выберите tiny, demo или region.")
    if as_of < dt.date(2022, 9, 1):
        raise GenerateError(
            f"Дата --as-of {as_of} раньше начала истории (01.09.2022): укажите более позднюю дату."
        )
    workers = default_workers() if workers is None else max(1, int(workers))
    out = Path(out)
    if out.exists():
        shutil.rmtree(out / "landing", ignore_errors=True)
        shutil.rmtree(out / "ground_truth", ignore_errors=True)
    sc = SCALES[scale]
    years = school_years(sc, as_of)
    rates = default_rates() | (fault_rates or {})
    bar = _Progress(progress)
    with bar:
        t = bar.task("Построение республики", 2)
        world = build_world(_rng(seed, "world"), sc, years, as_of)
        bar.advance(t)
        sim = simulate(world, _rng(seed, "schooling"))
        bar.advance(t)
        landing = Landing(out, seed, rates, as_of, faults_enabled=faults)
        try:
            write_register(world, landing)
            # writing tasks, in the order of a one-process run (bookkeeping is merged in this order); they run
            # on `workers` processes, so each draws randomness only from its own `_rng(seed, name)`
            school = export_tasks(world, sim, landing, _rng(seed, "exports"), chunks_per_year=4 * workers)
            tasks = [Task(lambda: write_civil_registry(world, sim, landing), weight=len(world.children) / 2)]
            tasks += school
            agency_weight = 0.6 * sum(x.weight for x in school)
            tasks.append(
                Task(
                    lambda: write_agency_sources(world, sim, landing, _rng(seed, "agencies")),
                    weight=agency_weight,
                )
            )
            tasks.append(
                Task(
                    lambda: write_olympiads(world, sim, landing, _rng(seed, "olympiads")),
                    weight=len(sim.pupil_years) / 4,
                )
            )
            tasks.append(
                Task(
                    lambda: write_graduate_destinations(world, sim, landing, _rng(seed, "destinations")),
                    weight=len(sim.outcomes),
                )
            )
            tasks.append(
                Task(lambda: _write_truth_tables(world, sim, landing.truth), weight=len(sim.pupil_years) / 2)
            )
            t = bar.task("Выгрузки и эталон", sum(x.steps for x in tasks))
            run_tasks(tasks, landing, workers, progress=lambda n: bar.advance(t, n))
        finally:
            landing.close()
        manifest = _write_manifest(world, sim, landing, scale, seed, as_of, rates, faults)
    return manifest


class _Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.p = None

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.p = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
            )
            self.p.__enter__()
        return self

    def __exit__(self, *exc):
        if self.p:
            self.p.__exit__(*exc)

    def task(self, name, total):
        return self.p.add_task(name, total=total) if self.p else None

    def advance(self, t, n: int = 1):
        if self.p and t is not None:
            self.p.advance(t, n)


def _write_truth_tables(world, sim, gt: Path) -> None:
    """The ground-truth tables of the simulated world (everything but the landing bookkeeping)."""
    c, gu, s, fam = world.children, world.guardians, world.schools, world.families
    status_names = np.array(
        [
            "preschool",
            "enrolled",
            "finished_11",
            "college",
            "left_education",
            "left_region",
            "home_education",
            "lost_after_transfer",
            "never_enrolled",
        ],
        dtype=object,
    )
    munis = np.array([m.name for m in world.munis], dtype=object)
    persons = pd.DataFrame(
        {
            "person_id": c.person_id,
            "kind": "child",
            "sex": np.where(c.sex == 0, "male", "female"),
            "birth_date": c.birth.astype(str),
            "family_id": np.char.add("F", np.char.zfill(c.family.astype(str), 6)),
            "consent": c.consent,
            "buryat_name": c.buryat,
            "municipality": munis[sim.muni],
            "urban": c.urban,
            "special_needs": c.special_needs,
            "disabled": c.disabled,
            "without_parental_care": c.orphan,
            "large_family": fam.n_children[c.family] >= 3,
            "low_income": fam.low_income[c.family],
            "svo_family": fam.svo[c.family],
            "sop_family": ~np.isnat(fam.sop_start[c.family]),
            "arrived": np.where(np.isnat(sim.first_arrival), "", sim.first_arrival.astype(str)),
            "final_status": status_names[sim.status],
            "last_name": c.last,
            "first_name": c.first,
            "middle_name": c.middle,
            "snils": c.snils,
        }
    )
    gpers = pd.DataFrame(
        {
            "person_id": gu.person_id,
            "kind": "guardian",
            "sex": np.where(gu.sex == 0, "male", "female"),
            "birth_date": gu.birth.astype(str),
            "family_id": np.char.add("F", np.char.zfill(gu.family.astype(str), 6)),
            "last_name": gu.last,
            "first_name": gu.first,
            "middle_name": gu.middle,
            "snils": gu.snils,
        }
    )
    pd.concat([persons, gpers], ignore_index=True).to_csv(
        gt / "persons.csv", index=False, lineterminator="\n"
    )
    # snapshots as of 20 September
    rows = []
    st = sim.stints
    for y in world.years:
        snap = np.datetime64(f"{y}-09-20")
        a = st[(st["year"] == y) & (st["start"] <= snap) & (st["end"] >= snap)]
        a = a.assign(consent=c.consent[a["child"].to_numpy()])
        g = (
            a.groupby(["school", "grade"])
            .agg(pupils=("child", "size"), pupils_with_consent=("consent", "sum"))
            .reset_index()
        )
        g.insert(0, "snapshot_date", f"{y}-09-20")
        g.insert(0, "school_year", f"{y}/{(y + 1) % 100:02d}")
        rows.append(g)
    snap_df = pd.concat(rows, ignore_index=True)
    snap_df["school_code"] = s.code[snap_df["school"].to_numpy()]
    snap_df[["school_year", "snapshot_date", "school_code", "grade", "pupils", "pupils_with_consent"]].to_csv(
        gt / "enrolment_snapshots.csv", index=False, lineterminator="\n"
    )
    py = sim.pupil_years.copy()
    py.insert(0, "person_id", c.person_id[py["child"].to_numpy()])
    py.insert(1, "school_year", py["year"].map(lambda y: f"{y}/{(y + 1) % 100:02d}"))
    py["school_code"] = s.code[py["school"].to_numpy()]
    py.drop(columns=["child", "school", "start"]).to_csv(
        gt / "pupil_years.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame(
        {
            "school_code": s.code,
            "school_type": s.school_type,
            "is_urban": s.is_urban,
            "second_shift": s.second_shift,
            "high_load": s.high_load,
            "effect_leave_logodds": np.round(s.effect_leave, 4),
            "effect_marks": np.round(s.effect_marks, 4),
            "effect_absence_multiplier": np.round(s.effect_absence, 4),
            "merged_in_year": s.closed_year,
            "successor_school_code": np.where(s.successor >= 0, s.code[np.maximum(s.successor, 0)], ""),
        }
    ).to_csv(gt / "school_effects.csv", index=False, lineterminator="\n")
    ev = sim.events.copy()
    if len(ev):
        ev.insert(0, "person_id", c.person_id[ev["child"].to_numpy()])
        ev["school_code"] = s.code[ev["school"].to_numpy()]
        ev["destination_school_code"] = np.where(
            ev["dest_school"] >= 0, s.code[np.maximum(ev["dest_school"].to_numpy(), 0)], ""
        )
        ev["date"] = pd.to_datetime(ev["date"]).dt.strftime("%Y-%m-%d")
        ev.drop(columns=["child", "school", "dest_school"]).to_csv(
            gt / "events.csv", index=False, lineterminator="\n"
        )
    oc = sim.outcomes.copy()
    if len(oc):
        oc.insert(0, "person_id", c.person_id[oc["child"].to_numpy()])
        oc["school_code"] = s.code[oc["school"].to_numpy()]
        oc.drop(columns=["child", "school"]).to_csv(gt / "outcomes.csv", index=False, lineterminator="\n")
    effects = {
        "leave_model": {
            "coefficients": LEAVE_COEF,
            "target_mean_probability": TARGET_LEAVE,
            "note": "log-odds; intercept calibrated per grade group and year to the target mean; grade term +0.25 per grade above 6",
        },
        "health_effects": HEALTH_EFFECTS,
        "olympiads": OLYMPIAD_EFFECTS,
    }
    (gt / "effects.json").write_text(
        json.dumps(effects, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def _write_manifest(world, sim, landing: Landing, scale, seed, as_of, rates, faults_on) -> dict:
    """Counts and rates of this run; written last, so its presence means the region is whole."""
    gt, c, gu, s = landing.truth, world.children, world.guardians, world.schools
    manifest = {
        "scale": scale,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "school_years": [f"{y}/{(y + 1) % 100:02d}" for y in world.years],
        "counts": {
            "persons_children": int(len(c)),
            "persons_guardians": int(len(gu.person_id)),
            "schools": int(len(s)),
            "municipalities": len(world.munis),
            "pupil_years": int(len(sim.pupil_years)),
            "rows": dict(sorted(landing.counts.items())),
            "files": len(landing.files),
            "faults": dict(sorted(landing.fault_counts.items())),
        },
        "fault_rates": dict(sorted(rates.items())) if faults_on else {},
    }
    (gt / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def already_generated(out: Path, scale: str, seed: int, as_of: dt.date) -> dict | None:
    """The manifest of a complete region already in ``out`` for exactly these arguments, else None.

    The manifest is written last, so its presence means the region is whole; same arguments give the same bytes.
    """
    path = Path(out) / "ground_truth" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (manifest.get("scale"), manifest.get("seed"), manifest.get("as_of")) == (
        scale,
        seed,
        as_of.isoformat(),
    )
    return manifest if same and (Path(out) / "landing").is_dir() else None
