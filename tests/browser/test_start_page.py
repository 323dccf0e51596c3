import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


def test_a_case_worker_logs_in_and_sees_the_start_page(page, login, kim):
    login(kim)
    assert page.get_by_role("heading", level=1).inner_text() == "Guten Tag, Kim Koordinatorin"
    assert page.get_by_role("navigation", name="Hauptnavigation").is_visible()
    assert "Koordinierungsstelle (Ordnungsamt)" in page.locator("main").inner_text()


def test_the_skip_link_moves_the_keyboard_focus_to_the_content(page, login, kim):
    login(kim)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhalt"


def test_a_wrong_password_is_announced_in_german(page, kim):
    page.goto(page.base_url + "/anmelden/")
    page.get_by_label("Benutzername").fill("kim")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    assert "Benutzername oder Passwort ist nicht korrekt." in page.get_by_role("alert").inner_text()


@pytest.mark.parametrize("path", ["/anmelden/", "/barrierefreiheit/"])
def test_public_pages_have_no_wcag_21_aa_violations(page, axe_violations, path):
    page.goto(page.base_url + path)
    assert axe_violations(page) == []


def test_the_start_page_has_no_wcag_21_aa_violations(page, login, kim, axe_violations):
    login(kim)
    assert axe_violations(page) == []


def test_the_login_error_state_has_no_wcag_21_aa_violations(page, kim, axe_violations):
    page.goto(page.base_url + "/anmelden/")
    page.get_by_label("Benutzername").fill("kim")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    assert axe_violations(page) == []
