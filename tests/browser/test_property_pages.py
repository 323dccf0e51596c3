import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _screenshot(page, name: str, *, full_page: bool, height: int | None = None) -> None:
    """Refresh the handbook's screenshots with MISSIMO_SCREENSHOTS=1 (kept out of ordinary runs)."""
    if os.environ.get("MISSIMO_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        clip = {"x": 0, "y": 0, "width": 1280, "height": height} if height else None
        page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page, clip=clip)


@pytest.fixture
def finished_run(imported_city, kim):
    import datetime as dt

    from missimo.runs import services

    run = services.start_run(dt.date(2026, 9, 15), user=kim)
    return services.execute_run(run.pk)


def test_the_register_list_its_map_and_a_property_page_are_accessible(
    page, login, kim, finished_run, axe_violations
):
    from missimo.properties import services
    from missimo.properties.models import Property

    ranked = finished_run.ranking.order_by("rank").first()
    prop = Property.objects.get(objekt_id=ranked.objekt_id)
    services.update_casework(
        kim,
        prop,
        {
            "problemdruck": "hoch",
            "handlungsmoeglichkeit": "mittel",
            "kategorie_sozial": True,
            "aktenzeichen": "63-1",
        },
        1,
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    login(kim)
    page.get_by_role("link", name="Immobilienkataster").click()
    page.get_by_role("heading", name="Immobilienkataster").wait_for()
    page.locator("#objekte-karte[data-loaded]").wait_for(state="attached")
    assert int(page.locator("#objekte-karte").get_attribute("data-loaded")) > 0
    page.locator("#objekte-karte .leaflet-marker-icon").first.wait_for()
    assert axe_violations(page) == []
    _screenshot(page, "immobilienkataster-liste.png", full_page=True, height=1700)

    page.get_by_label("Ampel").select_option("rot")
    page.get_by_label("Sortierung").select_option("rang")
    page.get_by_role("button", name="Anzeigen").click()
    assert "Sie sehen 1 Objekte" in page.locator("main").inner_text()
    page.locator("#objekte-karte[data-loaded='1']").wait_for(state="attached")
    page.get_by_role("link", name=prop.address).first.click()
    page.get_by_role("heading", name=prop.address).wait_for()
    page.locator("#objekt-karte .ampel-marker--rot").wait_for()
    main = page.locator("main").inner_text()
    assert "Gemeldete Personen mit Hauptwohnsitz" in main and "Prüfhinweise" in main
    assert axe_violations(page) == []
    _screenshot(page, "immobilienkataster-objekt.png", full_page=True)

    page.get_by_role("link", name="Fallbearbeitung ändern").click()
    page.get_by_label("Aktenzeichen").fill("63-1/2026")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Die Fallbearbeitung wurde gespeichert.").wait_for()
    assert "63-1/2026" in page.locator("main").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_the_map_says_so_when_its_background_cannot_be_loaded(
    page, login, kim, imported_city, settings, axe_violations
):
    from missimo.properties.models import Property

    settings.MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # nothing listens there
    settings.MAP_TILE_ATTRIBUTION = "Kartendienst der Stadt"
    prop = Property.objects.exclude(lat=None).first()
    login(kim)
    page.goto(f"{page.base_url}/objekte/{prop.pk}/")
    message = page.locator("#objekt-karte-offline")
    message.wait_for(state="visible", timeout=15000)
    assert "Die Hintergrundkarte kann nicht geladen werden" in message.inner_text()
    assert "Kartendienst der Stadt" in page.locator("#objekt-karte").inner_text()
    main = page.locator("main").inner_text()
    assert prop.address in main and "° N" in main and "UTM" not in main
    assert axe_violations(page) == []
