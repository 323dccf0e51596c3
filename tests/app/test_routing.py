"""Routing as data (accounts.policy.HINT_ROUTING): each rule's hints reach the agency that owns the
data and the agencies that must act, and an acting agency sees only the facts it needs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from missimo.accounts import policy
from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Role
from missimo.engine import rules as engine_rules

pytestmark = pytest.mark.django_db(databases="__all__")


def test_every_rule_of_the_catalogue_has_a_routing_whose_owners_deliver_its_primary_records():
    for rule in engine_rules.RULES:
        routing = policy.HINT_ROUTING[rule.code]
        assert set(routing.owners) == {policy.DATA_OWNER_OF_SOURCE[source] for source in rule.primary}, (
            rule.code
        )
    assert set(policy.HINT_ROUTING) == {rule.code for rule in engine_rules.RULES}


def test_the_named_rules_reach_the_agencies_that_must_act():
    acting = policy.ACTING_AGENCIES
    assert AgencyKind.SCHULAMT in acting["KG_OHNE_SCHULE"]
    assert AgencyKind.ZOLL in acting["ARBEITGEBER_HAEUFUNG"]
    assert AgencyKind.WOHNUNGSAUFSICHT in acting["UEBERBELEGUNG"]
    assert AgencyKind.JUGENDAMT in acting["SEU_NICHT_ERSCHIENEN"]
    assert AgencyKind.JUGENDAMT in acting["SCHULABSENTISMUS"]
    assert policy.HINT_ROUTING["UEBERBELEGUNG"].owners == (AgencyKind.BAUAUFSICHT,)


def test_no_acting_agency_is_shown_an_amount_or_a_benefit_number():
    for routing in policy.HINT_ROUTING.values():
        for facts in routing.acting.values():
            assert not facts & {
                "monatsbetrag",
                "kindergeldnummer",
                "kindergeldnummern",
                "bg_nummer",
                "leistung_ab",
            }


def _hint(run, rule, agency_kind, ref, facts, amount=None):
    from missimo.runs.models import Hint

    return Hint.objects.create(
        run=run,
        hint_id=engine_rules.hint_id(rule, ref),
        rule=rule,
        rule_version=1,
        agency_kind=agency_kind,
        primary_ref=ref,
        evidence=[ref],
        objekt_id="",
        address="Teststraße 1, 44100 Musterstadt",
        amount_monthly=amount,
        person_ids=["p1"],
        facts=facts,
        explanation=f"Volle Erklärung mit {ref} und allen Angaben.",
    )


@pytest.fixture
def run():
    from missimo.runs.models import Run, RunStatus

    now = timezone.now()
    return Run.objects.create(
        stichtag=dt.date(2026, 9, 15),
        status=RunStatus.FINISHED,
        started_at=now,
        finished_at=now,
        channel="cli",
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_zoll_sees_the_employer_cluster_with_employer_and_income_but_not_the_jobcenter_record(
    make_user, run
):
    _hint(
        run,
        "ARBEITGEBER_HAEUFUNG",
        "jobcenter",
        "jobcenter:BG-99887766",
        {
            "name": "Mira Minijobzyx",
            "arbeitgeber": "Bau Blitz GmbH",
            "erwerbseinkommen": 520.0,
            "beschaeftigte": 9,
        },
    )
    zoll = make_user("zora", Role.ZOLL, "Hauptzollamt", AgencyKind.ZOLL)
    text = _client(zoll).get(reverse("runs:hints")).text
    assert "Mira Minijobzyx" in text and "Bau Blitz GmbH" in text and "520,0" in text
    assert "BG-99887766" not in text
    assert "Weitergeleitet von: Jobcenter" in text
    jobcenter = make_user("jana", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    assert "BG-99887766" in _client(jobcenter).get(reverse("runs:hints")).text


def test_the_schulamt_sees_the_child_of_a_kindergeld_hint_but_neither_amount_nor_kindergeld_number(
    make_user, run
):
    _hint(
        run,
        "KG_OHNE_SCHULE",
        "familienkasse",
        "kindergeld:123FK000042",
        {"kind_name": "Kalle Kindzyx", "kind_geburtsdatum": "2015-03-01", "kindergeldnummer": "123FK000042"},
        amount=Decimal("255.00"),
    )
    schulamt = make_user("sam", Role.SCHULAMT, "Schulamt", AgencyKind.SCHULAMT)
    client = _client(schulamt)
    text = client.get(reverse("runs:hints")).text
    assert "Kalle Kindzyx" in text and "01.03.2015" in text
    assert "123FK000042" not in text and "255" not in text
    export = client.get(reverse("runs:hint_export", args=["csv"])).content.decode("utf-8-sig")
    assert "Kalle Kindzyx" in export and "123FK000042" not in export and "255" not in export


def test_an_acting_agency_cannot_open_the_person_links_of_a_hint_it_only_acts_on(make_user, run):
    hint = _hint(run, "SEU_NICHT_ERSCHIENEN", "gesundheitsamt", "seu:4711", {"name": "Sina Seuzyx"})
    jugendamt = make_user("jule", Role.JUGENDAMT, "Jugendamt", AgencyKind.JUGENDAMT)
    assert _client(jugendamt).get(reverse("runs:links", args=[hint.pk])).status_code == 404
    assert "Sina Seuzyx" in _client(jugendamt).get(reverse("runs:hints")).text


def test_the_wohnungsaufsicht_sees_overcrowding_as_building_figures(make_user, run):
    _hint(
        run,
        "UEBERBELEGUNG",
        "bauaufsicht",
        "objekte:OBJ-77",
        {"adresse": "Teststraße 1", "personen": 14, "wohnflaeche_m2": 60.0},
    )
    wohnungsaufsicht = make_user(
        "wanda", Role.WOHNUNGSAUFSICHT, "Wohnungsaufsicht", AgencyKind.WOHNUNGSAUFSICHT
    )
    text = _client(wohnungsaufsicht).get(reverse("runs:hints")).text
    assert "gemeldete Personen: 14" in text and "Wohnfläche (m²): 60,0" in text
    assert "OBJ-77" not in text


def test_the_schulleitung_sees_absence_hints_of_its_own_pupils_only(make_user, run):
    _hint(run, "SCHULABSENTISMUS", "schulamt", "schule:199001/S-1", {"name": "Olga Eigenzyx"})
    _hint(run, "SCHULABSENTISMUS", "schulamt", "schule:199002/S-1", {"name": "Fritz Fremdzyx"})
    _hint(run, "SCHULE_OHNE_MELDUNG", "schulamt", "schule:199001/S-2", {"name": "Moritz Meldezyx"})
    Agency.objects.create(name="Grundschule Am Markt", kind=AgencyKind.SCHULE, schulnummer="199001")
    head = make_user("sina", Role.SCHULLEITUNG, "Grundschule Am Markt", AgencyKind.SCHULE)
    text = _client(head).get(reverse("runs:hints")).text
    assert "schule:199001/S-1" in text  # the school's own record, shown whole
    assert "Fritz Fremdzyx" not in text and "schule:199002" not in text
    assert "Moritz Meldezyx" not in text


def test_a_schulleitung_without_schulnummer_sees_no_hint(make_user, run):
    _hint(run, "SCHULABSENTISMUS", "schulamt", "schule:199001/S-1", {"name": "Olga Eigenzyx"})
    head = make_user("sina", Role.SCHULLEITUNG, "Schule ohne Nummer", AgencyKind.SCHULE)
    assert "Olga Eigenzyx" not in _client(head).get(reverse("runs:hints")).text


def test_the_inspection_form_offers_the_zoll_and_not_the_it_service(make_user):
    from missimo.casework.models import Campaign
    from missimo.inspections.forms import PlanForm

    for name, kind in (("Hauptzollamt", AgencyKind.ZOLL), ("IT-Dienstleister", AgencyKind.IT)):
        Agency.objects.create(name=name, kind=kind)
    campaign = Campaign.objects.create(name="Aktion", start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31))
    offered = {agency.name for agency in PlanForm(campaign=campaign).fields["agencies"].queryset}
    assert "Hauptzollamt" in offered and "IT-Dienstleister" not in offered
