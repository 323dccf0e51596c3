"""Generated files: the reader never crashes and never loses a row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missimo.engine.reader import ImportRefused, read_source
from missimo.engine.sources import get_source

SEU_HEADER = list(get_source("seu").field_names)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell_text = st.one_of(
    st.text(alphabet=st.sampled_from(list('abzÄöß ШЖăâîșț0123456789.,;-"\n\r\t')), max_size=12),
    st.sampled_from(["2019-06-07", "07.06.2019", "31.02.2019", "SEU-1", "untersucht", "44623"]),
)


def assert_every_row_accounted_for(result) -> None:
    assert result.accepted_count + result.rejected_count == result.data_rows
    rows = result.table.column("_row").to_pylist() + [r.row for r in result.rejected]
    assert len(rows) == len(set(rows))  # no row both accepted and rejected
    assert all(r >= 2 for r in rows)


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_or_read_but_never_crash(data):
    try:
        result = read_source("seu", data)
    except ImportRefused as exc:
        assert exc.message
    else:
        assert_every_row_accounted_for(result)


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_after_a_valid_header_never_crash_and_never_lose_rows(data):
    try:
        result = read_source("seu", (";".join(SEU_HEADER) + "\r\n").encode() + data)
    except ImportRefused as exc:
        assert exc.message
    else:
        assert_every_row_accounted_for(result)


@FAST
@given(st.lists(st.lists(cell_text, min_size=0, max_size=len(SEU_HEADER) + 2), min_size=1, max_size=25))
def test_random_rows_with_quotes_and_line_breaks_are_all_accounted_for(rows):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(SEU_HEADER)
    writer.writerows(rows)
    try:
        result = read_source("seu", buf.getvalue().encode("utf-8"))
    except ImportRefused as exc:  # only the header-only case may refuse here
        assert "Kopfzeile" in exc.message
        return
    assert_every_row_accounted_for(result)


def _expected(text: str, header: list[str]):
    """What the csv module makes of ``text`` (lines ending in CR, LF or CRLF): per record its
    start line, its fields, and whether it is blank, well-formed or broken for ``header``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=";", quotechar='"', strict=False)
    records, prev = [], 0
    for rec in reader:
        records.append((prev + 1, rec))
        prev = reader.line_num
    width = len(header)
    good, broken, blank = [], [], 0
    for line, rec in records[1:]:
        if not rec or not "".join(rec).strip():
            blank += 1
        elif len(rec) == width or (len(rec) > width and not "".join(rec[width:]).strip()):
            good.append((line, rec[:width]))
        else:
            broken.append((line, rec))
    return good, broken, blank


def _outcome(result) -> tuple:
    return (
        result.data_rows,
        result.rejected_count,
        result.blank_rows,
        result.table.to_pylist(),
        [(r.row, r.values, r.errors) for r in result.rejected],
    )


TEXT_HEADER = ["Objekt_ID", "Strasse", "Hausnummer", "PLZ", "Ort"]
line_text = st.text(alphabet=st.sampled_from(list('ab ;"\n\r\t\x0b\xa0')), max_size=14)
field_text = st.text(alphabet=st.sampled_from(list('abc "\t\xa0\n')), min_size=1, max_size=5)
# a line that may be a valid Objekte row: ID, street, number, a postcode, town
row_line = st.tuples(
    field_text, field_text, field_text, st.sampled_from(["44623", " 44623 ", '"44623"', "4462"]), field_text
).map(";".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(row_line, row_line, line_text), min_size=1, max_size=12))
def test_the_streaming_reader_splits_records_exactly_as_the_csv_module_in_any_batch_size(lines):
    """Objekte rows of text fields only: every well-formed record's fields arrive as the csv
    module reads them (stripped), broken records keep their raw fields, and the outcome is the
    same for batches of 1, 3 and 1000 rows."""
    text = ";".join(TEXT_HEADER) + "\n" + "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    try:
        results = [read_source("objekte", data, batch_rows=n) for n in (1, 3, 1000)]
    except ImportRefused as exc:
        assert "Kopfzeile" in exc.message or "keine Textdatei" in exc.message
        return
    assert _outcome(results[0]) == _outcome(results[1]) == _outcome(results[2])
    result = results[2]
    good, broken, blank = _expected(text, TEXT_HEADER)
    assert result.blank_rows == blank
    assert result.data_rows == len(good) + len(broken)
    assert [(r.row, list(r.values)) for r in result.rejected if not r.errors[0].column] == broken
    assert_every_row_accounted_for(result)
    seen = {row["_row"]: row for row in result.table.to_pylist()}
    seen.update({r.row: None for r in result.rejected if r.errors[0].column})
    assert sorted(seen) == [line for line, _ in good]
    for line, fields in good:
        if seen[line] is not None:
            expected = [v.strip() or None for v in fields]
            assert [seen[line][name] for name in TEXT_HEADER] == expected


@FAST
@given(
    st.lists(st.lists(cell_text, min_size=0, max_size=len(SEU_HEADER) + 2), min_size=1, max_size=25),
    st.integers(min_value=0, max_value=6),
)
def test_keeping_some_rejected_rows_keeps_the_first_ones_and_counts_all_in_any_batch_size(rows, keep):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(SEU_HEADER)
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    try:
        everything = read_source("seu", data)
    except ImportRefused as exc:
        assert "Kopfzeile" in exc.message
        return
    for batch_rows in (1, 3, 1000):
        kept = read_source("seu", data, batch_rows=batch_rows, keep_rejected=keep)
        assert kept.rejected_count == everything.rejected_count
        assert kept.rejected == everything.rejected[:keep]
        assert kept.table.to_pylist() == everything.table.to_pylist()


name_chars = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzÄÖÜäöüßâîÂÎéèçñ -'"))


@FAST
@given(st.lists(st.text(alphabet=name_chars, min_size=1, max_size=20), min_size=1, max_size=10))
def test_names_that_cp1252_can_hold_survive_a_cp1252_round_trip(names):
    names = [n.strip() or "x" for n in names]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(SEU_HEADER)
    for i, name in enumerate(names):
        writer.writerow(
            [
                f"S{i}",
                name,
                name,
                "07.06.2019",
                "w",
                "Weg",
                "1",
                "",
                "44623",
                "Herne",
                "2025",
                "",
                "untersucht",
            ]
        )
    data = buf.getvalue().encode("cp1252")
    result = read_source("seu", data)
    assert result.encoding in ("cp1252", "utf-8")  # pure ASCII is valid UTF-8 too
    assert result.table.column("Vornamen").to_pylist() == names


def test_a_quoted_line_break_and_escaped_quotes_give_the_csv_modules_records():
    text = 'Objekt_ID;Strasse;Hausnummer;PLZ;Ort\n1;"zwei\nZeilen";3;44623;Herne\n4;"a;""b""";6;44623;Herne\n7;8\n'
    result = read_source("objekte", text.encode(), batch_rows=1)
    assert [(r["_row"], r["Strasse"]) for r in result.table.to_pylist()] == [
        (2, "zwei\nZeilen"),
        (4, 'a;"b"'),
    ]
    assert [(r.row, r.values) for r in result.rejected] == [(5, ("7", "8"))]


def test_a_never_closed_quote_swallows_the_rest_into_one_record_as_the_csv_module_does():
    text = 'Objekt_ID;Strasse;Hausnummer;PLZ;Ort\n1;"offen;3;44623;Herne\n4;5;6;44623;Herne\n'
    result = read_source("objekte", text.encode(), batch_rows=1)
    good, broken, _ = _expected(text, TEXT_HEADER)
    assert (result.accepted_count, good) == (0, [])
    assert [(r.row, list(r.values)) for r in result.rejected] == broken


cell_value = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell_value, max_size=len(SEU_HEADER) + 2), min_size=1, max_size=8))
def test_random_xlsx_cells_of_any_type_never_crash_and_never_lose_rows(rows):
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, SEU_HEADER)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()))
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    try:
        result = read_source("seu", buf.getvalue())
    except ImportRefused as exc:
        assert "Kopfzeile" in exc.message
        return
    assert_every_row_accounted_for(result)
