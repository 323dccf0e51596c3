"""Property ranking and the two contract exports (hints CSV, properties CSV).

The priority score of a property (Objekt_ID) orders inspections so that the first properties
visited are the ones most likely to hold confirmed misuse. It adds, on a log scale where
counts have diminishing returns, the independent pieces of evidence found there:

    Punktzahl = 10 * B            (distinct agencies whose records raised a hint)
              +  5 * R            (distinct rules that fired)
              +  3 * log2(1 + N)  (hints)
              +  2 * log2(1 + P)  (distinct persons involved)
              +  2 * log2(1 + M / 100)  (money at stake, euro per month, each record once)

Rationale (see ``docs/rules.md``): contradictions found independently by different agencies
corroborate each other most; different rules of one agency less so; many hints, persons and
euros raise the stakes but with diminishing returns, so one large building with many
similar hints does not outrank a small one where everything points the same way.
Ties are broken by the number of hints, then by Objekt_ID, so the order is deterministic.

The weights are fixed (``WEIGHTS``) until enough inspected properties have a decided outcome;
``calibrate_weights`` then fits them by logistic regression (docs/adr/0009-ranking-calibration.md).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TextIO

from missimo.engine.explain import money_csv
from missimo.engine.rules import RULE_BY_CODE, RULES, EvaluationResult, Hint
from missimo.engine.sources import SOURCES

__all__ = [
    "HINT_HEADER",
    "MIN_CALIBRATION_EACH",
    "MIN_CALIBRATION_PROPERTIES",
    "PROPERTY_HEADER",
    "WEIGHTS",
    "Calibration",
    "CalibrationSample",
    "RankedProperty",
    "calibrate_weights",
    "rank_properties",
    "score",
    "write_hints_csv",
    "write_properties_csv",
]

HINT_HEADER = ["Hinweis_ID", "Regel", "Objekt_ID", "Adresse", "Belege", "Betrag_monatlich", "Erklaerung"]
PROPERTY_HEADER = ["Rang", "Objekt_ID", "Adresse", "Punktzahl", "Anzahl_Hinweise", "Regeln"]

WEIGHTS = {"agencies": 10.0, "rules": 5.0, "hints": 3.0, "persons": 2.0, "money": 2.0}
MONEY_UNIT = 100.0  # euro per month that count as one doubling step

_RULE_ORDER = {r.code: i for i, r in enumerate(RULES)}


@dataclass(frozen=True)
class RankedProperty:
    rank: int
    objekt_id: str
    address: str
    score: Decimal
    hint_count: int
    rules: tuple[str, ...]  # catalogue order
    agencies: tuple[str, ...]
    persons: int
    amount: Decimal  # euro per month, each money-bearing record counted once


def _agency(hint: Hint) -> str:
    """The agency that owns the hint's primary record (the source descriptor's owner)."""
    source = hint.primary_ref.partition(":")[0]
    layout = SOURCES.get(source)
    return layout.owner_label if layout is not None and layout.owner_label else source


def _money_key(hint: Hint) -> str:
    """The record whose payment a hint's amount is: the first kindergeld record in the evidence
    (so KG_OHNE_SCHULE and KG_NACH_ABMELDUNG about one payment count it once), else the primary."""
    for ref in hint.evidence:
        if ref.startswith("kindergeld:"):
            return ref
    return hint.primary_ref


def features(agencies: int, rules: int, hints: int, persons: int, money: float) -> dict[str, float]:
    """The score's five terms before weighting (the same transforms the calibration fits)."""
    return {
        "agencies": float(agencies),
        "rules": float(rules),
        "hints": math.log2(1 + hints),
        "persons": math.log2(1 + persons),
        "money": math.log2(1 + max(money, 0.0) / MONEY_UNIT),
    }


def score(
    agencies: int, rules: int, hints: int, persons: int, money: float, weights: dict[str, float] | None = None
) -> Decimal:
    """The documented priority score (two decimals); `weights` default to the fixed ``WEIGHTS``."""
    weights = weights or WEIGHTS
    terms = features(agencies, rules, hints, persons, money)
    value = sum(weights[name] * terms[name] for name in WEIGHTS)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- calibration from decided outcomes (ADR 0009) ---------------------------------------------

MIN_CALIBRATION_PROPERTIES = 200  # inspected properties with a decided outcome
MIN_CALIBRATION_EACH = 50  # of them confirmed, and dismissed (ten per fitted weight, five weights)


@dataclass(frozen=True)
class CalibrationSample:
    """One inspected property: the score's inputs and whether misuse or an error was confirmed there
    (True) or every decided hint was dismissed (False)."""

    agencies: int
    rules: int
    hints: int
    persons: int
    money: float
    confirmed: bool


@dataclass(frozen=True)
class Calibration:
    """The weights to rank with, and why: calibrated from outcomes, or the fixed ones."""

    weights: dict[str, float]
    calibrated: bool
    reason: str
    properties: int = 0
    confirmed: int = 0
    coefficients: dict[str, float] | None = None  # the fitted log-odds per unit of each term
    intercept: float | None = None


def _fit_logistic(x, y, ridge: float = 1e-6, iterations: int = 100):
    """Maximum-likelihood logistic regression by Newton's method (IRLS); a tiny ridge keeps the
    Hessian invertible when a term is constant. Returns (intercept, coefficients)."""
    import numpy as np

    design = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p) - penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return float(beta[0]), [float(b) for b in beta[1:]]


def calibrate_weights(
    samples: Iterable[CalibrationSample],
    *,
    min_properties: int = MIN_CALIBRATION_PROPERTIES,
    min_each: int = MIN_CALIBRATION_EACH,
) -> Calibration:
    """The score's weights fitted to decided outcomes, or the fixed ``WEIGHTS`` while there are too few.

    A logistic regression of "confirmed" on the five terms of the score (``features``) gives the
    log-odds each term adds. Negative coefficients become 0 (more evidence never lowers a property),
    and the weights are scaled so that they add up as the fixed ones do: the order of the properties
    depends only on the ratios, and the Punktzahl stays on its familiar scale."""
    rows = list(samples)
    confirmed = sum(1 for row in rows if row.confirmed)
    dismissed = len(rows) - confirmed
    if len(rows) < min_properties or confirmed < min_each or dismissed < min_each:
        return Calibration(
            dict(WEIGHTS),
            False,
            f"feste Gewichte: {len(rows)} entschiedene Objekte ({confirmed} bestätigt, {dismissed} ohne "
            f"Befund); nötig sind {min_properties} Objekte und je {min_each} bestätigt und ohne Befund",
            len(rows),
            confirmed,
        )
    import numpy as np

    names = list(WEIGHTS)
    x = np.array(
        [[features(r.agencies, r.rules, r.hints, r.persons, r.money)[n] for n in names] for r in rows],
        dtype=float,
    )
    y = np.array([1.0 if r.confirmed else 0.0 for r in rows])
    intercept, coefficients = _fit_logistic(x, y)
    kept = [max(c, 0.0) for c in coefficients]
    if sum(kept) <= 0:
        return Calibration(
            dict(WEIGHTS),
            False,
            "feste Gewichte: kein Merkmal der Punktzahl macht eine Bestätigung wahrscheinlicher",
            len(rows),
            confirmed,
            dict(zip(names, coefficients, strict=True)),
            intercept,
        )
    scale = sum(WEIGHTS.values()) / sum(kept)
    return Calibration(
        {name: round(weight * scale, 4) for name, weight in zip(names, kept, strict=True)},
        True,
        f"aus {len(rows)} entschiedenen Objekten kalibriert ({confirmed} bestätigt, {len(rows) - confirmed} "
        "ohne Befund)",
        len(rows),
        confirmed,
        dict(zip(names, coefficients, strict=True)),
        intercept,
    )


def rank_properties(hints: Iterable[Hint], weights: dict[str, float] | None = None) -> list[RankedProperty]:
    """Group hints by property (hints without Objekt_ID are left out), score and rank them."""
    groups: dict[str, list[Hint]] = {}
    for h in hints:
        if h.objekt_id:
            groups.setdefault(h.objekt_id, []).append(h)
    unranked = []
    for oid, group in groups.items():
        rules = tuple(sorted({h.rule for h in group}, key=lambda c: _RULE_ORDER.get(c, 99)))
        agencies = tuple(sorted({_agency(h) for h in group}))
        persons = {p for h in group for p in h.person_ids}
        money: dict[str, Decimal] = {}
        for h in group:
            if h.amount is not None:
                key = _money_key(h)
                money[key] = max(money.get(key, Decimal(0)), h.amount)
        amount = sum(money.values(), Decimal(0))
        address = next((h.address for h in sorted(group, key=lambda h: h.hint_id) if h.address), "")
        points = score(len(agencies), len(rules), len(group), len(persons), float(amount), weights)
        unranked.append((points, len(group), oid, address, rules, agencies, len(persons), amount))
    unranked.sort(key=lambda t: (-t[0], -t[1], t[2]))
    return [
        RankedProperty(i, oid, address, points, n, rules, agencies, persons, amount)
        for i, (points, n, oid, address, rules, agencies, persons, amount) in enumerate(unranked, 1)
    ]


def _open(target: str | Path | TextIO) -> tuple[TextIO, bool]:
    if isinstance(target, str | Path):
        return open(target, "w", encoding="utf-8", newline=""), True
    return target, False


def _sorted_hints(hints: Iterable[Hint]) -> list[Hint]:
    return sorted(hints, key=lambda h: (_RULE_ORDER.get(h.rule, 99), h.primary_ref))


def write_hints_csv(result: EvaluationResult | Iterable[Hint], target: str | Path | TextIO) -> int:
    """The contract's hints export; returns the number of rows written."""
    hints = result.hints if isinstance(result, EvaluationResult) else tuple(result)
    out, close = _open(target)
    try:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(HINT_HEADER)
        rows = _sorted_hints(hints)
        for h in rows:
            if h.rule not in RULE_BY_CODE:
                raise ValueError(f"unknown rule {h.rule}")
            writer.writerow(
                [
                    h.hint_id,
                    h.rule,
                    h.objekt_id or "",
                    h.address or "",
                    "|".join(h.evidence),
                    money_csv(h.amount),
                    h.explanation,
                ]
            )
        return len(rows)
    finally:
        if close:
            out.close()


def _points_csv(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def write_properties_csv(
    result: EvaluationResult | Iterable[Hint] | list[RankedProperty], target: str | Path | TextIO
) -> int:
    """The contract's properties export (ranked, best first); returns the number of rows."""
    if isinstance(result, EvaluationResult):
        ranked = rank_properties(result.hints)
    else:
        items = list(result)
        if items and isinstance(items[0], RankedProperty):
            ranked = [p for p in items if isinstance(p, RankedProperty)]
        else:
            ranked = rank_properties(h for h in items if isinstance(h, Hint))
    out, close = _open(target)
    try:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(PROPERTY_HEADER)
        for p in ranked:
            writer.writerow(
                [p.rank, p.objekt_id, p.address, _points_csv(p.score), p.hint_count, "|".join(p.rules)]
            )
        return len(ranked)
    finally:
        if close:
            out.close()
