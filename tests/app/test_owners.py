"""Owners as records with all their properties, procedure steps with deadlines, and the dated
complaint log of a property."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from missimo.accounts.models import AgencyKind
from missimo.accounts.policy import Role
from missimo.properties import owners
from missimo.properties.models import Complaint, Measure, Owner, Property

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def bea(make_user):
    return make_user("bea", Role.BAUAUFSICHT, "Bauaufsicht", AgencyKind.BAUAUFSICHT)


@pytest.fixture
def props():
    return [
        Property.objects.create(
            objekt_id=f"OBJ-{n}",
            strasse="Hafenstraße",
            hausnummer=str(n),
            plz="45127",
            ort="Essen",
            eigentuemer="Schrott Immobilien GmbH",
            sort_address=f"hafenstrasse {n}",
        )
        for n in (1, 2)
    ]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assign(client, prop, **extra):
    data = {
        "name": "Schrott Immobilien GmbH",
        "art": "firma",
        "strasse": "Ring 5",
        "plz": "40210",
        "ort": "Düsseldorf",
    }
    return client.post(reverse("properties:owner_assign", args=[prop.pk]), {**data, **extra})


def test_one_owner_record_holds_all_its_properties_with_measures_and_complaints(bea, props):
    client = _client(bea)
    for prop in props:
        assert _assign(client, prop).status_code == 302
    owner = Owner.objects.get()
    assert set(owner.properties.values_list("objekt_id", flat=True)) == {"OBJ-1", "OBJ-2"}
    assert owner.address_block == ["Schrott Immobilien GmbH", "Ring 5", "40210 Düsseldorf"]
    Measure.objects.create(
        property=props[0],
        date=dt.date(2026, 10, 1),
        agency="Wohnungsaufsicht",
        kind=Measure.Kind.ANHOERUNG,
        text="Anhörung zur Unbewohnbarkeitserklärung",
        deadline=dt.date(2026, 10, 15),
        created_by=bea,
    )
    client.post(
        reverse("properties:complaint_add", args=[props[1].pk]),
        {"eingang": "02.10.2026", "quelle": "Nachbarschaft", "gegenstand": "Müll im Hof"},
    )
    page = client.get(reverse("properties:owner_detail", args=[owner.pk])).text
    assert "Ring 5" in page and "Hafenstraße 1" in page and "Hafenstraße 2" in page
    assert "Anhörung" in page and "Frist bis 15.10.2026" in page
    assert "Müll im Hof" in page


def test_a_complaint_is_a_dated_entry_and_bad_dates_are_refused_in_german(bea, props):
    with pytest.raises(owners.OwnerRefused, match=r"TT\.MM\.JJJJ"):
        owners.add_complaint(bea, props[0], received_on="31.02.2026", source="Polizei", subject="Lärm")
    with pytest.raises(owners.OwnerRefused, match="Quelle und Gegenstand"):
        owners.add_complaint(bea, props[0], received_on="02.10.2026", source="", subject="Lärm")
    owners.add_complaint(bea, props[0], received_on="02.10.2026", source="Polizei", subject="Lärm")
    complaint = Complaint.objects.get()
    assert complaint.received_on == dt.date(2026, 10, 2) and complaint.source == "Polizei"
    page = _client(bea).get(reverse("properties:detail", args=[props[0].pk])).text
    assert "Beschwerdebuch" in page and "1 erfasste Beschwerde " in page


def test_an_invalid_postcode_is_refused(bea, props):
    with pytest.raises(owners.OwnerRefused, match="fünf Ziffern"):
        owners.assign_owner(bea, props[0], name="X", kind="person", strasse="", plz="123", ort="")


def test_roles_without_sight_of_owners_get_no_owner_page(make_user, bea, props):
    owner = owners.assign_owner(
        bea, props[0], name="Egon Eigner", kind="person", strasse="Weg 1", plz="44100", ort="Dortmund"
    )
    fabian = make_user("fabian", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE)
    assert _client(fabian).get(reverse("properties:owner_detail", args=[owner.pk])).status_code == 404
    wanda = make_user("wanda", Role.WOHNUNGSAUFSICHT, "Wohnungsaufsicht", AgencyKind.WOHNUNGSAUFSICHT)
    assert "Weg 1" in _client(wanda).get(reverse("properties:owner_detail", args=[owner.pk])).text


def test_the_lenkungskreis_decides_on_a_measure_and_the_report_counts_it_per_quarter(kim, bea, props):
    from missimo.reports import figures

    measure = Measure.objects.create(
        property=props[0],
        date=dt.date(2026, 2, 3),
        agency="Bauaufsicht",
        kind=Measure.Kind.ANORDNUNG,
        text="Anordnung zur Mängelbeseitigung",
        created_by=bea,
    )
    with pytest.raises(owners.OwnerRefused):
        owners.record_steering_decision(bea, measure, decision="beschlossen", day="10.02.2026")
    response = _client(kim).post(
        reverse("properties:measure_decide", args=[props[0].pk, measure.pk]),
        {"beschluss": "beschlossen", "sitzung": "10.04.2026"},
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.steering_decision == "beschlossen" and measure.steering_date == dt.date(2026, 4, 10)
    table = figures.figures_for(dt.date(2026, 1, 1), dt.date(2026, 12, 31)).table("lenkungskreis_quartale")
    assert table.value("1. Quartal 2026", "Maßnahmen erfasst") == 1
    assert table.value("2. Quartal 2026", "beschlossen") == 1
