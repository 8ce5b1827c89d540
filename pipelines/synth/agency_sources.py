"""Agency sources around the schools: clinics, social protection, КДН/ПДН, the exam centre, Госуслуги, colleges.

Children without consent to personal-data processing are left out of these files (a simplification: the real
agencies send everyone and the registry drops them); the civil registry, which must show every child, keeps them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pipelines.synth.calendar import school_year
from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import Simulation
from pipelines.synth.world import World, d64

NAT = np.datetime64("NaT")
COLLEGES = ["spo_bkp", "spo_bpk", "spo_bbk", "spo_kyakhta", "spo_gusinoozersk"]
COLLEGE_NAMES = {
    "spo_bkp": "Бурятский республиканский педагогический колледж",
    "spo_bpk": "Байкальский колледж туризма и сервиса",
    "spo_bbk": "Бурятский республиканский базовый медицинский колледж",
    "spo_kyakhta": "Кяхтинский педагогический колледж",
    "spo_gusinoozersk": "Гусиноозёрский энергетический техникум",
}
UNIS = {
    "vuz_bgu": "Бурятский государственный университет",
    "vuz_vsgutu": "Восточно-Сибирский государственный университет технологий и управления",
    "vuz_bgsha": "Бурятская государственная сельскохозяйственная академия",
}
OUT_INST = [
    "Иркутский государственный университет",
    "Новосибирский государственный университет",
    "Томский политехнический университет",
    "Московский государственный университет",
    "Иркутский колледж экономики",
    "Красноярский медицинский техникум",
    "Санкт-Петербургский государственный университет",
]
PROGRAMMES = [
    "Педагогика",
    "Лечебное дело",
    "Информатика и вычислительная техника",
    "Экономика",
    "Юриспруденция",
    "Строительство",
    "Сестринское дело",
    "Технология продукции общественного питания",
    "Автомеханика",
    "Туризм",
]


def _person(world: World, ch: np.ndarray, prefix: str = "") -> dict:
    c = world.children
    return {
        prefix + "last_name": c.last[ch],
        prefix + "first_name": c.first[ch],
        prefix + "middle_name": c.middle[ch],
        prefix + "birth_date": c.birth[ch],
        prefix + "snils": c.snils[ch],
    }


def _guardian_of(world: World, ch: np.ndarray) -> np.ndarray:
    fam = world.families
    f = world.children.family[ch]
    return np.where(
        fam.mother[f] >= 0, fam.mother[f], np.where(fam.caretaker[f] >= 0, fam.caretaker[f], fam.father[f])
    )


def _gperson(world: World, g: np.ndarray, prefix: str) -> tuple[dict, np.ndarray]:
    gu = world.guardians
    has = g >= 0
    gg = np.maximum(g, 0)

    def col(a):
        return np.where(has, a[gg], "").astype(object)

    return (
        {
            prefix + "last_name": col(gu.last),
            prefix + "first_name": col(gu.first),
            prefix + "middle_name": col(gu.middle),
            prefix + "birth_date": np.where(has, gu.birth[gg], NAT),
            prefix + "snils": col(gu.snils),
        },
        np.where(has, gu.person_id[gg], "").astype(object),
    )


def write_clinics(world: World, sim: Simulation, landing: Landing, rng: np.random.Generator) -> None:
    c, s = world.children, world.schools
    py = sim.pupil_years
    for y in world.years:
        d = py[(py["year"] == y)]
        d = d[c.consent[d["child"].to_numpy()] & (rng.random(len(d)) < 0.95)]
        sch = d["school"].to_numpy()
        muni = s.muni[sch]
        uu = np.array([world.munis[m].name == "Улан-Удэ" for m in muni])
        sender = np.where(
            uu,
            np.char.add("dp_ulan_ude_", (sch % 4 + 1).astype(str)),
            np.char.add("crb_", np.array([world.munis[m].oktmo for m in muni])),
        ).astype(object)
        dates = d64(dt.date(y, 9, 15)) + rng.integers(0, 95, len(d))
        for snd in sorted(set(sender.tolist())):
            m = sender == snd
            ch = d["child"].to_numpy()[m]
            o = np.lexsort((ch, dates[m]))
            ch = ch[o]
            cols = _person(world, ch) | {
                "sex": np.where(c.sex[ch] == 0, "male", "female"),
                "school_name": np.array(s.short_name, dtype=object)[sch[m][o]],
                "checkup_date": dates[m][o],
                "health_group": d["health_group"].to_numpy()[m][o],
                "pe_group": d["pe_group"].to_numpy()[m][o],
                "disability": np.array([str(bool(x)) for x in c.disabled[ch]], dtype=object),
                "special_needs": np.array([str(bool(x)) for x in c.special_needs[ch]], dtype=object),
            }
            landing.write(
                "clinics",
                snd,
                f"{y}-{(y + 1) % 100:02d}",
                "checkups",
                dt.date(y + 1, 1, 10),
                Table(cols, {"child": c.person_id[ch]}),
            )


def write_social_protection(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator
) -> None:
    c, fam = world.children, world.families
    oktmo = np.array([m.oktmo for m in world.munis], dtype=object)
    py = sim.pupil_years
    for cy in range(world.years[0], world.as_of.year + 1):
        y0, y1 = d64(dt.date(cy, 1, 1)), d64(dt.date(cy, 12, 31))
        age = (y1 - c.birth).astype(int) / 365.25
        live = c.consent & (age >= 6) & (age < 18.0)
        parts = []
        f = c.family
        # large families: from the birth of the third child, renewed every 5 years
        third = np.full(len(fam.muni), np.datetime64("2100-01-01"), dtype="datetime64[D]")
        order = np.lexsort((c.birth, f))
        rank = np.zeros(len(c), int)
        ff = f[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ff)) + 1]
        rank[order] = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
        third[f[rank == 2]] = c.birth[rank == 2]
        m = live & (third[f] <= y1)
        parts.append((np.where(m)[0], "large_family", third[f][m] + 30, np.full(m.sum(), NAT)))
        m = live & fam.low_income[f]
        st = np.maximum(d64(dt.date(cy - 1, 1, 1)) + rng.integers(0, 600, len(c)), y0 - 300)
        parts.append((np.where(m)[0], "low_income", st[m], st[m] + 365))
        m = live & fam.svo[f] & (cy >= 2022)
        svo_start = np.maximum(d64(dt.date(2022, 10, 1)) + (c.family * 37) % 700, d64(dt.date(2022, 10, 1)))
        parts.append((np.where(m)[0], "svo_family", svo_start[m], np.full(m.sum(), NAT)))
        m = live & c.orphan
        parts.append(
            (
                np.where(m)[0],
                "guardianship",
                c.birth[m] + 365 + (np.where(m)[0] * 91) % 2000,
                np.full(m.sum(), NAT),
            )
        )
        # free meals for pupils of grades 5–11 from eligible families, per school year
        d = py[(py["year"] == cy) & (py["grade"] >= 5)]
        ch = d["child"].to_numpy()
        elig = c.consent[ch] & (
            (third[f[ch]] <= y1) | fam.low_income[f[ch]] | fam.svo[f[ch]] | c.orphan[ch] | c.special_needs[ch]
        )
        parts.append(
            (
                ch[elig],
                "free_meals",
                np.full(elig.sum(), d64(dt.date(cy, 9, 1))),
                np.full(elig.sum(), d64(dt.date(cy + 1, 5, 31))),
            )
        )
        ch = np.concatenate([p[0] for p in parts])
        kind = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in parts])
        start = np.concatenate([p[2] for p in parts]).astype("datetime64[D]")
        end = np.concatenate([p[3] for p in parts]).astype("datetime64[D]")
        keep = (start <= y1) & (np.isnat(end) | (end >= y0))
        ch, kind, start, end = ch[keep], kind[keep], start[keep], end[keep]
        o = np.lexsort((ch, sim.muni[ch]))
        ch, kind, start, end = ch[o], kind[o], start[o], end[o]
        gcols, gid = _gperson(world, _guardian_of(world, ch), "guardian_")
        cols = (
            _person(world, ch, "child_")
            | gcols
            | {"benefit": kind, "start_date": start, "end_date": end, "oktmo": oktmo[sim.muni[ch]]}
        )
        landing.write(
            "social_protection",
            "uszn_rb",
            str(cy),
            "benefits",
            dt.date(cy + 1, 1, 20),
            Table(cols, {"child": c.person_id[ch], "guardian": gid}),
        )


def _quarters(world: World):
    for y in range(world.years[0], world.as_of.year + 1):
        for q in range(4):
            qs = dt.date(y, 3 * q + 1, 1)
            qe = dt.date(y + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1)
            if qs >= dt.date(world.years[0], 9, 1) - dt.timedelta(days=92):
                yield f"{y}-Q{q + 1}", d64(qs), d64(qe), qe + dt.timedelta(days=10)


def write_prevention(world: World, sim: Simulation, landing: Landing, rng: np.random.Generator) -> None:
    c, fam = world.children, world.families
    reg = sim.registrations
    oktmo = np.array([m.oktmo for m in world.munis], dtype=object)
    grounds_pdn = {
        "offence": "offence",
        "runaway": "other",
        "truancy": "other",
        "substance": "alcohol",
        "other": "dangerous_act",
    }
    for period, qs, qe, due in _quarters(world):
        r = reg[(reg["start"] <= qe) & (reg["end"] >= qs)]
        r = r[c.consent[r["child"].to_numpy()]]
        for kind in ("pdn", "kdn"):
            rr = r[r["register"] == kind].sort_values(["start", "child"], kind="stable")
            ch = rr["child"].to_numpy()
            if kind == "pdn":
                cols = _person(world, ch) | {
                    "registered_date": rr["start"].to_numpy(),
                    "deregistered_date": np.where(rr["end"].to_numpy() <= qe, rr["end"].to_numpy(), NAT),
                    "article": rr["ground"].map(grounds_pdn).to_numpy(dtype=object),
                    "oktmo": oktmo[sim.muni[ch]],
                }
                cols.pop("snils")
                landing.write("pdn", "mvd_rb", period, "minors", due, Table(cols, {"child": c.person_id[ch]}))
                continue
            for mi, m in enumerate(world.munis):
                sel = sim.muni[ch] == mi
                chm = ch[sel]
                # СОП families of the municipality: one row per child
                f_on = (
                    (~np.isnat(fam.sop_start))
                    & (fam.sop_start <= qe)
                    & (np.isnat(fam.sop_end) | (fam.sop_end >= qs))
                )
                kids = np.where(
                    f_on[c.family]
                    & c.consent
                    & (sim.muni == mi)
                    & (c.birth <= qe)
                    & ((qe - c.birth).astype(int) < 18 * 365)
                )[0]
                if not len(chm) and not len(kids):
                    continue
                sender = f"kdn_{m.oktmo}"
                if len(chm):
                    cols = _person(world, chm) | {
                        "registered_date": rr["start"].to_numpy()[sel],
                        "deregistered_date": np.where(
                            rr["end"].to_numpy()[sel] <= qe, rr["end"].to_numpy()[sel], NAT
                        ),
                        "ground": rr["ground"].to_numpy(dtype=object)[sel],
                        "school_name": np.full(len(chm), "", dtype=object),
                    }
                    cols.pop("snils")
                    landing.write(
                        "kdn", sender, period, "minors", due, Table(cols, {"child": c.person_id[chm]})
                    )
                if len(kids):
                    kids = kids[np.lexsort((kids, c.family[kids]))]
                    gcols, gid = _gperson(world, _guardian_of(world, kids), "guardian_")
                    gcols.pop("guardian_snils")
                    cols = (
                        gcols
                        | _person(world, kids, "child_")
                        | {
                            "registered_date": fam.sop_start[c.family[kids]],
                            "deregistered_date": np.where(
                                fam.sop_end[c.family[kids]] <= qe, fam.sop_end[c.family[kids]], NAT
                            ),
                        }
                    )
                    cols.pop("child_snils")
                    landing.write(
                        "kdn",
                        sender,
                        period,
                        "sop_families",
                        due,
                        Table(cols, {"guardian": gid, "child": c.person_id[kids]}),
                    )


OGE = {
    "russian": (33, 25.0, 5.4, (15, 23, 29)),
    "maths": (31, 13.5, 6.0, (8, 15, 22)),
    "social": (37, 22.0, 7.0, (14, 24, 32)),
    "informatics": (19, 11.0, 4.0, (5, 11, 17)),
    "biology": (48, 27.0, 8.0, (13, 26, 37)),
    "geography": (31, 19.0, 6.0, (12, 19, 25)),
    "english": (68, 45.0, 12.0, (29, 46, 58)),
}
EGE = {
    "russian": (50, 64.0, 14.0, 24),
    "maths_profile": (32, 57.0, 17.0, 27),
    "social": (58, 53.0, 15.0, 42),
    "informatics": (29, 55.0, 18.0, 40),
    "biology": (57, 50.0, 16.0, 36),
    "physics": (45, 52.0, 14.0, 36),
    "chemistry": (56, 52.0, 18.0, 36),
    "history": (42, 55.0, 17.0, 32),
    "literature": (48, 58.0, 15.0, 32),
}


def write_exams(world: World, sim: Simulation, landing: Landing, rng: np.random.Generator) -> None:
    c, s = world.children, world.schools
    st = sim.stints
    for y in world.years:
        Y = school_year(y)
        if d64(dt.date(y + 1, 7, 10)) > d64(world.as_of):
            break
        end = d64(Y.last_day)
        fin = st[(st["year"] == y) & (st["end"] >= end) & st["grade"].isin([9, 11])]
        fin = fin[c.consent[fin["child"].to_numpy()]].drop_duplicates("child")
        rows = []
        for g, table in ((9, OGE), (11, EGE)):
            d = fin[fin["grade"] == g]
            ch, sch = d["child"].to_numpy(), d["school"].to_numpy()
            z = c.ability[ch] * 0.85 + s.effect_marks[sch] * 0.8
            for subj, spec in table.items():
                if g == 9:
                    take = (
                        np.ones(len(ch), bool) if subj in ("russian", "maths") else rng.random(len(ch)) < 0.4
                    )
                else:
                    take = (
                        np.ones(len(ch), bool)
                        if subj == "russian"
                        else rng.random(len(ch)) < {"maths_profile": 0.45, "social": 0.4}.get(subj, 0.15)
                    )
                if not take.any():
                    continue
                zz = z[take] + rng.normal(0, 0.55, take.sum())
                if g == 9:
                    mx, mu, sd, cuts = spec
                    prim = np.clip(np.round(mu + sd * zz), 0, mx).astype(int)
                    mark = 2 + np.searchsorted(np.array(cuts), prim, side="right")
                    test = np.full(len(prim), -1)
                else:
                    mx, mu, sd, minimum = spec
                    test = np.clip(np.round(mu + sd * zz), 0, 100).astype(int)
                    prim = np.clip(np.round(test * mx / 100), 0, mx).astype(int)
                    mark = np.full(len(prim), -1)
                date = d64(dt.date(y + 1, 5, 24)) + int(rng.integers(0, 28))
                rows.append(
                    pd.DataFrame(
                        {
                            "child": ch[take],
                            "school": sch[take],
                            "exam": "oge" if g == 9 else "ege",
                            "subject": subj,
                            "exam_date": date,
                            "primary_score": prim,
                            "test_score": test,
                            "mark": mark,
                            "attempt": "main",
                        }
                    )
                )
            if g == 11:  # base maths for those without profile maths
                prof = set(rows[-1]["child"].tolist()) if rows else set()
                base = np.array([x not in prof for x in ch.tolist()], dtype=bool)
                zz = z[base] + rng.normal(0, 0.5, base.sum())
                prim = np.clip(np.round(14 + 4 * zz), 0, 21).astype(int)
                mark = 2 + np.searchsorted(np.array([7, 12, 17]), prim, side="right")
                rows.append(
                    pd.DataFrame(
                        {
                            "child": ch[base],
                            "school": sch[base],
                            "exam": "ege",
                            "subject": "maths_base",
                            "exam_date": d64(dt.date(y + 1, 6, 1)),
                            "primary_score": prim,
                            "test_score": -1,
                            "mark": mark,
                            "attempt": "main",
                        }
                    )
                )
        if not rows:
            continue
        r = pd.concat(rows, ignore_index=True)
        failed = r[((r["mark"] == 2) & r["subject"].isin(["russian", "maths", "maths_base"]))]
        if len(failed):
            retake = failed.assign(
                attempt="reserve",
                exam_date=d64(dt.date(y + 1, 6, 28)),
                primary_score=failed["primary_score"] + rng.integers(2, 8, len(failed)),
            )
            retake["mark"] = np.where(retake["exam"] == "oge", np.maximum(retake["mark"], 3), retake["mark"])
            r = pd.concat([r, retake], ignore_index=True)
        r = r.sort_values(["exam", "subject", "school", "child"], kind="stable")
        ch = r["child"].to_numpy()
        cols = _person(world, ch) | {
            "school_code": s.code[r["school"].to_numpy()],
            "exam": r["exam"].to_numpy(dtype=object),
            "subject": r["subject"].to_numpy(dtype=object),
            "exam_date": r["exam_date"].to_numpy(),
            "primary_score": r["primary_score"].to_numpy(),
            "test_score": np.where(r["test_score"] >= 0, r["test_score"].astype(str), "").astype(object),
            "mark": np.where(r["mark"] >= 0, r["mark"].astype(str), "").astype(object),
            "attempt": r["attempt"].to_numpy(dtype=object),
        }
        landing.write(
            "exam_centre",
            "rcoi_rb",
            str(y + 1),
            "results",
            dt.date(y + 1, 7, 10),
            Table(cols, {"student": c.person_id[ch]}),
        )


def write_gosuslugi(world: World, sim: Simulation, landing: Landing, rng: np.random.Generator) -> None:
    c, s = world.children, world.schools
    ev = sim.events
    for y in world.years:
        adm = ev[(ev["year"] == y) & (ev["event_type"] == "admitted") & (ev["grade"] == 1)]
        tr = ev[
            (ev["year"] == y) & (ev["event_type"] == "transferred_in") & (ev["reason"] != "reorganisation")
        ]
        tr = tr[rng.random(len(tr)) < 0.5]
        adm = adm[c.consent[adm["child"].to_numpy()]]
        tr = tr[c.consent[tr["child"].to_numpy()]]
        n = len(adm)
        stage = rng.choice(["priority", "general", "vacant"], n, p=[0.12, 0.7, 0.18])
        sub = np.where(
            stage == "vacant",
            d64(dt.date(y, 7, 6)) + rng.integers(0, 50, n),
            d64(dt.date(y, 4, 1)) + rng.integers(0, 60, n),
        )
        dec = np.where(
            stage == "vacant", sub + rng.integers(1, 6, n), d64(dt.date(y, 7, 1)) + rng.integers(0, 3, n)
        )
        a = pd.DataFrame(
            {
                "child": adm["child"].to_numpy(),
                "school": adm["school"].to_numpy(),
                "kind": "first_grade",
                "stage": stage,
                "submitted": sub,
                "status": "accepted",
                "decision": dec,
                "refusal": "",
                "grade": 1,
            }
        )
        # a quarter of families also applied to a second school and were refused or withdrew
        extra = a[rng.random(n) < 0.25].copy()
        if len(extra):
            other = rng.integers(0, len(s), len(extra))
            extra["school"] = np.where(other == extra["school"].to_numpy(), (other + 1) % len(s), other)
            refused = rng.random(len(extra)) < 0.7
            extra["status"] = np.where(refused, "refused", "withdrawn")
            extra["refusal"] = np.where(
                refused,
                rng.choice(
                    ["no_places", "not_territory", "documents", "age"], len(extra), p=[0.5, 0.35, 0.1, 0.05]
                ),
                "",
            )
            extra["submitted"] = extra["submitted"].to_numpy() + 1
        t = pd.DataFrame(
            {
                "child": tr["child"].to_numpy(),
                "school": tr["school"].to_numpy(),
                "kind": "transfer",
                "stage": "general",
                "submitted": tr["date"].to_numpy().astype("datetime64[D]") - rng.integers(3, 12, len(tr)),
                "status": "accepted",
                "decision": tr["date"].to_numpy().astype("datetime64[D]") - 1,
                "refusal": "",
                "grade": tr["grade"].to_numpy(),
            }
        )
        apps = pd.concat([a, extra, t], ignore_index=True)
        apps = (
            apps[apps["submitted"] <= d64(world.as_of)]
            .sort_values(["submitted", "child"], kind="stable")
            .reset_index(drop=True)
        )
        pending = apps["decision"] > d64(world.as_of)
        apps.loc[pending, "status"] = "in_review"
        ch = apps["child"].to_numpy()
        gcols, gid = _gperson(world, _guardian_of(world, ch), "applicant_")
        nums = (y % 100) * 10_000_000 + np.arange(len(apps)) * 7 + 1_000_000
        cols = (
            {
                "application_id": nums.astype(str).astype(object),
                "kind": apps["kind"].to_numpy(dtype=object),
                "submitted_date": apps["submitted"].to_numpy(),
                "stage": apps["stage"].to_numpy(dtype=object),
                "school_code": s.code[apps["school"].to_numpy()],
                "grade": apps["grade"].to_numpy().astype(int),
                "status": apps["status"].to_numpy(dtype=object),
                "decision_date": np.where(pending, NAT, apps["decision"].to_numpy().astype("datetime64[D]")),
                "refusal_reason": apps["refusal"].to_numpy(dtype=object),
            }
            | _person(world, ch, "child_")
            | {"child_birth_certificate": c.certificate[ch]}
            | gcols
            | {
                "applicant_phone": np.where(
                    gid != "", world.guardians.phone[np.maximum(_guardian_of(world, ch), 0)], ""
                ).astype(object)
            }
        )
        sent = min(
            dt.date(y + 1, 6, 10), world.as_of - dt.timedelta(days=4)
        )  # the running campaign: an interim extract
        landing.write(
            "gosuslugi",
            "epgu",
            f"{y}-campaign",
            "applications",
            sent,
            Table(cols, {"child": c.person_id[ch], "applicant": gid}),
        )


def write_graduate_outcomes(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator
) -> None:
    c = world.children
    oc = sim.outcomes
    if not len(oc):
        return
    for y in world.years:
        d = oc[
            (oc["year"] == y)
            & oc["outcome"].isin(["college_in", "college_out", "university_in", "university_out"])
        ]
        d = d[c.consent[d["child"].to_numpy()]]
        if not len(d):
            continue
        out = d["outcome"].str.endswith("_out").to_numpy()
        uni = d["outcome"].str.startswith("university").to_numpy()
        sender = np.where(
            out,
            "fis_priem",
            np.where(
                uni,
                np.array(list(UNIS))[rng.integers(0, len(UNIS), len(d))],
                np.array(COLLEGES)[rng.integers(0, len(COLLEGES), len(d))],
            ),
        )
        inst = np.where(
            out,
            np.array(OUT_INST)[rng.integers(0, len(OUT_INST), len(d))],
            [UNIS.get(x, COLLEGE_NAMES.get(x, "")) for x in sender],
        )
        for snd in sorted(set(sender.tolist())):
            m = sender == snd
            ch = d["child"].to_numpy()[m]
            cols = _person(world, ch) | {
                "level": np.where(uni[m], "university", "college").astype(object),
                "institution_name": inst[m].astype(object),
                "in_region": np.where(out[m], "False", "True").astype(object),
                "programme_name": np.array(PROGRAMMES, dtype=object)[
                    rng.integers(0, len(PROGRAMMES), m.sum())
                ],
                "enrolment_date": np.full(m.sum(), d64(dt.date(y + 1, 8, 25))),
                "school_completed_grade": d["completed_grade"].to_numpy()[m],
            }
            landing.write(
                "graduate_outcomes",
                snd,
                str(y + 1),
                "enrolments",
                dt.date(y + 1, 10, 1),
                Table(cols, {"student": c.person_id[ch]}),
            )


def write_agency_sources(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator, progress=None
) -> None:
    for fn in (
        write_clinics,
        write_social_protection,
        write_prevention,
        write_exams,
        write_gosuslugi,
        write_graduate_outcomes,
    ):
        fn(world, sim, landing, rng)
        if progress:
            progress()
