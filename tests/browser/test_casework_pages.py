import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _screenshot(page, name: str) -> None:
    """Refresh the handbook's screenshots with MISSIMO_SCREENSHOTS=1 (kept out of ordinary runs)."""
    if os.environ.get("MISSIMO_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


@pytest.fixture
def city():
    from tests.app.test_casework import build_city

    return build_city()


def _csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def test_kim_selects_properties_for_a_campaign_and_works_a_case(
    page, login, kim, fabian, city, axe_violations
):
    from missimo.casework.models import Campaign

    errors = _csp_errors(page)
    login(kim)
    page.get_by_role("link", name="Aktionen", exact=True).click()
    page.get_by_role("heading", name="Aktionen und Prüffälle").wait_for()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Aktionszeitraum anlegen").click()
    page.get_by_label("Bezeichnung").fill("Aktion Nordviertel Herbst")
    page.get_by_label("Beginn").fill("2026-10-01")
    page.get_by_label("Ende").fill("2026-09-30")
    page.get_by_role("button", name="Anlegen und Objekte auswählen").click()
    assert "Das Ende darf nicht vor dem Beginn liegen." in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("Ende").fill("2026-10-31")
    page.get_by_label("Ordnungsamt", exact=True).check()
    page.get_by_label("Familienkasse", exact=True).check()
    page.get_by_role("button", name="Anlegen und Objekte auswählen").click()

    page.get_by_role("heading", name="Objekte auswählen: Aktion Nordviertel Herbst").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Rang 1, Lindenstraße 4, 45127 Essen übernehmen").check()
    page.get_by_label("Rang 3, Hafenweg 7, 45127 Essen übernehmen").check()
    page.get_by_role("button", name="Ausgewählte Objekte übernehmen").click()

    page.get_by_text("2 Prüffälle angelegt.").wait_for()
    campaign = Campaign.objects.get()
    assert sorted(campaign.cases.values_list("property__objekt_id", flat=True)) == ["OBJ-0001", "OBJ-0003"]
    main = page.locator("main").inner_text()
    assert "Lindenstraße 4" in main and "Hafenweg 7" in main and "Am Markt 12" not in main
    assert axe_violations(page) == []
    _screenshot(page, "casework-aktionszeitraum.png")

    page.get_by_role("link", name="Aktionen", exact=True).click()
    assert "Aktion Nordviertel Herbst" in page.locator("main").inner_text()
    assert axe_violations(page) == []

    case = campaign.cases.get(property__objekt_id="OBJ-0001")
    page.goto(f"{page.base_url}/aktionen/faelle/{case.pk}/")
    page.get_by_role("heading", name=f"Prüffall {case.aktenzeichen}").wait_for()
    assert page.get_by_role("button", name="Kontrolle planen").count() == 0
    assert axe_violations(page) == []
    page.get_by_role("button", name="Prüfung beginnen").click()
    page.get_by_text("Neuer Status: in Prüfung.").wait_for()
    assert page.get_by_role("button", name="Kontrolle planen").count() == 1
    assert axe_violations(page) == []

    page.get_by_role("link", name="Bearbeiten und zuweisen").click()
    page.get_by_label("zuständig").select_option(label="Kim Koordinatorin (Ordnungsamt)")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Der Prüffall wurde gespeichert.").wait_for()

    page.get_by_role("link", name="Meine Fälle").first.click()
    page.get_by_role("heading", name="Meine Fälle").wait_for()
    assert case.aktenzeichen in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_fabian_confirms_one_hint_and_dismisses_another_with_a_reason(
    page, login, fabian, city, axe_violations
):
    from missimo.casework import services
    from missimo.runs.models import Hint

    login(fabian)
    page.get_by_role("link", name="Prüfliste").click()
    page.get_by_role("heading", name="Prüfliste").wait_for()
    main = page.locator("main").inner_text()
    assert "Hinweis, kein Nachweis." in main and "H-SCH-1" not in main
    assert axe_violations(page) == []

    first = page.locator(f"#hinweis-{Hint.objects.get(hint_id='H-KG-1').pk}")
    first.get_by_role("button", name="Zur Kontrolle vorschlagen").click()
    page.get_by_text("Hinweis H-KG-1 ist zur Kontrolle vorgeschlagen.").wait_for()

    second = page.locator(f"#hinweis-{Hint.objects.get(hint_id='H-KG-2').pk}")
    second.get_by_text("Verwerfen …").click()
    second.get_by_role("button", name="Hinweis verwerfen").click()  # the browser asks for a reason first
    assert services.hint_status(Hint.objects.get(hint_id="H-KG-2")) == "offen"
    second.get_by_label("Grund").select_option("veraltet")
    second.get_by_role("button", name="Hinweis verwerfen").click()
    page.get_by_text("Hinweis H-KG-2 ist verworfen.").wait_for()

    assert services.hint_status(Hint.objects.get(hint_id="H-KG-1")) == "bestaetigt"
    assert services.hint_status(Hint.objects.get(hint_id="H-KG-2")) == "verworfen"
    assert "Status: zur Kontrolle vorgeschlagen" in " ".join(
        page.locator(f"#hinweis-{Hint.objects.get(hint_id='H-KG-1').pk}").inner_text().split()
    )
    assert axe_violations(page) == []
    _screenshot(page, "casework-pruefliste.png")
