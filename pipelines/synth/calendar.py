"""School calendar: teaching days, quarters and vacations of a Russian school year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays
import numpy as np

TERMS = ("q1", "q2", "q3", "q4")


@dataclass(frozen=True)
class SchoolYear:
    start_year: int
    first_day: dt.date
    last_day: dt.date
    term_ends: tuple[dt.date, dt.date, dt.date, dt.date]
    days: np.ndarray  # datetime64[D] teaching days

    @property
    def snapshot(self) -> dt.date:
        return dt.date(self.start_year, 9, 20)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"


@lru_cache(maxsize=32)
def school_year(y: int) -> SchoolYear:
    first = dt.date(y, 9, 1)
    while first.weekday() >= 5:
        first += dt.timedelta(days=1)
    last = dt.date(y + 1, 5, 26)
    vacations = [
        (dt.date(y, 10, 27), dt.date(y, 11, 4)),
        (dt.date(y, 12, 29), dt.date(y + 1, 1, 8)),
        (dt.date(y + 1, 3, 23), dt.date(y + 1, 3, 30)),
    ]
    ru = holidays.country_holidays("RU", years=[y, y + 1])
    days = []
    d = first
    while d <= last:
        if d.weekday() < 5 and d not in ru and not any(a <= d <= b for a, b in vacations):
            days.append(d)
        d += dt.timedelta(days=1)
    ends = (dt.date(y, 10, 25), dt.date(y, 12, 28), dt.date(y + 1, 3, 21), last)
    return SchoolYear(y, first, last, ends, np.array(days, dtype="datetime64[D]"))


def season_weights(days: np.ndarray) -> np.ndarray:
    """Relative illness risk by day: peaks in January–February (flu), low in September and May."""
    months = (days.astype("datetime64[M]").astype(int) % 12) + 1
    w = np.select(
        [months == 1, months == 2, months == 3, months == 12, months == 11, months == 10],
        [2.2, 2.4, 1.5, 1.3, 1.1, 0.9],
        0.7,
    )
    return w / w.sum()
