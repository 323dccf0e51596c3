"""A finding is one thing across runs (ADR 0005): the same rule and primary record is the same hint
in every run, with its reviews and history; each run marks it neu / unverändert / geändert /
entfallen; a dismissed hint reopens when its evidence changes; closed cases settle their hints."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from missimo.casework import services as casework
from missimo.casework.models import Case, CaseStatus, HintReview, ReviewDecision, ReviewReason
from missimo.engine import rules as engine_rules
from missimo.runs import services as runs
from missimo.runs.models import Hint, HintSighting, Run, RunStatus
from missimo.runs.signals import run_finished
from tests.app.test_casework import STICHTAG, _login, build_city

pytestmark = pytest.mark.django_db(databases="__all__")


def _found(hint: Hint, **changes) -> engine_rules.Hint:
    """The hint as the engine would find it again (optionally with other values)."""
    return dataclasses.replace(runs._engine_hint(hint), **changes)


def _next_run(found: list[engine_rules.Hint]) -> Run:
    """A finished run that found `found`, stored and announced as execute_run does."""
    run = Run.objects.create(stichtag=STICHTAG, status=RunStatus.FINISHED, finished_at=timezone.now())
    summary = runs.carry_forward(run, found)
    run.counts = {f"hints_{key}": value for key, value in summary.items()}
    run.save()
    run_finished.send(sender=Run, run=run)
    return run


@pytest.fixture
def city():
    """A first run whose hints were stored by hand (test_casework.build_city), with primary records
    named `source:key` as the engine names them."""
    run = build_city()
    for hint in Hint.objects.filter(run=run):
        hint.primary_ref = hint.evidence[0]
        hint.save(update_fields=["primary_ref"])
    return run


def _all_found(run: Run) -> list[engine_rules.Hint]:
    return [_found(h) for h in Hint.objects.filter(run=run).order_by("hint_id")]


def test_a_reviewed_hint_is_the_same_hint_in_the_next_run_with_its_review(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-2")
    casework.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)
    second = _next_run(_all_found(city))
    again = Hint.objects.get(hint_id="H-KG-2")
    assert again.pk == hint.pk and again.run == second
    assert again.change == "unveraendert" and again.changes == []
    assert casework.hint_status(again) == "bestaetigt"
    assert Hint.objects.filter(hint_id="H-KG-2").count() == 1
    assert second.counts["hints_unveraendert"] == Hint.objects.count()
    page = _login(client, fabian).get(reverse("casework:hint_queue")).content.decode()
    assert f"Abgleich Nr. {second.pk}" in page and "unverändert" in page


def test_a_dismissed_hint_stays_dismissed_while_its_evidence_is_unchanged(fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-3")
    casework.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.VERALTET)
    found = [
        _found(h, explanation=h.explanation + " (neu formuliert)") for h in Hint.objects.filter(run=city)
    ]
    _next_run(found)
    assert casework.hint_status(Hint.objects.get(hint_id="H-KG-3")) == "verworfen"
    assert Hint.objects.get(hint_id="H-KG-3").change == "unveraendert"


def test_changed_evidence_marks_the_hint_changed_and_reopens_a_dismissed_one(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-3")
    casework.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.VERALTET)
    found = [
        _found(h, amount=Decimal("510.00"), evidence=(*h.evidence, "melderegister:MR-99"))
        if h.hint_id == "H-KG-3"
        else _found(h)
        for h in Hint.objects.filter(run=city)
    ]
    second = _next_run(found)
    hint.refresh_from_db()
    assert hint.change == "geaendert" and second.counts["hints_geaendert"] == 1
    fields = {c["field"]: c for c in hint.changes}
    assert fields["amount"] == {"field": "amount", "old": "255,00 €", "new": "510,00 €"}
    assert fields["evidence"]["added"] == ["melderegister:MR-99"] and fields["evidence"]["removed"] == []
    assert casework.hint_status(hint) == "offen"
    history = list(HintReview.objects.filter(hint=hint).order_by("reviewed_at", "id"))
    assert [r.decision for r in history] == ["verworfen", "offen"]
    assert history[-1].reviewed_by is None and f"Abgleich Nr. {second.pk}" in history[-1].note
    page = _login(client, fabian).get(reverse("casework:hint_queue"), {"status": "offen"}).content.decode()
    assert "H-KG-3" in page and "geändert" in page
    assert "Betrag monatlich: 255,00 € → 510,00 €" in page
    assert "wieder geöffnet (Belege geändert)" in page


def test_a_hint_no_longer_found_is_kept_with_its_history_and_leaves_the_open_lists(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-4")
    casework.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)
    second = _next_run([_found(h) for h in Hint.objects.filter(run=city).exclude(hint_id="H-KG-4")])
    hint.refresh_from_db()
    assert hint.change == "entfallen" and hint.run == city
    assert second.counts["hints_entfallen"] == 1
    assert HintReview.objects.filter(hint=hint).count() == 1
    assert list(HintSighting.objects.filter(hint=hint).values_list("run", "change")) == [
        (second.pk, "entfallen")
    ]
    assert not casework.hint_queue(fabian).filter(pk=hint.pk).exists()
    assert not runs.hints_of_run(second).filter(pk=hint.pk).exists()
    queue = _login(client, fabian).get(reverse("casework:hint_queue")).content.decode()
    assert "H-KG-4" not in queue


def test_a_hint_found_again_after_it_was_gone_is_the_same_hint_marked_changed(fabian, city):
    everything = _all_found(city)
    _next_run([f for f in everything if f.hint_id != "H-KG-1"])
    third = _next_run(everything)
    hint = Hint.objects.get(hint_id="H-KG-1")
    assert hint.run == third and hint.change == "geaendert"
    assert hint.changes == [{"field": "found_again", "old": "entfallen", "new": "wieder gefunden"}]
    assert [s.change for s in runs.sightings_of(hint)] == ["geaendert", "entfallen"]


def test_a_new_finding_is_marked_new_in_its_first_run(city):
    template = Hint.objects.get(hint_id="H-KG-1")
    fresh = _found(template, hint_id="H-KG-NEU", primary_ref="KG-NEU", evidence=("kindergeld:KG-NEU",))
    second = _next_run([*_all_found(city), fresh])
    hint = Hint.objects.get(hint_id="H-KG-NEU")
    assert hint.change == "neu" and hint.first_run == second and second.counts["hints_neu"] == 1


# --- allowed steps only ---------------------------------------------------------------------


def _card(page: str, pk: int) -> str:
    """The Prüfliste card of one hint."""
    return page.split(f'id="hinweis-{pk}"')[1].split('class="kern-card hint-card"')[0].split("</ol>")[0]


def _closed_case_with(hint: Hint, kim) -> Case:
    case = Case.objects.create(aktenzeichen="MIS-2026-09999", status=CaseStatus.ABGESCHLOSSEN)
    case.hints.add(hint)
    return case


def test_a_hint_of_a_closed_case_cannot_be_dismissed_until_the_case_is_reopened(client, fabian, kim, city):
    hint = Hint.objects.get(hint_id="H-KG-2")
    casework.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)
    case = _closed_case_with(hint, kim)
    with pytest.raises(casework.ReviewRefused, match=r"MIS-2026-09999.*wieder aufgenommen"):
        casework.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.VERALTET)
    response = _login(client, fabian).post(
        reverse("casework:hint_review", args=[hint.pk]),
        {"entscheidung": "verworfen", "grund": "veraltet"},
        follow=True,
    )
    page = response.content.decode()
    assert "erst wieder gesichtet werden, wenn der Prüffall mit Begründung wieder aufgenommen" in page
    assert casework.hint_status(hint) == "bestaetigt"
    card = _card(page, hint.pk)
    assert "Der Prüffall dieses Hinweises ist abgeschlossen" in card and "Hinweis verwerfen" not in card
    casework.transition(kim, case, CaseStatus.IN_PRUEFUNG, "Neue Erkenntnisse der Familienkasse")
    casework.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.VERALTET)
    assert casework.hint_status(hint) == "verworfen"


def test_a_hint_already_proposed_cannot_be_proposed_again_and_is_not_offered(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-5")
    casework.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)
    with pytest.raises(casework.ReviewRefused, match="bereits zur Kontrolle vorgeschlagen"):
        casework.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)
    page = _login(client, fabian).get(reverse("casework:hint_queue")).content.decode()
    card = _card(page, hint.pk)
    assert "Zur Kontrolle vorschlagen" not in card and "Hinweis verwerfen" in card
    other = _card(page, Hint.objects.get(hint_id="H-KG-1").pk)
    assert "Zur Kontrolle vorschlagen" in other
    assert HintReview.objects.filter(hint=hint).count() == 1


def test_nobody_records_the_system_decision_wieder_geoeffnet_by_hand(fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-1")
    with pytest.raises(casework.ReviewRefused, match="Entscheidung"):
        casework.review_hint(fabian, hint, ReviewDecision.WIEDER_OFFEN)
