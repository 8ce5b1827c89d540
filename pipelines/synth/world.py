"""The static world: municipalities, schools, families, children and their guardians, with latent traits.

Everything is numpy arrays indexed by child (``Children``), guardian (``Guardians``) or school (``Schools``);
the year-by-year school life is simulated in ``schooling.py``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from faker import Faker

from pipelines.synth import names as nm
from pipelines.synth.geography import MUNICIPALITIES, SETTLEMENTS, Municipality
from pipelines.synth.identifiers import new_birth_certificates, new_inn, new_ogrn, new_phones, new_snils
from pipelines.synth.scales import Scale

EPOCH = np.datetime64("1970-01-01", "D")
PUPILS_PER_CAPITA = 0.150  # ≈146,000 pupils / 975,000 people


def d64(d: dt.date) -> np.datetime64:
    return np.datetime64(d, "D")


@dataclass
class Schools:
    code: np.ndarray
    name: list[str]
    short_name: list[str]
    muni: np.ndarray
    school_type: np.ndarray  # primary/basic/secondary/gymnasium/lyceum/special
    max_grade: np.ndarray
    is_urban: np.ndarray
    settlement: list[str]
    size: np.ndarray  # intended pupils
    capacity: np.ndarray
    second_shift: np.ndarray
    high_load: np.ndarray
    language: np.ndarray
    buryat_native: np.ndarray
    vendor: np.ndarray  # 'a' | 'b'
    vendor_code: np.ndarray
    inn: np.ndarray
    ogrn: np.ndarray
    kpp: np.ndarray
    parent: np.ndarray  # index of parent school for branches, -1
    opened: list[dt.date]
    closed_year: np.ndarray  # school year from which it no longer exists (merged), 0 = never
    successor: np.ndarray  # index, -1
    effect_leave: np.ndarray  # true school effect on the log-odds of leaving
    effect_marks: np.ndarray
    effect_absence: np.ndarray  # multiplier on absences

    def __len__(self) -> int:
        return len(self.code)


@dataclass
class Guardians:
    person_id: np.ndarray
    sex: np.ndarray  # 0 male 1 female
    birth: np.ndarray
    last: np.ndarray
    first: np.ndarray
    middle: np.ndarray
    snils: np.ndarray
    phone: np.ndarray
    family: np.ndarray


@dataclass
class Children:
    person_id: np.ndarray
    sex: np.ndarray
    birth: np.ndarray  # datetime64[D]
    family: np.ndarray
    muni: np.ndarray
    urban: np.ndarray
    buryat: np.ndarray
    last: np.ndarray
    first: np.ndarray
    middle: np.ndarray
    snils: np.ndarray
    certificate: np.ndarray
    consent: np.ndarray
    ability: np.ndarray
    absence: np.ndarray  # personal absence propensity multiplier
    conduct: np.ndarray  # latent behavioural risk
    health: np.ndarray  # latent health (higher = healthier)
    special_needs: np.ndarray
    disabled: np.ndarray
    orphan: np.ndarray
    entry_delay: np.ndarray  # 0 normal, 1 started a year later
    arrival: np.ndarray  # datetime64: when the child moved into the republic (NaT: born/lives here)

    def __len__(self) -> int:
        return len(self.person_id)


@dataclass
class Families:
    muni: np.ndarray
    urban: np.ndarray
    settlement: list[str]
    address: np.ndarray
    buryat: np.ndarray
    mother: np.ndarray  # guardian index, -1
    father: np.ndarray
    caretaker: np.ndarray  # guardian index of a grandmother-guardian (orphans), -1
    low_income: np.ndarray
    svo: np.ndarray
    sop_start: np.ndarray  # datetime64 NaT if never
    sop_end: np.ndarray
    n_children: np.ndarray = field(default_factory=lambda: np.zeros(0, int))


@dataclass
class World:
    scale: Scale
    years: list[int]
    as_of: dt.date
    munis: list[Municipality]
    schools: Schools
    families: Families
    guardians: Guardians
    children: Children


_VILLAGES = (
    "Нарын",
    "Улан",
    "Хурумша",
    "Улзыто",
    "Хошун-Узур",
    "Шибертуй",
    "Зурган-Дэбэ",
    "Харбяты",
    "Никольское",
    "Красный Яр",
    "Сухая",
    "Верхние Тальцы",
    "Кульск",
    "Булум",
    "Эдэрмэг",
    "Шаралдай",
    "Новоильинск",
    "Барское",
    "Хасурта",
    "Челутай",
    "Гонда",
    "Таряты",
    "Сахули",
    "Заречье",
    "Берёзовка",
    "Ключи",
)


def _choose(rng: np.random.Generator, pool: list[str], n: int) -> np.ndarray:
    return np.array(pool, dtype=object)[rng.integers(0, len(pool), n)]


def scale_municipalities(scale: Scale) -> tuple[list[Municipality], np.ndarray]:
    munis = [m for m in MUNICIPALITIES if not scale.municipalities or m.name in scale.municipalities]
    weights = np.array([m.population for m in munis], dtype=float)
    weights /= weights.sum()
    if scale.ulan_ude_share is not None:
        uu = [i for i, m in enumerate(munis) if m.name == "Улан-Удэ"]
        if uu:
            rest = 1 - weights[uu[0]]
            weights = weights * (1 - scale.ulan_ude_share) / rest
            weights[uu[0]] = scale.ulan_ude_share
    return munis, np.round(weights * scale.pupils).astype(int)


def build_schools(
    rng: np.random.Generator, munis: list[Municipality], pupils: np.ndarray, years: list[int]
) -> Schools:
    rows = []
    for mi, (m, p) in enumerate(zip(munis, pupils, strict=True)):
        urban = int(round(p * m.urban_share))
        rural = p - urban
        settlements = SETTLEMENTS[m.name]
        if urban:
            n = max(1, int(round(urban / (1000 if m.name == "Улан-Удэ" else 650))))
            sizes = rng.dirichlet(np.full(n, 6.0)) * urban
            for k, s in enumerate(sizes):
                kind = (
                    rng.choice(["secondary", "gymnasium", "lyceum"], p=[0.78, 0.13, 0.09])
                    if n > 2
                    else "secondary"
                )
                rows.append(
                    (
                        mi,
                        kind,
                        True,
                        settlements[0]
                        if m.name in ("Улан-Удэ", "Северобайкальск")
                        else settlements[k % min(2, len(settlements))],
                        s,
                    )
                )
            if m.name == "Улан-Удэ" and urban > 3000:
                rows.append((mi, "special", True, settlements[0], urban * 0.012))
        if rural:
            sizes = []
            while sum(sizes) < rural:
                sizes.append(float(np.exp(rng.normal(np.log(120), 1.1))))
            sizes = np.clip(np.array(sizes) * rural / sum(sizes), 6, 1200)
            for k, s in enumerate(sizes):
                if s < 40:
                    kind = "primary" if rng.random() < 0.5 else "basic"
                elif s < 120:
                    kind = "basic" if rng.random() < 0.5 else "secondary"
                else:
                    kind = "secondary"
                sett = (
                    settlements[k % len(settlements)]
                    if k < len(settlements)
                    else f"с. {_VILLAGES[int(rng.integers(0, len(_VILLAGES)))]}"
                )
                rows.append((mi, kind, False, sett, s))
    # every municipality needs at least one secondary school to continue after 9th grade
    for mi in range(len(munis)):
        kinds = [r[1] for r in rows if r[0] == mi]
        if not any(k in ("secondary", "gymnasium", "lyceum") for k in kinds):
            j = max((i for i, r in enumerate(rows) if r[0] == mi), key=lambda i: rows[i][4])
            rows[j] = (mi, "secondary", *rows[j][2:])
    n = len(rows)
    muni = np.array([r[0] for r in rows])
    kind = np.array([r[1] for r in rows], dtype=object)
    is_urban = np.array([r[2] for r in rows])
    settlement = [r[3] for r in rows]
    size = np.array([r[4] for r in rows])
    max_grade = np.select([kind == "primary", kind == "basic", kind == "special"], [4, 9, 9], 11)
    type_ru = {
        "primary": "начальная общеобразовательная школа",
        "basic": "основная общеобразовательная школа",
        "secondary": "средняя общеобразовательная школа",
        "gymnasium": "гимназия",
        "lyceum": "лицей",
        "special": "специальная (коррекционная) общеобразовательная школа",
    }
    short_ru = {
        "primary": "НОШ",
        "basic": "ООШ",
        "secondary": "СОШ",
        "gymnasium": "Гимназия",
        "lyceum": "Лицей",
        "special": "СКОШ",
    }
    counters: dict[tuple, int] = {}
    names, shorts, codes = [], [], []
    for i in range(n):
        m = munis[muni[i]]
        key = (muni[i], settlement[i])
        counters[key] = counters.get(key, 0) + 1
        num = counters[key]
        if m.name == "Улан-Удэ":
            label, short = f"{type_ru[kind[i]]} № {i + 1}", f"{short_ru[kind[i]]} № {i + 1}"
        elif num > 1 or kind[i] in ("gymnasium", "lyceum"):
            label, short = (
                f"{type_ru[kind[i]]} № {num} {settlement[i]}",
                f"{short_ru[kind[i]]} № {num} {settlement[i]}",
            )
        else:
            label, short = f"{type_ru[kind[i]]} {settlement[i]}", f"{short_ru[kind[i]]} {settlement[i]}"
        label = label[0].upper() + label[1:]
        if kind[i] == "special":
            full, short = (
                f"Государственное бюджетное общеобразовательное учреждение «{label}»",
                f"ГБОУ «{short}»",
            )
        elif is_urban[i] and rng.random() < 0.4:
            full, short = (
                f"Муниципальное автономное общеобразовательное учреждение «{label}»",
                f"МАОУ «{short}»",
            )
        else:
            full, short = (
                f"Муниципальное бюджетное общеобразовательное учреждение «{label}»",
                f"МБОУ «{short}»",
            )
        names.append(full)
        shorts.append(short)
        codes.append(f"03{m.tax_office:02d}{num + 100 * (i % 9):03d}")
    # make codes unique and stable
    seen: dict[str, int] = {}
    for i, c in enumerate(codes):
        while c in seen:
            c = f"{c[:4]}{(int(c[4:]) + 1) % 1000:03d}"
        seen[c] = i
        codes[i] = c
    used_inn: set[str] = set()
    used_ogrn: set[str] = set()
    inn = np.array([new_inn(rng, munis[muni[i]].tax_office, used_inn) for i in range(n)], dtype=object)
    ogrn = np.array([new_ogrn(rng, int(rng.integers(1992, 2012)), used_ogrn) for i in range(n)], dtype=object)
    kpp = np.array([f"03{munis[muni[i]].tax_office:02d}01001" for i in range(n)], dtype=object)
    # branches: some tiny rural schools are branches of the nearest (largest) secondary school of the district
    parent = np.full(n, -1)
    for i in range(n):
        if not is_urban[i] and size[i] < 40 and rng.random() < 0.3:
            cands = [
                j
                for j in range(n)
                if muni[j] == muni[i] and kind[j] == "secondary" and parent[j] < 0 and j != i
            ]
            if cands:
                j = max(cands, key=lambda c: size[c])
                parent[i] = j
                inn[i], ogrn[i] = inn[j], ogrn[j]
                kpp[i] = f"03{munis[muni[i]].tax_office:02d}0{int(rng.integers(2, 99)):02d}01"
                names[i] = f"{shorts[i].split('«', 1)[1].rstrip('»')} — филиал {shorts[j]}"
    capacity = np.round(size * rng.uniform(0.85, 1.6, n) + 10).astype(int)
    uu = np.array([munis[m].name == "Улан-Удэ" for m in muni])
    second_shift = np.where(
        uu, rng.random(n) < 0.6, np.where(is_urban, rng.random(n) < 0.35, rng.random(n) < 0.12)
    ) & (size > 60)
    high_load = (kind == "gymnasium") | (kind == "lyceum") | (size > capacity * 1.05)
    buryat_share = np.array([munis[m].buryat_share for m in muni])
    buryat_native = rng.random(n) < np.clip(buryat_share * 0.55 + 0.02, 0, 0.9)
    language = np.where(buryat_native & (rng.random(n) < 0.15), "buryat_russian", "russian")
    # each school uses one vendor: 55% vendor A, 45% vendor B (both always present)
    vendor = np.where(rng.permutation(n) < int(round(n * 0.55)), "a", "b")
    branch = parent >= 0
    vendor[branch] = vendor[parent[branch]]  # a branch uses its legal entity's system
    vcodes = rng.choice(np.arange(1000, 9999), n, replace=False)
    vendor_code = np.array([f"bx{c}" for c in vcodes], dtype=object)
    opened = [dt.date(int(rng.integers(1936, 2015)), 9, 1) for _ in range(n)]
    # reorganisations: a few small rural schools merge into a larger one of the district during the history
    closed_year = np.zeros(n, int)
    successor = np.full(n, -1)
    for i in range(n):
        if not is_urban[i] and size[i] < 60 and parent[i] < 0 and len(years) > 1 and rng.random() < 0.10:
            cands = [
                j
                for j in range(n)
                if muni[j] == muni[i] and kind[j] in ("secondary",) and j != i and parent[j] < 0
            ]
            if cands:
                closed_year[i] = int(rng.choice(years[1:]))
                successor[i] = int(cands[int(rng.integers(0, len(cands)))])
    effect_leave = rng.normal(0, 0.35, n) + np.where(is_urban, -0.1, 0.15)
    effect_marks = (
        rng.normal(0, 0.25, n)
        + np.where((kind == "gymnasium") | (kind == "lyceum"), 0.35, 0.0)
        - 0.4 * (kind == "special")
    )
    effect_absence = np.exp(rng.normal(0, 0.2, n))
    # centre the school effects on the pupil-weighted mean, so that small scales keep the regional rates
    wts = size / size.sum()
    effect_leave -= (effect_leave * wts).sum()
    effect_marks -= (effect_marks * wts).sum()
    effect_absence /= (effect_absence * wts).sum()
    return Schools(
        np.array(codes, dtype=object),
        names,
        shorts,
        muni,
        kind,
        max_grade,
        is_urban,
        settlement,
        size,
        capacity,
        second_shift,
        high_load,
        language,
        buryat_native,
        vendor,
        vendor_code,
        inn,
        ogrn,
        kpp,
        parent,
        opened,
        closed_year,
        successor,
        effect_leave,
        effect_marks,
        effect_absence,
    )


def build_people(
    rng: np.random.Generator,
    munis: list[Municipality],
    pupils: np.ndarray,
    schools: Schools,
    years: list[int],
    as_of: dt.date,
) -> tuple[Families, Guardians, Children]:
    faker = Faker("ru_RU")
    faker.seed_instance(int(rng.integers(0, 2**31)))
    first_birth = dt.date(years[0] - 19, 1, 1)
    last_birth = as_of
    span_years = (last_birth - first_birth).days / 365.25
    fam_rows = []
    for mi, p in enumerate(pupils):
        target = int(p / 8.4 * span_years)
        # family sizes: 45% one child, 35% two, 14% three, 4% four, 2% five (≈35% of children in large families)
        n_fam = int(target / 1.83 * 1.25) + 5
        sizes = rng.choice([1, 2, 3, 4, 5], n_fam, p=[0.38, 0.33, 0.19, 0.07, 0.03])
        fam_rows.append((mi, sizes, target))
    lo = np.datetime64(first_birth, "D")
    hi = np.datetime64(last_birth, "D")
    span = int((hi - lo).astype(int))
    fam_muni_l, child_fam_l, child_birth_l = [], [], []
    fam_idx = 0
    for mi, sizes, target in fam_rows:
        nf = len(sizes)
        first = lo + rng.integers(-3650, span, nf)
        gaps = (rng.gamma(4.0, 220, (nf, 4)) + 300).astype(int)
        births = first[:, None] + np.concatenate([np.zeros((nf, 1), int), np.cumsum(gaps, axis=1)], axis=1)
        valid = (np.arange(5)[None, :] < sizes[:, None]) & (births >= lo) & (births <= hi)
        counts = valid.sum(axis=1)
        keep = counts > 0
        cum = np.cumsum(counts * keep)
        keep &= (cum - counts) < target  # add families until the target number of children is reached
        fi = np.where(keep)[0]
        new_ids = fam_idx + np.arange(len(fi))
        v = valid[fi]
        child_fam_l.append(np.repeat(new_ids, v.sum(axis=1)))
        child_birth_l.append(births[fi][v])
        fam_muni_l.append(np.full(len(fi), mi))
        fam_idx += len(fi)
    fam_muni = np.concatenate(fam_muni_l)
    child_fam_arr = np.concatenate(child_fam_l)
    child_birth_arr = np.concatenate(child_birth_l).astype("datetime64[D]")
    F = fam_idx
    C = len(child_birth_arr)
    child_fam = child_fam_arr
    child_birth = child_birth_arr
    # families
    urban_share = np.array([m.urban_share for m in munis])[fam_muni]
    fam_urban = rng.random(F) < urban_share
    fam_buryat = rng.random(F) < np.array([m.buryat_share for m in munis])[fam_muni]
    from faker.providers.address.ru_RU import Provider as _Addr

    streets = np.array(list(_Addr.street_titles), dtype=object)
    pick = rng.random(F)
    street = streets[rng.integers(0, len(streets), F)]
    house = rng.integers(1, 120, F)
    flat = rng.integers(1, 180, F)
    settle = []
    addr = np.empty(F, dtype=object)
    for f in range(F):
        m = munis[fam_muni[f]]
        setts = SETTLEMENTS[m.name]
        first_rural = 1 if len(setts) > 1 and m.urban_share > 0 else 0
        st = setts[0] if fam_urban[f] else setts[first_rural + int(pick[f] * (len(setts) - first_rural))]
        settle.append(st)
        where = m.name if m.kind == "district" else "г. " + m.name
        tail = f", кв. {flat[f]}" if fam_urban[f] else ""
        addr[f] = f"Республика Бурятия, {where}, {st}, ул. {street[f]}, д. {house[f]}{tail}"
    # guardians: mothers always, fathers in 72% of families; orphans' families get a grandmother-guardian instead
    orphan_fam = rng.random(F) < 0.018 * 1.0
    has_father = (rng.random(F) < 0.72) & ~orphan_fam
    has_mother = ~orphan_fam
    fam_first_birth = np.full(F, hi)
    np.minimum.at(fam_first_birth, child_fam, child_birth)
    # surnames
    surname_m = np.where(
        fam_buryat, _choose(rng, nm.BURYAT_SURNAMES, F), _choose(rng, nm.RU_SURNAMES_MALE, F)
    )
    father_first = np.where(fam_buryat, _choose(rng, nm.BURYAT_MALE, F), _choose(rng, nm.ADULT_MALE_RU, F))
    grandfather_first = np.where(
        fam_buryat, _choose(rng, nm.BURYAT_MALE, F), _choose(rng, nm.ADULT_MALE_RU, F)
    )
    g_rows = []  # (family, sex, birth, last, first, middle)
    mother = np.full(F, -1)
    father = np.full(F, -1)
    caretaker = np.full(F, -1)
    mother_first = np.where(
        fam_buryat, _choose(rng, nm.BURYAT_FEMALE, F), _choose(rng, nm.ADULT_FEMALE_RU, F)
    )
    maternal_gf = np.where(fam_buryat, _choose(rng, nm.BURYAT_MALE, F), _choose(rng, nm.ADULT_MALE_RU, F))
    mother_gap = rng.integers(19 * 365, 36 * 365, F)
    father_gap = rng.integers(21 * 365, 40 * 365, F)
    granny_gap = rng.integers(42 * 365, 62 * 365, F)
    granny_first = _choose(rng, nm.ADULT_FEMALE_RU + ["Валентина", "Галина", "Нина", "Тамара"], F)
    granny_father = _choose(rng, nm.ADULT_MALE_RU, F)
    for f in range(F):
        sm = surname_m[f]
        if has_mother[f]:
            mother[f] = len(g_rows)
            g_rows.append(
                (
                    f,
                    1,
                    fam_first_birth[f] - mother_gap[f],
                    nm.female_surname(sm),
                    mother_first[f],
                    nm.patronymic(maternal_gf[f], "female"),
                )
            )
        if has_father[f]:
            father[f] = len(g_rows)
            g_rows.append(
                (
                    f,
                    0,
                    fam_first_birth[f] - father_gap[f],
                    sm,
                    father_first[f],
                    nm.patronymic(grandfather_first[f], "male"),
                )
            )
        if orphan_fam[f]:
            caretaker[f] = len(g_rows)
            g_rows.append(
                (
                    f,
                    1,
                    fam_first_birth[f] - granny_gap[f],
                    nm.female_surname(sm),
                    granny_first[f],
                    nm.patronymic(granny_father[f], "female"),
                )
            )
    G = len(g_rows)
    guardians = Guardians(
        person_id=np.array([f"G{i + 1:07d}" for i in range(G)], dtype=object),
        sex=np.array([r[1] for r in g_rows]),
        birth=np.array([r[2] for r in g_rows], dtype="datetime64[D]"),
        last=np.array([r[3] for r in g_rows], dtype=object),
        first=np.array([r[4] for r in g_rows], dtype=object),
        middle=np.array([r[5] for r in g_rows], dtype=object),
        snils=new_snils(rng, G),
        phone=new_phones(rng, G).astype(object),
        family=np.array([r[0] for r in g_rows]),
    )
    # children
    sex = (rng.random(C) < 0.487).astype(int)
    cb = fam_buryat[child_fam]
    first = np.where(
        sex == 0,
        np.where(cb, _choose(rng, nm.BURYAT_MALE, C), _choose(rng, nm.CHILD_MALE_RU, C)),
        np.where(cb, _choose(rng, nm.BURYAT_FEMALE, C), _choose(rng, nm.CHILD_FEMALE_RU, C)),
    )
    ff = father_first[child_fam]
    middle = np.array(
        [nm.patronymic(ff[i], "male" if sex[i] == 0 else "female") for i in range(C)], dtype=object
    )
    sm = surname_m[child_fam]
    last = np.array([sm[i] if sex[i] == 0 else nm.female_surname(sm[i]) for i in range(C)], dtype=object)
    all_snils = new_snils(rng, C + G)
    taken = set(guardians.snils.tolist())
    snils = np.array([s for s in all_snils if s not in taken][:C], dtype=object)
    n_children = np.bincount(child_fam, minlength=F)
    # family circumstances
    rural = ~fam_urban
    low_income = rng.random(F) < np.where(rural, 0.33, 0.22)
    svo = rng.random(F) < 0.045
    sop = rng.random(F) < (0.006 + 0.006 * rural + 0.01 * low_income)
    sop_start = np.full(F, np.datetime64("NaT"), dtype="datetime64[D]")
    sop_end = np.full(F, np.datetime64("NaT"), dtype="datetime64[D]")
    span = int((np.datetime64(as_of, "D") - np.datetime64(dt.date(years[0] - 1, 1, 1), "D")).astype(int))
    sop_start[sop] = np.datetime64(dt.date(years[0] - 1, 1, 1), "D") + rng.integers(0, span, sop.sum())
    ends = sop_start[sop] + rng.integers(200, 1100, sop.sum())
    sop_end[sop] = np.where(ends <= np.datetime64(as_of, "D"), ends, np.datetime64("NaT"))
    families = Families(
        fam_muni,
        fam_urban,
        settle,
        addr,
        fam_buryat,
        mother,
        father,
        caretaker,
        low_income,
        svo,
        sop_start,
        sop_end,
        n_children,
    )
    fam_risk = sop[child_fam].astype(float) + 0.5 * low_income[child_fam]
    conduct = rng.normal(0, 1, C) + 0.8 * fam_risk
    health = rng.normal(0, 1, C)
    disabled = rng.random(C) < 0.022
    health[disabled] -= 2.5
    special_needs = (rng.random(C) < 0.045) | (disabled & (rng.random(C) < 0.5))
    ability = rng.normal(0, 1, C) - 0.35 * fam_risk - 0.8 * special_needs + 0.1 * fam_urban[child_fam]
    absence = np.exp(rng.normal(0, 0.45, C) + 0.25 * conduct - 0.15 * health)
    # 4% of children arrive from another region during the history (they enrol on arrival)
    arrival = np.full(C, np.datetime64("NaT"), dtype="datetime64[D]")
    arriving = rng.random(C) < 0.04
    arr_dates = np.datetime64(dt.date(years[0], 9, 1), "D") + rng.integers(
        0,
        max(1, int((np.datetime64(as_of, "D") - np.datetime64(dt.date(years[0], 9, 1), "D")).astype(int))),
        C,
    )
    arrival[arriving] = np.maximum(arr_dates[arriving], child_birth[arriving] + 30)
    children = Children(
        person_id=np.array([f"P{i + 1:07d}" for i in range(C)], dtype=object),
        sex=sex,
        birth=child_birth,
        family=child_fam,
        muni=fam_muni[child_fam],
        urban=fam_urban[child_fam],
        buryat=cb,
        last=last,
        first=first,
        middle=middle,
        snils=snils,
        certificate=new_birth_certificates(rng, C).astype(object),
        consent=rng.random(C) >= 0.03,
        ability=ability,
        absence=absence,
        conduct=conduct,
        health=health,
        special_needs=special_needs,
        disabled=disabled,
        orphan=orphan_fam[child_fam],
        entry_delay=(rng.random(C) < 0.08 + 0.1 * special_needs).astype(int),
        arrival=arrival,
    )
    return families, guardians, children


def build_world(rng: np.random.Generator, scale: Scale, years: list[int], as_of: dt.date) -> World:
    munis, pupils = scale_municipalities(scale)
    schools = build_schools(rng, munis, pupils, years)
    families, guardians, children = build_people(rng, munis, pupils, schools, years, as_of)
    return World(scale, years, as_of, munis, schools, families, guardians, children)
