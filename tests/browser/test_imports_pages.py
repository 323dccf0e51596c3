import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


def test_a_delivery_with_rejected_rows_is_uploaded_and_explained_in_the_browser(
    page, login, kim, small_city, tmp_path, axe_violations
):
    lines = (small_city / "kindergeld.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[1].replace(lines[1].split(";")[0], "KAPUTT", 1)
    upload = tmp_path / "kindergeld_lieferung.csv"
    upload.write_text("\n".join([lines[0], *lines[2:6], bad]) + "\n", encoding="utf-8")

    login(kim)
    page.get_by_role("link", name="Datenlieferungen").click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Neue Lieferung Kindergeld (Familienkasse)").click()
    assert axe_violations(page) == []
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(upload))
    page.get_by_role("button", name="Datei hochladen und prüfen").click()
    page.get_by_text("4 Zeilen übernommen, 1 abgelehnt.").wait_for()
    assert "KAPUTT" in page.locator("table").inner_text()
    assert page.get_by_role("link", name="Abgelehnte Zeilen als CSV herunterladen").is_visible()
    assert axe_violations(page) == []


def test_the_column_mapping_page_is_accessible(page, login, kim, small_city, tmp_path, axe_violations):
    variant = (
        (small_city / "objekte.csv").read_text(encoding="utf-8").replace("Objekt_ID;", "Gebaeude-Nr;", 1)
    )
    upload = tmp_path / "objekte_variante.csv"
    upload.write_text(variant, encoding="utf-8")
    login(kim)
    page.goto(page.base_url + "/lieferungen/neu/objekte/")
    page.get_by_label("Datei (CSV oder XLSX)").set_input_files(str(upload))
    page.get_by_role("button", name="Datei hochladen und prüfen").click()
    page.get_by_role("link", name="Spalten zuordnen").click()
    page.get_by_label("Spalte „Gebaeude-Nr“").select_option("Objekt_ID")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Zuordnung speichern und Datei einlesen").click()
    page.get_by_text("Zeilen übernommen").first.wait_for()
