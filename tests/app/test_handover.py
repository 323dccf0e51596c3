"""Handing a case over in the four-eyes principle: to the Staatsanwaltschaft, and the § 8a SGB VIII
notice to the Jugendamt."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditEvent
from missimo.casework import handover
from missimo.casework.models import Case, CaseHandover, HandoverKind, HandoverStatus

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def people(make_user):
    return {
        "kim": make_user("kim", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT),
        "konrad": make_user("konrad", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT),
        "sta": make_user(
            "stefan", Role.STAATSANWALTSCHAFT, "Staatsanwaltschaft", AgencyKind.STAATSANWALTSCHAFT
        ),
        "jule": make_user("jule", Role.JUGENDAMT, "Jugendamt", AgencyKind.JUGENDAMT),
        "fabian": make_user("fabian", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE),
    }


@pytest.fixture
def case(people):
    return Case.objects.create(
        aktenzeichen="MIS-2026-00077",
        title="Verdacht Scheinbeschäftigung",
        description="Sachverhalt Staatsanwaltzyx",
        lead_agency=people["fabian"].agency,
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_staatsanwaltschaft_reads_a_case_only_after_a_second_person_released_the_handover(people, case):
    sta = _client(people["sta"])
    assert sta.get(reverse("casework:handed_over_detail", args=[case.pk])).status_code == 404
    response = _client(people["kim"]).post(
        reverse("casework:handover_request", args=[case.pk]),
        {
            "art": "staatsanwaltschaft",
            "behoerde": people["sta"].agency_id,
            "begruendung": "Verdacht auf Betrug (§ 263 StGB)",
        },
    )
    assert response.status_code == 302
    item = CaseHandover.objects.get(case=case)
    assert item.status == HandoverStatus.BEANTRAGT
    assert sta.get(reverse("casework:handed_over_detail", args=[case.pk])).status_code == 404

    # the requester cannot release it herself
    _client(people["kim"]).post(
        reverse("casework:handover_decide", args=[item.pk]), {"entscheidung": "freigeben"}
    )
    item.refresh_from_db()
    assert item.status == HandoverStatus.BEANTRAGT

    _client(people["konrad"]).post(
        reverse("casework:handover_decide", args=[item.pk]), {"entscheidung": "freigeben"}
    )
    item.refresh_from_db()
    assert item.status == HandoverStatus.FREIGEGEBEN and item.decided_by == people["konrad"]
    page = sta.get(reverse("casework:handed_over_detail", args=[case.pk]))
    assert page.status_code == 200 and "Staatsanwaltzyx" in page.text
    assert case.aktenzeichen in sta.get(reverse("casework:handed_over")).text
    assert AuditEvent.objects.filter(object_type="case_handover", action="release").exists()
    assert case.events.filter(kind="abgabe").count() == 2


def test_only_the_coordination_office_may_request_a_handover_to_the_staatsanwaltschaft(people, case):
    with pytest.raises(handover.HandoverRefused):
        handover.request_handover(
            people["fabian"],
            case,
            HandoverKind.STAATSANWALTSCHAFT,
            people["sta"].agency_id,
            "Verdacht auf Betrug",
        )


def test_a_handover_needs_a_reason_and_a_receiving_agency_of_the_right_kind(people, case):
    with pytest.raises(handover.HandoverRefused, match="begründen"):
        handover.request_handover(
            people["kim"], case, HandoverKind.STAATSANWALTSCHAFT, people["sta"].agency_id, "kurz"
        )
    with pytest.raises(handover.HandoverRefused, match="empfangende"):
        handover.request_handover(
            people["kim"],
            case,
            HandoverKind.STAATSANWALTSCHAFT,
            people["jule"].agency_id,
            "Verdacht auf Betrug",
        )


def test_a_rejection_needs_a_note_and_keeps_the_case_from_the_receiver(people, case):
    item = handover.request_handover(
        people["kim"], case, HandoverKind.STAATSANWALTSCHAFT, people["sta"].agency_id, "Verdacht auf Betrug"
    )
    with pytest.raises(handover.HandoverRefused, match="Ablehnung"):
        handover.decide_handover(people["konrad"], item, release=False)
    handover.decide_handover(people["konrad"], item, release=False, note="Kein Anfangsverdacht")
    assert not handover.handed_over_cases(people["sta"]).exists()


def test_a_child_welfare_notice_raised_by_an_agency_reaches_the_jugendamt_after_release(people, case):
    from missimo.casework.services import cases_for

    assert not cases_for(people["jule"]).filter(pk=case.pk).exists()
    item = handover.request_handover(
        people["fabian"],
        case,
        HandoverKind.KINDESWOHL,
        people["jule"].agency_id,
        "Kind wirkt verwahrlost, keine Schule",
    )
    assert not cases_for(people["jule"]).filter(pk=case.pk).exists()
    handover.decide_handover(people["kim"], item, release=True)
    assert cases_for(people["jule"]).filter(pk=case.pk).exists()
    page = _client(people["jule"]).get(reverse("casework:case_detail", args=[case.pk]))
    assert "Kind wirkt verwahrlost" in page.text
