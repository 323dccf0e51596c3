"""The pages of Schulbescheinigungen in a real browser, checked for WCAG 2.1 AA with axe."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.fixture
def school(make_user):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.policy import Role
    from missimo.certificates import services
    from tests.app.test_certificates import PUPILS, SCHOOL, deliver_schools

    Agency.objects.create(name="Gesamtschule Nord", kind=AgencyKind.SCHULE, schulnummer=SCHOOL)
    user = make_user("sabine", Role.SCHULE, "Gesamtschule Nord", AgencyKind.SCHULE)
    deliver_schools(PUPILS)
    services.create_key(SCHOOL)
    return user


def test_a_school_issues_a_certificate_on_accessible_pages(page, login, school, axe_violations):
    login(school)
    page.get_by_role("link", name="Schulbescheinigungen").click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Bescheinigung ausstellen").click()
    page.get_by_label("Name oder Schüler-ID").fill("Popescu")
    page.get_by_role("button", name="Suchen").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ausstellen für Andrei Popescu").click()
    page.get_by_text("nicht mehr Schülerin oder Schüler Ihrer Schule").wait_for()
    assert axe_violations(page) == []
    page.get_by_label("Name oder Schüler-ID").fill("Elif")
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("button", name="Ausstellen für Elif Yılmaz").click()
    page.get_by_text("Die Schulbescheinigung wurde ausgestellt.").wait_for()
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF herunterladen").click()
    assert download.value.suggested_filename.startswith("schulbescheinigung-")
    page.get_by_role("link", name="Zurück zu den Schulbescheinigungen").click()
    page.get_by_role("link", name="Daten selbst eingeben").click()
    page.get_by_role("button", name="Bescheinigung ausstellen").click()
    # the error at the field, and above the form a summary that links to it
    page.locator("#id_geburtsdatum-error").get_by_text("Bitte geben Sie das Geburtsdatum an.").wait_for()
    page.get_by_role("link", name="Geburtsdatum: Bitte geben Sie das Geburtsdatum an.").wait_for()
    assert axe_violations(page) == []


def test_the_familienkasse_verifies_an_uploaded_pdf_on_an_accessible_page(
    page, login, school, fabian, tmp_path, axe_violations
):
    from missimo.certificates import services
    from missimo.certificates.pdf import render_pdf

    certificate = services.issue_from_snapshot(school, "S-1")
    pdf = tmp_path / "bescheinigung.pdf"
    pdf.write_bytes(render_pdf(certificate))
    login(fabian)
    page.get_by_role("link", name="Schulbescheinigung prüfen").click()
    assert axe_violations(page) == []
    page.get_by_label("Schulbescheinigung (PDF, Scan oder Foto)").set_input_files(str(pdf))
    page.get_by_role("button", name="Prüfen").click()
    page.get_by_text("Die Schulbescheinigung ist gültig.").wait_for()
    assert "Yılmaz" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_label("oder: Inhalt des QR-Codes").fill(certificate.token[:-3] + "AAA")
    page.get_by_role("button", name="Prüfen").click()
    page.get_by_text("Ungültig").wait_for()
    assert axe_violations(page) == []


def test_the_key_page_of_the_administration_is_accessible(page, login, make_user, axe_violations):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    alex = make_user("alex", Role.ADMINISTRATION, "IT", AgencyKind.IT)
    login(alex)
    page.get_by_role("link", name="Bescheinigungsschlüssel").click()
    page.get_by_label("Schulnummer").fill("123456")
    page.get_by_role("button", name="Schlüssel anlegen").click()
    page.get_by_text("SB-123456-1").first.wait_for()
    assert axe_violations(page) == []


def test_a_scanned_paper_certificate_is_verified_and_the_camera_is_offered(
    page, login, school, fabian, tmp_path, axe_violations
):
    from missimo.certificates import services
    from tests.app.test_certificates import _paper

    certificate = services.issue_from_snapshot(school, "S-1")
    scan = tmp_path / "scan.png"
    _paper(certificate).save(scan)
    login(fabian)
    page.get_by_role("link", name="Schulbescheinigung prüfen").click()
    page.get_by_role("button", name="QR-Code mit der Kamera scannen").wait_for()  # shown by the script
    assert axe_violations(page) == []
    page.get_by_label("Schulbescheinigung (PDF, Scan oder Foto)").set_input_files(str(scan))
    page.get_by_role("button", name="Prüfen").click()
    page.get_by_text("Die Schulbescheinigung ist gültig.").wait_for()
    assert "Yılmaz" in page.locator("main").inner_text()
    assert axe_violations(page) == []
