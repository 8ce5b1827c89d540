"""Monthly exports of the school information systems (vendor A CSV, vendor B JSONL): pupils, guardians,
movements, marks and absences, one file per school, month and entity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.synth.calendar import school_year, season_weights
from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import SUBJECTS, Simulation
from pipelines.synth.workers import Task
from pipelines.synth.world import World, d64

TERM_MONTH = {"q1": 10, "q2": 12, "q3": 3, "q4": 5, "year": 5}
TERM_INDEX = {"q1": 0, "q2": 1, "q3": 2, "q4": 3, "year": 4}
LESSONS = np.array([0, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 7])


def _month_periods(y: int) -> list[tuple[int, int]]:
    return [(y, m) for m in range(9, 13)] + [(y + 1, m) for m in range(1, 7)]


def _due(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1)


def absences_for_year(
    world: World, sim: Simulation, y: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One row per pupil and day with missed lessons, attached to the stint (school) of that day, ordered by
    school, date and local id."""
    Y = school_year(y)
    py = sim.pupil_years[sim.pupil_years["year"] == y]
    D = len(Y.days)
    child = py["child"].to_numpy()
    g = py["grade"].to_numpy()
    L = LESSONS[g]
    ill, exc, unx = (
        py["illness_share"].to_numpy(),
        py["excused_share"].to_numpy(),
        py["unexcused_share"].to_numpy(),
    )
    w = season_weights(Y.days)
    # illness: episodes of whole days, peaking in January–February
    n_ep = rng.poisson(ill * D / 4.0)
    ep_child = np.repeat(np.arange(len(child)), n_ep)
    ep_start = rng.choice(D, len(ep_child), p=w)
    ep_len = 1 + rng.poisson(3.0, len(ep_child))
    rep = np.repeat(np.arange(len(ep_child)), ep_len)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(ep_len) - ep_len, ep_len)
    ill_p, ill_d = ep_child[rep], np.minimum(ep_start[rep] + offs, D - 1)
    ill_l = L[ill_p]
    # excused: single whole days (family reasons, competitions)
    n_exc = rng.poisson(exc * D)
    exc_p = np.repeat(np.arange(len(child)), n_exc)
    exc_d = rng.integers(0, D, len(exc_p))
    exc_l = L[exc_p]
    # unexcused: mostly a lesson or two, sometimes a whole day
    n_unx = rng.poisson(unx * D * L / 2.2)
    unx_p = np.repeat(np.arange(len(child)), n_unx)
    unx_d = rng.integers(0, D, len(unx_p))
    whole = rng.random(len(unx_p)) < 0.25
    unx_l = np.where(whole, L[unx_p], np.minimum(1 + rng.binomial(2, 0.3, len(unx_p)), L[unx_p]))
    p = np.concatenate([ill_p, exc_p, unx_p])
    d = np.concatenate([ill_d, exc_d, unx_d])
    les = np.concatenate([ill_l, exc_l, unx_l])
    reason = np.concatenate(
        [np.zeros(len(ill_p), np.int8), np.ones(len(exc_p), np.int8), np.full(len(unx_p), 2, np.int8)]
    )
    key = p.astype(np.int64) * 1000 + d
    _, first = np.unique(key, return_index=True)  # one row per pupil and day; illness wins
    p, d, les, reason = p[first], d[first], les[first], reason[first]
    date = Y.days[d].astype("datetime64[D]")
    keep = date <= d64(world.as_of)
    p, date, les, reason = p[keep], date[keep], les[keep], reason[keep]
    ch = child[p]
    # the stint of that day: the child's last stint that started on or before it (and has not ended)
    st = sim.stints[sim.stints["year"] == y]
    st_child = st["child"].to_numpy().astype(np.int64)
    st_start = st["start"].to_numpy().astype("datetime64[D]")
    o = np.lexsort((st_start, st_child))
    st_key = st_child[o] * (1 << 20) + st_start[o].astype(np.int64)
    at = np.searchsorted(st_key, ch.astype(np.int64) * (1 << 20) + date.astype(np.int64), side="right") - 1
    found = at >= 0
    at = o[np.maximum(at, 0)]
    found &= (st_child[at] == ch) & (date <= st["end"].to_numpy().astype("datetime64[D]")[at])
    at, p, ch, date, les, reason = at[found], p[found], ch[found], date[found], les[found], reason[found]
    school = st["school"].to_numpy()[at]
    local = st["local_id"].to_numpy()[at]
    _, local_rank = np.unique(st["local_id"].to_numpy().astype(str), return_inverse=True)
    # one int64 key (school, date, local id, pupil) sorts much faster than a lexsort of four
    keys = [school, (date - date.min()).astype(np.int64) if len(date) else date, local_rank.ravel()[at], p]
    bits = [max(int(k.max()), 1).bit_length() if len(k) else 1 for k in keys]
    if sum(bits) <= 62:
        packed = np.zeros(len(p), np.int64)
        for k, b in zip(keys, bits, strict=True):
            packed = (packed << b) | k.astype(np.int64)
        order = np.argsort(packed, kind="stable")
    else:  # pragma: no cover - far beyond the region scale
        order = np.lexsort(keys[::-1])
    return {
        "school": school[order],
        "child": ch[order],
        "local_id": local[order],
        "date": date[order],
        "lessons": les[order].astype(np.int8),
        "reason": reason[order],
    }


REASONS = np.array(["illness", "excused", "unexcused"], dtype=object)


def _split(df: pd.DataFrame, key: str, cols: list[str]) -> dict[int, dict[str, np.ndarray]]:
    """Per value of ``key``: the rows' columns as numpy arrays (one sort, no per-group pandas work)."""
    if not len(df):
        return {}
    df = df.sort_values(key, kind="stable")
    k = df[key].to_numpy()
    arrays = {
        c: (
            df[c].to_numpy().astype("datetime64[D]")
            if str(df[c].dtype).startswith("datetime")
            else df[c].to_numpy()
        )
        for c in cols
    }
    bounds = np.flatnonzero(np.diff(k)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(k)]
    return {int(k[a]): {c: v[a:b] for c, v in arrays.items()} for a, b in zip(starts, ends, strict=True)}


def _split_sorted(key: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[int, dict[str, np.ndarray]]:
    """Per value of ``key`` (already grouped): slices of ``arrays``."""
    if not len(key):
        return {}
    bounds = np.flatnonzero(np.diff(key)) + 1
    starts, ends = np.r_[0, bounds], np.r_[bounds, len(key)]
    return {int(key[a]): {c: v[a:b] for c, v in arrays.items()} for a, b in zip(starts, ends, strict=True)}


def _take(d: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in d.items()}


@dataclass
class _Year:
    """One school year's data of every school, split by school (prepared once, read by every export task)."""

    y: int
    snap: np.datetime64
    st: dict
    gh: dict
    ab: dict
    ev: dict
    py_children: np.ndarray
    marks: np.ndarray
    term_ends: dict


def _prepare_year(world: World, sim: Simulation, y: int, rng: np.random.Generator) -> _Year:
    consent = world.children.consent
    st_cols = ["child", "grade", "class_label", "programme", "local_id", "start", "end", "admitted"]
    Y = school_year(y)
    stints = sim.stints
    st_y = _split(stints[stints["year"] == y], "school", st_cols)
    gh_y = _split(stints[(stints["year"] == y - 1) & stints["ghost"]], "school", st_cols)
    py_children = sim.pupil_years.loc[sim.pupil_years["year"] == y, "child"].to_numpy()
    ab = absences_for_year(world, sim, y, rng)
    ab = _take(ab, consent[ab["child"]])
    ab_y = _split_sorted(ab.pop("school"), ab)
    ev = sim.events
    ev = ev[(ev["year"] == y)] if len(ev) else ev
    ev = ev[consent[ev["child"].to_numpy()]] if len(ev) else ev
    ev_y = _split(
        ev,
        "school",
        ["child", "local_id", "date", "event_type", "grade", "reason", "destination", "dest_school", "lost"],
    )
    term_ends = {t: d64(Y.term_ends[TERM_INDEX[t] if t != "year" else 3]) for t in TERM_MONTH}
    return _Year(y, d64(Y.snapshot), st_y, gh_y, ab_y, ev_y, py_children, sim.marks[y], term_ends)


def _sender_order(world: World) -> tuple[np.ndarray, list[int]]:
    # one file per sender: a legal entity with branches (one ИНН, vendor A) sends its schools together
    s = world.schools
    sender_of = np.where(s.vendor == "a", s.inn, s.vendor_code)
    return sender_of, sorted(range(len(s)), key=lambda i: (str(sender_of[i]), i))


def _unknown_sender_host(world: World, landing: Landing, years: list[_Year], order: list[int]):
    """(year, school) whose October absences a private school not in the register also sends, or None.

    The first vendor-A school, in export order, with October absences whose copy would be sent by ``as_of``.
    """
    s = world.schools
    for yd in years:
        yy, mm = yd.y, 10
        if dt.date(yy, 9, 1) > world.as_of or dt.date(yy, mm, 1) > world.as_of:
            continue
        period = f"{yy}-{mm:02d}"
        for sc in order:
            ab_s = yd.ab.get(sc)
            if s.vendor[sc] != "a" or ab_s is None:
                continue
            n = (ab_s["date"].astype("datetime64[M]") == np.datetime64(period, "M")).sum()
            if n and landing.sent_at(
                "school_vendor_a", UNKNOWN_INN, period, "absences", _due(yy, mm)
            ).date() <= (world.as_of):
                return yd.y, sc
    return None


UNKNOWN_INN = "0326999998"


def export_tasks(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator, chunks_per_year: int = 1
) -> list[Task]:
    """The monthly exports as tasks: each year's senders in ``chunks_per_year`` runs of about equal size.

    The randomness of the exports (absences) is drawn here, year by year, so the tasks may run in any process.
    """
    sender_of, order = _sender_order(world)
    years = [_prepare_year(world, sim, y, rng) for y in world.years]
    host = _unknown_sender_host(world, landing, years, order)
    tasks = []
    for yd in years:
        # cut at sender boundaries, weighted by rows (stints and absences) so the runs are about equal
        weight = np.array(
            [
                1
                + (len(yd.st[sc]["child"]) if sc in yd.st else 0)
                + (len(yd.ab[sc]["child"]) if sc in yd.ab else 0) / 8
                for sc in order
            ],
            dtype=float,
        )
        cum = np.cumsum(weight)
        total = cum[-1] if len(cum) else 0.0
        cuts = [0]
        for k in range(1, chunks_per_year):
            pos = int(np.searchsorted(cum, total * k / chunks_per_year))
            while 0 < pos < len(order) and sender_of[order[pos - 1]] == sender_of[order[pos]]:
                pos += 1
            if cuts[-1] < pos < len(order):
                cuts.append(pos)
        cuts.append(len(order))
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            schools = order[a:b]
            tasks.append(
                Task(
                    lambda yd=yd, schools=schools: _write_schools(
                        world, sim, landing, yd, schools, sender_of, host
                    ),
                    weight=float(weight[a:b].sum()),
                    steps=len(schools),
                )
            )
    return tasks


def write_school_exports(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator, progress=None
) -> None:
    """All monthly exports in one process (``export_tasks`` splits the same work for several)."""
    for t in export_tasks(world, sim, landing, rng):
        t.run()
        if progress:
            for _ in range(t.steps):
                progress()


def _write_schools(
    world: World,
    sim: Simulation,
    landing: Landing,
    yd: _Year,
    order: list[int],
    sender_of: np.ndarray,
    unknown_host: tuple[int, int] | None,
) -> None:
    """Write one year's exports of the schools in ``order`` (whole senders, in export order)."""
    c, s, fam, gu = world.children, world.schools, world.families, world.guardians
    consent = c.consent
    code = s.code
    as_of = world.as_of
    y, snap, term_ends, py_children, marks = yd.y, yd.snap, yd.term_ends, yd.py_children, yd.marks
    st_y, gh_y, ab_y, ev_y = yd.st, yd.gh, yd.ab, yd.ev
    pending: dict[tuple, list] = {}

    def emit(key, table, notes=(), pending=pending):
        pending.setdefault(key, []).append((table, list(notes)))

    def flush(pending=pending):
        for (source, sender, period, entity, due), parts in pending.items():
            offset = 0
            notes = []
            for t, nts in parts:
                notes += [(fa, i + offset) for fa, i in nts]
                offset += len(t)
            if len(parts) == 1:
                table = parts[0][0]
            else:
                keys = list(parts[0][0].cols)
                table = Table(
                    {k: np.concatenate([p[0].cols[k] for p in parts]) for k in keys},
                    {r: np.concatenate([p[0].persons[r] for p in parts]) for r in parts[0][0].persons},
                )
            landing.write(source, sender, period, entity, due, table, notes=notes)
        pending.clear()

    for pos, sc in enumerate(order):
        if pos > 0 and sender_of[order[pos - 1]] != sender_of[sc]:
            flush()
        st_s, gh_s, ab_s, ev_s = st_y.get(sc), gh_y.get(sc), ab_y.get(sc), ev_y.get(sc)
        if st_s is None and ab_s is None and ev_s is None:
            continue
        vendor = s.vendor[sc]
        source = "school_vendor_a" if vendor == "a" else "school_vendor_b"
        sender = s.inn[sc] if vendor == "a" else s.vendor_code[sc]

        def sch_fill(n, vendor=vendor, sc=sc):
            if vendor == "a":
                return {
                    "school_code": np.full(n, code[sc], dtype=object),
                    "school_inn": np.full(n, s.inn[sc], dtype=object),
                }
            return {"vendor_school_code": np.full(n, s.vendor_code[sc], dtype=object)}

        st_month = st_s["start"].astype("datetime64[M]") if st_s is not None else None
        # orders of the summer before the school year (admissions to 1st grade, transfers after НОШ/ООШ, the
        # closing school's transfers on a reorganisation) go out with the September export
        ev_month = (
            np.maximum(ev_s["date"].astype("datetime64[M]"), np.datetime64(f"{y}-09", "M"))
            if ev_s is not None
            else None
        )
        ab_month = ab_s["date"].astype("datetime64[M]") if ab_s is not None else None
        for yy, mm in _month_periods(y):
            if dt.date(yy, mm, 1) > as_of:
                break
            period = f"{yy}-{mm:02d}"
            due = _due(yy, mm)
            month = np.datetime64(period, "M")
            # --- pupils (full roster in September, new admissions later) and their guardians
            ros = None
            ghost = np.zeros(0, bool)
            if st_s is not None:
                if mm == 9:
                    ros = _take(st_s, (st_s["start"] <= snap) & (st_s["end"] >= snap))
                    if gh_s is not None:
                        g = _take(gh_s, np.ones(len(gh_s["child"]), bool))
                        g["grade"] = np.minimum(g["grade"] + 1, 11)
                        g["class_label"] = np.char.add(g["grade"].astype(str), "А").astype(object)
                        ros = {k: np.concatenate([ros[k], g[k]]) for k in ros}
                    ghost = np.r_[
                        np.zeros(len(ros["child"]) - (len(gh_s["child"]) if gh_s is not None else 0), bool),
                        np.ones(len(gh_s["child"]) if gh_s is not None else 0, bool),
                    ]
                else:
                    ros = _take(st_s, (st_month == month) & (st_s["start"] > snap))
                    ghost = np.zeros(len(ros["child"]), bool)
            if ros is not None and len(ros["child"]):
                ch = ros["child"]
                ok = consent[ch]
                n = len(ch)

                def pii(arr, ch=ch, ok=ok):
                    return np.where(ok, arr[ch], "").astype(object)

                cols = sch_fill(n) | {
                    "local_id": ros["local_id"],
                    "last_name": pii(c.last),
                    "first_name": pii(c.first),
                    "middle_name": pii(c.middle),
                    "sex": np.where(c.sex[ch] == 0, "male", "female"),
                    "birth_date": c.birth[ch],
                    "snils": pii(c.snils),
                    "birth_certificate": pii(c.certificate),
                    "address": pii(fam.address[c.family]),
                    "grade": ros["grade"],
                    "class_label": ros["class_label"],
                    "programme": ros["programme"],
                    "education_form": np.full(n, "full_time", dtype=object),
                    "consent": np.where(ok, "True", "False"),
                    "admission_date": ros["admitted"],
                }
                emit(
                    (source, sender, period, "students", due),
                    Table(cols, {"student": c.person_id[ch]}),
                    [("double_enrolment", int(i)) for i in np.where(ghost)[0]],
                )
                chc = ch[ok]
                lid = ros["local_id"][ok]
                f = c.family[chc]
                gi, gl, rl = [], [], []
                for who, arr in (
                    ("mother", fam.mother),
                    ("father", fam.father),
                    ("grandmother", fam.caretaker),
                ):
                    has = arr[f] >= 0
                    gi.append(arr[f][has])
                    gl.append(lid[has])
                    rl.append(np.full(has.sum(), who, dtype=object))
                gi, gl, rl = np.concatenate(gi), np.concatenate(gl), np.concatenate(rl)
                if len(gi):
                    o = np.argsort(gl, kind="stable")
                    gi, gl, rl = gi[o], gl[o], rl[o]
                    gcols = sch_fill(len(gi)) | {
                        "local_id": gl,
                        "relation": rl,
                        "last_name": gu.last[gi],
                        "first_name": gu.first[gi],
                        "middle_name": gu.middle[gi],
                        "birth_date": gu.birth[gi],
                        "snils": gu.snils[gi],
                        "phone": gu.phone[gi],
                    }
                    emit(
                        (source, sender, period, "guardians", due),
                        Table(gcols, {"guardian": gu.person_id[gi]}),
                    )
            # --- movements
            if ev_s is not None:
                em = _take(ev_s, ev_month == month)
                if len(em["child"]):
                    ch = em["child"]
                    dest_s = em["dest_school"].astype(int)
                    cols = sch_fill(len(ch)) | {
                        "local_id": em["local_id"],
                        "last_name": c.last[ch],
                        "first_name": c.first[ch],
                        "middle_name": c.middle[ch],
                        "birth_date": c.birth[ch],
                        "event_type": em["event_type"],
                        "event_date": em["date"],
                        "grade": em["grade"].astype(int),
                        "reason": em["reason"],
                        "destination": np.array(
                            ["" if x is None or x != x else x for x in em["destination"].tolist()],
                            dtype=object,
                        ),
                        "destination_school_code": np.where(
                            dest_s >= 0, code[np.maximum(dest_s, 0)], ""
                        ).astype(object),
                        "order_no": np.array([f"{i + 1}-у" for i in range(len(ch))], dtype=object),
                    }
                    emit(
                        (source, sender, period, "movements", due),
                        Table(cols, {"student": c.person_id[ch]}),
                        [("lost_transfer", int(i)) for i in np.where(em["lost"].astype(bool))[0]],
                    )
            # --- marks at the end of a term
            terms = [t for t, m in TERM_MONTH.items() if m == mm]
            if terms and st_s is not None:
                parts = []
                for t in terms:
                    te = term_ends[t]
                    sel = (
                        (st_s["start"] <= te)
                        & (st_s["end"] >= te)
                        & (st_s["grade"] >= 2)
                        & consent[st_s["child"]]
                    )
                    if sel.any():
                        parts.append((_take(st_s, sel), t))
                if parts:
                    ch = np.concatenate([p[0]["child"] for p in parts])
                    term = np.concatenate([np.full(len(p[0]["child"]), p[1], dtype=object) for p in parts])
                    pos = np.searchsorted(py_children, ch)
                    ti = np.array([TERM_INDEX[t] for t in term.tolist()])
                    vals = marks[pos, ti, :]
                    cols = sch_fill(len(ch)) | {
                        "local_id": np.concatenate([p[0]["local_id"] for p in parts]),
                        "grade": np.concatenate([p[0]["grade"] for p in parts]),
                        "term": term,
                    }
                    for j, subj in enumerate(SUBJECTS):
                        v = vals[:, j].astype(str).astype(object)
                        v[vals[:, j] == 0] = ""
                        cols[subj] = v
                    emit((source, sender, period, "marks", due), Table(cols, {"student": c.person_id[ch]}))
            # --- absences
            if ab_s is not None:
                a = _take(ab_s, ab_month == month)
                if len(a["child"]):
                    ch = a["child"]
                    cols = sch_fill(len(ch)) | {
                        "local_id": a["local_id"],
                        "absence_date": a["date"],
                        "lessons_missed": a["lessons"].astype(int),
                        "absence_reason": REASONS[a["reason"].astype(int)],
                    }
                    emit(
                        (source, sender, period, "absences", due),
                        Table(cols, {"student": c.person_id[ch]}),
                    )
                    if (y, sc) == unknown_host and mm == 10:
                        # a private school not in the register sends its export too (unknown_sender)
                        fake_inn = UNKNOWN_INN
                        fake = cols | {
                            "school_code": np.full(len(ch), "0326999", dtype=object),
                            "school_inn": np.full(len(ch), fake_inn, dtype=object),
                        }
                        rel = landing.write(
                            source,
                            fake_inn,
                            period,
                            "absences",
                            due,
                            Table(fake, {"student": c.person_id[ch]}),
                            allow_faults=False,
                        )
                        if rel is not None:
                            landing._fault("unknown_sender", rel)
    flush()
