"""The three sizes of the synthetic region."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    pupils: int  # target pupils in the last complete school year
    municipalities: tuple[str, ...]  # empty: all 23
    history_years: int | None  # None: from 2021/22; else this many school years ending with the current one
    ulan_ude_share: float | None = (
        None  # cap of Улан-Удэ in the pupil total (demo takes "a part of" the city)
    )


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 2_000, ("Иволгинский район", "Тарбагатайский район"), 3),
    "demo": Scale(
        "demo", 15_000, ("Улан-Удэ", "Кабанский район", "Хоринский район", "Баргузинский район"), None, 0.45
    ),
    "region": Scale("region", 146_000, (), None),
}
FIRST_FULL_HISTORY_YEAR = 2021


def current_school_year(as_of: dt.date) -> int:
    """Start year of the school year that contains ``as_of`` (summer belongs to the year just finished)."""
    return as_of.year if as_of.month >= 9 else as_of.year - 1


def school_years(scale: Scale, as_of: dt.date) -> list[int]:
    last = current_school_year(as_of)
    first = FIRST_FULL_HISTORY_YEAR if scale.history_years is None else last - scale.history_years + 1
    return list(range(min(first, last), last + 1))
