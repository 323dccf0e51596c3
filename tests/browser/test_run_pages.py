import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.fixture
def finished_run(imported_city, kim):
    import datetime as dt

    from missimo.runs import services

    run = services.start_run(dt.date(2026, 9, 15), user=kim)
    return services.execute_run(run.pk)


def test_a_case_worker_reviews_hints_and_opens_why_linked(page, login, kim, finished_run, axe_violations):
    login(kim)
    page.get_by_role("link", name="Hinweise", exact=True).click()
    assert "Hinweis, kein Nachweis." in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Warum verknüpft?").first.click()
    page.get_by_role("heading", name="Warum verknüpft?").wait_for()
    assert "Gewichte Merkmal für Merkmal" in page.locator("main").inner_text()
    assert axe_violations(page) == []


def test_the_run_record_and_the_rule_catalogue_are_accessible(page, login, kim, finished_run, axe_violations):
    login(kim)
    page.goto(f"{page.base_url}/abgleich/{finished_run.pk}/")
    assert "Ergebnis je Regel" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.goto(f"{page.base_url}/abgleich/")
    assert axe_violations(page) == []
    page.goto(f"{page.base_url}/regeln/")
    assert axe_violations(page) == []
