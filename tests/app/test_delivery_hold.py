"""A bad delivery never silently replaces good data: a delivery with far fewer rows or missing
columns is held ("zurückgehalten"), confirmed or discarded by a person of the owning agency (or
the coordination office); the previous delivery can be put back; the CLI exits 3 unless --force."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from missimo.audit.models import AuditEvent
from missimo.imports import services
from missimo.imports.models import Import, ImportStatus, SourceSnapshot
from tests.app.test_imports_cli import _current_snapshot_import, _missimo, _status

pytestmark = pytest.mark.django_db(databases="__all__")


def _lines(city, source="kindergeld") -> list[str]:
    return (city / f"{source}.csv").read_text(encoding="utf-8").splitlines()


def _upload(client, content: bytes, capture, name="kindergeld.csv") -> Import:
    with capture(execute=True):
        response = client.post("/lieferungen/neu/kindergeld/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.text
    return Import.objects.order_by("-pk").first()


@pytest.fixture
def in_force(client, fabian, small_city, django_capture_on_commit_callbacks):
    """The Familienkasse's full Kindergeld delivery in force."""
    client.force_login(fabian)
    full = _upload(client, (small_city / "kindergeld.csv").read_bytes(), django_capture_on_commit_callbacks)
    assert full.status == ImportStatus.TAKEN
    return full


def _shrunk(city, rows=40) -> bytes:
    return ("\n".join(_lines(city)[: rows + 1]) + "\n").encode()


def test_a_much_smaller_delivery_is_held_and_the_one_in_force_stays(
    client, fabian, small_city, in_force, django_capture_on_commit_callbacks
):
    small = _upload(client, _shrunk(small_city), django_capture_on_commit_callbacks)
    assert small.status == ImportStatus.HELD
    assert SourceSnapshot.objects.get(source="kindergeld").source_import == in_force
    assert "Zurückgehalten" in small.message and "40 verwendbare Zeilen" in small.message
    assert small.comparison["rows_before"] == in_force.accepted_count and small.comparison["rows_after"] == 40
    assert small.comparison["removed"] == in_force.accepted_count - 40 and small.comparison["added"] == 0
    page = client.get(f"/lieferungen/{small.pk}/").text
    assert "zurückgehalten (zu prüfen)" in page and "Vergleich mit dem geltenden Datenstand" in page
    assert "Lieferung bestätigen und übernehmen" in page
    assert "Zurückgehaltene Lieferungen" in client.get("/lieferungen/").text


def test_a_delivery_missing_a_column_the_one_in_force_had_is_held(
    client, small_city, in_force, django_capture_on_commit_callbacks
):
    lines = _lines(small_city)
    header = lines[0].split(";")
    column = header.index("Zahlung_bis")  # optional in the contract: the reader takes the file without it
    content = "\n".join(";".join(c for i, c in enumerate(line.split(";")) if i != column) for line in lines)
    delivery = _upload(client, content.encode(), django_capture_on_commit_callbacks)
    assert delivery.status == ImportStatus.HELD
    assert delivery.held_reasons == [
        "Diese Spalten fehlen, die die geltende Lieferung noch enthielt: Zahlung_bis."
    ]
    assert SourceSnapshot.objects.get(source="kindergeld").source_import == in_force


def test_a_held_delivery_confirmed_goes_into_force_and_the_previous_one_can_be_put_back(
    client, fabian, small_city, in_force, django_capture_on_commit_callbacks
):
    small = _upload(client, _shrunk(small_city), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lieferungen/{small.pk}/bestaetigen/")
    small.refresh_from_db()
    assert small.status == ImportStatus.TAKEN and small.decided_by == fabian
    assert SourceSnapshot.objects.get(source="kindergeld").row_count == 40
    page = client.get("/lieferungen/").text
    assert "Vorherige Lieferung wiederherstellen" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/lieferungen/wiederherstellen/kindergeld/", follow=True)
    snapshot = SourceSnapshot.objects.get(source="kindergeld")
    assert snapshot.source_import == in_force and snapshot.row_count == in_force.accepted_count
    assert f"Die Lieferung Nr. {in_force.pk}" in response.text
    small.refresh_from_db()
    assert small.status == ImportStatus.DISCARDED
    purposes = set(AuditEvent.objects.values_list("purpose", flat=True))
    assert {
        "Zurückgehaltene Lieferung bestätigt und in Kraft gesetzt",
        "Vorherige Lieferung wiederhergestellt",
    } <= purposes


def test_a_held_delivery_discarded_leaves_the_data_in_force(
    client, small_city, in_force, django_capture_on_commit_callbacks
):
    small = _upload(client, _shrunk(small_city), django_capture_on_commit_callbacks)
    client.post(f"/lieferungen/{small.pk}/verwerfen/")
    small.refresh_from_db()
    assert small.status == ImportStatus.DISCARDED and small.snapshot_file == ""
    assert SourceSnapshot.objects.get(source="kindergeld").source_import == in_force
    response = client.post(f"/lieferungen/{small.pk}/bestaetigen/", follow=True)
    assert "ist nicht zurückgehalten" in response.text


def test_another_agency_can_neither_see_nor_confirm_a_held_delivery(
    client, make_user, small_city, in_force, django_capture_on_commit_callbacks
):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    small = _upload(client, _shrunk(small_city), django_capture_on_commit_callbacks)
    jana = make_user("jana", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    client.force_login(jana)
    assert client.post(f"/lieferungen/{small.pk}/bestaetigen/").status_code == 404
    with pytest.raises(services.DeliveryRefused):
        services.confirm_held(jana, small)
    assert Import.objects.get(pk=small.pk).status == ImportStatus.HELD


def test_without_an_earlier_delivery_nothing_can_be_put_back(client, fabian, in_force):
    response = client.post("/lieferungen/wiederherstellen/kindergeld/", follow=True)
    assert "keine frühere Lieferung" in response.text
    assert SourceSnapshot.objects.get(source="kindergeld").source_import == in_force


def test_the_cli_holds_a_much_smaller_delivery_with_exit_code_3_and_takes_it_with_force(small_city, tmp_path):
    data = tmp_path / "data"
    assert _missimo("import", "kindergeld", small_city / "kindergeld.csv", data_dir=data).returncode == 0
    first = _current_snapshot_import(data, "kindergeld")
    (tmp_path / "kg_klein.csv").write_bytes(_shrunk(small_city))
    held = _missimo("import", "kindergeld", tmp_path / "kg_klein.csv", data_dir=data)
    assert held.returncode == 3, held.stderr
    assert "Zurückgehalten" in held.stderr and "--force" in held.stderr
    assert _current_snapshot_import(data, "kindergeld") == first
    forced = _missimo("import", "kindergeld", tmp_path / "kg_klein.csv", "--force", data_dir=data)
    assert forced.returncode == 0, forced.stderr
    taken = _current_snapshot_import(data, "kindergeld")
    assert taken != first and _status(data, taken) == "taken"
    assert "trotz Auffälligkeiten ausdrücklich übernommen" in forced.stdout


# --- the Schulen: an older Stand, a school missing that delivered last time -------------------


def _school_lines(city, *, stand: str | None = None, without_school: str | None = None) -> bytes:
    header, *rows = _lines(city, "schule")
    if without_school:
        rows = [row for row in rows if not row.startswith(without_school + ";")]
    if stand:
        rows = [row.rpartition(";")[0] + ";" + stand for row in rows]
    return ("\n".join([header, *rows]) + "\n").encode()


def _upload_school(client, content: bytes, capture) -> Import:
    with capture(execute=True):
        response = client.post(
            "/lieferungen/neu/schule/", {"file": SimpleUploadedFile("schule.csv", content)}
        )
    assert response.status_code == 302, response.text
    return Import.objects.order_by("-pk").first()


@pytest.fixture
def schools_in_force(client, kim, small_city, django_capture_on_commit_callbacks):
    client.force_login(kim)
    full = _upload_school(client, _school_lines(small_city), django_capture_on_commit_callbacks)
    assert full.status == ImportStatus.TAKEN
    return full


def test_a_school_delivery_with_an_older_stand_is_held_and_the_comparison_shows_both_dates(
    client, small_city, schools_in_force, django_capture_on_commit_callbacks
):
    older = _upload_school(
        client, _school_lines(small_city, stand="01.06.2026"), django_capture_on_commit_callbacks
    )
    assert older.status == ImportStatus.HELD
    assert any("älter als der Stand der geltenden Lieferung" in reason for reason in older.held_reasons)
    assert SourceSnapshot.objects.get(source="schule").source_import == schools_in_force
    page = client.get(f"/lieferungen/{older.pk}/").text
    before = dt.date.fromisoformat(older.comparison["as_of_before"])
    assert f"bisher {before:%d.%m.%Y}, neu 01.06.2026" in page


def test_a_school_delivery_without_a_school_that_delivered_last_time_is_held_naming_it(
    client, small_city, schools_in_force, django_capture_on_commit_callbacks
):
    without = _upload_school(
        client, _school_lines(small_city, without_school="135370"), django_capture_on_commit_callbacks
    )
    assert without.status == ImportStatus.HELD
    (reason,) = without.held_reasons  # about 10 % fewer rows: only the missing school holds it
    assert reason.startswith("1 Schule fehlt") and "(135370)" in reason
    assert without.comparison["units_missing"][0][0] == "135370"
    assert "Schulen ohne Lieferung" in client.get(f"/lieferungen/{without.pk}/").text
    assert SourceSnapshot.objects.get(source="schule").source_import == schools_in_force


def test_a_school_delivery_with_a_newer_stand_and_every_school_goes_into_force(
    client, small_city, schools_in_force, django_capture_on_commit_callbacks
):
    newer = _upload_school(
        client, _school_lines(small_city, stand="15.10.2026"), django_capture_on_commit_callbacks
    )
    assert newer.status == ImportStatus.TAKEN, newer.held_reasons


def test_the_cli_refuses_a_school_delivery_with_an_older_stand_in_german_and_takes_it_with_force(
    small_city, tmp_path
):
    data = tmp_path / "data"
    assert _missimo("import", "schule", small_city / "schule.csv", data_dir=data).returncode == 0
    first = _current_snapshot_import(data, "schule")
    (tmp_path / "alt.csv").write_bytes(_school_lines(small_city, stand="01.06.2026"))
    held = _missimo("import", "schule", tmp_path / "alt.csv", data_dir=data)
    assert held.returncode == 3, held.stderr
    assert "älter als der Stand der geltenden Lieferung" in held.stderr and "--force" in held.stderr
    assert _current_snapshot_import(data, "schule") == first
    forced = _missimo("import", "schule", tmp_path / "alt.csv", "--force", data_dir=data)
    assert forced.returncode == 0, forced.stderr
    assert _current_snapshot_import(data, "schule") != first
