"""The ranking's weights from decided outcomes (ADR 0009).

Each inspected property with a decided outcome is one sample: the five terms of its priority score
(from its ranking in the run of its hints) and whether an agency confirmed misuse or an error at it
("missbrauch"/"fehler") or dismissed every decided hint ("kein_befund"). `engine.calibrate_weights`
fits the weights once there are enough samples (its minimum numbers) and keeps the fixed ones until
then. The runs app asks for the weights through `core.extensions.ranking_weights`."""

from __future__ import annotations

from missimo import engine
from missimo.outcomes.models import Outcome, OutcomeResult
from missimo.runs.models import RankedProperty

CONFIRMING = frozenset({OutcomeResult.MISSBRAUCH, OutcomeResult.FEHLER})


def samples() -> list[engine.CalibrationSample]:
    """One sample per property with a decided outcome, its features from its latest ranking among
    the runs of its decided hints."""
    decided: dict[str, tuple[bool, set[int]]] = {}
    for objekt_id, run_id, result in Outcome.objects.exclude(hint__objekt_id="").values_list(
        "hint__objekt_id", "hint__run_id", "result"
    ):
        confirmed, runs = decided.get(objekt_id, (False, set()))
        decided[objekt_id] = (confirmed or result in CONFIRMING, runs | {run_id})
    rows = []
    for objekt_id, (confirmed, runs) in sorted(decided.items()):
        ranked = (
            RankedProperty.objects.filter(objekt_id=objekt_id, run_id__in=runs).order_by("-run_id").first()
            or RankedProperty.objects.filter(objekt_id=objekt_id).order_by("-run_id").first()
        )
        if ranked is None:
            continue
        rows.append(
            engine.CalibrationSample(
                agencies=len(ranked.agencies),
                rules=len(ranked.rules),
                hints=ranked.hint_count,
                persons=ranked.persons,
                money=float(ranked.amount_monthly),
                confirmed=confirmed,
            )
        )
    return rows


def calibration() -> engine.Calibration:
    return engine.calibrate_weights(samples())


def ranking_weights() -> dict[str, float] | None:
    """The calibrated weights, or None while the fixed ones apply."""
    result = calibration()
    return result.weights if result.calibrated else None
