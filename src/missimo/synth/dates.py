"""Vectorised date helpers on day numbers (days since 1970-01-01, int64)."""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NA = 10_000_000  # "no date" (open end / empty): compares as the far future


def day(d: dt.date) -> int:
    return (d - EPOCH).days


def to_date(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def ymd(y: np.ndarray | int, m: np.ndarray | int, d: np.ndarray | int) -> np.ndarray:
    """Day numbers for year/month/day arrays (day must be valid for the month)."""
    y = np.asarray(y, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    months = (y - 1970) * 12 + (m - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(d, dtype=np.int64) - 1


def year(days: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
        + 1970
    )


def month(days: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12
        + 1
    )


def dom(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64)
    first = d.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return d - first + 1


def month_start(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64)
    return d.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_end(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days, dtype=np.int64)
    nxt = (
        (d.astype("datetime64[D]").astype("datetime64[M]") + np.timedelta64(1, "M"))
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    return nxt - 1


def school_entry_year(birth: np.ndarray) -> np.ndarray:
    """NRW: school duty starts 1 August of the year the child turns 6 if born on or before
    30 September, otherwise 1 August of the following year (rules.md)."""
    return year(birth) + 6 + (month(birth) >= 10)


def school_duty_start(birth: np.ndarray) -> np.ndarray:
    return ymd(school_entry_year(birth), 8, 1)


def school_duty_end(birth: np.ndarray) -> np.ndarray:
    """31 July of the school year (1 Aug - 31 Jul) in which the child turns 18."""
    y18 = year(birth) + 18
    end_year = y18 + (month(birth) >= 8)
    return ymd(end_year, 7, 31)


def schulpflichtig(birth: np.ndarray, s: int) -> np.ndarray:
    return (school_duty_start(birth) <= s) & (s <= school_duty_end(birth))
