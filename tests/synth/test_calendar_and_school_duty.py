"""NRW school days and school duty (rules.md terms), as the synthetic city uses them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from missimo.engine.calendar_nrw import is_school_day, public_holidays, school_days_between
from missimo.synth.dates import day, schulpflichtig


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_weekends_holidays_and_public_holidays_are_no_school_days() -> None:
    assert is_school_day(d("2026-03-16"))  # a Monday in term
    assert not is_school_day(d("2026-03-14"))  # Saturday
    assert not is_school_day(d("2026-04-01"))  # Osterferien 2026
    assert not is_school_day(d("2026-06-04"))  # Fronleichnam
    assert not is_school_day(d("2025-10-03"))  # Tag der Deutschen Einheit
    assert not is_school_day(d("2026-08-31"))  # Sommerferien until 1 September 2026
    assert is_school_day(d("2026-09-02"))


def test_school_days_between_counts_both_ends_inclusive() -> None:
    assert school_days_between(d("2026-03-16"), d("2026-03-20")) == 5
    assert school_days_between(d("2026-03-20"), d("2026-03-16")) == 0
    # Easter holidays 30.03.-11.04.2026 and Easter Monday: 23.03.-17.04. has only 5 + 5 days
    assert school_days_between(d("2026-03-23"), d("2026-04-17")) == 10


def test_easter_based_public_holidays_are_computed() -> None:
    assert d("2027-03-26") in public_holidays(2027)  # Karfreitag 2027
    assert d("2025-06-19") in public_holidays(2025)  # Fronleichnam 2025


def test_dates_outside_the_shipped_holiday_data_are_refused() -> None:
    with pytest.raises(ValueError):
        is_school_day(d("2029-01-10"))


@pytest.mark.parametrize(
    ("birth", "stichtag", "expected"),
    [
        ("2019-09-30", "2025-08-01", True),  # born on 30 September: due from 1 August of the year turning 6
        ("2019-10-01", "2025-08-01", False),  # born 1 October: a year later
        ("2019-10-01", "2026-08-01", True),
        ("2019-09-30", "2025-07-31", False),
        ("2008-03-01", "2026-07-31", True),  # turns 18 in school year 2025/26: due until 31 July 2026
        ("2008-03-01", "2026-08-01", False),
        ("2008-09-01", "2027-07-31", True),  # turns 18 in school year 2026/27
    ],
)
def test_schulpflicht_follows_the_30_september_and_31_july_boundaries(
    birth: str, stichtag: str, expected: bool
) -> None:
    assert bool(schulpflichtig(np.array([day(d(birth))]), day(d(stichtag)))[0]) is expected
