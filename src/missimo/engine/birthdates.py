"""Birth dates decide for children (docs/adr/0002-birth-dates-children-and-adults.md).

Two records of which at least one is a minor at the reference date are never the same
person when their birth dates differ by more than a typing error explains. A typing error
is one of:

- one digit of ``JJJJMMTT`` written wrongly (``2015`` for ``2016``, ``13`` for ``18``),
- day and month swapped (``04.07.`` for ``07.04.``),
- the day, the month or the year off by one (``31.01.`` for ``01.02.`` counts: one day apart),
- ``00`` (unknown) for the day or the month: the known parts must then agree (or differ by
  one of the errors above); ``01.01.``, the fictitious date authorities write for an unknown
  day and month, counts as unknown too.

Exactly one such error per pair; two errors at once (another day *and* another year) are two
different dates. A record without a birth year is compared with nobody by this rule.

The same predicate exists twice and is tested to agree: :func:`compatible` (Python, used by
the clustering loop for whole clusters) and :func:`compatible_sql` (DuckDB, used on the
scored pairs). :func:`is_minor` / :func:`minor_sql` decide who is a child: the 18th birthday
lies after the reference date (an unknown day or month counts as the 1st, so a record whose
age is unclear counts as the older possibility and is not vetoed by accident).
"""

from __future__ import annotations

import datetime as dt

__all__ = ["BirthDate", "compatible", "compatible_sql", "is_minor", "minor_sql", "veto", "veto_sql"]

#: (year, month or None, day or None); None = unknown (``00``)
BirthDate = tuple[int | None, int | None, int | None]

_WIDTH = (4, 2, 2)


def _date(b: BirthDate) -> dt.date | None:
    y, m, d = b
    if y is None or m is None or d is None:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _one_typo(a: int, b: int, width: int) -> bool:
    if abs(a - b) == 1:
        return True
    sa, sb = f"{a:0{width}d}", f"{b:0{width}d}"
    return len(sa) == len(sb) and sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def _placeholder(b: BirthDate) -> BirthDate:
    """``01.01.`` is the fictitious date authorities write for an unknown day and month."""
    return (b[0], None, None) if b[1] == 1 and b[2] == 1 else b


def compatible(a: BirthDate, b: BirthDate) -> bool:
    """Whether a typing error explains the difference between birth dates ``a`` and ``b``."""
    if a[0] is None or b[0] is None:
        return True
    a, b = _placeholder(a), _placeholder(b)
    diff = [i for i in range(3) if a[i] is not None and b[i] is not None and a[i] != b[i]]
    if not diff:
        return True
    if diff == [1, 2] and a[0] == b[0] and a[1] == b[2] and a[2] == b[1]:
        return True
    da, db = _date(a), _date(b)
    if da is not None and db is not None and abs((da - db).days) <= 1:
        return True
    if len(diff) == 1:
        i = diff[0]
        x, y = a[i], b[i]
        assert x is not None and y is not None
        return _one_typo(x, y, _WIDTH[i])
    return False


def is_minor(b: BirthDate, reference: dt.date) -> bool:
    """Whether the person born on ``b`` is under 18 on ``reference`` (unknown parts count as 1)."""
    y, m, d = b
    if y is None:
        return False
    return ((y + 18) * 10000 + (m or 1) * 100 + (d or 1)) > (
        reference.year * 10000 + reference.month * 100 + reference.day
    )


def veto(a: BirthDate, b: BirthDate, reference: dt.date) -> bool:
    """Whether the birth dates forbid ``a`` and ``b`` to be one person (a child involved)."""
    return (is_minor(a, reference) or is_minor(b, reference)) and not compatible(a, b)


# ---------------------------------------------------------------------------------------
# the same in SQL; ``l``/``r`` are table aliases with columns dob_y, dob_m, dob_d


def compatible_sql(l: str = "l", r: str = "r") -> str:  # noqa: E741
    """SQL for :func:`compatible` on the ``dob_y/dob_m/dob_d`` columns of aliases ``l``, ``r``."""

    def parts(a: str) -> tuple[str, str, str]:  # a 01.01. placeholder read as unknown day and month
        placeholder = f"coalesce({a}.dob_m = 1 AND {a}.dob_d = 1, FALSE)"
        return (
            f"{a}.dob_y",
            f"(CASE WHEN NOT {placeholder} THEN {a}.dob_m END)",
            f"(CASE WHEN NOT {placeholder} THEN {a}.dob_d END)",
        )

    (ly, lm, ld), (ry, rm, rd) = parts(l), parts(r)
    dy = f"({ly} <> {ry})"
    dm = f"coalesce({lm} <> {rm}, FALSE)"
    dd = f"coalesce({ld} <> {rd}, FALSE)"
    n = f"(CAST({dy} AS INTEGER) + CAST({dm} AS INTEGER) + CAST({dd} AS INTEGER))"

    def typo(a: str, b: str, width: int) -> str:
        return (
            f"(abs({a} - {b}) = 1 OR hamming(lpad(CAST({a} AS VARCHAR), {width}, '0'), "
            f"lpad(CAST({b} AS VARCHAR), {width}, '0')) = 1)"
        )

    def date(y: str, m: str, d: str) -> str:
        return f"try_strptime(printf('%04d-%02d-%02d', {y}, {m}, {d}), '%Y-%m-%d')"

    # an unknown part makes some conditions NULL; NULL means none of them held
    return (
        f"coalesce({ly} IS NULL OR {ry} IS NULL OR {n} = 0"
        f" OR ({ly} = {ry} AND {lm} = {rd} AND {ld} = {rm})"
        f" OR coalesce(abs(date_diff('day', {date(ly, lm, ld)}, {date(ry, rm, rd)})) <= 1, FALSE)"
        f" OR ({n} = 1 AND (({dy} AND {typo(ly, ry, 4)}) OR ({dm} AND {typo(lm, rm, 2)})"
        f" OR ({dd} AND {typo(ld, rd, 2)}))), FALSE)"
    )


def minor_sql(a: str, reference: dt.date) -> str:
    """SQL for :func:`is_minor` on alias ``a``."""
    ref = reference.year * 10000 + reference.month * 100 + reference.day
    return (
        f"coalesce(({a}.dob_y + 18) * 10000 + coalesce({a}.dob_m, 1) * 100 + coalesce({a}.dob_d, 1) > {ref},"
        " FALSE)"
    )


def veto_sql(reference: dt.date, l: str = "l", r: str = "r") -> str:  # noqa: E741
    """SQL for :func:`veto`."""
    return f"(({minor_sql(l, reference)} OR {minor_sql(r, reference)}) AND NOT {compatible_sql(l, r)})"
