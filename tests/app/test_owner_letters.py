"""Letters to owners (issue 17): drafted from a case to the owner record of its property, with a
DIN 5008-like address block (name or company, street, PLZ Ort) and no hint in the text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string

from missimo.outcomes import letters as letter_work
from missimo.outcomes.models import Letter, LetterStatus, LetterTemplate
from missimo.properties.models import Owner
from tests.app import test_outcomes as _outcomes

_client = _outcomes._client
# The letter fixtures of the outcome tests (a case with a Kindergeld, a Jobcenter and a Bauaufsicht hint).
run, kg_hint, jc_hint, bau_hint, case, kai = (
    _outcomes.run,
    _outcomes.kg_hint,
    _outcomes.jc_hint,
    _outcomes.bau_hint,
    _outcomes.case,
    _outcomes.kai,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def owner(case):
    owner = Owner.objects.create(
        name="Zyx Immobilien GmbH", kind=Owner.Kind.FIRMA, strasse="Am Hafen 7", plz="45127", ort="Essen"
    )
    case.property.owner = owner
    case.property.save()
    return owner


OWNER_TEMPLATE = "Anhörung des Eigentümers zur Mängelbeseitigung"


def test_a_letter_to_the_owner_has_the_address_block_and_names_no_hint(kim, kai, case, owner, kg_hint):
    template = LetterTemplate.objects.get(name=OWNER_TEMPLATE)
    letter = letter_work.draft_letter(kim, case, owner, template)
    assert letter.owner == owner and letter.recipient is None
    assert letter.recipient_name == "Zyx Immobilien GmbH (Eigentümer)"
    assert letter.address_block == ["Zyx Immobilien GmbH", "Am Hafen 7", "45127 Essen"]
    assert kg_hint.hint_id not in letter.body and "KG-4711" not in letter.body
    letter = letter_work.submit_letter(kim, letter, version=1)
    letter = letter_work.approve_letter(kai, letter, version=letter.version)
    assert letter.status == LetterStatus.FREIGEGEBEN
    html = render_to_string(
        "outcomes/letter_pdf.html", {"letter": letter, "city_name": "Herne", "day": dt.date(2026, 12, 7)}
    )
    lines = [f'<div class="address-line">{line}</div>' for line in letter.address_block]
    assert "".join(lines) in html
    assert "Stadt Herne · Ordnungsamt – Koordinierungsstelle" in html  # the return address line
    assert letter_work.letter_pdf(kai, letter).startswith(b"%PDF")


def test_the_draft_page_offers_the_owner_and_drafts_to_it(kim, case, owner, client):
    template = LetterTemplate.objects.first()
    _client(client, kim)
    page = client.get(f"/ergebnisse/schreiben/neu/{case.pk}/").text
    assert "An den Eigentümer des Objekts: Zyx Immobilien GmbH, Am Hafen 7, 45127 Essen" in page
    answer = client.post(f"/ergebnisse/schreiben/neu/{case.pk}/", {"to_owner": "on", "template": template.pk})
    assert answer.status_code == 302
    assert Letter.objects.get().owner == owner
    neither = client.post(f"/ergebnisse/schreiben/neu/{case.pk}/", {"template": template.pk})
    assert neither.status_code == 400 and "Bitte wählen Sie die Empfängerin." in neither.text


def test_a_letter_cannot_go_to_an_owner_of_another_property(kim, case):
    from missimo.core.errors import Refused

    stranger = Owner.objects.create(name="Fremd Zyx", strasse="Weg 1", plz="44623", ort="Herne")
    template = LetterTemplate.objects.first()
    with pytest.raises(Refused):
        letter_work.draft_letter(kim, case, stranger, template)


def test_the_default_owner_template_fills_owner_address_case_date_and_a_reply_date(kim, case, owner):
    from django.utils import timezone

    from missimo.outcomes.defaults import OWNER_KIND

    template = LetterTemplate.objects.get(name=OWNER_TEMPLATE)  # put there by migration 0007
    assert template.recipient_kind == OWNER_KIND and template.active
    letter = letter_work.draft_letter(kim, case, owner, template)
    today = timezone.localdate()
    due = today + dt.timedelta(days=14)
    assert letter.subject.startswith(
        "Anhörung zur Beseitigung von Mängeln am Objekt " + case.property.address
    )
    assert case.aktenzeichen in letter.subject
    assert "Sehr geehrte Damen und Herren," in letter.body and "Zyx Immobilien GmbH" in letter.body
    assert case.property.address in letter.body and f"bis zum {today:%d.%m.%Y}" in letter.body
    assert (
        f"bis zum {due:%d.%m.%Y}" in letter.body
        and "§ 28 des Verwaltungsverfahrensgesetzes NRW" in letter.body
    )
    assert "{" not in letter.subject + letter.body
    assert letter.reply_due == due  # {frist} becomes the letter's "Antwort erwartet bis"


def test_the_draft_form_keeps_owner_and_agency_templates_apart(kim, fabian, case, owner, client):
    from missimo.outcomes.defaults import OWNER_KIND

    owner_template = LetterTemplate.objects.get(recipient_kind=OWNER_KIND)
    agency_template = LetterTemplate.objects.get(name="Mitteilung an die Familienkasse")
    _client(client, kim)
    url = f"/ergebnisse/schreiben/neu/{case.pk}/"
    page = client.get(url).text
    assert f"{OWNER_TEMPLATE} (für Eigentümer)" in page
    assert "Mitteilung an die Familienkasse</option>" in page
    to_owner = client.post(url, {"to_owner": "on", "template": agency_template.pk})
    assert to_owner.status_code == 400 and "Bitte wählen Sie eine Vorlage für Eigentümer." in to_owner.text
    to_agency = client.post(url, {"recipient": fabian.agency.pk, "template": owner_template.pk})
    assert to_agency.status_code == 400 and "Diese Vorlage ist für Schreiben an Eigentümer." in to_agency.text
    assert not Letter.objects.exists()
    from missimo.core.errors import Refused

    with pytest.raises(Refused):
        letter_work.draft_letter(kim, case, owner, agency_template)


def test_a_case_without_an_owner_is_not_offered_the_owner_template(kim, case, client):
    _client(client, kim)
    page = client.get(f"/ergebnisse/schreiben/neu/{case.pk}/").text
    assert "Mitteilung an die Familienkasse" in page and OWNER_TEMPLATE not in page
