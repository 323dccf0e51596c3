"""Measuring the linkage's precision from a labelled, stratified sample (issue #15, point 5)."""

import math

import duckdb
import pytest

from missimo.engine import (
    LABEL_DIFFERENT,
    LABEL_SAME,
    LABEL_UNCLEAR,
    draw_review_sample,
    estimate_link_quality,
    review_strata,
)
from missimo.engine.review import wilson_interval
from tests.engine.sample_population import make_population

STRATA = [
    {"key": "L1", "linked": True, "population": 100},
    {"key": "L2", "linked": True, "population": 300},
    {"key": "U1", "linked": False, "population": 50},
]


def _labels(key, same, different, unclear=0):
    return (
        [(key, LABEL_SAME)] * same + [(key, LABEL_DIFFERENT)] * different + [(key, LABEL_UNCLEAR)] * unclear
    )


def test_the_wilson_interval_matches_the_published_values():
    # 16 of 20: Wilson 95 % interval 0.5840 to 0.9193 (Newcombe 1998, method 3)
    low, high = wilson_interval(16, 20)
    assert low == pytest.approx(0.5840, abs=1e-4)
    assert high == pytest.approx(0.9193, abs=1e-4)
    # 20 of 20: the interval still reaches below 1 (the normal approximation would not)
    low, high = wilson_interval(20, 20)
    assert low == pytest.approx(20 / (20 + 1.959963984540054**2), abs=1e-9)
    assert high == 1.0


def test_precision_is_the_stratum_size_weighted_share_of_same_person_labels_with_a_known_interval():
    labels = _labels("L1", 16, 4, unclear=3) + _labels("L2", 20, 0) + _labels("U1", 2, 8)
    quality = estimate_link_quality(STRATA, labels)
    # (100 * 0.8 + 300 * 1.0) / 400
    assert quality.precision == pytest.approx(0.95)
    assert quality.complete
    assert quality.labelled == 53
    assert quality.unclear == 3
    # by hand: Wilson per stratum, shrunk by the finite population correction, square-and-add
    z = 1.959963984540054
    l1_low = 0.8 - (0.8 - wilson_interval(16, 20)[0]) * math.sqrt(80 / 99)
    l2_low = 1.0 - (1.0 - 20 / (20 + z * z)) * math.sqrt(280 / 299)
    expected_low = 0.95 - math.sqrt((0.25 * (0.8 - l1_low)) ** 2 + (0.75 * (1.0 - l2_low)) ** 2)
    l1_high = 0.8 + (wilson_interval(16, 20)[1] - 0.8) * math.sqrt(80 / 99)
    expected_high = 0.95 + 0.25 * (l1_high - 0.8)  # L2 has no room above 1
    assert quality.precision_low == pytest.approx(expected_low)
    assert quality.precision_high == pytest.approx(expected_high)
    assert quality.precision_low == pytest.approx(0.8234, abs=1e-3)
    # missed near the threshold: 50 * 0.2 true unlinked pairs against 380 true links
    assert quality.missed_share == pytest.approx(10 / 390)
    assert quality.missed_low < quality.missed_share < quality.missed_high


def test_a_stratum_labelled_completely_is_known_exactly():
    strata = [{"key": "L1", "linked": True, "population": 5}]
    quality = estimate_link_quality(strata, _labels("L1", 4, 1))
    assert quality.precision == pytest.approx(0.8)
    assert quality.precision_low == pytest.approx(0.8)
    assert quality.precision_high == pytest.approx(0.8)
    assert quality.missed_share == 0.0


def test_no_estimate_until_every_non_empty_stratum_has_a_decided_label():
    labels = _labels("L1", 10, 0) + _labels("L2", 0, 0, unclear=2) + _labels("U1", 1, 1)
    quality = estimate_link_quality(STRATA, labels)
    assert not quality.complete
    assert quality.precision is None
    assert quality.missed_share is None
    # an empty stratum does not block the estimate
    empty = [*STRATA[:1], {"key": "L2", "linked": True, "population": 0}, STRATA[2]]
    assert estimate_link_quality(empty, labels).precision == pytest.approx(1.0)


def test_the_strata_cover_four_bands_of_links_and_the_unlinked_pairs_near_the_threshold():
    strata = review_strata(0.5)
    linked = [s for s in strata if s.linked]
    unlinked = [s for s in strata if not s.linked]
    assert [s.high for s in linked[:-1]] == [0.8, 0.95, 0.99]
    assert len(linked) == 4
    assert [(s.low, s.high) for s in unlinked[:2]] == [(0.2, 0.35), (0.35, 0.5)]
    assert unlinked[-1].low == 0.5  # scored above the threshold but kept apart (birth-date rule, ambiguity)
    assert all("Wahrscheinlichkeit" in s.label for s in strata)


@pytest.fixture(scope="module")
def linked_run(tmp_path_factory):
    from missimo.engine.linkage import link_persons

    pop = make_population(n_households=250, seed=15)
    con = duckdb.connect()
    snaps = pop.load(con)
    result = link_persons(con, snaps, model_path=tmp_path_factory.mktemp("model") / "model.json")
    return con, result


def test_the_sample_is_drawn_per_stratum_with_both_records_and_the_field_comparison(linked_run):
    con, result = linked_run
    sample = draw_review_sample(con, result.threshold, 3, result.model)
    populations = {s.key: s.population for s in sample.strata}
    n_linked = con.execute("SELECT count(*) FROM person_pair WHERE linked").fetchone()[0]
    assert sum(s.population for s in sample.strata if s.linked) == n_linked
    for stratum in sample.strata:
        drawn = [p for p in sample.pairs if p.stratum == stratum.key]
        assert len(drawn) == min(3, populations[stratum.key])
        for pair in drawn:
            assert stratum.low <= pair.probability < stratum.high
            assert pair.linked == stratum.linked
    pair = sample.pairs[0]
    assert set(pair.left) >= {"familienname", "vornamen", "geburtsdatum", "strasse", "plz"}
    assert {f["comparison"] for f in pair.fields} >= {"familienname", "geburtsdatum"}
    # reproducible: the same seed draws the same pairs
    again = draw_review_sample(con, result.threshold, 3, result.model)
    assert [(p.uid_left, p.uid_right) for p in again.pairs] == [
        (p.uid_left, p.uid_right) for p in sample.pairs
    ]


def test_doubtful_double_claim_joins_form_a_stratum_of_their_own_outside_the_estimate(linked_run):
    con, result = linked_run
    doubtful = con.execute(
        "SELECT unique_id_l, unique_id_r FROM person_pair WHERE linked ORDER BY match_probability LIMIT 2"
    ).fetchall()
    sample = draw_review_sample(con, result.threshold, 3, result.model, unsure_double_claims=doubtful)
    stratum = next(s for s in sample.strata if s.key == "D")
    assert stratum.population == 2
    assert not stratum.estimated
    assert "Doppelbezug" in stratum.label
    drawn = {(p.uid_left, p.uid_right) for p in sample.pairs}
    in_d = {(p.uid_left, p.uid_right) for p in sample.pairs if p.stratum == "D"}
    assert set(doubtful) <= drawn  # each is shown once: in D, or where it was drawn at random
    assert len(drawn) == len(sample.pairs)
    assert in_d <= set(doubtful)
    # labels of the D stratum do not enter the estimate
    strata = [
        {"key": s.key, "linked": s.linked, "population": s.population, "estimated": s.estimated}
        for s in sample.strata
    ]
    labels = [(s["key"], LABEL_SAME) for s in strata if s["population"] and s["estimated"]]
    with_d = estimate_link_quality(strata, [*labels, ("D", LABEL_DIFFERENT), ("D", LABEL_DIFFERENT)])
    assert with_d.precision == estimate_link_quality(strata, labels).precision == pytest.approx(1.0)
    assert all(s.key != "D" for s in with_d.strata)
