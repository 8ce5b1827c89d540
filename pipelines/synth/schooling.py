"""School life year by year: enrolment, classes, marks, attendance, moves, leaving, with true probabilities.

Vectorised over children per school year. Outputs are pandas frames of stints (a pupil at a school over a span of
days), movement events, pupil-year facts (features, the true probability of leaving and what happened) and marks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.synth.calendar import SchoolYear, school_year
from pipelines.synth.world import World, d64

# status codes of a child
PRESCHOOL, ENROLLED, FINISHED, COLLEGE, LEFT, LEFT_REGION, HOME, LOST, NEVER = range(9)
SUBJECTS = (
    "mark_russian",
    "mark_literature",
    "mark_maths",
    "mark_foreign",
    "mark_science",
    "mark_history",
    "mark_native",
    "mark_pe",
)
MARK_CUTS = np.array([-2.05, -0.385, 0.772])  # 2 / 3 / 4 / 5 at ≈2% / 33% / 43% / 22%
LETTERS = "АБВГДЕЖИКЛ"

# true coefficients of the log-odds of leaving education in a school year (written to ground truth)
LEAVE_COEF = {
    "unexcused_share": 30.0,  # per 1.0 of lessons missed without excuse
    "missed_share": 4.0,  # per 1.0 of all lessons missed, centred at 8%
    "failing": 1.0,  # any «2» among the year marks
    "moves": 0.5,  # school changes in the last two years
    "overage": 0.7,  # years above the normal age for the grade
    "family_risk": 1.2,  # СОП family or КДН/ПДН registration
    "health": 0.35,  # health group III or worse
    "school_effect": 1.0,
}
TARGET_LEAVE = {"grade_1_8": 0.002, "grade_10_11": 0.008, "grade_9_no_continuation": 0.05}
MISSED_TARGET = 0.082
HEALTH_EFFECTS = {
    "second_shift": -0.06,
    "high_load": -0.05,
    "grade_decline": -0.09,
}  # per year, on latent health


@dataclass
class Simulation:
    stints: pd.DataFrame
    events: pd.DataFrame
    pupil_years: pd.DataFrame
    marks: dict[
        int, np.ndarray
    ]  # year -> (n_pupil_years, 5, 8) int8, 0 = no mark; rows align with pupil_years of that year
    outcomes: pd.DataFrame
    registrations: pd.DataFrame  # КДН/ПДН registrations of minors
    status: np.ndarray
    muni: np.ndarray  # municipality of residence at the end
    first_arrival: np.ndarray
    returned: np.ndarray


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _calibrate(logit: np.ndarray, target: float) -> np.ndarray:
    """Shift the log-odds so that the mean probability equals ``target`` (keeps the planted coefficients)."""
    if len(logit) == 0:
        return logit
    lo, hi = -30.0, 30.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _sigmoid(logit + mid).mean() > target:
            hi = mid
        else:
            lo = mid
    return logit + (lo + hi) / 2


class _Sim:
    def __init__(self, world: World, rng: np.random.Generator):
        self.w = world
        self.rng = rng
        c = world.children
        n = len(c)
        self.status = np.full(n, PRESCHOOL)
        self.school = np.full(n, -1)
        self.grade = np.zeros(n, int)
        self.local = np.full(n, "", dtype=object)
        self.admitted = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self.moves_hist: list[np.ndarray] = []
        self.muni = c.muni.copy()
        self.adapted = c.special_needs & (rng.random(n) < 0.6)
        self.counter = 0
        self.health_state = np.zeros(n)
        self.stints, self.events, self.py, self.outcomes, self.regs = [], [], [], [], []
        self.marks: dict[int, np.ndarray] = {}
        s = world.schools
        self.school_ok = lambda y: (s.closed_year == 0) | (s.closed_year > y)
        self.pdn_until = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self.as_of = d64(world.as_of)
        self.first_arrival = c.arrival.copy()
        self.returned = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")

    # ---- helpers
    def new_local(self, idx: np.ndarray, schools: np.ndarray):
        k = len(idx)
        nums = np.arange(self.counter, self.counter + k)
        self.counter += k
        vend = self.w.schools.vendor[schools]
        a = np.char.zfill((nums + 100000).astype(str), 6).astype(object)
        b = np.array([f"{(x * 2654435761) % 16**8:08x}-{x % 997:03d}" for x in nums.tolist()], dtype=object)
        self.local[idx] = np.where(vend == "a", a, b)

    def pick_schools(
        self, idx: np.ndarray, grades: np.ndarray, y: int, exclude: np.ndarray | None = None
    ) -> np.ndarray:
        """A school of the child's municipality that teaches the grade, urban/rural like the family, weighted by size."""
        s = self.w.schools
        out = np.full(len(idx), -1)
        ok = self.school_ok(y) & (s.parent < 0) | (self.school_ok(y) & (s.parent >= 0))
        urban = self.w.children.urban[idx]
        muni = self.muni[idx]
        special = self.adapted[idx] & (self.rng.random(len(idx)) < 0.3)
        for m in np.unique(muni):
            for u in (False, True):
                for band, (lo, hi) in enumerate(((1, 4), (5, 9), (10, 11))):
                    sel = np.where((muni == m) & (urban == u) & (grades >= lo) & (grades <= hi))[0]
                    if not len(sel):
                        continue
                    base = ok & (s.muni == m) & (s.max_grade >= hi) & (s.school_type != "special")
                    cand = np.where(base & (s.is_urban == u))[0]
                    if not len(cand):
                        cand = np.where(base)[0]
                    if not len(cand):
                        cand = np.where(ok & (s.max_grade >= hi) & (s.school_type != "special"))[0]
                    w = s.size[cand] / s.size[cand].sum()
                    out[sel] = cand[self.rng.choice(len(cand), len(sel), p=w)]
                    spec = np.where(ok & (s.muni == m) & (s.school_type == "special"))[0]
                    if len(spec) and band < 2:
                        sp = sel[special[sel]]
                        out[sp] = spec[0]
        if exclude is not None:
            same = out == exclude
            if same.any():
                # a move to the same school is no move: take another candidate of the municipality
                for i in np.where(same)[0]:
                    g = grades[i]
                    cand = np.where(
                        self.school_ok(y)
                        & (s.muni == muni[i])
                        & (s.max_grade >= min(11, max(4, g)))
                        & (np.arange(len(s)) != exclude[i])
                        & (s.school_type != "special")
                    )[0]
                    if len(cand):
                        out[i] = cand[self.rng.integers(0, len(cand))]
        return out

    def event(
        self,
        idx,
        school,
        date,
        etype,
        grade,
        reason,
        y,
        destination=None,
        dest_school=None,
        local=None,
        lost=False,
    ):
        k = len(idx)
        if not k:
            return
        date = np.broadcast_to(np.asarray(date, dtype="datetime64[D]"), (k,))
        keep = date <= self.as_of
        if not keep.any():
            return
        self.events.append(
            pd.DataFrame(
                {
                    "child": np.asarray(idx)[keep],
                    "school": np.broadcast_to(school, (k,))[keep],
                    "year": y,
                    "date": date[keep],
                    "event_type": etype,
                    "grade": np.broadcast_to(grade, (k,))[keep],
                    "reason": np.broadcast_to(np.asarray(reason, dtype=object), (k,))[keep],
                    "destination": np.broadcast_to(np.asarray(destination, dtype=object), (k,))[keep],
                    "dest_school": np.broadcast_to(
                        np.asarray(-1 if dest_school is None else dest_school), (k,)
                    )[keep],
                    "local_id": (self.local[idx] if local is None else np.broadcast_to(local, (k,)))[keep],
                    "lost": np.broadcast_to(lost, (k,))[keep],
                }
            )
        )

    def enrol(self, idx, schools, grades, date, y, etype, reason):
        self.status[idx] = ENROLLED
        self.school[idx] = schools
        self.grade[idx] = grades
        self.new_local(idx, schools)
        self.admitted[idx] = date
        self.event(idx, schools, date, etype, grades, reason, y)

    # ---- the initial state: children already at school when the history starts
    def initialise(self, y: int):
        c = self.w.children
        rng = self.rng
        sep1 = d64(dt.date(y, 9, 1))
        age = (sep1 - c.birth).astype(int) / 365.25
        present = np.isnat(c.arrival) | (c.arrival <= sep1)
        expected = np.floor(age - 6.5).astype(int) + 1 - c.entry_delay
        expected -= (rng.random(len(c)) < 0.02).astype(int)  # repeated a year earlier
        cand = present & (expected >= 1) & (expected <= 11)
        g = expected
        # after 9th grade only ≈42% continued to 10th
        after9 = cand & (g >= 10)
        cont = rng.random(len(c)) < 0.42 + 0.15 * (c.ability > 0.5)
        self.status[after9 & ~cont] = COLLEGE
        self.status[present & (expected > 11)] = FINISHED
        cand &= ~(after9 & ~cont)
        never = cand & (rng.random(len(c)) < 0.004)
        home = cand & ~never & (rng.random(len(c)) < 0.003)
        self.status[never] = NEVER
        self.status[home] = HOME
        idx = np.where(cand & ~never & ~home)[0]
        schools = self.pick_schools(idx, g[idx], y)
        self.status[idx] = ENROLLED
        self.school[idx] = schools
        self.grade[idx] = g[idx]
        self.new_local(idx, schools)
        years_in = np.where(
            g[idx] >= 10,
            g[idx] - 10,
            np.where(g[idx] >= 5, (g[idx] - 1) % 4 if False else g[idx] - 1, g[idx] - 1),
        )
        self.admitted[idx] = np.array([np.datetime64(dt.date(y - int(k), 9, 1), "D") for k in years_in])

    # ---- one school year
    def run_year(self, y: int, is_first: bool):
        w, rng, c, s = self.w, self.rng, self.w.children, self.w.schools
        Y: SchoolYear = school_year(y)
        sep1 = d64(Y.first_day)
        end = d64(Y.last_day)
        n = len(c)
        moved = np.zeros(n, bool)
        if is_first:
            self.initialise(y)
        # arrivals from other regions during the summer or this year
        arr = (
            (~np.isnat(c.arrival)) & (c.arrival > sep1 - 92) & (c.arrival <= end) & (self.status == PRESCHOOL)
        )
        age = (sep1 - c.birth).astype(int) / 365.25
        g_arr = np.floor(age - 6.5).astype(int) + 1 - c.entry_delay
        arr_idx = np.where(arr & (g_arr >= 1) & (g_arr <= 11))[0]
        # reorganisations: pupils of merged schools move to the successor on 1 September
        closing = np.where(s.closed_year == y)[0]
        if len(closing):
            idx = np.where((self.status == ENROLLED) & np.isin(self.school, closing))[0]
            succ = s.successor[self.school[idx]]
            self.event(
                idx,
                self.school[idx],
                sep1 - 1,
                "transferred_out",
                self.grade[idx],
                "reorganisation",
                y,
                destination=np.array(s.short_name, dtype=object)[succ],
                dest_school=succ,
            )
            self.school[idx] = succ
            self.new_local(idx, succ)
            self.admitted[idx] = sep1
            self.event(idx, succ, sep1, "transferred_in", self.grade[idx], "reorganisation", y)
            moved[idx] = True
        # pupils whose grade their school does not teach (after НОШ / ООШ) continue elsewhere
        enr = self.status == ENROLLED
        over = np.where(enr & (self.grade > s.max_grade[np.maximum(self.school, 0)]) & (self.school >= 0))[0]
        if len(over):
            new = self.pick_schools(over, self.grade[over], y)
            ten = self.grade[over] == 10
            o5 = over[~ten]
            self.event(
                o5,
                self.school[o5],
                sep1 - 1 - rng.integers(0, 60, len(o5)),
                "transferred_out",
                self.grade[o5] - 1,
                "completion",
                y,
                destination=np.array(s.short_name, dtype=object)[new[~ten]],
                dest_school=new[~ten],
            )
            self.school[over] = new
            self.new_local(over, new)
            self.admitted[over] = sep1
            self.event(o5, new[~ten], sep1, "transferred_in", self.grade[o5], "parents_request", y)
            self.event(over[ten], new[ten], sep1, "admitted", 10, "parents_request", y)
            moved[over[~ten]] = True
        # those who finished 9th at a school that teaches 10th and continue there: admitted again to 10th
        cont10 = np.where(enr & (self.grade == 10) & np.isnat(self.admitted))[0]
        if len(cont10):
            self.admitted[cont10] = sep1
            self.event(cont10, self.school[cont10], sep1, "admitted", 10, "parents_request", y)
        # first-graders: aged 6.5–8 on 1 September (some a year later)
        present = np.isnat(c.arrival) | (c.arrival <= sep1)
        entry = (self.status == PRESCHOOL) & present & (age >= 6.5 + c.entry_delay) & (age < 8.5)
        # a family arriving this summer enrols its child as an arrival below, not also into a 1st grade here
        entry[arr_idx] = False
        if not is_first or True:
            idx = np.where(entry)[0]
            never = rng.random(len(idx)) < 0.004
            home = ~never & (rng.random(len(idx)) < 0.003)
            self.status[idx[never]] = NEVER
            self.status[idx[home]] = HOME
            idx = idx[~never & ~home]
            sch = self.pick_schools(idx, np.ones(len(idx), int), y)
            self.enrol(
                idx,
                sch,
                np.ones(len(idx), int),
                sep1 - rng.integers(0, 10, len(idx)),
                y,
                "admitted",
                "parents_request",
            )
            self.first_graders = idx
        # arrivals enrol a few days after they come
        if len(arr_idx):
            dates = np.maximum(c.arrival[arr_idx] + rng.integers(3, 15, len(arr_idx)), sep1)
            dates = np.minimum(dates, end)  # a family arriving in the last days enrols by the last school day
            sch = self.pick_schools(arr_idx, g_arr[arr_idx], y)
            self.enrol(arr_idx, sch, g_arr[arr_idx], dates, y, "transferred_in", "relocation")
            moved[arr_idx] = True
        # returns from home education now and then
        # --- the pupils of this year (on the roster at some point of it)
        enrolled = np.where(self.status == ENROLLED)[0]
        k = len(enrolled)
        g = self.grade[enrolled]
        sch = self.school[enrolled]
        start = np.maximum(self.admitted[enrolled], sep1)
        # class letters: ≈25 pupils a class
        order = np.lexsort((rng.random(k), g, sch))
        key = sch[order] * 100 + g[order]
        first_pos = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
        group_start = np.repeat(first_pos, np.diff(np.r_[first_pos, k]))
        rank = np.arange(k) - group_start
        size = np.bincount(np.searchsorted(first_pos, np.arange(k), side="right") - 1)
        gsize = size[np.searchsorted(first_pos, np.arange(k), side="right") - 1]
        nclass = np.ceil(gsize / 25).astype(int)
        letter_idx = np.empty(k, int)
        letter_idx[order] = (rank * nclass) // np.maximum(gsize, 1)
        class_label = np.char.add(g.astype(str), np.array(list(LETTERS))[np.minimum(letter_idx, 9)]).astype(
            object
        )
        stype = s.school_type[sch]
        adv = (np.isin(stype, ["gymnasium", "lyceum"]) & (g >= 5) & (rng.random(k) < 0.6)) | (
            (g >= 8) & (rng.random(k) < 0.06)
        )
        programme = np.where(self.adapted[enrolled], "adapted", np.where(adv, "advanced", "general"))
        # --- health this year (checkup in autumn): declines with grade, worse in second-shift and high-load schools
        hs = self.health_state  # accumulated effect of the schools attended
        hs[enrolled] += (
            HEALTH_EFFECTS["second_shift"] * s.second_shift[sch]
            + HEALTH_EFFECTS["high_load"] * s.high_load[sch]
        )
        h = (
            c.health[enrolled]
            + hs[enrolled]
            + HEALTH_EFFECTS["grade_decline"] * (g - 1)
            + 0.45
            + rng.normal(0, 0.25, k)
        )
        hgroup = np.select(
            [c.disabled[enrolled] & (rng.random(k) < 0.9), h < -2.8, h > 1.0, h > -0.8], [5, 4, 1, 2], 3
        )
        hgroup = np.where((hgroup == 5) & ~c.disabled[enrolled], 4, hgroup)
        u = rng.random(k)
        pe = np.select(
            [
                hgroup == 1,
                (hgroup == 2) & (u < 0.75),
                hgroup == 2,
                (hgroup == 3) & (u < 0.04),
                (hgroup == 3) & (u < 0.69),
                (hgroup == 3) & (u < 0.91),
                (hgroup == 3) & (u < 0.94),
                hgroup == 3,
                hgroup == 4,
                (hgroup == 5) & (u < 0.35),
            ],
            [
                "main",
                "main",
                "preparatory",
                "main",
                "preparatory",
                "special_a",
                "special_b",
                "exempt",
                "special_a",
                "exempt",
            ],
            "special_b",
        )
        # --- family risk and registrations (КДН/ПДН) of 10–17-year-olds
        fam = c.family[enrolled]
        sop_on = (
            (~np.isnat(w.families.sop_start[fam]))
            & (w.families.sop_start[fam] <= sep1)
            & (np.isnat(w.families.sop_end[fam]) | (w.families.sop_end[fam] > sep1))
        )
        age_e = age[enrolled]
        cand = (age_e >= 10) & (age_e < 17.5)
        p_reg = _sigmoid(-6.3 + 1.1 * c.conduct[enrolled] + 1.0 * sop_on)
        new_reg = (
            cand
            & (rng.random(k) < p_reg)
            & (np.isnat(self.pdn_until[enrolled]) | (self.pdn_until[enrolled] < sep1))
        )
        reg_idx = enrolled[new_reg]
        rs = sep1 + rng.integers(0, 260, len(reg_idx))
        re = rs + rng.integers(180, 720, len(reg_idx))
        self.pdn_until[reg_idx] = re
        if len(reg_idx):
            self.regs.append(
                pd.DataFrame(
                    {
                        "child": reg_idx,
                        "start": rs,
                        "end": re,
                        "year": y,
                        "register": np.where(rng.random(len(reg_idx)) < 0.55, "pdn", "kdn"),
                        "ground": rng.choice(
                            ["offence", "runaway", "truancy", "substance", "other"],
                            len(reg_idx),
                            p=[0.45, 0.15, 0.2, 0.1, 0.1],
                        ),
                    }
                )
            )
        registered = (~np.isnat(self.pdn_until[enrolled])) & (self.pdn_until[enrolled] >= sep1)
        family_risk = sop_on | registered
        # --- attendance
        gf = 1 + 0.035 * np.maximum(g - 4, 0)
        miss = np.clip(
            0.072
            * c.absence[enrolled]
            * s.effect_absence[sch]
            * gf
            * np.exp(rng.normal(0, 0.25, k) - 0.2 * (hgroup <= 1) + 0.25 * (hgroup >= 3)),
            0.0,
            0.6,
        )
        miss = np.clip(
            miss * (MISSED_TARGET / max(miss.mean(), 1e-9)), 0.0, 0.6
        )  # regional mean ≈ 8%, relative effects kept
        unx = np.clip(
            0.006
            * np.exp(0.9 * c.conduct[enrolled] + 0.8 * family_risk + rng.normal(0, 0.5, k))
            * (1 + 0.08 * np.maximum(g - 6, 0)),
            0,
            0.5,
        )
        unx = np.minimum(unx, miss * 0.9)
        ill = (miss - unx) * 0.8
        exc = miss - unx - ill
        # --- marks: latent per pupil-year, five periods × eight subjects
        z = (
            c.ability[enrolled] * 0.8
            + s.effect_marks[sch]
            - 4.0 * (miss - 0.08)
            - 3.0 * unx
            + rng.normal(0, 0.25, k)
        )
        z = (
            z - z.mean()
        )  # the cut points give the regional mark distribution; schools and pupils differ around it
        zt = z[:, None, None] + rng.normal(0, 0.32, (k, 1, 8)) + rng.normal(0, 0.3, (k, 4, 8))
        zy = zt.mean(axis=1, keepdims=True) * 1.07
        zz = np.concatenate([zt, zy], axis=1)
        mk = (np.searchsorted(MARK_CUTS, zz) + 2).astype(np.int8)
        subj_ok = np.ones((k, 8), bool)
        subj_ok[:, 5] = g >= 5  # history from 5th grade
        subj_ok[:, 6] = s.buryat_native[sch]
        subj_ok[g == 1] = False  # 1st grade has no marks
        mk = np.where(subj_ok[:, None, :], mk, 0).astype(np.int8)
        failing = (mk[:, 4, :] == 2).any(axis=1)
        # --- moves, overage, the true probability of leaving
        moves = moved[enrolled].astype(int) + (self.moves_hist[-1][enrolled] if self.moves_hist else 0)
        overage = np.clip(np.floor(age_e - (g + 5.5)), 0, 3)
        x_health = hgroup >= 3
        lin = (
            LEAVE_COEF["unexcused_share"] * unx
            + LEAVE_COEF["missed_share"] * (miss - 0.08)
            + LEAVE_COEF["failing"] * failing
            + LEAVE_COEF["moves"] * np.minimum(moves, 3)
            + LEAVE_COEF["overage"] * overage
            + LEAVE_COEF["family_risk"] * family_risk
            + LEAVE_COEF["health"] * x_health
            + LEAVE_COEF["school_effect"] * s.effect_leave[sch]
            + 0.25 * np.maximum(g - 6, 0)
        )
        grp = np.where(g == 9, 2, np.where(g >= 10, 1, 0))
        logit = np.empty(k)
        for gi, tgt in enumerate(
            (TARGET_LEAVE["grade_1_8"], TARGET_LEAVE["grade_10_11"], TARGET_LEAVE["grade_9_no_continuation"])
        ):
            m = grp == gi
            logit[m] = _calibrate(lin[m], tgt)
        p_leave = _sigmoid(logit)
        leaves = rng.random(k) < p_leave
        # --- mid-year events
        ev_date = sep1 + 10 + rng.integers(0, int((end - sep1).astype(int)) - 20, k)
        # never before the pupil's own start this year (a mid-year arrival leaves after arriving)
        ev_date = np.maximum(np.minimum(np.maximum(ev_date, start + 1), end - 1), start)
        u = rng.random(k)
        leave_mid = leaves & (g != 9)
        tr_in = ~leaves & (u < 0.025)
        tr_out_muni = ~leaves & (u >= 0.025) & (u < 0.033)
        left_region = ~leaves & (u >= 0.033) & (u < 0.045)
        home = ~leaves & (u >= 0.045) & (u < 0.048)
        ends = np.full(k, end)
        end_reason = np.full(k, "year_end", dtype=object)
        current = ev_date <= self.as_of
        # leaving
        li = np.where(leave_mid & current)[0]
        exp_mask = (age_e[li] >= 15) & (rng.random(len(li)) < 0.25)
        for mask, et in ((exp_mask, "expelled"), (~exp_mask, "dropped_out")):
            ii = li[mask]
            reasons = (
                rng.choice(["commission_decision", "academic_failure"], len(ii))
                if et == "expelled"
                else rng.choice(["employment", "parents_request", "other"], len(ii), p=[0.3, 0.3, 0.4])
            )
            self.event(enrolled[ii], sch[ii], ev_date[ii], et, g[ii], reasons, y)
            ends[ii] = ev_date[ii]
            end_reason[ii] = et
        self.status[enrolled[li]] = LEFT
        # left the republic
        li = np.where(left_region & current)[0]
        self.event(
            enrolled[li],
            sch[li],
            ev_date[li],
            "left_region",
            g[li],
            "relocation_out",
            y,
            destination=rng.choice(
                [
                    "Иркутская область",
                    "Забайкальский край",
                    "г. Москва",
                    "Красноярский край",
                    "Новосибирская область",
                ],
                len(li),
            ),
        )
        ends[li] = ev_date[li]
        end_reason[li] = "left_region"
        self.status[enrolled[li]] = LEFT_REGION
        li = np.where(home & current)[0]
        self.event(enrolled[li], sch[li], ev_date[li], "home_education", g[li], "parents_request", y)
        ends[li] = ev_date[li]
        end_reason[li] = "home_education"
        self.status[enrolled[li]] = HOME
        # transfers (within the municipality, or the family moves to another one)
        li = np.where((tr_in | tr_out_muni) & current)[0]
        moving = tr_out_muni[li]
        kids = enrolled[li]
        for mv in np.where(moving)[0]:
            others = [m for m in range(len(w.munis)) if m != self.muni[kids[mv]]]
            if others:
                self.muni[kids[mv]] = others[int(rng.integers(0, len(others)))]
        new_s = self.pick_schools(kids, g[li], y, exclude=sch[li])
        lost = rng.random(len(li)) < 0.03
        # a transfer late in the year is taken in by the last school day, as arrivals are (else the pupil would
        # leave the old school's books in the orders but stay on them in the simulation)
        arrive = np.minimum(ev_date[li] + rng.integers(1, 12, len(li)), end)
        self.event(
            kids,
            sch[li],
            ev_date[li],
            "transferred_out",
            g[li],
            np.where(moving, "relocation", "parents_request"),
            y,
            destination=np.array(s.short_name, dtype=object)[new_s],
            dest_school=new_s,
            lost=lost,
        )
        ends[li] = ev_date[li]
        end_reason[li] = np.where(lost, "lost_transfer", "transferred_out")
        self.status[kids[lost]] = LOST
        ok = ~lost & (arrive <= end) & (arrive <= self.as_of)
        arr_k = kids[ok]
        self.school[arr_k] = new_s[ok]
        old_local = self.local[arr_k].copy()
        old_admitted = self.admitted[arr_k].copy()
        self.new_local(arr_k, new_s[ok])
        self.admitted[arr_k] = arrive[ok]
        self.event(
            arr_k,
            new_s[ok],
            arrive[ok],
            "transferred_in",
            g[li][ok],
            np.where(moving[ok], "relocation", "parents_request"),
            y,
        )
        moved_now = np.zeros(n, bool)
        moved_now[kids] = True
        # a few old schools never take the pupil off their roster: double enrolment next September
        ghost = np.zeros(k, bool)
        ghost[li[ok]] = rng.random(ok.sum()) < 0.05
        # --- stints of this year
        st = pd.DataFrame(
            {
                "child": enrolled,
                "school": sch,
                "year": y,
                "grade": g,
                "class_label": class_label,
                "programme": programme,
                "local_id": self.local[enrolled],
                "start": start,
                "admitted": self.admitted[enrolled],
                "end": np.minimum(ends, self.as_of),
                "end_reason": end_reason,
                "ghost": ghost,
            }
        )
        if is_first or True:
            st.loc[st["local_id"].isna(), "local_id"] = ""
        # the old school's own record of the pupil: the local id and admission date before the transfer
        if len(arr_k):
            pos = np.searchsorted(enrolled, arr_k)
            st.loc[pos, "local_id"] = old_local
            st.loc[pos, "admitted"] = old_admitted
            st2 = pd.DataFrame(
                {
                    "child": arr_k,
                    "school": new_s[ok],
                    "year": y,
                    "grade": g[li][ok],
                    "class_label": np.char.add(g[li][ok].astype(str), "А").astype(object),
                    "programme": programme[li][ok],
                    "local_id": self.local[arr_k],
                    "start": arrive[ok],
                    "admitted": arrive[ok],
                    "end": np.minimum(end, self.as_of),
                    "end_reason": "year_end",
                    "ghost": False,
                }
            )
            st = pd.concat([st, st2], ignore_index=True)
        st = st[st["start"] <= self.as_of]
        self.stints.append(st)
        self.marks[y] = mk
        self.py.append(
            pd.DataFrame(
                {
                    "child": enrolled,
                    "year": y,
                    "school": sch,
                    "grade": g,
                    "age": np.round(age_e, 2),
                    "missed_share": np.round(miss, 4),
                    "illness_share": np.round(ill, 4),
                    "excused_share": np.round(exc, 4),
                    "unexcused_share": np.round(unx, 4),
                    "failing": failing,
                    "moves": moves,
                    "overage": overage.astype(int),
                    "family_risk": family_risk,
                    "sop": sop_on,
                    "registered": registered,
                    "health_group": hgroup,
                    "pe_group": pe,
                    "health_risk": x_health,
                    "school_effect": np.round(s.effect_leave[sch], 4),
                    "p_leave": np.round(p_leave, 6),
                    "left": leaves,
                    "programme": programme,
                    "class_label": class_label,
                    "start": start,
                }
            )
        )
        self.moves_hist.append(moved | moved_now)
        # --- end of year: promotion, repetition, graduation (only for years that are over)
        if end > self.as_of:
            return
        at_end = np.where(self.status == ENROLLED)[0]
        ge = self.grade[at_end]
        pos = np.searchsorted(enrolled, at_end)
        known = (pos < k) & (enrolled[np.minimum(pos, k - 1)] == at_end)
        fail_e = np.where(known, failing[np.minimum(pos, k - 1)], False)
        leave_e = np.where(known, leaves[np.minimum(pos, k - 1)], False)
        rural = ~s.is_urban[self.school[at_end]]
        base = np.array([0, 0.0055, 0.002, 0.002, 0.0035, 0.002, 0.002, 0.0025, 0.003, 0.012, 0.002, 0.0])[ge]
        rr = np.exp(2.5 * fail_e) * np.where(rural, 1.4, 0.6)
        p_rep = np.clip(base * rr / max(rr.mean(), 1e-9), 0, 0.9)
        rep = rng.random(len(at_end)) < p_rep
        edate = end + rng.integers(2, 30, len(at_end))
        sch_e = self.school[at_end]
        # 11th grade
        m11 = (ge == 11) & ~rep
        i11 = at_end[m11]
        self.event(i11, sch_e[m11], edate[m11], "graduated", 11, "completion", y)
        self.status[i11] = FINISHED
        u11 = rng.random(len(i11))
        ab = c.ability[i11]
        p_uni = np.clip(0.6 + 0.15 * ab, 0.2, 0.9)
        oc11 = np.where(
            u11 < p_uni,
            np.where(rng.random(len(i11)) < 0.55, "university_out", "university_in"),
            np.where(
                u11 < p_uni + 0.25,
                np.where(rng.random(len(i11)) < 0.85, "college_in", "college_out"),
                rng.choice(["work", "army", "unknown"], len(i11), p=[0.45, 0.35, 0.2]),
            ),
        )
        self.outcomes.append(
            pd.DataFrame(
                {"child": i11, "year": y, "completed_grade": 11, "school": sch_e[m11], "outcome": oc11}
            )
        )
        # 9th grade: graduated, then 10th grade, college, or nothing (the planted "leaving")
        m9 = (ge == 9) & ~rep
        i9 = at_end[m9]
        self.event(i9, sch_e[m9], edate[m9], "graduated", 9, "completion", y)
        nothing = leave_e[m9]
        to10 = ~nothing & (rng.random(len(i9)) < np.clip(0.40 + 0.18 * c.ability[i9], 0.1, 0.9))
        college = ~nothing & ~to10
        oc9 = np.where(
            nothing,
            rng.choice(["work", "unknown"], len(i9), p=[0.5, 0.5]),
            np.where(to10, "grade_10", np.where(rng.random(len(i9)) < 0.9, "college_in", "college_out")),
        )
        self.outcomes.append(
            pd.DataFrame({"child": i9, "year": y, "completed_grade": 9, "school": sch_e[m9], "outcome": oc9})
        )
        self.status[i9[nothing]] = LEFT
        self.status[i9[college]] = COLLEGE
        self.grade[i9[to10]] = 10
        self.admitted[i9[to10]] = np.datetime64("NaT")
        # other grades
        mo = (ge < 9) | (ge == 10)
        mo &= ~rep
        io = at_end[mo]
        self.event(io, sch_e[mo], end + 4, "promoted", ge[mo], "completion", y)
        self.grade[io] += 1
        ir = at_end[rep]
        self.event(ir, sch_e[rep], end + 4, "repeated", ge[rep], "academic_failure", y)
        # children who left the republic come back sometimes
        back = np.where((self.status == LEFT_REGION) & (rng.random(n) < 0.15))[0]
        self.status[back] = PRESCHOOL
        c.arrival[back] = end + 60 + rng.integers(0, 200, len(back))
        self.returned[back] = c.arrival[back]


def _compact(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns with few distinct values (reasons, programmes, class letters) as categories.

    At region scale these columns held a Python string per row, about half of the simulation's memory; the
    writing processes fork from the one holding them. Values, order and written bytes stay the same.
    """
    for col in df.columns:
        if (pd.api.types.is_string_dtype(df[col]) or df[col].dtype == object) and len(df):
            if df[col].nunique(dropna=False) * 4 < len(df):
                df[col] = df[col].astype("category")
    return df


def simulate(world: World, rng: np.random.Generator, progress=None) -> Simulation:
    sim = _Sim(world, rng)
    for i, y in enumerate(world.years):
        sim.run_year(y, i == 0)
        if progress:
            progress()
    ev = pd.concat(sim.events, ignore_index=True) if sim.events else pd.DataFrame()
    ev = ev.sort_values(["year", "school", "date", "child"], kind="stable").reset_index(drop=True)
    return Simulation(
        stints=_compact(pd.concat(sim.stints, ignore_index=True)),
        events=_compact(ev),
        pupil_years=_compact(pd.concat(sim.py, ignore_index=True)),
        marks=sim.marks,
        outcomes=pd.concat(sim.outcomes, ignore_index=True)
        if sim.outcomes
        else pd.DataFrame(columns=["child", "year", "completed_grade", "school", "outcome"]),
        registrations=pd.concat(sim.regs, ignore_index=True)
        if sim.regs
        else pd.DataFrame(columns=["child", "start", "end", "year", "register", "ground"]),
        status=sim.status,
        muni=sim.muni,
        first_arrival=sim.first_arrival,
        returned=sim.returned,
    )
