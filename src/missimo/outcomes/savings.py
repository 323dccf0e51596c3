"""Projected savings of a stopped Kindergeld payment until the child's 18th birthday.

The formula (documented for the city in docs/handbuch/ergebnisse-und-schreiben.md):

    Monate    = max(0, letzter Anspruchsmonat − Monat der Einstellung)   (in whole calendar months)
    Einsparung = Monate × eingestellter Monatsbetrag

- *Monat der Einstellung*: the calendar month of the stop date. Kindergeld is paid for every month in
  which the entitlement existed on at least one day (§ 66 Abs. 2 EStG), so the month of the stop is
  counted as paid, the saving begins with the following month.
- *letzter Anspruchsmonat*: a child counts in every month at whose beginning it has not yet completed
  its 18th year (§ 32 Abs. 3 EStG). A year of life is completed at the end of the day before the
  birthday (§ 187 Abs. 2, § 188 Abs. 2 BGB), so:
    * birthday on the 2nd to 31st: the month of the 18th birthday is the last month;
    * birthday on the 1st: the child completed its 18th year at the end of the previous day, the
      last month is the one before the birthday month.
- A child who is already 18 (last month not after the stop month) gives 0.
- Without a birth date or monthly amount the projection is unknown (None), never a guess.

Payments beyond 18 (education, disability) are not projected: the figure is deliberately cautious.

Bürgergeld (SGB II) eingestellt:

    Einsparung = 12 × Monatsbetrag

- 12 months: the regular Bewilligungszeitraum (§ 41 Abs. 3 Satz 1 SGB II); benefits stopped would
  otherwise have been granted for (at most) one such period. Cautious: no further periods.
- Monatsbetrag: the amount stopped as recorded; without one, the Regelbedarf of Regelbedarfsstufe 1
  of the year of the stop (§ 20 Abs. 2 SGB II; Anlage zu § 28 SGB XII as updated by the yearly
  Regelbedarfsstufen-Fortschreibungsverordnung): 2024, 2025 and 2026: 563 € (RBSFV 2024; no change
  for 2025 and 2026). Costs of accommodation are not included: unknown here, so not guessed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def month_index(day: dt.date) -> int:
    return day.year * 12 + (day.month - 1)


def last_entitled_month(birth: dt.date) -> int:
    """Month index of the last month Kindergeld is paid for a child under 18 (see module doc)."""
    index = (birth.year + 18) * 12 + (birth.month - 1)
    return index - 1 if birth.day == 1 else index


def projected_months(stop: dt.date, birth: dt.date) -> int:
    """Whole months saved from the month after `stop` up to the last entitled month."""
    return max(0, last_entitled_month(birth) - month_index(stop))


def projected_savings(
    stop: dt.date, birth: dt.date | None, monthly: Decimal | None
) -> tuple[int | None, Decimal | None]:
    """(months, savings in €) or (None, None) when the birth date or the monthly amount is unknown."""
    if birth is None or monthly is None:
        return None, None
    months = projected_months(stop, birth)
    return months, (Decimal(months) * Decimal(monthly)).quantize(Decimal("0.01"))


# Regelbedarfsstufe 1 (alleinstehende Erwachsene) per year, € per month (see module doc).
REGELBEDARF_STUFE_1 = {
    2023: Decimal("502.00"),
    2024: Decimal("563.00"),
    2025: Decimal("563.00"),
    2026: Decimal("563.00"),
}
SGB2_PROJECTED_MONTHS = 12


def regelbedarf(year: int) -> Decimal:
    """Regelbedarfsstufe 1 of `year` (the latest known year for later years)."""
    known = max(y for y in REGELBEDARF_STUFE_1 if y <= year) if year >= min(REGELBEDARF_STUFE_1) else None
    return REGELBEDARF_STUFE_1[known if known is not None else min(REGELBEDARF_STUFE_1)]


def projected_sgb2_savings(stop: dt.date, monthly: Decimal | None) -> tuple[int, Decimal, Decimal]:
    """(months, savings in €, monthly amount used): 12 × the stopped amount, or × the Regelbedarf."""
    used = Decimal(monthly) if monthly is not None else regelbedarf(stop.year)
    return SGB2_PROJECTED_MONTHS, (SGB2_PROJECTED_MONTHS * used).quantize(Decimal("0.01")), used


def birth_date_of(facts: dict | None, source: str = "") -> dt.date | None:
    """The child's birth date from a hint's facts, None if absent or invalid: `kind_geburtsdatum`, or
    `geburtsdatum` where the primary record is the child's own (Kindergeld child, pupil, SEU child),
    never the adult's of a Jobcenter record."""
    facts = facts or {}
    value = facts.get("kind_geburtsdatum")
    if not value and source != "jobcenter" and facts.get("quelle") != "jobcenter":
        value = facts.get("geburtsdatum")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
