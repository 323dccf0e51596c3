"""Deadlines (Frist) and follow-ups (Wiedervorlage) on cases, the Fristen page, the to-do list on
the start page, the ICS file, and e-mail notifications through a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import socketserver
import threading

import pytest
from django.urls import reverse
from django.utils import timezone

from missimo.casework import services
from missimo.casework.models import Case, CaseEvent, CaseStatus
from tests.app.test_casework import _login, build_city

pytestmark = pytest.mark.django_db(databases="__all__")


def _today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def cases(fabian):
    build_city()
    overdue = Case.objects.create(
        aktenzeichen="MIS-2026-00001",
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=fabian.agency,
        assigned_to=fabian,
        due_date=_today() - dt.timedelta(days=3),
    )
    later = Case.objects.create(
        aktenzeichen="MIS-2026-00002",
        status=CaseStatus.NEU,
        lead_agency=fabian.agency,
        assigned_to=fabian,
        follow_up_date=_today() + dt.timedelta(days=5),
        follow_up_note="Antwort der Schule abwarten",
    )
    Case.objects.create(
        aktenzeichen="MIS-2026-00003",
        status=CaseStatus.ABGESCHLOSSEN,
        lead_agency=fabian.agency,
        assigned_to=fabian,
        due_date=_today() - dt.timedelta(days=30),
    )
    return overdue, later


def test_a_deadline_and_a_follow_up_are_set_on_the_case_page_and_recorded(client, fabian, cases):
    _overdue, later = cases
    response = _login(client, fabian).post(
        reverse("casework:case_edit", args=[later.pk]),
        {
            "title": "",
            "description": "",
            "assigned_to": str(fabian.pk),
            "due_date": "31.12.2026",
            "follow_up_date": "01.12.2026",
            "follow_up_note": "Nachfrage beim Vermieter",
            "version": str(later.version),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    later.refresh_from_db()
    assert later.due_date == dt.date(2026, 12, 31) and later.follow_up_note == "Nachfrage beim Vermieter"
    event = CaseEvent.objects.filter(case=later, kind="bearbeitet").get()
    assert {"field": "Frist", "old": "", "new": "31.12.2026"} in event.changes
    page = client.get(reverse("casework:case_detail", args=[later.pk])).content.decode()
    assert "31.12.2026" in page and "Nachfrage beim Vermieter" in page


def test_the_fristen_page_lists_overdue_first_and_leaves_out_closed_cases(client, fabian, cases):
    page = _login(client, fabian).get(reverse("casework:deadlines")).content.decode()
    overdue_part, later_part = page.split('id="anstehend"')
    assert "MIS-2026-00001" in overdue_part and "überfällig" in overdue_part
    assert "MIS-2026-00002" in later_part and "Antwort der Schule abwarten" in later_part
    assert "MIS-2026-00003" not in page


def test_the_start_page_shows_the_own_to_do_list_overdue_first(client, fabian, cases):
    page = _login(client, fabian).get("/").content.decode()
    todo = page.split('id="aufgaben-titel"')[1].split("</section>")[0]
    assert "1 überfällige oder heute fällige Fristen und Wiedervorlagen" in todo
    assert "1 Fristen und Wiedervorlagen in den nächsten 14 Tagen" in todo
    assert "offene Hinweise zu sichten" in todo
    assert todo.index("überfällige") < todo.index("nächsten 14 Tagen") < todo.index("offene Hinweise")


def test_the_to_do_list_of_a_person_without_anything_due_says_so(client, kim):
    page = _login(client, kim).get("/").content.decode()
    assert "Zurzeit liegt nichts für Sie an" in page


def test_the_ics_file_has_one_all_day_event_per_date_without_personal_data(client, fabian, cases):
    response = _login(client, fabian).get(reverse("casework:deadlines_ics"))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 2
    assert "SUMMARY:Frist MIS-2026-00001" in body and "SUMMARY:Wiedervorlage MIS-2026-00002" in body
    assert f"DTSTART;VALUE=DATE:{_today() - dt.timedelta(days=3):%Y%m%d}" in body
    assert "Antwort der Schule" not in body


# --- measures' Wiedervorlagen and letters' reply dates on the Fristen page and in its ICS file ----


@pytest.fixture
def measure_follow_ups(fabian):
    from missimo.outcomes import services as outcome_services
    from missimo.runs.models import Run, RunStatus
    from tests.app.test_outcomes import _hint

    run = Run.objects.create(stichtag=dt.date(2026, 9, 15), status=RunStatus.FINISHED)
    hint = _hint(run, "KG_KIND_NICHT_GEMELDET", "familienkasse", "kindergeld:KG-1")
    overdue = outcome_services.add_measure(
        fabian,
        hint,
        kind="rueckforderung",
        taken_on=_today() - dt.timedelta(days=20),
        reclaimed_amount=500,
        follow_up_date=_today() - dt.timedelta(days=2),
    )
    later = outcome_services.add_measure(
        fabian, hint, kind="anzeige", taken_on=_today(), follow_up_date=_today() + dt.timedelta(days=9)
    )
    return hint, overdue, later


def test_the_fristen_page_lists_the_follow_ups_of_the_own_agencys_measures_overdue_ones_marked(
    client, fabian, measure_follow_ups
):
    hint, overdue, later = measure_follow_ups
    page = _login(client, fabian).get(reverse("casework:deadlines")).content.decode()
    overdue_part, later_part = page.split('id="anstehend"')
    assert "Wiedervorlage Maßnahme" in overdue_part and hint.hint_id in overdue_part
    assert f"{overdue.follow_up_date:%d.%m.%Y}" in overdue_part and "überfällig" in overdue_part
    assert reverse("outcomes:hint", args=[hint.pk]) in overdue_part
    assert f"{later.follow_up_date:%d.%m.%Y}" in later_part and "Anzeige" in later_part
    body = client.get(reverse("casework:deadlines_ics")).content.decode()
    assert f"SUMMARY:Wiedervorlage Maßnahme {hint.hint_id} (überfällig)" in body
    assert f"SUMMARY:Wiedervorlage Maßnahme {hint.hint_id}\r\n" in body
    assert f"UID:massnahme-{overdue.pk}-" in body and "Hauptstraße" not in body


def test_the_measures_of_another_agency_are_not_on_the_fristen_page(client, make_user, measure_follow_ups):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    hint, _overdue, _later = measure_follow_ups
    jonas = make_user("jonas", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    page = _login(client, jonas).get(reverse("casework:deadlines") + "?alle=1").content.decode()
    assert hint.hint_id not in page and "Wiedervorlage Maßnahme" not in page
    assert "Wiedervorlage Maßnahme" not in client.get(reverse("casework:deadlines_ics")).content.decode()


def test_a_letters_reply_date_is_on_its_authors_fristen_page_and_not_on_the_recipients(
    client, kim, fabian, make_user
):
    from missimo.accounts.policy import Role
    from missimo.outcomes.models import Letter, LetterStatus

    case = Case.objects.create(
        aktenzeichen="MIS-2026-00078", status=CaseStatus.IN_PRUEFUNG, lead_agency=kim.agency
    )
    letter = Letter.objects.create(
        case=case,
        recipient=fabian.agency,
        subject="Bitte um Stellungnahme",
        body="Text",
        status=LetterStatus.VERSANDT,
        author=kim,
        reply_due=_today() - dt.timedelta(days=1),
    )
    page = _login(client, kim).get(reverse("casework:deadlines")).content.decode()
    overdue_part = page.split('id="anstehend"')[0]
    assert "Antwort erwartet" in overdue_part and "MIS-2026-00078" in overdue_part
    assert reverse("outcomes:letter", args=[letter.pk]) in overdue_part
    body = client.get(reverse("casework:deadlines_ics")).content.decode()
    assert "SUMMARY:Antwort erwartet MIS-2026-00078 (überfällig)" in body
    assert "Stellungnahme" not in body
    # A colleague of the coordination office sees it only among "all", the recipient not at all.
    lea = make_user("lea", Role.KOORDINIERUNG, "Ordnungsamt")
    assert "MIS-2026-00078" not in _login(client, lea).get(reverse("casework:deadlines")).content.decode()
    assert "MIS-2026-00078" in client.get(reverse("casework:deadlines") + "?alle=1").content.decode()
    assert "MIS-2026-00078" not in _login(client, fabian).get(reverse("casework:deadlines") + "?alle=1").text


# --- e-mail through a real SMTP server on the loopback address --------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to receive a message: EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        envelope = {"to": [], "data": b""}
        while line := self.rfile.readline():
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                self.wfile.write(b"250 test\r\n")
            elif command.startswith(b"MAIL FROM"):
                self.wfile.write(b"250 OK\r\n")
            elif command.startswith(b"RCPT TO"):
                envelope["to"].append(line.strip()[8:].decode())
                self.wfile.write(b"250 OK\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    envelope["data"] += chunk
                self.server.received.append(envelope)
                envelope = {"to": [], "data": b""}
                self.wfile.write(b"250 OK queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_due_deadlines_are_mailed_through_smtp_without_personal_data(settings, fabian, cases, smtp_server):
    fabian.email = "fabian@familienkasse.example"
    fabian.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.server_address
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_NOTIFICATIONS = True
    settings.BASE_URL = "https://missimo.example"
    assert services.send_deadline_notifications() == 1
    (mail,) = smtp_server.received
    assert "fabian@familienkasse.example" in mail["to"][0]
    text = mail["data"].decode("utf-8", "replace")
    assert "https://missimo.example/aktionen/fristen/" in text
    assert "MIS-2026-00001" not in text and "Antwort der Schule" not in text


def test_no_mail_is_sent_while_notifications_are_off(settings, fabian, cases, smtp_server):
    fabian.email = "fabian@familienkasse.example"
    fabian.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.server_address
    settings.EMAIL_NOTIFICATIONS = False
    assert services.send_deadline_notifications() == 0
    assert smtp_server.received == []


def test_a_procedure_steps_deadline_is_on_the_fristen_page_until_a_later_step_answers_it(client, kim, fabian):
    from missimo.properties import services as register
    from missimo.properties.models import Measure, Property

    prop = Property.objects.create(
        objekt_id="OBJ-77", strasse="Hafenstraße", hausnummer="7", plz="45127", ort="Musterstadt"
    )
    hearing = register.add_measure(
        kim,
        prop,
        {
            "date": _today() - dt.timedelta(days=20),
            "agency": "Wohnungsaufsicht",
            "kind": Measure.Kind.ANHOERUNG,
            "text": "Anhörung zur Mängelbeseitigung",
            "deadline": _today() - dt.timedelta(days=2),
        },
    )
    page = _login(client, kim).get(reverse("casework:deadlines")).content.decode()
    overdue_part, _later_part = page.split('id="anstehend"')
    assert "Frist: Anhörung" in overdue_part and "OBJ-77" in overdue_part and "überfällig" in overdue_part
    assert reverse("properties:detail", args=[prop.pk]) in overdue_part
    body = client.get(reverse("casework:deadlines_ics")).content.decode()
    assert "SUMMARY:Frist: Anhörung OBJ-77 (überfällig)" in body and "Hafenstraße" not in body
    assert f"UID:verfahrensschritt-{hearing.pk}-" in body

    # the agencies that do not keep the register do not get the register's deadlines
    other = _login(client, fabian).get(reverse("casework:deadlines") + "?alle=1").content.decode()
    assert "Frist: Anhörung" not in other

    register.add_measure(
        kim,
        prop,
        {
            "date": _today(),
            "agency": "Wohnungsaufsicht",
            "kind": Measure.Kind.ANORDNUNG,
            "text": "Mängelbeseitigung angeordnet",
        },
    )
    page = _login(client, kim).get(reverse("casework:deadlines")).content.decode()
    assert "Frist: Anhörung" not in page
