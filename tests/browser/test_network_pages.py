"""The network's pages in the browser (issue 17): the school register, the referral list and the
owner page with a letter to the owner, each accessible (axe) and working with the keyboard's forms."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.fixture
def case_with_owner(kim):
    from missimo.casework.models import Campaign, Case, CaseStatus
    from missimo.properties.models import Owner, Property

    owner = Owner.objects.create(
        name="Zyx Immobilien GmbH", kind=Owner.Kind.FIRMA, strasse="Am Hafen 7", plz="45127", ort="Essen"
    )
    prop = Property.objects.create(
        objekt_id="OBJ-N1", strasse="Zechenweg", hausnummer="3", plz="44623", ort="Herne", owner=owner
    )
    campaign = Campaign.objects.create(name="Herbst", start=dt.date(2026, 10, 1), end=dt.date(2027, 3, 31))
    case = Case.objects.create(
        aktenzeichen="MIS-2026-0077",
        property=prop,
        campaign=campaign,
        title=prop.address,
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=kim.agency,
    )
    return owner, prop, case


def test_the_school_register_lists_the_schools_and_takes_a_new_one(page, login, kim, axe_violations):
    from missimo.accounts.models import Agency, AgencyKind

    Agency.objects.create(name="Grundschule Am Markt", kind=AgencyKind.SCHULE, schulnummer="199001")
    login(kim)
    page.get_by_role("link", name="Schulregister").click()
    page.get_by_role("heading", name="Schulregister", exact=True).wait_for()
    main = page.locator("main")
    assert "Grundschule Am Markt" in main.inner_text() and "0 von 1 Schulen liefern" in main.inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Schulnummer").fill("199002")
    page.get_by_label("Name").fill("Gesamtschule Nord")
    page.get_by_label("Schulform").select_option("gesamtschule")
    page.get_by_label("Ansprechperson").fill("Herr Zyxmann")
    page.get_by_role("button", name="Schule speichern").click()
    page.get_by_text("ist im Schulregister gespeichert").wait_for()
    text = main.inner_text()
    assert "Gesamtschule Nord" in text and "Herr Zyxmann" in text and "0 von 2 Schulen liefern" in text
    assert axe_violations(page) == []


def test_the_referral_list_shows_and_filters_the_referrals(page, login, kim, case_with_owner, axe_violations):
    from missimo.inspections import referrals
    from missimo.inspections.models import ReferralStatus, SupportService

    _, _, case = case_with_owner
    # a transactional test starts without the seeded catalogue
    housing, _ = SupportService.objects.get_or_create(name="Wohnbegleitende Hilfen")
    coaching, _ = SupportService.objects.get_or_create(name="Jobcoaching")
    first = referrals.refer(kim, case, service_id=housing.pk, help_need="wohnen", consent=True)
    referrals.refer(kim, case, service_id=coaching.pk, help_need="arbeit", consent=True)
    referrals.move(kim, first, ReferralStatus.VERMITTELT)
    login(kim)
    page.get_by_role("link", name="Vermittlungen").click()
    page.get_by_role("heading", name="Vermittlungen an Hilfsangebote").wait_for()
    assert "2 Vermittlungen" in page.locator("#referral-count").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Stand").select_option("vermittelt")
    page.get_by_role("button", name="Filtern").click()
    page.get_by_text("1 Vermittlung.").wait_for()
    table = page.get_by_role("table").inner_text()
    assert "Wohnbegleitende Hilfen" in table and "Jobcoaching" not in table
    page.get_by_role("link", name="MIS-2026-0077").click()
    page.get_by_role("heading", name="Hilfe und Vermittlung").wait_for()


def test_the_owner_page_lists_the_property_and_a_letter_goes_to_the_owner(
    page, login, kim, case_with_owner, axe_violations
):
    from missimo.outcomes.models import Letter, LetterTemplate

    owner, prop, case = case_with_owner
    LetterTemplate.objects.create(  # a transactional test starts without the seeded templates
        name="Anhörung vor einer Anordnung", subject="Anhörung {aktenzeichen}", body="Objekt {adresse}"
    )
    login(kim)
    page.goto(f"{page.base_url}/objekte/eigentuemer/{owner.pk}/")
    page.get_by_role("heading", name="Zyx Immobilien GmbH").wait_for()
    assert prop.address in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.goto(f"{page.base_url}/ergebnisse/schreiben/neu/{case.pk}/")
    page.get_by_label("An den Eigentümer des Objekts: Zyx Immobilien GmbH, Am Hafen 7, 45127 Essen").check()
    page.get_by_label("Vorlage").select_option(label="Anhörung vor einer Anordnung")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Entwurf anlegen").click()
    page.get_by_text("Der Entwurf wurde angelegt").wait_for()
    letter = Letter.objects.get()
    assert letter.owner == owner and letter.recipient is None
    assert "Zyx Immobilien GmbH (Eigentümer)" in page.locator("main").inner_text()
