"""The leavers' monitoring: where each 9th- and 11th-grade leaver went, as the municipal education departments send it.

Schools report every leaver of the year (10th grade, college, university, in or outside the republic, employed, army,
not determined); the municipal department (``muo_<ОКТМО>``) sends one file per leaving year by 1 October. The
destination is the generator's true outcome (``ground_truth/outcomes.csv``), so the file can be scored against it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import Simulation
from pipelines.synth.world import World, d64

# true outcome -> (destination code, in the republic; "" when the question does not apply)
DESTINATION = {
    "grade_10": ("grade_10", ""),
    "college_in": ("college", "True"),
    "college_out": ("college", "False"),
    "university_in": ("university", "True"),
    "university_out": ("university", "False"),
    "work": ("employed", ""),
    "army": ("army", ""),
    "unknown": ("unknown", ""),
}


def write_graduate_destinations(
    world: World, sim: Simulation, landing: Landing, rng: np.random.Generator
) -> None:
    c, s = world.children, world.schools
    oc = sim.outcomes
    if not len(oc):
        return
    oktmo = np.array([m.oktmo for m in world.munis], dtype=object)
    for y in sorted(set(oc["year"].tolist())):
        d = oc[oc["year"] == y]
        d = d[c.consent[d["child"].to_numpy()]]
        if not len(d):
            continue
        d = d.sort_values(["school", "completed_grade", "child"], kind="stable")
        sch = d["school"].to_numpy()
        sender = np.char.add("muo_", oktmo[s.muni[sch]].astype(str))
        dest = np.array([DESTINATION[o][0] for o in d["outcome"].tolist()], dtype=object)
        in_reg = np.array([DESTINATION[o][1] for o in d["outcome"].tolist()], dtype=object)
        for snd in sorted(set(sender.tolist())):
            m = sender == snd
            ch = d["child"].to_numpy()[m]
            cols = {
                "last_name": c.last[ch],
                "first_name": c.first[ch],
                "middle_name": c.middle[ch],
                "birth_date": c.birth[ch],
                "snils": c.snils[ch],
                "school_code": s.code[sch[m]],
                "school_completed_grade": d["completed_grade"].to_numpy()[m].astype(int),
                "destination": dest[m],
                "in_region": in_reg[m],
                "report_date": np.full(m.sum(), d64(dt.date(y + 1, 9, 15))),
            }
            landing.write(
                "graduate_outcomes",
                snd,
                str(y + 1),
                "destinations",
                dt.date(y + 1, 10, 1),
                Table(cols, {"student": c.person_id[ch]}),
            )
