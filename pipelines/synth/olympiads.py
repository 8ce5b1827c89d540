"""Olympiads and competitions (portfolio): the workbook the regional centre for gifted children sends each June.

The All-Russian school olympiad (ВсОШ) runs in stages: most pupils of grades 4–11 sit the school stage in some
subject, those above the organisers' passing score go on to the municipal stage (grades 7–11), its best to the
regional stage (9–11) and a handful to the final. A pupil's talent in a year is a planted signal: the true ability,
the year marks and the school's marks effect (coefficients in ``OLYMPIAD_EFFECTS``, written to
``ground_truth/effects.json``); every entry, with the talent behind it, goes to ``ground_truth/olympiad_entries.csv``.
The centre holds no СНИЛС: identity resolution must link these rows by name and birth date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import Simulation
from pipelines.synth.world import World, d64

SENDER = "rcod_rb"
# subject code, first grade of its school stage, how often pupils choose it
SUBJECTS = (
    ("russian", 4, 1.0),
    ("maths", 4, 1.0),
    ("literature", 5, 0.5),
    ("english", 5, 0.7),
    ("history", 5, 0.5),
    ("social", 6, 0.6),
    ("informatics", 5, 0.35),
    ("biology", 5, 0.6),
    ("physics", 7, 0.45),
    ("chemistry", 8, 0.35),
    ("geography", 5, 0.45),
    ("pe", 5, 0.6),
    ("native", 5, 0.5),  # Бурятский язык: only where it is taught as a native language
)
STAGES = ("school", "municipal", "regional", "final", "other")
OTHER_COMPETITIONS = (
    "Олимпиада «Покори Воробьёвы горы!»",
    "Турнир городов",
    "Научно-практическая конференция «Шаг в будущее»",
    "Олимпиада «Высшая проба»",
    "Конкурс исследовательских работ «Юный исследователь Байкала»",
    "Межрегиональная олимпиада школьников им. И.Я. Верченко",
)
OLYMPIAD_EFFECTS = {
    "talent": {
        "ability": 0.8,
        "year_mark_mean_z": 0.5,
        "school_effect_marks": 0.8,
        "gymnasium_or_lyceum": 0.3,
        "noise_sd": 0.5,
        "note": "sum standardised within each school year; subject score = talent + N(0, 0.7)",
    },
    "school_stage": {
        "participation_logodds": [0.7, 0.9],
        "extra_subjects_logodds": [-1.0, 0.8],
        "max_subjects": 4,
    },
    "passing_score": {"municipal": 0.9, "regional": 2.3, "final": 4.3},
    "attend_if_invited": {"municipal": 0.85, "regional": 0.9, "final": 0.95},
    "stage_noise_sd": 0.5,
    "result_cuts": {
        "school": [1.3, 2.0],
        "municipal": [1.9, 2.6],
        "regional": [2.9, 3.5],
        "final": [4.2, 4.7],
        "other": [1.5, 2.2],
    },
    "other_competitions_logodds": [-2.6, 0.7],
    "note": "log-odds as [intercept, per unit of talent]; result cuts are [prize_winner, winner] on the stage score",
}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _talent(world: World, sim: Simulation, d: pd.DataFrame, rng: np.random.Generator, y: int) -> np.ndarray:
    c, s = world.children, world.schools
    e = OLYMPIAD_EFFECTS["talent"]
    ch, sch = d["child"].to_numpy(), d["school"].to_numpy()
    marks = sim.marks.get(y)
    if marks is not None and len(marks) == int((sim.pupil_years["year"] == y).sum()):
        ym = marks[d["_py_row"].to_numpy(), 4, :].astype(float)
        n = (ym > 0).sum(axis=1)
        mean = np.where(n > 0, ym.sum(axis=1) / np.maximum(n, 1), np.nan)
        mz = (mean - np.nanmean(mean)) / (np.nanstd(mean) or 1.0)
        mz = np.nan_to_num(mz)
    else:  # pragma: no cover - marks are always simulated; keep the talent defined without them
        mz = np.zeros(len(d))
    elite = np.isin(np.asarray(s.school_type, dtype=object)[sch], ["gymnasium", "lyceum"])
    t = (
        e["ability"] * c.ability[ch]
        + e["year_mark_mean_z"] * mz
        + e["school_effect_marks"] * s.effect_marks[sch]
        + e["gymnasium_or_lyceum"] * elite
        + rng.normal(0, e["noise_sd"], len(d))
    )
    return (t - t.mean()) / (t.std() or 1.0)


def _result(score: np.ndarray, stage: str) -> np.ndarray:
    prize, win = OLYMPIAD_EFFECTS["result_cuts"][stage]
    return np.where(score > win, "winner", np.where(score > prize, "prize_winner", "participant")).astype(
        object
    )


def _pct(score: np.ndarray, stage: str) -> np.ndarray:
    shift = {"school": 0.0, "municipal": 1.2, "regional": 2.3, "final": 3.4, "other": 0.5}[stage]
    return np.clip(np.round(40 + 16 * (score - shift)), 0, 100).astype(int)


def olympiad_entries(world: World, sim: Simulation, rng: np.random.Generator, y: int) -> pd.DataFrame:
    """Every olympiad and competition entry of school year ``y`` (one row per pupil, stage and subject)."""
    c, s = world.children, world.schools
    py = sim.pupil_years
    d = py[py["year"] == y].copy()
    d["_py_row"] = np.arange(len(d))
    d = d[(d["grade"] >= 4) & (d["grade"] <= 11) & c.consent[d["child"].to_numpy()]]
    d = d.drop_duplicates("child").reset_index(drop=True)
    if not len(d):
        return pd.DataFrame()
    eff = OLYMPIAD_EFFECTS
    talent = _talent(world, sim, d, rng, y)
    n = len(d)
    ch, sch, grade = d["child"].to_numpy(), d["school"].to_numpy(), d["grade"].to_numpy()
    # school stage: who takes part, in how many and which subjects
    a, b = eff["school_stage"]["participation_logodds"]
    takes = rng.random(n) < _sigmoid(a + b * talent)
    a, b = eff["school_stage"]["extra_subjects_logodds"]
    k = 1 + rng.binomial(eff["school_stage"]["max_subjects"] - 1, _sigmoid(a + b * talent))
    codes = np.array([x[0] for x in SUBJECTS], dtype=object)
    first = np.array([x[1] for x in SUBJECTS])
    w = np.array([x[2] for x in SUBJECTS])
    ok = grade[:, None] >= first[None, :]
    ok[:, codes == "native"] &= s.buryat_native[sch][:, None]
    keys = np.where(ok, np.log(w)[None, :] - np.log(-np.log(rng.random((n, len(SUBJECTS))))), -np.inf)
    order = np.argsort(-keys, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(len(SUBJECTS))[None, :].repeat(n, 0), axis=1)
    chosen = ok & (rank < k[:, None]) & takes[:, None]
    pi, si = np.nonzero(chosen)
    score = talent[pi] + rng.normal(0, 0.7, len(pi))
    subj = codes[si]
    # one date per stage and subject across the region, as the ministry's schedule sets it
    sched = {
        "school": (dt.date(y, 9, 20), 35),
        "municipal": (dt.date(y, 11, 10), 35),
        "regional": (dt.date(y + 1, 1, 12), 35),
        "final": (dt.date(y + 1, 4, 1), 25),
    }
    dates = {st: d64(d0) + rng.integers(0, span, len(SUBJECTS)) for st, (d0, span) in sched.items()}
    frames = []

    def add(stage: str, p: np.ndarray, sj: np.ndarray, sc: np.ndarray, date: np.ndarray, name=""):
        frames.append(
            pd.DataFrame(
                {
                    "child": ch[p],
                    "school": sch[p],
                    "grade": grade[p],
                    "subject": sj,
                    "stage": stage,
                    "competition_name": name,
                    "result": _result(sc, stage),
                    "score": _pct(sc, stage),
                    "event_date": date,
                    "talent": np.round(talent[p], 4),
                }
            )
        )

    add("school", pi, subj, score, dates["school"][si])
    prev_p, prev_si, prev_score = pi, si, score
    for stage, min_grade in (("municipal", 7), ("regional", 9), ("final", 9)):
        invited = (prev_score > eff["passing_score"][stage]) & (grade[prev_p] >= min_grade)
        go = invited & (rng.random(len(prev_p)) < eff["attend_if_invited"][stage])
        p, sj_i = prev_p[go], prev_si[go]
        sc = prev_score[go] + rng.normal(0, eff["stage_noise_sd"], go.sum())
        add(stage, p, codes[sj_i], sc, dates[stage][sj_i])
        prev_p, prev_si, prev_score = p, sj_i, sc
    # other olympiads and competitions (perechen' olympiads, research conferences)
    a, b = eff["other_competitions_logodds"]
    oth = np.nonzero(rng.random(n) < _sigmoid(a + b * talent))[0]
    if len(oth):
        pick = np.array([rng.choice(np.nonzero(ok[i])[0]) for i in oth.tolist()], dtype=int)
        sc = talent[oth] + rng.normal(0, 0.7, len(oth))
        date = d64(dt.date(y, 10, 1)) + rng.integers(0, 200, len(oth))
        names = np.array(OTHER_COMPETITIONS, dtype=object)[rng.integers(0, len(OTHER_COMPETITIONS), len(oth))]
        add("other", oth, codes[pick], sc, date, names)
    out = pd.concat(frames, ignore_index=True)
    out["stage_order"] = out["stage"].map({st: i for i, st in enumerate(STAGES)})
    out = out.sort_values(["stage_order", "subject", "school", "child"], kind="stable").reset_index(drop=True)
    return out.drop(columns="stage_order")


def write_olympiads(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator
) -> pd.DataFrame:
    """Write one workbook per school year (sent in June) and return the entries of the workbooks sent."""
    c, s = world.children, world.schools
    truth = []
    for y in world.years:
        due = dt.date(y + 1, 6, 15)
        e = olympiad_entries(world, sim, rng, y)
        if not len(e) or due > world.as_of:
            continue
        ch = e["child"].to_numpy()
        cols = {
            "last_name": c.last[ch],
            "first_name": c.first[ch],
            "middle_name": c.middle[ch],
            "birth_date": c.birth[ch],
            "school_code": s.code[e["school"].to_numpy()],
            "grade": e["grade"].to_numpy().astype(int),
            "subject": e["subject"].to_numpy(dtype=object),
            "stage": e["stage"].to_numpy(dtype=object),
            "competition_name": e["competition_name"].to_numpy(dtype=object),
            "result": e["result"].to_numpy(dtype=object),
            "score": e["score"].to_numpy().astype(int),
            "event_date": e["event_date"].to_numpy().astype("datetime64[D]"),
        }
        rel = landing.write(
            "olympiads",
            SENDER,
            f"{y}-{(y + 1) % 100:02d}",
            "results",
            due,
            Table(cols, {"student": c.person_id[ch]}),
        )
        if rel is None:
            continue
        truth.append(
            pd.DataFrame(
                {
                    "person_id": c.person_id[ch],
                    "school_year": f"{y}/{(y + 1) % 100:02d}",
                    "school_code": cols["school_code"],
                    "grade": cols["grade"],
                    "subject": cols["subject"],
                    "stage": cols["stage"],
                    "result": cols["result"],
                    "score": cols["score"],
                    "event_date": pd.to_datetime(cols["event_date"]).strftime("%Y-%m-%d"),
                    "talent": e["talent"].to_numpy(),
                }
            )
        )
    cols = [
        "person_id",
        "school_year",
        "school_code",
        "grade",
        "subject",
        "stage",
        "result",
        "score",
        "event_date",
    ]
    out = pd.concat(truth, ignore_index=True) if truth else pd.DataFrame(columns=[*cols, "talent"])
    out.to_csv(landing.truth / "olympiad_entries.csv", index=False, lineterminator="\n")
    return out
