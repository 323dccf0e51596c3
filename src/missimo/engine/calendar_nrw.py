"""School days in North Rhine-Westphalia (NRW).

A school day is Monday to Friday, not inside NRW school holidays and not a public
holiday of NRW (rules.md, term "school days").

Sources of the dates:

- School holidays: ``nrw_school_holidays.csv`` next to this module, transcribed from the
  Ferienordnung of the NRW Ministerium für Schule und Bildung (schulministerium.nrw,
  "Ferienordnung für die Schuljahre ..."), cross-checked against public holiday calendars.
  Covered: Easter 2023 up to the Christmas holidays 2027/28 (i.e. school years
  2023/24 to 2027/28 except their summer). Per-school movable days
  ("bewegliche Ferientage") are not included: they differ per school.
- Public holidays of NRW (Feiertagsgesetz NW § 2): Neujahr, Karfreitag, Ostermontag,
  1. Mai, Christi Himmelfahrt, Pfingstmontag, Fronleichnam, Tag der Deutschen Einheit,
  Allerheiligen, 1. and 2. Weihnachtstag; computed from the date of Easter (Gauss /
  anonymous Gregorian algorithm), so they are correct for any year.

Dates outside the covered school-holiday range raise ``ValueError`` instead of silently
counting holidays as school days.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import cache
from importlib import resources

import numpy as np

__all__ = [
    "COVERED_FROM",
    "COVERED_UNTIL",
    "is_school_day",
    "public_holidays",
    "school_day_counter",
    "school_days_between",
    "school_holidays",
]

COVERED_FROM = dt.date(2023, 1, 1)
COVERED_UNTIL = dt.date(2028, 1, 8)


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def public_holidays(year: int) -> dict[dt.date, str]:
    """Public holidays of NRW in ``year`` (date -> German name)."""
    easter = easter_sunday(year)
    days = {
        dt.date(year, 1, 1): "Neujahr",
        easter - dt.timedelta(days=2): "Karfreitag",
        easter + dt.timedelta(days=1): "Ostermontag",
        dt.date(year, 5, 1): "Tag der Arbeit",
        easter + dt.timedelta(days=39): "Christi Himmelfahrt",
        easter + dt.timedelta(days=50): "Pfingstmontag",
        easter + dt.timedelta(days=60): "Fronleichnam",
        dt.date(year, 10, 3): "Tag der Deutschen Einheit",
        dt.date(year, 11, 1): "Allerheiligen",
        dt.date(year, 12, 25): "1. Weihnachtstag",
        dt.date(year, 12, 26): "2. Weihnachtstag",
    }
    return dict(sorted(days.items()))


@cache
def school_holidays() -> tuple[tuple[str, dt.date, dt.date], ...]:
    """NRW school holiday periods (name, first day, last day), from the shipped data file."""
    text = resources.files(__package__).joinpath("nrw_school_holidays.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    return tuple(
        (r["Ferien"], dt.date.fromisoformat(r["Erster_Tag"]), dt.date.fromisoformat(r["Letzter_Tag"]))
        for r in rows
    )


_EPOCH = dt.date(1970, 1, 1)


@cache
def _table() -> tuple[int, np.ndarray]:
    """(first day number, cumulative school-day counts) over the covered range."""
    start = (COVERED_FROM - _EPOCH).days
    end = (COVERED_UNTIL - _EPOCH).days
    days = np.arange(start, end + 1)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday -> Monday == 0
    school = weekday < 5
    for _, first, last in school_holidays():
        school[(days >= (first - _EPOCH).days) & (days <= (last - _EPOCH).days)] = False
    for year in range(COVERED_FROM.year, COVERED_UNTIL.year + 1):
        for d in public_holidays(year):
            i = (d - _EPOCH).days - start
            if 0 <= i < len(school):
                school[i] = False
    cumulative = np.concatenate([[0], np.cumsum(school, dtype=np.int64)])
    return start, cumulative


def _check(d: dt.date) -> None:
    if not (COVERED_FROM <= d <= COVERED_UNTIL):
        raise ValueError(
            f"Für {d.isoformat()} sind keine NRW-Schulferien hinterlegt "
            f"(abgedeckt: {COVERED_FROM.isoformat()} bis {COVERED_UNTIL.isoformat()})."
        )


def is_school_day(d: dt.date) -> bool:
    """True when ``d`` is a school day in NRW."""
    _check(d)
    return school_days_between(d, d) == 1


def school_days_between(start: dt.date, end: dt.date) -> int:
    """Number of school days ``d`` with ``start <= d <= end`` (both inclusive); 0 if start > end."""
    if start > end:
        return 0
    _check(start)
    _check(end)
    first, cumulative = _table()
    return int(cumulative[(end - _EPOCH).days - first + 1] - cumulative[(start - _EPOCH).days - first])


def school_day_counter() -> tuple[int, np.ndarray]:
    """Vectorised helper: ``(first, cum)`` such that for day numbers (days since 1970-01-01)
    ``a <= b`` within the covered range the school days in ``[a, b]`` are
    ``cum[b - first + 1] - cum[a - first]``."""
    first, cumulative = _table()
    return first, cumulative
