"""Monthly exports of the school information systems (vendor A CSV, vendor B JSONL): pupils, guardians,
movements, marks and absences, one file per school, month and entity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.synth.calendar import school_year, season_weights
from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import SUBJECTS, Simulation
from pipelines.synth.world import World, d64

TERM_MONTH = {"q1": 10, "q2": 12, "q3": 3, "q4": 5, "year": 5}
TERM_INDEX = {"q1": 0, "q2": 1, "q3": 2, "q4": 3, "year": 4}
LESSONS = np.array([0, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 7])


def _month_periods(y: int) -> list[tuple[int, int]]:
    return [(y, m) for m in range(9, 13)] + [(y + 1, m) for m in range(1, 7)]


def _due(year: int, month: int) -> dt.date:
    return dt.date(year + (month == 12), month % 12 + 1, 1)


def absences_for_year(world: World, sim: Simulation, y: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per pupil and day with missed lessons, attached to the stint (school) of that day."""
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
    df = pd.DataFrame({"child": child[p], "date": Y.days[d], "lessons": les, "reason": reason})
    df = df[df["date"] <= d64(world.as_of)]
    st = sim.stints[sim.stints["year"] == y][["child", "school", "local_id", "start", "end"]].copy()
    st = st.sort_values("start", kind="stable")
    df = df.sort_values("date", kind="stable")
    df["date"] = df["date"].astype("datetime64[ns]")
    st["start"] = st["start"].astype("datetime64[ns]")
    m = pd.merge_asof(df, st, left_on="date", right_on="start", by="child", direction="backward")
    m = m[m["school"].notna() & (m["date"] <= m["end"].astype("datetime64[ns]"))]
    m["school"] = m["school"].astype(int)
    return m.sort_values(["school", "date", "local_id"], kind="stable").reset_index(drop=True)


REASONS = np.array(["illness", "excused", "unexcused"], dtype=object)


def write_school_exports(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator, progress=None
) -> None:
    c, s, fam, gu = world.children, world.schools, world.families, world.guardians
    consent = c.consent
    stints = sim.stints
    events = sim.events
    code = s.code
    for y in world.years:
        Y = school_year(y)
        snap = d64(Y.snapshot)
        st_y = stints[stints["year"] == y]
        ghosts = stints[(stints["year"] == y - 1) & stints["ghost"]]
        py_children = sim.pupil_years.loc[sim.pupil_years["year"] == y, "child"].to_numpy()
        marks = sim.marks[y]
        ab = absences_for_year(world, sim, y, rng)
        ab_month = ab["date"].dt.month.to_numpy()
        ab_school = ab["school"].to_numpy()
        ev_y = events[events["year"] == y] if len(events) else events
        for sc in range(len(s)):
            vendor = s.vendor[sc]
            source = "school_vendor_a" if vendor == "a" else "school_vendor_b"
            sender = s.inn[sc] if vendor == "a" else s.vendor_code[sc]
            school_cols = (
                {"school_code": None, "school_inn": None} if vendor == "a" else {"vendor_school_code": None}
            )
            st_s = st_y[st_y["school"] == sc]
            if not len(st_s) and not ((ab_school == sc).any()):
                continue
            ab_s_mask = ab_school == sc
            ev_s = ev_y[ev_y["school"] == sc] if len(ev_y) else ev_y
            for yy, mm in _month_periods(y):
                period = f"{yy}-{mm:02d}"
                due = _due(yy, mm)
                if dt.date(yy, mm, 1) > world.as_of:
                    break

                def sch_fill(n):
                    d = {}
                    if vendor == "a":
                        d["school_code"] = np.full(n, code[sc], dtype=object)
                        d["school_inn"] = np.full(n, s.inn[sc], dtype=object)
                    else:
                        d["vendor_school_code"] = np.full(n, s.vendor_code[sc], dtype=object)
                    return d

                # --- pupils (full roster in September, new admissions later) and their guardians
                if mm == 9:
                    ros = st_s[(st_s["start"] <= snap) & (st_s["end"] >= snap)]
                    gh = ghosts[ghosts["school"] == sc]
                    if len(gh):
                        gh = gh.assign(
                            grade=np.minimum(gh["grade"] + 1, 11),
                            class_label=(np.minimum(gh["grade"] + 1, 11)).astype(str) + "А",
                        )
                    ros = pd.concat([ros.assign(_ghost=False), gh.assign(_ghost=True)], ignore_index=True)
                else:
                    st_m = st_s["start"].to_numpy().astype("datetime64[M]")
                    ros = st_s[(st_m == np.datetime64(f"{yy}-{mm:02d}")) & (st_s["start"] > snap)].assign(
                        _ghost=False
                    )
                if len(ros):
                    ch = ros["child"].to_numpy()
                    ok = consent[ch]
                    n = len(ch)
                    blank = np.where(ok, None, "")

                    def pii(arr):
                        return np.where(ok, arr[ch], "").astype(object)

                    cols = sch_fill(n) | {
                        "local_id": ros["local_id"].to_numpy(),
                        "last_name": pii(c.last),
                        "first_name": pii(c.first),
                        "middle_name": pii(c.middle),
                        "sex": np.where(c.sex[ch] == 0, "male", "female"),
                        "birth_date": c.birth[ch],
                        "snils": pii(c.snils),
                        "birth_certificate": pii(c.certificate),
                        "address": pii(fam.address[c.family]),
                        "grade": ros["grade"].to_numpy(),
                        "class_label": ros["class_label"].to_numpy(),
                        "programme": ros["programme"].to_numpy(),
                        "education_form": np.full(n, "full_time", dtype=object),
                        "consent": np.where(ok, "True", "False"),
                        "admission_date": ros["admitted"].to_numpy(),
                    }
                    del blank
                    rel = landing.write(
                        source, sender, period, "students", due, Table(cols, {"student": c.person_id[ch]})
                    )
                    if rel is not None:
                        gh_rows = np.where(ros["_ghost"].to_numpy())[0]
                        for i in gh_rows:
                            landing._fault("double_enrolment", rel, int(i) + 1, "")
                    # guardians of pupils with consent
                    chc = ch[ok]
                    lid = ros["local_id"].to_numpy()[ok]
                    gi, gl, rel_ = [], [], []
                    f = c.family[chc]
                    for who, arr in (
                        ("mother", fam.mother),
                        ("father", fam.father),
                        ("grandmother", fam.caretaker),
                    ):
                        has = arr[f] >= 0
                        gi.append(arr[f][has])
                        gl.append(lid[has])
                        rel_.append(
                            np.full(
                                has.sum(), "guardian" if who == "grandmother" and False else who, dtype=object
                            )
                        )
                    gi, gl, rel_ = np.concatenate(gi), np.concatenate(gl), np.concatenate(rel_)
                    if len(gi):
                        o = np.argsort(gl, kind="stable")
                        gi, gl, rel_ = gi[o], gl[o], rel_[o]
                        gcols = sch_fill(len(gi)) | {
                            "local_id": gl,
                            "relation": rel_,
                            "last_name": gu.last[gi],
                            "first_name": gu.first[gi],
                            "middle_name": gu.middle[gi],
                            "birth_date": gu.birth[gi],
                            "snils": gu.snils[gi],
                            "phone": gu.phone[gi],
                        }
                        landing.write(
                            source,
                            sender,
                            period,
                            "guardians",
                            due,
                            Table(gcols, {"guardian": gu.person_id[gi]}),
                        )
                # --- movements
                if len(ev_s):
                    em = ev_s[
                        (ev_s["date"].to_numpy().astype("datetime64[M]") == np.datetime64(f"{yy}-{mm:02d}"))
                    ]
                    em = em[consent[em["child"].to_numpy()]]
                    if len(em):
                        ch = em["child"].to_numpy()
                        dest_s = em["dest_school"].to_numpy()
                        cols = sch_fill(len(em)) | {
                            "local_id": em["local_id"].to_numpy(),
                            "last_name": c.last[ch],
                            "first_name": c.first[ch],
                            "middle_name": c.middle[ch],
                            "birth_date": c.birth[ch],
                            "event_type": em["event_type"].to_numpy(),
                            "event_date": em["date"].to_numpy(),
                            "grade": em["grade"].to_numpy(),
                            "reason": em["reason"].to_numpy(),
                            "destination": em["destination"].fillna("").to_numpy(dtype=object),
                            "destination_school_code": np.where(
                                dest_s >= 0, code[np.maximum(dest_s, 0)], ""
                            ).astype(object),
                            "order_no": np.array(
                                [f"{int(x) % 300 + 1}-у" for x in np.arange(len(em))], dtype=object
                            ),
                        }
                        rel = landing.write(
                            source,
                            sender,
                            period,
                            "movements",
                            due,
                            Table(cols, {"student": c.person_id[ch]}),
                        )
                        if rel is not None:
                            for i in np.where(em["lost"].to_numpy())[0]:
                                landing._fault("lost_transfer", rel, int(i) + 1, "")
                # --- marks at the end of a term
                terms = [t for t, m in TERM_MONTH.items() if m == mm]
                if terms:
                    parts = []
                    for t in terms:
                        te = d64(Y.term_ends[TERM_INDEX[t] if t != "year" else 3])
                        act = st_s[(st_s["start"] <= te) & (st_s["end"] >= te) & (st_s["grade"] >= 2)]
                        act = act[consent[act["child"].to_numpy()]]
                        if len(act):
                            parts.append(act.assign(term=t))
                    if parts:
                        mk = pd.concat(parts, ignore_index=True)
                        ch = mk["child"].to_numpy()
                        pos = np.searchsorted(py_children, ch)
                        ti = mk["term"].map(TERM_INDEX).to_numpy()
                        vals = marks[pos, ti, :]
                        cols = sch_fill(len(mk)) | {
                            "local_id": mk["local_id"].to_numpy(),
                            "grade": mk["grade"].to_numpy(),
                            "term": mk["term"].to_numpy(),
                        }
                        for j, subj in enumerate(SUBJECTS):
                            v = vals[:, j].astype(object)
                            v[vals[:, j] == 0] = ""
                            cols[subj] = np.array([str(x) for x in v], dtype=object)
                        landing.write(
                            source, sender, period, "marks", due, Table(cols, {"student": c.person_id[ch]})
                        )
                # --- absences
                sel = np.where(ab_s_mask & (ab_month == mm))[0]
                if len(sel):
                    a = ab.iloc[sel]
                    a = a[a["date"].dt.year == yy]
                    a = a[consent[a["child"].to_numpy()]]
                    if len(a):
                        ch = a["child"].to_numpy()
                        cols = sch_fill(len(a)) | {
                            "local_id": a["local_id"].to_numpy(),
                            "absence_date": a["date"].to_numpy().astype("datetime64[D]"),
                            "lessons_missed": a["lessons"].to_numpy(),
                            "absence_reason": REASONS[a["reason"].to_numpy()],
                        }
                        landing.write(
                            source, sender, period, "absences", due, Table(cols, {"student": c.person_id[ch]})
                        )
            if progress:
                progress()
