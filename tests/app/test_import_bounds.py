"""Bounded imports (issue #21): a file that would exhaust the worker's memory is refused before it
is read, with a German message, and the rejected-rows file is capped; good rows are never lost."""

import io
import zipfile

import pytest

from missimo.core.datadir import data_path
from missimo.imports import bounds, services
from missimo.imports.models import ImportStatus
from missimo.imports.preview import preview

pytestmark = pytest.mark.django_db(databases="__all__")


def _deliver(kim, source, payload: bytes, name: str):
    delivery = services.store_delivery(source, io.BytesIO(payload), name, user=kim, channel="cli")
    return services.process_delivery(delivery.pk)


def _zip_bomb(unpacked_mb: int = 40) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (unpacked_mb * 1024 * 1024))
    return buffer.getvalue()


def test_a_csv_line_longer_than_the_limit_is_refused_before_reading(tiny_city, kim, settings):
    settings.IMPORT_MAX_LINE_BYTES = 4096
    header = (tiny_city / "melderegister.csv").read_bytes().splitlines()[0]
    delivery = _deliver(kim, "melderegister", header + b"\r\n" + b"A" * 10_000 + b"\r\n", "eine_zeile.csv")
    assert delivery.status == ImportStatus.REFUSED
    assert "Zeile 2 der Datei ist länger als 4.096 Bytes" in delivery.message
    assert not delivery.snapshot_file


def test_a_file_with_only_carriage_returns_is_not_mistaken_for_one_long_line(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a;b\r" + b"1;2\r" * 100_000)
    bounds.check_line_length(path, limit=64)  # no refusal
    path.write_bytes(b"a;b\r\n" * 10 + b"x" * 65 + b"\r\n")
    with pytest.raises(bounds.BoundExceeded, match="Zeile 11 "):
        bounds.check_line_length(path, limit=64)


def test_a_long_line_split_across_read_chunks_is_still_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(bounds, "CHUNK", 16)
    path = tmp_path / "chunks.csv"
    path.write_bytes(b"kopf\n" + b"y" * 40 + b"\n")
    with pytest.raises(bounds.BoundExceeded, match="Zeile 2 "):
        bounds.check_line_length(path, limit=30)
    bounds.check_line_length(path, limit=40)


def test_an_xlsx_zip_bomb_is_refused_without_unpacking_it(kim, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024
    delivery = _deliver(kim, "kindergeld", _zip_bomb(), "kindergeld.xlsx")
    assert delivery.status == ImportStatus.REFUSED
    assert "Die Excel-Datei entpackt sich auf mehr als" in delivery.message
    assert "100-Fache" in delivery.message
    assert not delivery.rejected_file


def test_an_xlsx_larger_than_the_unpacked_limit_is_refused(kim, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    settings.IMPORT_XLSX_MAX_RATIO = 100_000
    delivery = _deliver(kim, "kindergeld", _zip_bomb(2), "kindergeld.xlsx")
    assert delivery.status == ImportStatus.REFUSED and "höchstens 1 MiB" in delivery.message


def test_the_unpacked_size_bound_accepts_a_zip_within_it_and_refuses_one_beyond(tmp_path, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    settings.IMPORT_XLSX_MAX_RATIO = 100_000
    path = tmp_path / "lying.xlsx"
    path.write_bytes(_zip_bomb(2))
    with zipfile.ZipFile(path) as archive:
        assert sum(i.file_size for i in archive.infolist()) > settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 3 * 1024 * 1024
    bounds.check_xlsx(path)  # within the bound: accepted
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 1024 * 1024
    with pytest.raises(bounds.BoundExceeded):
        bounds.check_xlsx(path)


def test_the_column_mapping_preview_does_not_unpack_a_zip_bomb(tmp_path):
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(_zip_bomb())
    assert preview(path) == ([], [])


def test_the_rejected_rows_file_is_capped_with_a_count_and_no_good_row_is_lost(tiny_city, kim, settings):
    settings.IMPORT_REJECTED_ROWS_KEPT = 2
    original = (tiny_city / "melderegister.csv").read_bytes()
    good = _deliver(kim, "melderegister", original, "melderegister.csv")
    broken = b"".join(f"kaputt;{n}\r\n".encode() for n in range(5))
    delivery = _deliver(kim, "melderegister", original.rstrip(b"\r\n") + b"\r\n" + broken, "mit_fehlern.csv")
    assert delivery.status == ImportStatus.TAKEN
    assert delivery.accepted_count == good.accepted_count
    assert delivery.rejected_count == good.rejected_count + 5
    text = data_path(delivery.rejected_file).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 2 + 1  # header, two kept rows, the closing count
    left_out = delivery.rejected_count - 2
    assert lines[-1].startswith(f"# {left_out} weitere abgelehnte Zeilen")
    assert any(
        f"die ersten 2 von {delivery.rejected_count} abgelehnten Zeilen" in w for w in delivery.warnings
    )


def test_two_identical_deliveries_at_the_same_time_are_taken_once(tiny_city, kim):
    payload = (tiny_city / "kindergeld.csv").read_bytes()
    first = services.store_delivery("kindergeld", io.BytesIO(payload), "kg.csv", user=kim)
    second = services.store_delivery("kindergeld", io.BytesIO(payload), "kg_nochmal.csv", user=kim)
    # the first is being processed (claimed by another worker) when the second one is read
    type(first).objects.filter(pk=first.pk).update(status=ImportStatus.RUNNING)
    second = services.process_delivery(second.pk)
    assert second.status == ImportStatus.UNCHANGED
    assert f"Lieferung Nr. {first.pk}, die gerade verarbeitet wird" in second.message
    assert not second.snapshot_file
    type(first).objects.filter(pk=first.pk).update(status=ImportStatus.PENDING)
    assert services.process_delivery(first.pk).status == ImportStatus.TAKEN


def test_a_file_of_only_invalid_rows_keeps_only_what_the_rejected_file_shows_but_counts_all(
    tiny_city, kim, settings, monkeypatch
):
    settings.IMPORT_REJECTED_ROWS_KEPT = 2
    monkeypatch.setattr(services, "ROW_ERRORS_KEPT", 3)
    kept_in_memory = []
    read = services.engine.read_source

    def spy(*args, **kwargs):
        result = read(*args, **kwargs)
        kept_in_memory.append((kwargs.get("keep_rejected"), len(result.rejected), result.rejected_count))
        return result

    monkeypatch.setattr(services.engine, "read_source", spy)
    header = (tiny_city / "kindergeld.csv").read_bytes().splitlines()[0]
    rows = b"".join(f"kaputt;{n}\r\n".encode() for n in range(40))
    delivery = _deliver(kim, "kindergeld", header + b"\r\n" + rows, "nur_fehler.csv")
    assert delivery.status == ImportStatus.REFUSED
    assert (delivery.data_rows, delivery.accepted_count, delivery.rejected_count) == (40, 0, 40)
    assert kept_in_memory == [(3, 3, 40)]  # the larger of the two caps, not all 40
    assert delivery.row_errors.count() == 3
    lines = data_path(delivery.rejected_file).read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 2 + 1
    assert lines[-1].startswith("# 38 weitere abgelehnte Zeilen sind in dieser Datei nicht aufgeführt")
    assert "(insgesamt 40 abgelehnt; höchstens 2 Zeilen je Datei)" in lines[-1]
