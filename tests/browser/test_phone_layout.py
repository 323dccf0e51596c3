"""Field work on a phone (390 x 844) and a tablet (768 x 1024), and lists on a desktop (1366 px), in a
real browser: a skip link and a collapsed navigation so that the first screen is content, buttons that
hold their labels, a writing-sized "Bemerkungen" box, date and time pickers, a date in the past refused
with an error summary whose links lead to the fields; sortable lists whose tables fit the screen."""

import os
from pathlib import Path

import pytest

from tests.app import test_inspections
from tests.app.test_casework import build_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1366, "height": 900}

# The inspection tests' world: a property with a case of a campaign (fixtures reused by name).
world, paul, bea = test_inspections.world, test_inspections.paul, test_inspections.bea


def _screenshot(page, name: str) -> None:
    """Refresh the handbook's screenshots with MISSIMO_SCREENSHOTS=1 (kept out of ordinary runs)."""
    if os.environ.get("MISSIMO_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, "nicht sichtbar"
    return box


def _first_screen_is_content(page, size) -> None:
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Zum Inhalt springen"
    assert skip.is_visible()
    menu = page.get_by_role("button", name="Menü")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not page.locator("#hauptmenue").is_visible()
    heading = page.locator("main h1")
    # header, the "Menü" button and the page's heading fit the upper 60 % of the first screen
    assert _box(heading)["y"] + _box(heading)["height"] < size["height"] * 0.6, "Überschrift nicht oben"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size["width"], f"Seite breiter als der Bildschirm: {width}"


def _opens_the_menu(page) -> None:
    menu = page.get_by_role("button", name="Menü")
    menu.focus()
    page.keyboard.press("Enter")  # the disclosure works from the keyboard
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.locator("#hauptmenue").get_by_role("link", name="Kontrollen").is_visible()
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["telefon", "tablet"])
def test_an_inspection_on_a_phone_and_a_tablet_starts_with_content_and_its_controls_fit(
    browser, live_server, kim, world, size, axe_violations
):
    from tests.conftest import PASSWORD

    inspection = test_inspections._plan(kim, world)
    visit = inspection.visits.get()
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", viewport=size)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live_server.url + "/")
        page.get_by_label("Benutzername").fill("kim")
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/kontrollen/{inspection.pk}/")
        _first_screen_is_content(page, size)
        assert axe_violations(page) == []
        _opens_the_menu(page)
        _screenshot(page, f"kontrolle-{size['width']}.png")

        button = page.get_by_role("link", name="Protokoll öffnen")
        box, label = _box(button), _box(button.locator(".kern-label"))
        assert box["width"] >= 44 and box["height"] >= 44
        assert label["x"] >= box["x"] - 0.5 and label["x"] + label["width"] <= box["x"] + box["width"] + 0.5
        assert label["y"] + label["height"] <= box["y"] + box["height"] + 0.5, "Beschriftung ragt heraus"

        page.goto(f"{live_server.url}/kontrollen/objekt/{visit.pk}/protokoll/")
        notes = page.get_by_label("Bemerkungen", exact=False).first
        assert _box(notes)["height"] >= 100, "Bemerkungen zu niedrig zum Schreiben"
        assert axe_violations(page) == []
        _screenshot(page, f"protokoll-{size['width']}.png")

        page.goto(f"{live_server.url}/kontrollen/planen/?campaign={world['campaign'].pk}")
        date = page.get_by_label("Datum", exact=True)
        assert (
            date.get_attribute("type") == "date"
            and page.get_by_label("Uhrzeit").get_attribute("type") == "time"
        )
        date.fill("2026-01-05")
        page.get_by_label("Uhrzeit").fill("09:30")
        page.get_by_label("Treffpunkt").fill("Parkplatz")
        page.get_by_label("MIS-2026-0001", exact=False).check()
        page.get_by_label("Ordnungsamt", exact=True).check()
        page.get_by_role("button", name="Kontrolle planen").click()
        summary = page.get_by_role("alert").filter(has_text="Bitte prüfen Sie Ihre Eingaben")
        summary.wait_for()
        assert page.evaluate("document.activeElement.id") == "fehlerliste"
        assert _box(summary)["y"] < size["height"], "Fehlerliste nicht auf dem ersten Bildschirm"
        summary.get_by_role("link", name="liegt in der Vergangenheit", exact=False).click()
        assert page.evaluate("document.activeElement.id") == "id_date"
        assert axe_violations(page) == []
        _screenshot(page, f"kontrolle-planen-fehler-{size['width']}.png")
    finally:
        context.close()


def test_the_lists_sort_by_their_headers_and_the_results_table_fits_a_1366_px_screen(
    page, login, fabian, axe_violations
):
    build_city()
    page.set_viewport_size(DESKTOP)
    login(fabian)
    page.goto(page.base_url + "/hinweise/")
    header = page.get_by_role("columnheader", name="Betrag monatlich", exact=False)
    header.get_by_role("link").click()
    page.wait_for_url("**sortierung=betrag**")
    assert page.get_by_role("columnheader", name="Betrag monatlich", exact=False).get_attribute(
        "aria-sort"
    ) == ("ascending")
    assert axe_violations(page) == []
    page.goto(page.base_url + "/ergebnisse/")
    for name in ("Rückforderung €", "Einsparung bis 18 €"):
        box = _box(page.get_by_role("columnheader", name=name, exact=False))
        assert box["x"] + box["width"] <= DESKTOP["width"], f"{name} liegt außerhalb des Bildschirms"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert axe_violations(page) == []
    _screenshot(page, "ergebnisse-1366.png")
