"""Measuring the precision of the person linkage where no truth exists (issue #15, point 5).

A run draws a stratified sample of scored pairs while the records still exist
(`engine.run_abgleich(..., review_sample_size=n)`, see missimo.engine.review) and
:func:`store_sample` keeps it with only the fields the comparison shows. The coordination office
(Capability.JUDGE_LINKS) labels each pair; :func:`label_pairs` stores the label, deletes the pair's
records at once, turns "verschiedene Personen" on a linked pair into a RejectedLink for later runs,
audits every label and stores the new estimate (precision and missed share near the threshold,
95 % intervals; method in missimo.engine.review and docs/datenschutz) on the run.
After MISSIMO_RETENTION_LINK_REVIEW_DAYS the pairs are deleted altogether (:func:`purge_expired_pairs`);
the estimate and the counts per stratum stay on the run.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from missimo import engine
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core.errors import Refused
from missimo.runs.models import LinkReviewPair, RejectedLink, ReviewLabel, Run

#: Pairs shown on one page of the review.
PAGE_SIZE = 10


class ReviewRefused(Refused):
    """A label cannot be stored (unknown value, pair of another run, records already deleted)."""


def sample_size() -> int:
    return max(0, int(getattr(settings, "LINK_REVIEW_SAMPLE_SIZE", 20)))


def retention_days() -> int:
    return max(1, int(getattr(settings, "RETENTION_LINK_REVIEW_DAYS", 14)))


def store_sample(run: Run, sample, comparison_labels: dict[str, str]) -> int:
    """Keep a run's review sample (engine.ReviewSample): the strata with their populations on the
    run, each pair as a LinkReviewPair with only the comparison's fields. Returns the pairs stored."""
    if sample is None:
        return 0
    run.link_review = {
        "per_stratum": sample_size(),
        "strata": [
            {
                "key": s.key,
                "label": s.label,
                "linked": s.linked,
                "low": s.low,
                "high": min(s.high, 1.0),
                "population": s.population,
                "estimated": s.estimated,
            }
            for s in sample.strata
        ],
    }
    pairs = [
        LinkReviewPair(
            run=run,
            position=n,
            stratum=pair.stratum,
            linked=pair.linked,
            uid_left=pair.uid_left,
            uid_right=pair.uid_right,
            probability=pair.probability,
            comparison={
                "left": pair.left,
                "right": pair.right,
                "prior_weight": pair.prior_weight,
                "match_weight": pair.match_weight,
                "fields": [
                    {**f, "label": comparison_labels.get(f["comparison"], f["comparison"])}
                    for f in pair.fields
                ],
            },
        )
        for n, pair in enumerate(sample.pairs, start=1)
    ]
    LinkReviewPair.objects.bulk_create(pairs, batch_size=500)
    run.link_quality = update_estimate(run, save=False)
    return len(pairs)


def update_estimate(run: Run, *, save: bool = True) -> dict:
    """The estimate from every label of the run so far, stored on the run (`run.link_quality`)."""
    strata = run.link_review.get("strata", [])
    labels = run.review_pairs.exclude(label="").values_list("stratum", "label")
    quality = engine.estimate_link_quality(strata, list(labels)).as_dict()
    run.link_quality = quality
    if save:
        Run.objects.filter(pk=run.pk).update(link_quality=quality)
    return quality


def open_pairs(run: Run):
    """The pairs still to be labelled whose records are kept."""
    return run.review_pairs.filter(label="").exclude(comparison={}).order_by("position")


def stratum_rows(run: Run) -> list[dict]:
    """Per stratum: its label, population, pairs drawn, labelled, and the labels' counts."""
    by_key = {s["key"]: s for s in run.link_quality.get("strata", [])}
    drawn: dict[str, int] = {}
    # strata outside the estimate (the doubtful double claims) are counted from their pairs
    labelled: dict[str, dict[str, int]] = {}
    names = {engine.LABEL_SAME: "same", engine.LABEL_DIFFERENT: "different", engine.LABEL_UNCLEAR: "unclear"}
    for key, label in run.review_pairs.values_list("stratum", "label"):
        drawn[key] = drawn.get(key, 0) + 1
        if label in names:
            labelled.setdefault(key, {}).setdefault(names[label], 0)
            labelled[key][names[label]] += 1
    rows = []
    for stratum in run.link_review.get("strata", []):
        if stratum.get("estimated", True):
            counts = by_key.get(stratum["key"], {})
        else:  # labels of pairs deleted after the retention period are kept in the stratum itself
            here = labelled.get(stratum["key"], {})
            counts = {k: stratum.get(k, 0) + here.get(k, 0) for k in ("same", "different", "unclear")}
        rows.append(
            {
                **stratum,
                # pairs deleted after the retention period are counted in the stratum itself
                "drawn": stratum.get("drawn", 0) + drawn.get(stratum["key"], 0),
                "same": counts.get("same", 0),
                "different": counts.get("different", 0),
                "unclear": counts.get("unclear", 0),
            }
        )
    return rows


@transaction.atomic
def label_pairs(user, run: Run, labels: dict[int, str]) -> int:
    """Store the labels `{pair pk: label}` of the run's pairs; returns how many were stored.

    Each label is audited; the pair's records are deleted (data minimisation); "verschiedene
    Personen" on a linked pair becomes a RejectedLink, so later runs keep the records apart."""
    valid = set(ReviewLabel.values)
    if any(label not in valid for label in labels.values()):
        raise ReviewRefused("Bitte wählen Sie „gleiche Person“, „verschiedene Personen“ oder „unklar“.")
    pairs = {p.pk: p for p in run.review_pairs.select_for_update().filter(pk__in=list(labels))}
    if set(labels) - set(pairs):
        raise ReviewRefused("Dieses Paar gehört nicht zur Stichprobe dieses Abgleichs.")
    now = timezone.now()
    stored = 0
    for pk, label in labels.items():
        pair = pairs[pk]
        if pair.label or not pair.comparison:
            continue  # labelled already (another tab) or its records were deleted
        pair.label = label
        pair.labelled_by = user
        pair.labelled_at = now
        pair.comparison = {}
        pair.save(update_fields=["label", "labelled_by", "labelled_at", "comparison"])
        rejected = False
        if label == ReviewLabel.DIFFERENT and pair.linked:
            left, right = sorted((pair.uid_left, pair.uid_right))
            _, rejected = RejectedLink.objects.get_or_create(
                uid_left=left,
                uid_right=right,
                defaults={
                    "reason": f"Stichprobe zur Güte der Personenverknüpfung (Abgleich Nr. {run.pk}): "
                    "verschiedene Personen",
                    "rejected_by": user,
                },
            )
        record(
            user,
            AuditAction.CHANGE,
            object_type="link_review",
            object_id=f"{run.pk}:{pair.position}",
            purpose="Beurteilung eines Paares der Stichprobe zur Güte der Personenverknüpfung",
            details={
                "run": run.pk,
                "stratum": pair.stratum,
                "linked": pair.linked,
                "records": [pair.uid_left, pair.uid_right],
                "label": label,
                "rejected_link": rejected,
            },
        )
        stored += 1
    if stored:
        update_estimate(run)
    return stored


def purge_expired_pairs(now: dt.datetime | None = None) -> int:
    """After MISSIMO_RETENTION_LINK_REVIEW_DAYS delete a run's sample pairs altogether (labelled or
    not, with their record ids): the final estimate and the counts per stratum stay on the run.
    Returns the pairs deleted."""
    limit = (now or timezone.now()) - dt.timedelta(days=retention_days())
    deleted = 0
    for run in Run.objects.filter(review_pairs__created_at__lt=limit).distinct():
        with transaction.atomic():
            update_estimate(run)
            kept = {row["key"]: row for row in stratum_rows(run)}
            for stratum in run.link_review.get("strata", []):
                row = kept.get(stratum["key"], {})
                stratum["drawn"] = row.get("drawn", stratum.get("drawn", 0))
                if not stratum.get("estimated", True):
                    stratum.update({k: row.get(k, 0) for k in ("same", "different", "unclear")})
            Run.objects.filter(pk=run.pk).update(link_review=run.link_review)
            deleted += run.review_pairs.filter(created_at__lt=limit).delete()[0]
    return deleted
