"""Monthly operation in a real browser (issue #16): a review survives the second Abgleich and the
hint is marked "unverändert"; a held delivery is confirmed and then the previous one put back in
force; the start page's to-do list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.fixture
def finished_run(imported_city, kim):
    from missimo.runs import services

    run = services.start_run(dt.date(2026, 9, 15), user=kim)
    return services.execute_run(run.pk)


def test_a_review_survives_the_second_abgleich_and_the_hint_is_marked_unchanged(
    page, login, kim, finished_run, axe_violations
):
    from missimo.runs import services
    from missimo.runs.models import Run, RunStatus

    login(kim)
    page.goto(page.base_url + "/aktionen/pruefliste/")
    card = page.locator("li.hint-card").first
    card_id = card.get_attribute("id")
    card.get_by_role("button", name="Zur Kontrolle vorschlagen").click()
    page.wait_for_load_state()
    reviewed = page.locator(f"#{card_id}")
    assert "zur Kontrolle vorgeschlagen" in reviewed.inner_text()

    page.goto(page.base_url + "/abgleich/")
    page.get_by_label("Stichtag").fill("2026-09-15")
    # The tests' task backend runs the Abgleich inside the request: the page answers when it is done.
    with page.expect_navigation(timeout=600_000):
        page.get_by_role("button", name="Abgleich starten").click(timeout=600_000)
    second = Run.objects.exclude(pk=finished_run.pk).get()
    if second.status != RunStatus.FINISHED:  # the worker's task, run here when the server did not
        second = services.execute_run(second.pk)
    assert second.status == RunStatus.FINISHED

    page.goto(page.base_url + "/aktionen/pruefliste/?status=bestaetigt")
    again = page.locator(f"#{card_id}")
    text = again.inner_text()
    assert "zur Kontrolle vorgeschlagen" in text and "unverändert" in text
    assert f"seit Abgleich Nr. {finished_run.pk}" in text
    assert axe_violations(page) == []


def _upload(page, path, source="kindergeld"):
    page.goto(f"{page.base_url}/lieferungen/neu/{source}/")
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(path))
    page.get_by_role("button", name="Datei hochladen und prüfen").click()


def test_a_held_delivery_is_confirmed_and_then_the_previous_one_put_back(
    page, login, fabian, small_city, tmp_path, axe_violations
):
    from missimo.imports.models import Import, ImportStatus, SourceSnapshot

    lines = (small_city / "kindergeld.csv").read_text(encoding="utf-8").splitlines()
    full, small = tmp_path / "kindergeld_voll.csv", tmp_path / "kindergeld_klein.csv"
    full.write_text("\n".join(lines) + "\n", encoding="utf-8")
    small.write_text("\n".join(lines[:41]) + "\n", encoding="utf-8")

    login(fabian)
    _upload(page, full)
    page.get_by_text("Zeilen übernommen").first.wait_for()
    first = SourceSnapshot.objects.get(source="kindergeld").source_import

    _upload(page, small)
    page.get_by_role("heading", name="Vergleich mit dem geltenden Datenstand").wait_for()
    held = Import.objects.order_by("-pk").first()
    assert held.status == ImportStatus.HELD
    assert "weniger" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Lieferung bestätigen und übernehmen").click()
    page.wait_for_load_state()
    assert SourceSnapshot.objects.get(source="kindergeld").source_import_id == held.pk

    page.goto(page.base_url + "/lieferungen/")
    page.get_by_role("button", name="Vorherige Lieferung").first.click()
    page.wait_for_load_state()
    assert SourceSnapshot.objects.get(source="kindergeld").source_import_id == first.pk
    assert axe_violations(page) == []


def test_the_start_page_shows_the_own_to_do_list_overdue_first(page, login, fabian, axe_violations):
    from missimo.casework.models import Case, CaseStatus

    today = timezone.localdate()
    Case.objects.create(
        aktenzeichen="MIS-2026-00001",
        status=CaseStatus.IN_PRUEFUNG,
        lead_agency=fabian.agency,
        assigned_to=fabian,
        due_date=today - dt.timedelta(days=3),
    )
    Case.objects.create(
        aktenzeichen="MIS-2026-00002",
        status=CaseStatus.NEU,
        lead_agency=fabian.agency,
        assigned_to=fabian,
        follow_up_date=today + dt.timedelta(days=5),
    )
    login(fabian)
    todo = page.get_by_role("heading", name="Ihre Aufgaben")
    todo.wait_for()
    items = page.locator("main li").all_inner_texts()
    texts = [" ".join(item.split()) for item in items]
    urgent = next(i for i, t in enumerate(texts) if "dringend" in t)
    coming = next(i for i, t in enumerate(texts) if "in den nächsten 14 Tagen" in t)
    assert urgent < coming
    assert any("offene Prüffälle, die Ihnen zugewiesen sind" in t for t in texts)
    assert axe_violations(page) == []
    page.get_by_role("link", name="überfällig", exact=False).first.click()
    page.wait_for_load_state()
    assert "MIS-2026-00001" in page.locator("main").inner_text()
