"""Agency sources of the core: the register of schools and the civil registry of resident children."""

from __future__ import annotations

import datetime as dt

import numpy as np

from pipelines.synth.landing import Landing, Table
from pipelines.synth.schooling import Simulation
from pipelines.synth.world import World, d64

TYPE = {
    "primary": "primary",
    "basic": "basic",
    "secondary": "secondary",
    "gymnasium": "gymnasium",
    "lyceum": "lyceum",
    "special": "special",
}


def write_register(world: World, landing: Landing) -> None:
    s = world.schools
    for y in world.years:
        period = f"{y}-{(y + 1) % 100:02d}"
        due = dt.date(y, 9, 1)
        sent = dt.datetime(y, 9, 2, 10, 0, 0)
        m = world.munis
        landing.write(
            "school_register",
            "minobr_rb",
            period,
            "municipalities",
            due,
            Table(
                {
                    "municipality_code": np.array([x.code for x in m], dtype=object),
                    "municipality_name": np.array([x.name for x in m], dtype=object),
                    "municipality_kind": np.array([x.kind for x in m], dtype=object),
                    "oktmo": np.array([x.oktmo for x in m], dtype=object),
                    "oktmo_is_synthetic": np.array([str(x.oktmo_is_synthetic) for x in m], dtype=object),
                    "population": np.array([x.population for x in m]),
                    "urban_share": np.array([x.urban_share for x in m]),
                },
                {},
            ),
            allow_faults=False,
            sent_at=sent,
        )
        closed = (s.closed_year > 0) & (s.closed_year <= y)
        status = np.where(closed, "merged", "active")
        landing.write(
            "school_register",
            "minobr_rb",
            period,
            "schools",
            due,
            Table(
                {
                    "school_code": s.code,
                    "school_name": np.array(s.name, dtype=object),
                    "school_short_name": np.array(s.short_name, dtype=object),
                    "inn": s.inn,
                    "ogrn": s.ogrn,
                    "kpp": s.kpp,
                    "municipality_code": np.array([m[i].code for i in s.muni], dtype=object),
                    "school_type": s.school_type,
                    "is_urban": np.array([str(bool(x)) for x in s.is_urban], dtype=object),
                    "settlement": np.array(s.settlement, dtype=object),
                    "has_second_shift": np.array([str(bool(x)) for x in s.second_shift], dtype=object),
                    "instruction_language": s.language,
                    "teaches_buryat_native": np.array([str(bool(x)) for x in s.buryat_native], dtype=object),
                    "capacity": s.capacity,
                    "vendor": s.vendor,
                    "vendor_school_code": np.where(s.vendor == "b", s.vendor_code, "").astype(object),
                    "parent_school_code": np.where(s.parent >= 0, s.code[np.maximum(s.parent, 0)], "").astype(
                        object
                    ),
                    "status": status,
                    "opened_date": np.array(s.opened, dtype="datetime64[D]"),
                    "closed_date": np.where(
                        closed,
                        np.array(
                            [
                                np.datetime64(f"{int(v)}-08-31") if v else np.datetime64("NaT")
                                for v in s.closed_year
                            ],
                            dtype="datetime64[D]",
                        ),
                        np.datetime64("NaT"),
                    ),
                    "successor_school_code": np.where(
                        closed & (s.successor >= 0), s.code[np.maximum(s.successor, 0)], ""
                    ).astype(object),
                },
                {},
            ),
            allow_faults=False,
            sent_at=sent,
        )


def resident(world: World, sim: Simulation, date: np.datetime64) -> np.ndarray:
    c = world.children
    ev = sim.events
    left = np.full(len(c), np.datetime64("NaT"), dtype="datetime64[D]")
    if len(ev):
        lr = ev[ev["event_type"] == "left_region"].drop_duplicates("child")
        left[lr["child"].to_numpy()] = lr["date"].to_numpy().astype("datetime64[D]")
    arrived = np.isnat(sim.first_arrival) | (sim.first_arrival <= date)
    away = (~np.isnat(left)) & (left <= date) & (np.isnat(sim.returned) | (sim.returned > date))
    age = (date - c.birth).astype(int) / 365.25
    return arrived & ~away & (age >= 0) & (age < 18)


def write_civil_registry(world: World, sim: Simulation, landing: Landing) -> None:
    c, fam, gu = world.children, world.families, world.guardians
    oktmo = np.array([m.oktmo for m in world.munis], dtype=object)
    for y in world.years:
        date = d64(dt.date(y, 9, 1))
        idx = np.where(resident(world, sim, date))[0]
        idx = idx[np.argsort(sim.muni[idx], kind="stable")]
        f = c.family[idx]
        g = np.where(
            fam.mother[f] >= 0,
            fam.mother[f],
            np.where(fam.caretaker[f] >= 0, fam.caretaker[f], fam.father[f]),
        )
        has = g >= 0
        gg = np.maximum(g, 0)

        def gcol(arr, has=has, gg=gg):
            return np.where(has, arr[gg], "").astype(object)

        reg_from = np.maximum(
            c.birth[idx] + 20,
            np.where(np.isnat(sim.first_arrival[idx]), c.birth[idx] + 20, sim.first_arrival[idx]),
        )
        landing.write(
            "civil_registry",
            "zags_rb",
            str(y),
            "children",
            dt.date(y, 9, 10),
            Table(
                {
                    "registry_record_id": np.char.add("ЗАГС-", np.char.zfill(idx.astype(str), 7)).astype(
                        object
                    ),
                    "last_name": c.last[idx],
                    "first_name": c.first[idx],
                    "middle_name": c.middle[idx],
                    "sex": np.where(c.sex[idx] == 0, "male", "female"),
                    "birth_date": c.birth[idx],
                    "birth_certificate": c.certificate[idx],
                    "snils": c.snils[idx],
                    "oktmo": oktmo[sim.muni[idx]],
                    "address": fam.address[f],
                    "registered_from": reg_from,
                    "extract_date": np.full(len(idx), date),
                    "guardian_last_name": gcol(gu.last),
                    "guardian_first_name": gcol(gu.first),
                    "guardian_middle_name": gcol(gu.middle),
                    "guardian_birth_date": np.where(has, gu.birth[gg], np.datetime64("NaT")),
                    "guardian_snils": gcol(gu.snils),
                },
                {"child": c.person_id[idx], "guardian": np.where(has, gu.person_id[gg], "").astype(object)},
            ),
        )
