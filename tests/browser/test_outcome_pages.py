"""Outcomes and letters in a real browser: fabian records an outcome and a stopped Kindergeld; kim
drafts a letter from the case page, kai (a second person of the coordination office) releases it and
downloads the PDF. Every page without WCAG 2.1 AA violations."""

import datetime as dt
import os
from decimal import Decimal
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
def case_with_hints():
    from importlib import import_module

    from django.apps import apps
    from django.utils import timezone

    from missimo.casework.models import Case
    from missimo.engine.rules import hint_id
    from missimo.properties.models import Property
    from missimo.runs.models import Hint, Run, RunStatus

    # Transactional tests flush the database: seed the default letter templates again.
    import_module("missimo.outcomes.migrations.0002_default_letter_templates").create_templates(apps, None)
    run = Run.objects.create(
        stichtag=dt.date(2026, 9, 15), status=RunStatus.FINISHED, finished_at=timezone.now()
    )
    common = {"run": run, "rule_version": 1, "evidence": [], "objekt_id": "OBJ-7"}
    address = "Bergstraße 7, 45127 Musterstadt"
    kindergeld = Hint.objects.create(
        **common,
        hint_id=hint_id("KG_OHNE_SCHULE", "KG-4711"),
        rule="KG_OHNE_SCHULE",
        agency_kind="familienkasse",
        primary_ref="KG-4711",
        address=address,
        amount_monthly=Decimal("255.00"),
        facts={"kind_geburtsdatum": "2015-03-20"},
        explanation="Für das schulpflichtige Kind wird Kindergeld gezahlt, eine Schulanmeldung fehlt.",
    )
    crowded = Hint.objects.create(
        **common,
        hint_id=hint_id("UEBERBELEGUNG", "OBJ-7"),
        rule="UEBERBELEGUNG",
        agency_kind="bauaufsicht",
        primary_ref="OBJ-7",
        address=address,
        explanation="Weniger als 10 m² Wohnfläche je gemeldeter Person.",
    )
    prop = Property.objects.create(
        objekt_id="OBJ-7", strasse="Bergstraße", hausnummer="7", plz="45127", ort="Musterstadt"
    )
    case = Case.objects.create(aktenzeichen="MIS-2026-00007", property=prop, title="Bergstraße 7")
    case.hints.add(kindergeld, crowded)
    return case, kindergeld


def _logout(page):
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_load_state()


def test_fabian_records_an_outcome_with_a_stopped_kindergeld(
    page, login, fabian, case_with_hints, axe_violations
):
    _, hint = case_with_hints
    login(fabian)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Ergebnisse").click()
    page.get_by_role("heading", name="Ergebnisse", exact=True).wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name=hint.hint_id).click()
    page.get_by_role("heading", name=f"Ergebnis und Maßnahmen zu Hinweis {hint.hint_id}").wait_for()
    assert axe_violations(page) == []

    page.get_by_label("Ergebnis", exact=True).select_option(label="Missbrauch bestätigt")
    page.get_by_label("festgestellt am").fill("2026-10-14")
    page.get_by_role("button", name="Ergebnis speichern").click()
    page.get_by_text("Das Ergebnis wurde gespeichert.").wait_for()

    page.get_by_label("Maßnahme", exact=True).select_option(label="Kindergeld eingestellt")
    page.get_by_label("Datum der Maßnahme").fill("2026-10-15")
    assert page.get_by_label("eingestellter Betrag (€/Monat)").input_value() == "255,00"
    page.get_by_role("button", name="Maßnahme erfassen").click()
    page.get_by_text("Die Maßnahme wurde erfasst.").wait_for()
    table = page.get_by_role("table", name="Maßnahmen zu diesem Hinweis").inner_text()
    assert "Kindergeld eingestellt" in table and "19.635,00 (77 Monate)" in table
    assert "Missbrauch bestätigt" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    _screenshot(page, "outcome-hinweis.png")

    page.goto(page.base_url + "/ergebnisse/")
    row = page.get_by_role("row").filter(has_text=hint.hint_id).inner_text()
    assert "Missbrauch bestätigt" in row and "255,00" in row and "19.635,00" in row
    _screenshot(page, "outcome-liste.png")


def test_kim_drafts_a_letter_kai_releases_it_and_downloads_the_pdf(
    page, login, kim, fabian, make_user, case_with_hints, axe_violations
):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    case, hint = case_with_hints
    kai = make_user(
        "kai", Role.KOORDINIERUNG, "Ordnungsamt", AgencyKind.ORDNUNGSAMT, first_name="Kai", last_name="Zweit"
    )

    login(kim)
    page.goto(page.base_url + f"/aktionen/faelle/{case.pk}/")
    page.get_by_role("heading", name="Ergebnisse und Maßnahmen").wait_for()
    assert axe_violations(page) == []
    _screenshot(page, "outcome-prueffall.png")
    page.get_by_role("link", name="Schreiben entwerfen").click()
    page.get_by_label("Empfängerin").select_option(label="Familienkasse")
    page.get_by_label("Vorlage").select_option(label="Mitteilung an die Familienkasse")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Entwurf anlegen").click()
    page.get_by_text("Der Entwurf wurde angelegt.").wait_for()
    body = page.get_by_label("Text").input_value()
    assert hint.hint_id in body and "Überbelegung" not in body  # only what the Familienkasse may see
    assert axe_violations(page) == []
    page.get_by_role("button", name="Speichern").click()
    page.get_by_role("button", name="Zur Freigabe geben").click()
    page.get_by_text("Das Schreiben liegt jetzt zur Freigabe vor.").wait_for()
    assert page.get_by_role("button", name="Freigeben").count() == 0  # the author cannot release
    assert "Vier-Augen-Prinzip" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    _logout(page)

    login(kai)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Schreiben").click()
    page.get_by_role("link", name="Mitteilung zum Prüffall MIS-2026-00007").click()
    assert axe_violations(page) == []
    _screenshot(page, "outcome-schreiben-freigabe.png")
    page.get_by_role("button", name="Freigeben").click()
    page.get_by_text("Das Schreiben ist freigegeben.").wait_for()
    with page.expect_download(timeout=90000) as download_info:  # WeasyPrint's first PDF loads its fonts
        page.get_by_role("link", name="PDF herunterladen").click(no_wait_after=True)
    download = download_info.value
    assert download.suggested_filename.startswith("schreiben-MIS-2026-00007")
    with open(download.path(), "rb") as stream:
        assert stream.read(5) == b"%PDF-"
    assert axe_violations(page) == []
    _screenshot(page, "outcome-schreiben-freigegeben.png")
