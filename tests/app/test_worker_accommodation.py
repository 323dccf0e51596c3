"""Worker accommodation (issue 17): the property category "Unterkunft für Beschäftigte" names the
employer, and such a building is inspected jointly with the Arbeitsschutz."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from missimo.accounts.models import Agency, AgencyKind
from missimo.casework.models import Campaign, Case, CaseStatus
from missimo.inspections.forms import PlanForm
from missimo.properties.models import Category, Property

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def housing(kim):
    prop = Property.objects.create(
        objekt_id="OBJ-WA", strasse="Zechenweg", hausnummer="3", plz="44623", ort="Herne"
    )
    campaign = Campaign.objects.create(name="Frühjahr", start=dt.date(2026, 10, 1), end=dt.date(2027, 12, 31))
    case = Case.objects.create(
        aktenzeichen="MIS-2026-0042",
        property=prop,
        campaign=campaign,
        title=prop.address,
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=kim.agency,
    )
    return prop, campaign, case


def _edit(client, prop, **changes):
    data = {"kategorien": [], "version": prop.version, **changes}
    return client.post(reverse("properties:edit", args=[prop.pk]), data)


def test_a_worker_accommodation_needs_its_employer_and_shows_it_on_the_property_page(kim, housing):
    prop, _, _ = housing
    client = Client()
    client.force_login(kim)
    refused = _edit(client, prop, kategorien=[Category.BESCHAEFTIGTE])
    assert refused.status_code == 200 and "den Arbeitgeber an" in refused.text
    prop.refresh_from_db()
    assert not prop.kategorie_beschaeftigte
    taken = _edit(client, prop, kategorien=[Category.BESCHAEFTIGTE], arbeitgeber="Fleisch Zyx GmbH")
    assert taken.status_code == 302
    prop.refresh_from_db()
    assert prop.kategorie_beschaeftigte and prop.arbeitgeber == "Fleisch Zyx GmbH"
    assert "Unterkunft für Beschäftigte" in prop.category_labels
    page = client.get(reverse("properties:detail", args=[prop.pk])).text
    assert "Fleisch Zyx GmbH" in page and "gemeinsam mit dem Arbeitsschutz" in page


def _form(campaign, case, agencies):
    return PlanForm(
        {
            "date": "2027-12-20",
            "time": "09:30",
            "meeting_point": "Zechenweg 3",
            "cases": [case.pk],
            "agencies": [agency.pk for agency in agencies],
        },
        campaign=campaign,
    )


def test_planning_a_worker_accommodation_asks_for_the_arbeitsschutz(kim, housing):
    prop, campaign, case = housing
    prop.kategorie_beschaeftigte, prop.arbeitgeber = True, "Fleisch Zyx GmbH"
    prop.save()
    arbeitsschutz = Agency.objects.create(
        name="Bezirksregierung Arbeitsschutz", kind=AgencyKind.ARBEITSSCHUTZ
    )
    police = Agency.objects.create(name="Polizei", kind=AgencyKind.POLIZEI)
    without = _form(campaign, case, [police])
    assert not without.is_valid()
    assert "bitte beteiligen Sie den Arbeitsschutz" in str(without.errors["agencies"])
    assert "Unterkunft für Beschäftigte (Fleisch Zyx GmbH)" in str(without["cases"])
    assert _form(campaign, case, [police, arbeitsschutz]).is_valid()


def test_an_ordinary_building_is_planned_without_the_arbeitsschutz(kim, housing):
    _, campaign, case = housing
    Agency.objects.create(name="Bezirksregierung Arbeitsschutz", kind=AgencyKind.ARBEITSSCHUTZ)
    police = Agency.objects.create(name="Polizei", kind=AgencyKind.POLIZEI)
    assert _form(campaign, case, [police]).is_valid()
