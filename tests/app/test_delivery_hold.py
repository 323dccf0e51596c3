"""A bad delivery never silently replaces good data: a delivery with far fewer rows or missing
columns is held ("zurückgehalten"), confirmed or discarded by a person of the owning agency (or
the coordination office); the previous delivery can be put back; the CLI exits 3 unless --force."""

from __future__ import annotations

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
