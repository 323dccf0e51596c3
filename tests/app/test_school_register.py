"""The school register (issue 17): the city's schools with Schulnummer, school form and contact,
delivery yes/no and the last delivery per school, and the committee report's list of the schools
that take part and those that do not, with the previous year beside it."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from missimo.accounts.models import Agency, AgencyKind
from missimo.accounts.policy import Role
from missimo.certificates import schools
from missimo.certificates.models import School, SchoolDelivery
from missimo.imports.models import Import
from missimo.reports import figures as fig

pytestmark = pytest.mark.django_db(databases="__all__")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _at(year: int, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, 15, 10, 0))


def test_a_schule_delivery_in_force_enters_each_school_it_names_with_its_pupils(imported_city):
    with open(imported_city / "schule.csv", encoding="utf-8") as stream:
        pupils = Counter(row["Schulnummer"] for row in csv.DictReader(stream, delimiter=";"))
    registered = {school.schulnummer: school for school in School.objects.all()}
    assert set(registered) == set(pupils)
    for number, count in pupils.items():
        school = registered[number]
        assert school.in_current_delivery and school.last_pupils == count
        assert school.last_delivered_at is not None
        assert SchoolDelivery.objects.filter(school=school).count() == 1


def test_a_school_the_next_delivery_does_not_name_no_longer_counts_as_delivering(imported_city):
    gone = School.objects.create(
        schulnummer="199999", name="Grundschule Alt", in_current_delivery=True, last_delivered_at=_at(2025)
    )
    delivery = Import.objects.filter(source="schule").latest("id")
    schools.record_school_deliveries(delivery)
    gone.refresh_from_db()
    assert not gone.in_current_delivery
    assert gone.last_delivered_at == _at(2025)  # the last delivery stays


def test_the_school_form_is_taken_from_the_name_where_it_says_it():
    assert schools.form_from_name("Städtisches Gymnasium am Wall") == School.Form.GYMNASIUM
    assert schools.form_from_name("GGS Förderschule Nord") == School.Form.FOERDERSCHULE
    assert schools.form_from_name("Schule an der Ruhr") == ""


def test_the_schulamt_sees_the_register_and_enters_a_contact_by_schulnummer(make_user):
    Agency.objects.create(name="Grundschule Am Markt", kind=AgencyKind.SCHULE, schulnummer="199001")
    schulamt = make_user("sam", Role.SCHULAMT, "Schulamt", AgencyKind.SCHULAMT)
    client = _client(schulamt)
    page = client.get(reverse("certificates:schools")).text
    assert "Grundschule Am Markt" in page and "199001" in page and "noch nie" in page
    response = client.post(
        reverse("certificates:schools"),
        {
            "schulnummer": "199001",
            "name": "Grundschule Am Markt",
            "schulform": "grundschule",
            "contact_person": "Frau Rektorin Zyxwert",
            "phone": "02323 16-0",
            "email": "gs-markt@example.org",
        },
    )
    assert response.status_code == 302
    school = School.objects.get(schulnummer="199001")
    assert school.contact_person == "Frau Rektorin Zyxwert" and school.schulform == "grundschule"
    assert School.objects.count() == 1
    assert "Frau Rektorin Zyxwert" in client.get(reverse("certificates:schools")).text


def test_the_jobcenter_and_the_schulleitung_do_not_get_the_register(make_user):
    jobcenter = make_user("jo", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    head = make_user("sina", Role.SCHULLEITUNG, "Grundschule", AgencyKind.SCHULE)
    for user in (jobcenter, head):
        assert _client(user).get(reverse("certificates:schools")).status_code == 404


def test_the_committee_report_lists_the_schools_taking_part_and_not_with_the_year_before(db, monkeypatch):
    monkeypatch.setattr(fig, "school_numbers_delivered", lambda: {"100001", "100002"})
    Agency.objects.create(name="Förderschule Ost", kind=AgencyKind.SCHULE, schulnummer="100005")
    both = School.objects.create(schulnummer="100001", name="Grundschule Beide", schulform="grundschule")
    new = School.objects.create(schulnummer="100002", name="Gymnasium Neu", schulform="gymnasium")
    dropped = School.objects.create(schulnummer="100003", name="Realschule Weg", schulform="realschule")
    School.objects.create(schulnummer="100004", name="Hauptschule Nie")
    for school, year in ((both, 2025), (both, 2026), (new, 2026), (dropped, 2025)):
        SchoolDelivery.objects.create(school=school, import_id=year, delivered_at=_at(year), pupils=20)
    section = fig.figures_for(dt.date(2026, 1, 1), dt.date(2026, 12, 31)).section("schulen")
    table = next(table for table in section.tables if table.key == "schulen_liste")
    assert table.columns == ["Schulform", "2026", "2025"]
    assert [row.label for row in table.rows][:2] == ["Grundschule Beide (100001)", "Gymnasium Neu (100002)"]
    assert table.value("Grundschule Beide (100001)", "2025") == "nahm teil"
    assert table.value("Gymnasium Neu (100002)", "2026") == "nimmt teil"
    assert table.value("Gymnasium Neu (100002)", "2025") == "nahm nicht teil"
    assert table.value("Realschule Weg (100003)", "2026") == "nimmt nicht teil"
    assert table.value("Realschule Weg (100003)", "2025") == "nahm teil"
    assert table.value("Hauptschule Nie (100004)", "Schulform") == "–"
    assert table.value("Förderschule Ost (100005)", "2026") == "nimmt nicht teil"
    assert "2 von 5 Schulen" in table.note
    assert not School.objects.filter(schulnummer="100005").exists()  # the report writes nothing
