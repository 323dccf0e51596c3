"""The audit log pages of the data-protection officer: search, filter, export, chain check."""

from __future__ import annotations

import csv
import io

import pytest

from missimo.audit.models import AuditAction, AuditEvent
from missimo.audit.services import record
from missimo.core.tables import cell_text

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def entries(kim, fabian):
    record(kim, AuditAction.READ, object_type="hint", object_id="H-1", purpose="Fallprüfung")
    record(fabian, AuditAction.EXPORT, object_type="hint_list", object_id="7", purpose="Weitergabe an Kasse")
    record(kim, AuditAction.CHANGE, object_type="person_link", object_id="a|b", purpose='=HYPERLINK("x")')


def test_case_workers_and_other_roles_get_404_on_every_audit_page(client, kim, fabian, make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    alex = make_user("alex", Role.ADMINISTRATION, "IT", AgencyKind.IT)
    alex.is_staff = True
    alex.save()
    for user in (kim, fabian, alex):
        client.force_login(user)
        assert client.get("/datenschutz/protokoll/").status_code == 404
        assert client.get("/datenschutz/protokoll/export.csv").status_code == 404
        assert client.post("/datenschutz/protokoll/kette-pruefen/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login(client):
    assert client.get("/datenschutz/protokoll/")["Location"].startswith("/anmelden/")


def test_the_data_protection_officer_sees_the_entries(client, dana, entries):
    client.force_login(dana)
    page = client.get("/datenschutz/protokoll/")
    assert page.status_code == 200
    assert "Weitergabe an Kasse" in page.text
    assert "Fallprüfung" in page.text


def test_the_navigation_shows_the_audit_log_only_to_the_data_protection_officer(client, dana, kim):
    client.force_login(dana)
    assert 'href="/datenschutz/protokoll/"' in client.get("/").text
    client.force_login(kim)
    assert 'href="/datenschutz/protokoll/"' not in client.get("/").text


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ({"wer": "fabian"}, "Weitergabe an Kasse", "Fallprüfung"),
        ({"behoerde": "Familienkasse"}, "Weitergabe an Kasse", "Fallprüfung"),
        ({"vorgang": "export"}, "Weitergabe an Kasse", "Fallprüfung"),
        ({"objektart": "hint"}, "Fallprüfung", "Weitergabe an Kasse"),
        ({"objekt": "H-1"}, "Fallprüfung", "Weitergabe an Kasse"),
        ({"zweck": "weitergabe"}, "Weitergabe an Kasse", "Fallprüfung"),
    ],
)
def test_the_log_can_be_filtered_by_who_agency_action_object_and_purpose(
    client, dana, entries, query, present, absent
):
    client.force_login(dana)
    page = client.get("/datenschutz/protokoll/", query)
    assert present in page.text
    assert absent not in page.text


def test_the_log_can_be_filtered_by_period(client, dana, entries):
    from django.utils import timezone

    client.force_login(dana)
    today = timezone.localdate()
    assert "Fallprüfung" in client.get("/datenschutz/protokoll/", {"von": today.strftime("%d.%m.%Y")}).text
    yesterday = (today - timezone.timedelta(days=1)).strftime("%d.%m.%Y")
    page = client.get("/datenschutz/protokoll/", {"bis": yesterday})
    assert "Fallprüfung" not in page.text
    assert "Keine Einträge mit diesen Filtern." in page.text


def test_reading_the_log_is_itself_audited(client, dana, entries):
    client.force_login(dana)
    client.get("/datenschutz/protokoll/", {"wer": "kim"})
    event = AuditEvent.objects.filter(actor_username="dana", object_type="audit_log").latest("sequence")
    assert event.action == AuditAction.READ
    assert event.details["filter"] == {"actor": "kim"}


def test_the_export_is_a_formula_escaped_csv_of_the_filtered_entries(client, dana, entries):
    client.force_login(dana)
    response = client.get("/datenschutz/protokoll/export.csv", {"wer": "kim"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Nr.", "Zeitpunkt", "Benutzername"]
    assert {row[2] for row in rows[1:]} == {"kim"}
    purposes = [row[8] for row in rows[1:]]
    assert '\'=HYPERLINK("x")' in purposes
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_export_is_audited_with_its_filter_and_size(client, dana, entries):
    client.force_login(dana)
    client.get("/datenschutz/protokoll/export.csv", {"vorgang": "export"})
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="audit_log").get()
    assert event.actor_username == "dana"
    assert event.details == {"filter": {"action": "export"}, "entries": 1}


@pytest.mark.parametrize("value", ["=1+1", "+49", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_evaluate_are_prefixed(value):
    assert cell_text(value) == "'" + value


def test_ordinary_cells_are_left_alone():
    assert cell_text("Fallprüfung") == "Fallprüfung"
    assert cell_text(None) == ""
    assert cell_text(42) == "42"


def test_the_chain_check_shows_an_intact_chain(client, dana, entries):
    client.force_login(dana)
    page = client.post("/datenschutz/protokoll/kette-pruefen/", follow=True)
    assert "Hash-Kette intakt." in page.text
    assert AuditEvent.objects.filter(object_type="audit_chain", actor_username="dana").exists()


def test_the_chain_check_reports_a_manipulated_entry(client, dana, entries):
    from django.db import connections

    from missimo.audit.db import install_append_only_triggers, remove_append_only_triggers

    connection = connections["audit"]
    remove_append_only_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET purpose = 'harmlos' WHERE object_id = 'H-1'")
    finally:
        install_append_only_triggers(connection)
    client.force_login(dana)
    page = client.post("/datenschutz/protokoll/kette-pruefen/", follow=True)
    assert "Hash-Kette verletzt!" in page.text
    assert "Inhalt wurde verändert" in page.text


def test_no_page_lets_anybody_alter_entries(client, dana, entries):
    client.force_login(dana)
    assert client.post("/datenschutz/protokoll/", {"purpose": "x"}).status_code == 405
    assert client.post("/datenschutz/protokoll/export.csv").status_code == 405
    from django.contrib import admin

    assert AuditEvent not in admin.site._registry
    before = list(AuditEvent.objects.filter(object_id="H-1").values_list("purpose", flat=True))
    assert before == ["Fallprüfung"]


# --- readable for the data-protection officer: German object types, details as text ------------


def test_the_log_shows_object_types_in_german_and_details_as_readable_text(client, dana, kim):
    record(kim, AuditAction.READ, object_type="hint_list", details={"names_shown": False, "page": 2})
    record(kim, AuditAction.CHANGE, object_type="inspection_visit", object_id="3", details={"note": None})
    record(kim, AuditAction.LOGIN, object_type="session", details={"from": "2026-03-01", "mine": True})
    client.force_login(dana)
    page = client.get("/datenschutz/protokoll/").text
    assert "Liste der Hinweise" in page and "Kontrollprotokoll 3" in page and "Sitzung" in page
    # (PostgreSQL's jsonb orders the keys its own way, so each part is looked for on its own.)
    assert "Namen angezeigt: nein" in page and "Seite: 2" in page
    assert "Bemerkung: –" in page
    assert "von: 01.03.2026" in page and "nur eigene: ja" in page
    for raw in ("{&#x27;names_shown", "names_shown:", "None", ">inspection_visit", ">session<"):
        assert raw not in page, raw
    options = client.get("/datenschutz/protokoll/").text
    assert '<option value="hint_list">Liste der Hinweise</option>' in options


def test_the_csv_export_has_german_object_types_and_details_and_keeps_the_codes_at_the_end(client, dana, kim):
    record(kim, AuditAction.READ, object_type="hint", object_id="H-9", details={"names_shown": False})
    client.force_login(dana)
    response = client.get("/datenschutz/protokoll/export.csv", {"objektart": "hint"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert row[header.index("Objektart")] == "Hinweis"
    assert row[header.index("Einzelheiten")] == "Namen angezeigt: nein"
    assert row[header.index("Objektart (Kennung)")] == "hint"
    assert row[header.index("Einzelheiten (technisch, JSON)")] == '{"names_shown": false}'


def test_every_object_type_the_application_records_has_a_german_label():
    import ast
    from pathlib import Path

    from missimo.audit import labels

    root = Path(labels.__file__).parent.parent
    recorded = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "object_type"
                and isinstance(node.value, ast.Constant)
            ):
                recorded.add(node.value.value)
    recorded.discard("")
    assert recorded, "no object types found"
    assert recorded <= set(labels.OBJECT_TYPES), sorted(recorded - set(labels.OBJECT_TYPES))


@pytest.mark.parametrize(
    ("details", "text"),
    [
        ({"names_shown": False}, "Namen angezeigt: nein"),
        ({"intact": True, "checked": 12}, "unverändert: ja; geprüfte Einträge: 12"),
        ({"filter": {"actor": "kim", "action": "export"}}, "Filter: (Wer: kim; Vorgang: export)"),
        ({"hints": ["H-1", "H-2"], "reason": None}, "Hinweise: H-1, H-2; Grund: –"),
        ({"von": "2026-01-01", "fassung": "oeffentlich"}, "von: 01.01.2026; Fassung: öffentliche Fassung"),
        ({"unbekannt_feld": 1.5}, "unbekannt feld: 1,50"),
        ({}, ""),
    ],
)
def test_details_are_written_as_german_text(details, text):
    from missimo.audit.labels import details_text

    assert details_text(details) == text
