# ruff: noqa: S608  (SQL names only fixed table names passed by the engine; values are parameters)
"""Measuring the precision of the person linkage where no truth exists (issue #15, point 5).

A city cannot know its true links. During a run, before the data minimisation deletes the
records of persons without a hint, :func:`draw_review_sample` draws a stratified random sample
of scored pairs from ``person_pair``: linked pairs in bands of match probability and unlinked
pairs near (below) the threshold. Each sampled pair carries only what the comparison page
shows: both records' display fields and the field-by-field weights of "Warum verknüpft?".

A person labels each pair "gleiche Person", "verschiedene Personen" or "unklar";
:func:`estimate_link_quality` turns the labels into

- the **precision** of the links: the share of linked pairs that are the same person, a
  stratified estimator ``P = sum_h W_h p_h`` with ``W_h = N_h / N`` (``N_h`` linked pairs in
  band ``h``, ``p_h`` the share "gleiche Person" among the decided labels of the band);
- the **missed share near the threshold**: of the true pairs in the sampled range (linked
  pairs and unlinked pairs near the threshold), the share the run did not link,
  ``M / (M + T)`` with ``M = sum_{h unlinked} N_h p_h`` and ``T = sum_{h linked} N_h p_h``.

The 95 % interval combines a Wilson score interval per stratum (sound for small samples and
shares at 0 or 1, where the normal approximation collapses to a point) by the MOVER method for
linear combinations (Zou & Donner 2008; Newcombe's square-and-add):
``L = P - sqrt(sum_h (W_h (p_h - l_h))^2)``, ``U = P + sqrt(sum_h (W_h (u_h - p_h))^2)``,
each stratum's half-widths shrunk by the finite population correction
``sqrt((N_h - n_h) / (N_h - 1))`` (a stratum labelled completely is known exactly). The missed
share is monotone in ``M`` (rising) and ``T`` (falling), so its interval takes the MOVER bounds
of both sums, ``[M_L / (M_L + T_U), M_U / (M_U + T_L)]``: conservative (at least 95 %).
"unklar" labels are left out of ``n_h`` (reported separately); an estimate is given only when
every non-empty stratum has at least one decided label.

Plain Python and DuckDB, no Django.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from missimo.engine import linkage

__all__ = [
    "LABEL_DIFFERENT",
    "LABEL_SAME",
    "LABEL_UNCLEAR",
    "LinkQuality",
    "ReviewPair",
    "ReviewSample",
    "ReviewStratum",
    "StratumEstimate",
    "draw_review_sample",
    "estimate_link_quality",
    "review_strata",
    "wilson_interval",
]

LABEL_SAME = "gleich"
LABEL_DIFFERENT = "verschieden"
LABEL_UNCLEAR = "unklar"

#: Upper edges of the bands of linked pairs above the threshold (the last band reaches 1).
LINKED_EDGES = (0.8, 0.95, 0.99)
#: Lower edges of the bands of unlinked pairs below the threshold ("near the threshold").
UNLINKED_EDGES = (0.2, 0.35)
Z95 = 1.959963984540054
#: The stratum of the joins that put a Kindergeld child into a double claim without the margin
#: of a sure join (issue #15, point 3): no ``KG_DOPPELBEZUG`` hint, a person decides instead.
#: Reviewed, labelled and turned into rejected links like every other pair, but not part of
#: the precision estimate (they are chosen for being doubtful, not at random).
DOUBLE_CLAIM = "D"
DOUBLE_CLAIM_LABEL = "Doppelbezug nicht gemeldet: Verknüpfung eines Kindergeld-Kindes ohne klaren Abstand"


@dataclass(frozen=True)
class ReviewStratum:
    """A band of match probability ``[low, high)`` of linked or unlinked pairs."""

    key: str
    label: str
    linked: bool
    low: float
    high: float
    population: int = 0
    #: False for a stratum that is reviewed but not part of the estimate (``DOUBLE_CLAIM``)
    estimated: bool = True


@dataclass
class ReviewPair:
    """One sampled pair with only what the comparison shows (no other record data)."""

    stratum: str
    uid_left: str
    uid_right: str
    probability: float
    match_weight: float
    prior_weight: float
    linked: bool
    left: dict[str, Any]
    right: dict[str, Any]
    fields: list[dict[str, Any]]


@dataclass
class ReviewSample:
    strata: list[ReviewStratum]
    pairs: list[ReviewPair] = field(default_factory=list)


def _number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def review_strata(threshold: float) -> list[ReviewStratum]:
    """The strata for a run's threshold: linked pairs in bands from the threshold up to 1, unlinked
    pairs in bands below it (from 0.2), and unlinked pairs at or above it (kept apart by the
    birth-date rule, an ambiguity or a rejected link's cluster)."""
    strata = []
    edges = [threshold, *(e for e in LINKED_EDGES if e > threshold), 1.0 + 1e-9]
    for n, (low, high) in enumerate(itertools.pairwise(edges), start=1):
        label = (
            f"verknüpft, Wahrscheinlichkeit ab {_number(low)}"
            if high > 1
            else f"verknüpft, Wahrscheinlichkeit {_number(low)} bis unter {_number(high)}"
        )
        # the first band also holds links below the threshold (the household pass re-scores pairs)
        strata.append(ReviewStratum(f"L{n}", label, True, 0.0 if n == 1 else low, high))
    lows = [e for e in UNLINKED_EDGES if e < threshold]
    for n, (low, high) in enumerate(zip(lows, [*lows[1:], threshold], strict=True), start=1):
        label = f"nicht verknüpft, Wahrscheinlichkeit {_number(low)} bis unter {_number(high)}"
        strata.append(ReviewStratum(f"U{n}", label, False, low, high))
    strata.append(
        ReviewStratum(
            f"U{len(lows) + 1}",
            f"nicht verknüpft trotz Wahrscheinlichkeit ab {_number(threshold)}",
            False,
            threshold,
            1.0 + 1e-9,
        )
    )
    return strata


def draw_review_sample(
    con: duckdb.DuckDBPyConnection,
    threshold: float,
    per_stratum: int,
    model: Mapping[str, Any],
    *,
    seed: int = 15,
    records_table: str = "person_record",
    pair_table: str = "person_pair",
    link_table: str = "person_link",
    unsure_double_claims: Sequence[tuple[str, str]] = (),
) -> ReviewSample:
    """Draw up to ``per_stratum`` pairs per stratum (simple random sample, reproducible by
    ``seed``) from the scored pairs of a linkage run and count each stratum's population.

    Unlinked strata leave out pairs that ended in the same person anyway (through other records)
    and pairs a person already rejected. ``unsure_double_claims`` (pairs of the rules'
    evaluation, ``EvaluationResult.unsure_double_claims``) form the stratum ``DOUBLE_CLAIM``,
    the first ``per_stratum`` of them drawn (those not drawn at random already). Must run
    before the data minimisation."""
    strata = review_strata(threshold)
    if unsure_double_claims:
        strata.append(ReviewStratum(DOUBLE_CLAIM, DOUBLE_CLAIM_LABEL, True, 0.0, 1.0 + 1e-9, estimated=False))
    cases = " ".join(
        f"WHEN p.linked = {str(s.linked).upper()} AND p.match_probability >= {s.low!r} "
        f"AND p.match_probability < {s.high!r} THEN '{s.key}'"
        for s in strata
    )
    # one pass over the pairs: each pair's stratum and its place in the stratum's random order
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _review_pool AS
        SELECT stratum, unique_id_l, unique_id_r,
               row_number() OVER (PARTITION BY stratum
                                  ORDER BY hash(unique_id_l || '|' || unique_id_r || '{int(seed)}'),
                                           unique_id_l, unique_id_r) AS draw
        FROM (SELECT CASE {cases} END AS stratum, p.unique_id_l, p.unique_id_r
              FROM {pair_table} p
              JOIN {link_table} a ON a.entity || ':' || a.record_key = p.unique_id_l
              JOIN {link_table} b ON b.entity || ':' || b.record_key = p.unique_id_r
              WHERE p.linked OR (NOT p.rejected AND a.person_id <> b.person_id))
        WHERE stratum IS NOT NULL
        """
    )
    populations = dict(con.execute("SELECT stratum, count(*) FROM _review_pool GROUP BY stratum").fetchall())
    if unsure_double_claims:
        populations[DOUBLE_CLAIM] = len(set(unsure_double_claims))
    sample = ReviewSample(
        strata=[
            ReviewStratum(
                s.key, s.label, s.linked, s.low, s.high, int(populations.get(s.key, 0)), s.estimated
            )
            for s in strata
        ]
    )
    linked_of = {s.key: s.linked for s in strata}
    limit = max(0, int(per_stratum))
    picks = con.execute(
        "SELECT stratum, unique_id_l, unique_id_r FROM _review_pool WHERE draw <= ? ORDER BY stratum, draw",
        [limit],
    ).fetchall()
    drawn = {(left, right) for _, left, right in picks}
    doubtful = [pair for pair in dict.fromkeys(unsure_double_claims) if pair not in drawn][:limit]
    if doubtful:
        con.execute(
            "INSERT INTO _review_pool SELECT ?, unnest(?), unnest(?), ?",
            [DOUBLE_CLAIM, [a for a, _ in doubtful], [b for _, b in doubtful], 0],
        )
        picks += [(DOUBLE_CLAIM, a, b) for a, b in doubtful]
    # the explanations read small copies of only the drawn pairs and their records
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _review_pairs AS SELECT p.* FROM {pair_table} p "
        "SEMI JOIN _review_pool d ON d.unique_id_l = p.unique_id_l AND d.unique_id_r = p.unique_id_r "
        f"AND d.draw <= {limit}"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _review_records AS SELECT r.* FROM {records_table} r "
        "WHERE r.unique_id IN (SELECT unique_id_l FROM _review_pairs UNION SELECT unique_id_r FROM _review_pairs)"
    )
    order = {s.key: n for n, s in enumerate(strata)}
    for key, left, right in sorted(picks, key=lambda row: order[row[0]]):
        explanation = linkage.explain_pair(
            con, left, right, model, records_table="_review_records", pair_table="_review_pairs"
        )
        if explanation is None:
            continue
        sample.pairs.append(
            ReviewPair(
                stratum=key,
                uid_left=explanation.left["unique_id"],
                uid_right=explanation.right["unique_id"],
                probability=explanation.match_probability,
                match_weight=explanation.match_weight,
                prior_weight=explanation.prior_weight,
                linked=linked_of[key],
                left=_plain(explanation.left),
                right=_plain(explanation.right),
                fields=[dict(f) for f in explanation.fields],
            )
        )
    for name in ("_review_pool", "_review_pairs", "_review_records"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return sample


def _plain(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's display fields as JSON-ready values (dates as ISO text)."""
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in record.items()
    }


# --- the estimate ------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share ``successes / n`` (``(0, 1)`` when ``n`` is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class StratumEstimate:
    key: str
    linked: bool
    population: int
    same: int
    different: int
    unclear: int

    @property
    def decided(self) -> int:
        return self.same + self.different

    @property
    def share(self) -> float | None:
        return self.same / self.decided if self.decided else None

    def bounds(self, z: float = Z95) -> tuple[float, float, float]:
        """``(p, lower, upper)`` with the Wilson interval shrunk by the finite population correction."""
        p = self.share if self.share is not None else 0.0
        low, high = wilson_interval(self.same, self.decided, z)
        n, big_n = self.decided, self.population
        fpc = math.sqrt(max(0.0, (big_n - n) / (big_n - 1))) if big_n > 1 else 0.0
        return p, p - (p - low) * fpc, p + (high - p) * fpc


@dataclass
class LinkQuality:
    """The estimate stored with a run (``as_dict``) and shown on its page."""

    strata: list[StratumEstimate]
    precision: float | None
    precision_low: float | None
    precision_high: float | None
    missed_share: float | None
    missed_low: float | None
    missed_high: float | None
    labelled: int
    unclear: int
    complete: bool
    method: str = "stratifiziert, Wilson je Schicht, MOVER, 95 %"

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "precision_low": self.precision_low,
            "precision_high": self.precision_high,
            "missed_share": self.missed_share,
            "missed_low": self.missed_low,
            "missed_high": self.missed_high,
            "labelled": self.labelled,
            "unclear": self.unclear,
            "complete": self.complete,
            "method": self.method,
            "strata": [
                {
                    "key": s.key,
                    "linked": s.linked,
                    "population": s.population,
                    "same": s.same,
                    "different": s.different,
                    "unclear": s.unclear,
                }
                for s in self.strata
            ],
        }


def _weighted_sum(strata: Sequence[StratumEstimate], weights: Sequence[float]) -> tuple[float, float, float]:
    """MOVER for ``sum_h w_h p_h``: point, lower and upper bound (square-and-add of the
    per-stratum Wilson half-widths)."""
    point = low_sq = high_sq = 0.0
    for stratum, weight in zip(strata, weights, strict=True):
        p, low, high = stratum.bounds()
        point += weight * p
        low_sq += (weight * (p - low)) ** 2
        high_sq += (weight * (high - p)) ** 2
    return point, point - math.sqrt(low_sq), point + math.sqrt(high_sq)


def estimate_link_quality(
    strata: Iterable[Mapping[str, Any]], labels: Iterable[tuple[str, str]]
) -> LinkQuality:
    """Precision and missed share near the threshold with 95 % intervals (see the module text).

    ``strata``: ``{"key", "linked", "population"}`` per stratum as drawn; ``labels``:
    ``(stratum key, label)`` per labelled pair (``LABEL_SAME``, ``LABEL_DIFFERENT``, ``LABEL_UNCLEAR``).
    """
    counts: dict[str, dict[str, int]] = {}
    for key, label in labels:
        counts.setdefault(key, {}).setdefault(label, 0)
        counts[key][label] += 1
    estimates = [
        StratumEstimate(
            key=s["key"],
            linked=bool(s["linked"]),
            population=int(s["population"]),
            same=counts.get(s["key"], {}).get(LABEL_SAME, 0),
            different=counts.get(s["key"], {}).get(LABEL_DIFFERENT, 0),
            unclear=counts.get(s["key"], {}).get(LABEL_UNCLEAR, 0),
        )
        for s in strata
        if s.get("estimated", True)
    ]
    present = [s for s in estimates if s.population > 0]
    complete = bool(present) and all(s.decided for s in present)
    labelled = sum(s.decided + s.unclear for s in estimates)
    unclear = sum(s.unclear for s in estimates)
    linked = [s for s in present if s.linked]
    unlinked = [s for s in present if not s.linked]
    precision = precision_low = precision_high = None
    missed = missed_low = missed_high = None
    if complete and linked:
        total = sum(s.population for s in linked)
        point, low, high = _weighted_sum(linked, [s.population / total for s in linked])
        precision, precision_low, precision_high = point, max(0.0, low), min(1.0, high)
        t, t_low, t_high = _weighted_sum(linked, [float(s.population) for s in linked])
        if unlinked:
            m, m_low, m_high = _weighted_sum(unlinked, [float(s.population) for s in unlinked])
        else:
            m = m_low = m_high = 0.0
        m_low, t_low = max(0.0, m_low), max(0.0, t_low)
        missed = m / (m + t) if m + t > 0 else 0.0
        missed_low = m_low / (m_low + t_high) if m_low + t_high > 0 else 0.0
        missed_high = m_high / (m_high + t_low) if m_high + t_low > 0 else 0.0
    return LinkQuality(
        strata=estimates,
        precision=precision,
        precision_low=precision_low,
        precision_high=precision_high,
        missed_share=missed,
        missed_low=missed_low,
        missed_high=missed_high,
        labelled=labelled,
        unclear=unclear,
        complete=complete,
    )
