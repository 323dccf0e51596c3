# ruff: noqa: F811 (the fixtures of test_inspections are imported by name)
"""Help beside enforcement: help needs in the field protocol, referrals to the city's support
services with consent and status, and the report's counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from missimo.audit.models import AuditEvent
from missimo.inspections import referrals
from missimo.inspections.models import Referral, ReferralStatus, SupportService
from tests.app.test_inspections import _plan, _save, bea, paul, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(databases="__all__")


def test_the_city_services_are_offered_from_the_start():
    names = set(referrals.services_offered().values_list("name", flat=True))
    for name in (
        "Wohnbegleitende Hilfen",
        "Familienbegleitung an Grundschulen",
        "Jobcoaching",
        "Anlaufstelle Südosteuropa",
        "Beratung für Betroffene von Arbeitsausbeutung",
    ):
        assert name in names
    assert any(name.startswith("KIM-Fallmanagement") for name in names)


def test_the_protocol_records_help_needs_as_categories_and_refuses_unknown_ones(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    assert _save(client, visit, household, "help_needs", ["sprache", "wohnen"], 1).status_code == 200
    household.refresh_from_db()
    assert household.help_needs == ["wohnen", "sprache"]  # in the order of the categories
    assert household.help_need_labels == ["Wohnen", "Sprache/Integration"]
    refused = _save(client, visit, household, "help_needs", ["depression"], 2)
    assert refused.status_code == 400 or refused.status_code == 422
    page = client.get(reverse("inspections:protocol", args=[visit.pk]))
    assert "Hilfebedarf (Kategorien, keine Diagnosen)" in page.text


def test_a_referral_needs_consent_and_moves_through_its_states_with_a_result(client, kim, world):
    case = world["case"]
    service = SupportService.objects.get(name="Wohnbegleitende Hilfen")
    client.force_login(kim)
    url = reverse("inspections:referral_add", args=[case.pk])
    client.post(url, {"angebot": service.pk, "bedarf": "wohnen"})
    assert not Referral.objects.exists()  # no consent, no referral
    client.post(url, {"angebot": service.pk, "bedarf": "wohnen", "einwilligung": "ja"})
    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.VORGESCHLAGEN and referral.consent
    page = client.get(reverse("casework:case_detail", args=[case.pk]))
    assert "Hilfe und Vermittlung" in page.text and "Wohnbegleitende Hilfen" in page.text

    with pytest.raises(referrals.ReferralRefused):
        referrals.move(kim, referral, ReferralStatus.ABGESCHLOSSEN, "fertig")  # not from "vorgeschlagen"
    referrals.move(kim, referral, ReferralStatus.VERMITTELT)
    referrals.move(kim, referral, ReferralStatus.ANGENOMMEN)
    with pytest.raises(referrals.ReferralRefused, match="Ergebnis"):
        referrals.move(kim, referral, ReferralStatus.ABGESCHLOSSEN)
    client.post(
        reverse("inspections:referral_move", args=[referral.pk]),
        {"stand": "abgeschlossen", "ergebnis": "Wohnung gefunden"},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ABGESCHLOSSEN and referral.result == "Wohnung gefunden"
    assert AuditEvent.objects.using("audit").filter(object_type="referral").count() == 4


def test_an_agency_outside_the_case_cannot_refer_it(make_user, world):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    zora = make_user("zora", Role.ZOLL, "Hauptzollamt", AgencyKind.ZOLL)
    service = SupportService.objects.first()
    with pytest.raises(referrals.ReferralRefused):
        referrals.refer(zora, world["case"], service_id=service.pk, help_need="arbeit", consent=True)


def test_the_report_counts_help_needs_referrals_and_released_child_welfare_notices(
    kim, paul, world, make_user
):
    from django.utils import timezone

    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role
    from missimo.casework import handover
    from missimo.casework.models import HandoverKind
    from missimo.reports import figures

    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    household.help_needs = ["familie", "ausbeutung"]
    household.save()
    visit.status = "abgeschlossen"
    visit.completed_at = timezone.now()
    visit.save()
    referrals.refer(
        kim, world["case"], service_id=SupportService.objects.first().pk, help_need="familie", consent=True
    )
    jule = make_user("jule", Role.JUGENDAMT, "Jugendamt", AgencyKind.JUGENDAMT)
    konrad = make_user("konrad", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT)
    notice = handover.request_handover(
        kim, world["case"], HandoverKind.KINDESWOHL, jule.agency_id, "Anzeichen für Vernachlässigung"
    )
    handover.decide_handover(konrad, notice, release=True)
    today = timezone.localdate()
    result = figures.figures_for(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    tables = {table.key: table for table in result.tables}
    needs = {row.label: row.values[0] for row in tables["hilfe_bedarf"].rows}
    assert needs["Familie/Kinder"] == 1 and needs["Verdacht auf Ausbeutung/Menschenhandel"] == 1
    assert needs["Wohnen"] == 0
    assert {row.label: row.values[0] for row in tables["hilfe_vermittlungen"].rows}["vorgeschlagen"] == 1
    notices = {row.label: row.values[0] for row in tables["hilfe_abgaben"].rows}
    assert notices["Mitteilungen an das Jugendamt (§ 8a SGB VIII)"] == 1


def test_the_referral_list_shows_every_referral_with_its_status_and_filters_by_status(client, kim, world):
    case = world["case"]
    housing = SupportService.objects.get(name="Wohnbegleitende Hilfen")
    coaching = SupportService.objects.get(name="Jobcoaching")
    first = referrals.refer(kim, case, service_id=housing.pk, help_need="wohnen", consent=True)
    referrals.refer(kim, case, service_id=coaching.pk, help_need="arbeit", consent=True)
    referrals.move(kim, first, ReferralStatus.VERMITTELT)
    client.force_login(kim)
    page = client.get(reverse("inspections:referrals")).text
    assert "2 Vermittlungen" in page and "MIS-2026-0001" in page
    assert "Wohnbegleitende Hilfen" in page and "Jobcoaching" in page
    assert "vermittelt (Kontakt hergestellt)" in page
    only_new = client.get(reverse("inspections:referrals"), {"stand": "vorgeschlagen"}).text
    assert "1 Vermittlung." in only_new and "Jobcoaching" in only_new
    assert '<td class="kern-table__cell">Wohnbegleitende Hilfen' not in only_new
    by_service = client.get(reverse("inspections:referrals"), {"angebot": housing.pk}).text
    assert "1 Vermittlung." in by_service
    event = AuditEvent.objects.using("audit").filter(object_type="referral_list").latest("sequence")
    assert event.details["angebot"] == str(housing.pk)


def test_an_agency_outside_the_case_sees_none_of_its_referrals_in_the_list(client, kim, world, make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    service = SupportService.objects.get(name="Jobcoaching")
    referrals.refer(kim, world["case"], service_id=service.pk, help_need="arbeit", consent=True)
    zora = make_user("zora", Role.ZOLL, "Hauptzollamt", AgencyKind.ZOLL)
    client.force_login(zora)
    page = client.get(reverse("inspections:referrals")).text
    assert "0 Vermittlungen" in page and "MIS-2026-0001" not in page
