"""Real browser: the log-in with second factor, and the pages of the data-protection officer,
keyboard- and screen-reader-usable (axe: no WCAG 2.1 AA violations)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


def _code(device) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def two_factor(settings):
    settings.MISSIMO_REQUIRE_2FA = True


def test_a_case_worker_logs_in_with_password_and_app_code(page, login, kim, two_factor, axe_violations):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    login(kim)
    page.get_by_role("heading", name="Anmeldung bestätigen").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Code aus der Authenticator-App").fill(_code(device))
    page.get_by_role("button", name="Bestätigen").click()
    page.wait_for_load_state()
    assert "Kim Koordinatorin" in page.locator("header").inner_text()
    assert "/anmelden/" not in page.url


def test_the_first_login_of_a_case_worker_enrols_the_app_by_qr_code(
    page, login, kim, two_factor, axe_violations
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    login(kim)
    page.get_by_role("heading", name="Zweiten Faktor einrichten").wait_for()
    assert page.locator("svg").count() >= 1
    assert axe_violations(page) == []
    device = TOTPDevice.objects.get(user=kim)
    page.get_by_label("Code aus der Authenticator-App").fill(_code(device))
    page.get_by_role("button", name="Einrichtung abschließen").click()
    page.get_by_role("heading", name="Wiederherstellungscodes").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    assert axe_violations(page) == []
    page.get_by_role("link", name="Weiter").click()
    page.wait_for_load_state()
    assert "/anmelden/" not in page.url
    device.refresh_from_db()
    assert device.confirmed


def test_the_login_page_with_the_lockout_message_is_accessible(page, kim, settings, axe_violations):
    settings.AXES_FAILURE_LIMIT = 2
    page.goto(page.base_url + "/anmelden/")
    for _ in range(2):
        page.get_by_label("Benutzername").fill("kim")
        page.get_by_label("Passwort").fill("falsch")
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_load_state()
    assert "vorübergehend gesperrt" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_the_data_protection_officer_searches_exports_and_verifies_the_audit_log(
    page, login, dana, kim, axe_violations
):
    from missimo.audit.models import AuditAction
    from missimo.audit.services import record

    record(kim, AuditAction.READ, object_type="hint", object_id="H-1", purpose="Fallprüfung")
    login(dana)
    page.get_by_role("link", name="Protokoll", exact=True).click()
    page.get_by_role("heading", name="Protokoll der Zugriffe").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Benutzername").fill("kim")
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_load_state()
    assert "Fallprüfung" in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Diese Einträge als CSV exportieren").click()
    assert download.value.suggested_filename.startswith("protokoll_")
    page.get_by_role("button", name="Hash-Kette jetzt prüfen").click()
    page.wait_for_load_state()
    assert "Hash-Kette intakt." in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_the_fairness_report_and_the_art15_page_are_accessible(
    page, login, dana, imported_city, kim, axe_violations
):
    import datetime as dt

    from missimo.runs import services

    run = services.start_run(dt.date(2026, 9, 15), user=kim)
    services.execute_run(run.pk)
    login(dana)
    page.get_by_role("link", name="Fairnessbericht").click()
    page.get_by_role("heading", name="Fairnessbericht").wait_for()
    text = page.locator("main").inner_text()
    assert "Rumänien" in text
    # No hint has been decided yet: the report says when the rates will appear (no placeholder).
    assert "Die Quoten erscheinen, sobald Hinweise entschieden sind." in text
    assert axe_violations(page) == []
    page.get_by_role("link", name="Auskunft Art. 15").click()
    page.get_by_label("Zweck und Aktenzeichen").fill("Auskunftsersuchen Az. DS-7")
    page.get_by_label("Ordnungsmerkmal (Melderegister)").fill("GIBT-ES-NICHT")
    page.get_by_role("button", name="Auskunft anzeigen").click()
    page.wait_for_load_state()
    assert "keine Datensätze gespeichert" in page.locator("main").inner_text()
    assert axe_violations(page) == []
