"""E-mail notifications for each event of issue #16 (assignment, letter awaiting release,
inspection moved, delivery held; deadlines due are in test_deadlines), received by a real SMTP
server on the loopback address, and the start page's letters awaiting release. A mail says what happened and links to MISSIMO; it names no person,
address, Aktenzeichen or file content."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from missimo.casework import services as casework
from missimo.casework.models import Case, CaseStatus
from missimo.imports.models import Import, ImportStatus
from missimo.inspections import services as inspections
from missimo.outcomes import letters
from tests.app.test_deadlines import smtp_server  # noqa: F401 - the SMTP server fixture
from tests.app.test_inspections import _plan, bea, paul, world  # noqa: F401 - fixtures
from tests.app.test_outcomes import (  # noqa: F401 - fixtures
    bau_hint,
    case,
    familienkasse_letter,
    jc_hint,
    kai,
    kg_hint,
    run,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def mail_on(settings, smtp_server):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.server_address
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_NOTIFICATIONS = True
    settings.BASE_URL = "https://missimo.example"
    return smtp_server


def _with_mail(user, address):
    user.email = address
    user.save()
    return user


def _texts(server) -> list[tuple[str, str]]:
    """(recipient, subject and decoded text) of each mail the server received."""
    out = []
    for mail in server.received:
        message = email.message_from_bytes(mail["data"], policy=email.policy.default)
        out.append((mail["to"][0], f"{message['Subject']}\n{message.get_content()}"))
    return out


def test_an_assignment_is_mailed_to_the_assignee_with_a_link_and_without_the_aktenzeichen(
    mail_on, kim, fabian
):
    _with_mail(fabian, "fabian@familienkasse.example")
    _with_mail(kim, "kim@ordnungsamt.example")
    new = Case.objects.create(aktenzeichen="MIS-2026-00042", status=CaseStatus.NEU, lead_agency=fabian.agency)
    casework.assign_cases(kim, [new], fabian)
    ((to, text),) = _texts(mail_on)
    assert "fabian@familienkasse.example" in to
    assert "ein Prüffall zugewiesen" in text and "https://missimo.example/aktionen/faelle/meine/" in text
    assert "MIS-2026-00042" not in text


def test_a_letter_given_for_release_is_mailed_to_the_other_coordination_users_only(
    mail_on,
    kim,
    kai,  # noqa: F811
    fabian,
    familienkasse_letter,  # noqa: F811
):
    _with_mail(kim, "kim@ordnungsamt.example")
    _with_mail(kai, "kai@ordnungsamt.example")
    _with_mail(fabian, "fabian@familienkasse.example")
    letters.submit_letter(kim, familienkasse_letter, version=1)
    ((to, text),) = _texts(mail_on)
    assert "kai@ordnungsamt.example" in to
    assert "wartet ein Schreiben auf die Freigabe" in text
    assert f"https://missimo.example/ergebnisse/schreiben/{familienkasse_letter.pk}/" in text
    assert "MIS-2026-00001" not in text and "Familienkasse" not in text


def test_a_moved_inspection_is_mailed_to_the_team_members(mail_on, kim, paul, bea, world):  # noqa: F811
    _with_mail(paul, "paul@polizei.example")
    _with_mail(bea, "bea@bauaufsicht.example")
    inspection = _plan(kim, world)
    inspection.members.set([paul])
    plan = inspections.Plan(
        campaign=world["campaign"],
        scheduled_at=dt.datetime(2026, 10, 9, 8, 0, tzinfo=dt.UTC),
        past_confirmed=True,  # a fixed date, confirmed as the planner would once it lies in the past
        meeting_point="Parkplatz Hafenstraße",
        agencies=list(inspection.agencies.all()),
        members=[paul],
        interpreter_needed=True,
        interpreter_language="Rumänisch",
    )
    inspections.replan_inspection(kim, inspection, plan, inspection.version)
    ((to, text),) = _texts(mail_on)
    assert "paul@polizei.example" in to and "wurde in MISSIMO verlegt" in text
    assert f"https://missimo.example/kontrollen/{inspection.pk}/" in text
    assert "Hafenstraße" not in text and "MIS-2026-0001" not in text


def test_a_held_delivery_is_mailed_to_those_who_may_confirm_it(
    mail_on, client, kim, fabian, small_city, django_capture_on_commit_callbacks
):
    _with_mail(fabian, "fabian@familienkasse.example")
    _with_mail(kim, "kim@ordnungsamt.example")
    client.force_login(fabian)
    lines = (small_city / "kindergeld.csv").read_text(encoding="utf-8").splitlines()
    for content in ("\n".join(lines) + "\n", "\n".join(lines[:41]) + "\n"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/lieferungen/neu/kindergeld/", {"file": SimpleUploadedFile("kg.csv", content.encode())}
            )
    held = Import.objects.order_by("-pk").first()
    assert held.status == ImportStatus.HELD
    received = _texts(mail_on)
    assert sorted(to for to, _ in received) == ["<fabian@familienkasse.example>", "<kim@ordnungsamt.example>"]
    for _, text in received:
        assert "wurde in MISSIMO zurückgehalten" in text
        assert f"https://missimo.example/lieferungen/{held.pk}/" in text


def test_nothing_is_mailed_while_notifications_are_off(settings, smtp_server, kim, fabian):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.server_address
    settings.EMAIL_NOTIFICATIONS = False
    _with_mail(fabian, "fabian@familienkasse.example")
    new = Case.objects.create(aktenzeichen="MIS-2026-00043", status=CaseStatus.NEU, lead_agency=fabian.agency)
    casework.assign_cases(kim, [new], fabian)
    assert smtp_server.received == []


def test_the_start_page_lists_letters_awaiting_release_for_the_second_person_only(
    client,
    kim,
    kai,  # noqa: F811
    familienkasse_letter,  # noqa: F811
):
    letters.submit_letter(kim, familienkasse_letter, version=1)
    client.force_login(kai)
    assert (
        'href="/ergebnisse/schreiben/?status=zur_freigabe">1 Schreiben warten auf Ihre Freigabe</a>'
        in client.get("/").text
    )
    client.force_login(kim)  # the author cannot release it: nothing to do for her
    assert "warten auf Ihre Freigabe" not in client.get("/").text


# --- the inspections as a calendar: ICS file and subscription ---------------------------------


def test_the_inspections_ics_has_the_planned_inspection_with_a_link_and_no_address(
    client,
    kim,
    paul,  # noqa: F811
    world,  # noqa: F811
):
    inspection = _plan(kim, world)
    client.force_login(paul)
    response = client.get("/kontrollen/kalender.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.count("BEGIN:VEVENT") == 1
    assert f"UID:kontrolle-{inspection.pk}@missimo" in body and "DTSTART:20261007T093000Z" in body
    assert f"/kontrollen/{inspection.pk}/" in body
    assert "Hafenstraße" not in body and "MIS-2026-0001" not in body and "Mia" not in body


def test_a_moved_inspection_keeps_its_uid_with_a_higher_sequence_in_the_subscription(
    client,
    kim,
    paul,  # noqa: F811
    world,  # noqa: F811
):
    inspection = _plan(kim, world)
    client.force_login(paul)
    feed_url = next(
        line.split('value="')[1].split('"')[0]
        for line in client.get("/kontrollen/").content.decode().splitlines()
        if 'id="kalender-abo"' in line
    )
    client.logout()
    before = client.get(feed_url).content.decode()  # a calendar fetches it without a session
    assert "SEQUENCE:1" in before
    plan = inspections.Plan(
        campaign=world["campaign"],
        scheduled_at=dt.datetime(2026, 10, 9, 8, 0, tzinfo=dt.UTC),
        past_confirmed=True,  # a fixed date, confirmed as the planner would once it lies in the past
        meeting_point="Parkplatz Hafenstraße",
        agencies=list(inspection.agencies.all()),
        members=[],
        interpreter_needed=True,
        interpreter_language="Rumänisch",
    )
    inspections.replan_inspection(kim, inspection, plan, inspection.version)
    after = client.get(feed_url).content.decode()
    assert f"UID:kontrolle-{inspection.pk}@missimo" in after
    assert "SEQUENCE:2" in after and "DTSTART:20261009T080000Z" in after


def test_a_subscription_url_is_void_after_a_password_change_and_a_forged_one_is_not_found(
    client,
    kim,
    paul,  # noqa: F811
    world,  # noqa: F811
):
    _plan(kim, world)
    token = inspections.calendar_token(paul)
    assert client.get(f"/kontrollen/kalender/{token}/kontrollen.ics").status_code == 200
    assert client.get(f"/kontrollen/kalender/{token}x/kontrollen.ics").status_code == 404
    paul.set_password("ein-ganz-neues-Passwort-2026")
    paul.save()
    assert client.get(f"/kontrollen/kalender/{token}/kontrollen.ics").status_code == 404
