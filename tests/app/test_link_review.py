"""The review sample of the person linkage (issue #15, point 5): drawn during the run, labelled by
the coordination office, turned into an estimate on the run; "verschiedene Personen" on a link
becomes a rejected link; every label is audited; the records are kept only briefly."""

import datetime as dt

import pytest
from django.utils import timezone

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.labels import OBJECT_TYPES
from missimo.audit.models import AuditEvent
from missimo.runs import review, services
from missimo.runs.models import LinkReviewPair, RejectedLink, ReviewLabel

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def reviewed_run(imported_city, kim, settings):
    settings.LINK_REVIEW_SAMPLE_SIZE = 3
    run = services.start_run(dt.date(2026, 9, 15), user=kim, channel="cli")
    return services.execute_run(run.pk)


def test_the_run_keeps_a_stratified_sample_with_only_the_fields_of_the_comparison(reviewed_run):
    run = reviewed_run
    keys = [s["key"] for s in run.link_review["strata"]]
    assert keys[:4] == ["L1", "L2", "L3", "L4"] and any(k.startswith("U") for k in keys)
    pairs = list(run.review_pairs.all())
    assert pairs
    populations = {s["key"]: s["population"] for s in run.link_review["strata"]}
    for key, population in populations.items():
        assert len([p for p in pairs if p.stratum == key]) == min(3, population)
    pair = pairs[0]
    assert set(pair.comparison) == {"left", "right", "fields", "prior_weight", "match_weight"}
    assert set(pair.comparison["left"]) <= {
        "unique_id", "familienname", "vornamen", "geburtsname", "geburtsdatum", "geschlecht",
        "strasse", "hausnummer", "zusatz", "plz", "ort",
    }  # fmt: skip
    assert all("label" in f for f in pair.comparison["fields"])
    assert run.link_quality["complete"] is False and run.link_quality["precision"] is None


def test_labels_give_an_estimate_on_the_run_and_a_different_person_on_a_link_becomes_a_rejected_link(
    reviewed_run, kim, client
):
    run = reviewed_run
    pairs = list(run.review_pairs.all())
    wrong = next(p for p in pairs if p.linked)
    labels = {
        p.pk: (ReviewLabel.SAME if p.linked and p != wrong else ReviewLabel.DIFFERENT).value for p in pairs
    }
    labels[pairs[-1].pk] = ReviewLabel.UNCLEAR.value if pairs[-1] != wrong else labels[pairs[-1].pk]
    stored = review.label_pairs(kim, run, labels)
    assert stored == len(pairs)
    run.refresh_from_db()
    quality = run.link_quality
    assert quality["labelled"] == len(pairs)
    if quality["complete"]:
        assert 0 < quality["precision"] < 1
        assert quality["precision_low"] <= quality["precision"] <= quality["precision_high"]
    left, right = sorted((wrong.uid_left, wrong.uid_right))
    assert RejectedLink.objects.filter(uid_left=left, uid_right=right, rejected_by=kim).exists()
    # unlinked pairs labelled "verschiedene Personen" need no rejection
    assert RejectedLink.objects.count() == 1
    # every label audited; the records of labelled pairs are gone
    events = AuditEvent.objects.filter(object_type="link_review")
    assert events.count() == len(pairs)
    assert {e.details["label"] for e in events} >= {"gleich", "verschieden"}
    assert OBJECT_TYPES["link_review"].startswith("Beurteilung")
    assert not LinkReviewPair.objects.filter(run=run).exclude(comparison={}).exists()
    # a second label of the same pair changes nothing
    assert review.label_pairs(kim, run, {wrong.pk: ReviewLabel.SAME.value}) == 0


def test_the_run_page_shows_the_estimate_and_the_review_page_labels_through_the_form(
    reviewed_run, kim, client
):
    run = reviewed_run
    client.force_login(kim)
    page = client.get(f"/abgleich/{run.pk}/stichprobe/")
    assert page.status_code == 200
    text = page.text
    assert text.count("<fieldset") == min(review.PAGE_SIZE, run.review_pairs.count())
    assert "gleiche Person" in text and "verschiedene Personen" in text and "unklar" in text
    # label every pair "gleiche Person" page by page
    while pairs := list(review.open_pairs(run)[: review.PAGE_SIZE]):
        answer = client.post(f"/abgleich/{run.pk}/stichprobe/", {f"paar-{p.pk}": "gleich" for p in pairs})
        assert answer.status_code == 302
    run.refresh_from_db()
    assert run.link_quality["complete"]
    assert run.link_quality["precision"] == pytest.approx(1.0)
    detail = client.get(f"/abgleich/{run.pk}/").text
    assert "Güte der Personenverknüpfung" in detail and "100,00 %" in detail


def test_only_the_coordination_office_opens_the_review(reviewed_run, make_user, client, dana):
    run = reviewed_run
    for user in (
        dana,
        make_user("fritz", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE),
    ):
        client.force_login(user)
        assert client.get(f"/abgleich/{run.pk}/stichprobe/").status_code == 404
        pair = run.review_pairs.first()
        assert (
            client.post(f"/abgleich/{run.pk}/stichprobe/", {f"paar-{pair.pk}": "gleich"}).status_code == 404
        )
    assert not run.review_pairs.exclude(label="").exists()


def test_after_the_retention_period_the_pairs_are_deleted_and_the_estimate_stays_on_the_run(
    reviewed_run, kim, settings
):
    settings.RETENTION_LINK_REVIEW_DAYS = 14
    run = reviewed_run
    review.label_pairs(kim, run, {p.pk: ReviewLabel.SAME.value for p in run.review_pairs.all()})
    run.refresh_from_db()
    estimate = run.link_quality
    drawn = {row["key"]: row["drawn"] for row in review.stratum_rows(run)}
    n = run.review_pairs.count()
    assert review.purge_expired_pairs(timezone.now() + dt.timedelta(days=13)) == 0
    assert review.purge_expired_pairs(timezone.now() + dt.timedelta(days=15)) == n
    run.refresh_from_db()
    assert not LinkReviewPair.objects.filter(run=run).exists()  # no record ids left
    assert run.link_quality == estimate
    assert {row["key"]: row["drawn"] for row in review.stratum_rows(run)} == drawn


def test_a_doubtful_double_claim_join_is_judged_on_the_review_page_but_stays_out_of_the_estimate(
    reviewed_run, kim, client
):
    from missimo.engine.review import DOUBLE_CLAIM, DOUBLE_CLAIM_LABEL

    run = reviewed_run
    # as the run stores it when the rules hand over a doubtful join (engine tests cover the hand-over)
    doubtful = run.review_pairs.filter(linked=True).first()
    doubtful.stratum = DOUBLE_CLAIM
    doubtful.save(update_fields=["stratum"])
    run.link_review["strata"].append(
        {"key": DOUBLE_CLAIM, "label": DOUBLE_CLAIM_LABEL, "linked": True, "low": 0.0, "high": 1.0,
         "population": 1, "estimated": False}
    )  # fmt: skip
    run.save(update_fields=["link_review"])
    client.force_login(kim)
    page = client.get(f"/abgleich/{run.pk}/stichprobe/").text
    assert "Doppelbezug" in page and 'id="doppelbezug-unsicher"' in page
    labels = {p.pk: ReviewLabel.SAME.value for p in run.review_pairs.all()}
    labels[doubtful.pk] = ReviewLabel.DIFFERENT.value
    review.label_pairs(kim, run, labels)
    run.refresh_from_db()
    # the join is rejected for later runs; the estimate counts only the random strata
    left, right = sorted((doubtful.uid_left, doubtful.uid_right))
    assert RejectedLink.objects.filter(uid_left=left, uid_right=right).exists()
    assert DOUBLE_CLAIM not in {s["key"] for s in run.link_quality["strata"]}
    if run.link_quality["complete"]:
        assert run.link_quality["precision"] == pytest.approx(1.0)
    row = next(r for r in review.stratum_rows(run) if r["key"] == DOUBLE_CLAIM)
    assert (row["drawn"], row["different"]) == (1, 1)
    # the counts outlive the pairs
    review.purge_expired_pairs(timezone.now() + dt.timedelta(days=400))
    run.refresh_from_db()
    row = next(r for r in review.stratum_rows(run) if r["key"] == DOUBLE_CLAIM)
    assert (row["drawn"], row["different"]) == (1, 1)
