"""Calibrating the ranking's weights from decided outcomes (ADR 0009): fixed weights until the
minimum numbers are reached, then a logistic regression whose answer is known here."""

from __future__ import annotations

import math
import random

import pytest

from missimo.engine.ranking import (
    MIN_CALIBRATION_EACH,
    MIN_CALIBRATION_PROPERTIES,
    WEIGHTS,
    CalibrationSample,
    calibrate_weights,
    rank_properties,
    score,
)


def _sample(agencies: int, confirmed: bool, **others) -> CalibrationSample:
    values = {"rules": 1, "hints": 1, "persons": 1, "money": 0.0, **others}
    return CalibrationSample(agencies=agencies, confirmed=confirmed, **values)


def _two_groups() -> list[CalibrationSample]:
    """Properties found by one agency: 20 % confirmed; by two agencies: 50 % confirmed. Every other
    term is the same, so the maximum-likelihood answer is known: the second agency multiplies the odds
    of a confirmation from 1:4 to 1:1, a log-odds of ln 4 per agency, and the intercept is ln(1/4) − ln 4."""
    one = [_sample(1, i < 60) for i in range(300)]
    two = [_sample(2, i < 150) for i in range(300)]
    return one + two


def test_the_fixed_weights_stay_below_the_minimum_numbers():
    too_few = _two_groups()[: MIN_CALIBRATION_PROPERTIES - 1]
    result = calibrate_weights(too_few)
    assert not result.calibrated and result.weights == WEIGHTS
    assert "feste Gewichte" in result.reason and str(MIN_CALIBRATION_PROPERTIES) in result.reason
    one_sided = [_sample(1, True) for _ in range(400)] + [
        _sample(1, False) for _ in range(MIN_CALIBRATION_EACH - 1)
    ]
    assert not calibrate_weights(one_sided).calibrated


def test_the_regression_finds_the_known_log_odds_of_a_second_agency():
    result = calibrate_weights(_two_groups())
    assert result.calibrated and result.properties == 600 and result.confirmed == 210
    assert result.coefficients["agencies"] == pytest.approx(math.log(4), abs=1e-4)
    for constant in ("rules", "hints", "persons", "money"):
        assert result.coefficients[constant] == pytest.approx(0.0, abs=1e-3)
    assert result.intercept is not None
    # only the agencies carry weight; scaled to the sum of the fixed weights
    assert result.weights["agencies"] == pytest.approx(sum(WEIGHTS.values()), abs=0.1)
    assert sum(result.weights.values()) == pytest.approx(sum(WEIGHTS.values()), abs=0.01)


def test_a_simulated_city_recovers_the_ratios_of_its_true_weights():
    rng = random.Random(17)
    true = {"agencies": 1.2, "rules": 0.6, "hints": 0.0, "persons": 0.0, "money": 0.3}
    rows = []
    for _ in range(6000):
        agencies, rules = rng.randint(1, 4), rng.randint(1, 5)
        hints, persons, money = rng.randint(1, 12), rng.randint(1, 20), rng.uniform(0, 3000)
        terms = {
            "agencies": agencies,
            "rules": rules,
            "hints": math.log2(1 + hints),
            "persons": math.log2(1 + persons),
            "money": math.log2(1 + money / 100),
        }
        log_odds = -5.0 + sum(true[name] * terms[name] for name in true)
        confirmed = rng.random() < 1 / (1 + math.exp(-log_odds))
        rows.append(CalibrationSample(agencies, rules, hints, persons, money, confirmed))
    result = calibrate_weights(rows)
    assert result.calibrated
    ratio = result.weights["agencies"] / result.weights["rules"]
    assert ratio == pytest.approx(2.0, rel=0.25)
    assert result.weights["hints"] < 1.5 and result.weights["persons"] < 1.5


def test_the_ranking_uses_the_weights_it_is_given():
    assert score(2, 1, 1, 1, 0.0) == score(2, 1, 1, 1, 0.0, dict(WEIGHTS))
    only_money = dict.fromkeys(WEIGHTS, 0.0) | {"money": 1.0}
    assert score(3, 3, 3, 3, 300.0, only_money) == 2  # log2(1 + 300/100)
    assert rank_properties([], only_money) == []
