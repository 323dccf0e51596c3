import os
from pathlib import Path

import pytest

from tests.app.test_reports import world  # noqa: F401 - the ORM-built year of work as a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]
SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"


def _screenshot(page, name: str, height: int = 1800) -> None:
    """Refresh the handbook's screenshots with MISSIMO_SCREENSHOTS=1 (kept out of ordinary runs);
    the top `height` pixels of the page."""
    if os.environ.get("MISSIMO_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        clip = {"x": 0, "y": 0, "width": 1280, "height": height}
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True, clip=clip)


def test_kim_picks_a_period_on_the_dashboard_and_downloads_the_annual_report(
    page,
    login,
    kim,
    world,  # noqa: F811 - the fixture imported above
    axe_violations,
):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    login(kim)
    page.get_by_role("link", name="Übersicht").click()
    page.get_by_role("heading", name="Übersicht", exact=True).wait_for()
    page.get_by_label("Zeitraum von").fill("2026-01-01")
    page.get_by_label("Zeitraum bis").fill("2026-12-31")
    page.get_by_role("button", name="Anzeigen").click()
    page.get_by_text("01.01.2026 bis 31.12.2026").wait_for()
    main = page.locator("main")
    assert main.locator("svg[role='img']").count() >= 8
    assert "Ergebnisse je Behörde" in main.inner_text()
    assert axe_violations(page) == []
    _screenshot(page, "report-uebersicht.png")

    page.get_by_role("link", name="Bericht für diesen Zeitraum erstellen").click()
    page.get_by_role("heading", name="Jahresbericht 2026").wait_for()
    assert axe_violations(page) == []
    with page.expect_download(
        timeout=90_000
    ) as download_info:  # the tagged PDF takes a while on a busy machine
        page.get_by_role("link", name="Bericht als PDF herunterladen").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.get_by_label("Fassung").select_option("oeffentlich")
    page.get_by_role("button", name="Bericht erstellen").click()
    page.get_by_role("heading", name="Jahresbericht 2026 (öffentliche Fassung)").wait_for()
    assert "< 10" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    _screenshot(page, "report-jahresbericht-oeffentlich.png")

    page.get_by_label("Berichtsart").select_option("abschlussbericht")
    page.get_by_role("button", name="Bericht erstellen").click()
    page.locator("#id_aktion-error").get_by_text(
        "Bitte wählen Sie den Aktionszeitraum des Abschlussberichts."
    ).wait_for()
    assert axe_violations(page) == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
