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


def test_a_letter_to_the_owner_has_the_address_block_and_names_no_hint(kim, kai, case, owner, kg_hint):
    template = LetterTemplate.objects.get(name="Mitteilung an die Wohnungsaufsicht")
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
