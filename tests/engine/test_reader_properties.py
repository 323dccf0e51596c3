"""Generated files: the reader never crashes and never loses a row."""

from __future__ import annotations

import csv
import datetime as dt
import io

import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from missimo.engine import reader
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


def _slow(text: str):
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as _csv_records does first
    records, lines_of = reader._parse_csv(text, ";", 1, None)
    header, columns, lines, broken, blank = reader._split_records(records, lines_of)
    return header, [list(c) for c in columns], list(lines), sorted(broken), blank


def _fast(text: str):
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    rec = reader._fast_split(text, "utf-8", ";", None)
    if rec is None:
        return None
    return (
        rec.header,
        [c.to_list() for c in rec.columns],
        rec.lines.to_list(),
        sorted(rec.broken),
        rec.blank_rows,
    )


line_text = st.text(alphabet=st.sampled_from(list('ab ;"\n\r\t\x0b\xa0')), max_size=14)


@settings(max_examples=300, deadline=None)
@given(st.lists(line_text, min_size=1, max_size=12))
def test_the_vectorised_split_gives_exactly_what_the_csv_module_gives(lines):
    text = "h1;h2;h3\n" + "\n".join(lines) + "\n"
    fast = _fast(text)
    if fast is not None:  # None: the reader falls back to the csv module itself
        assert fast == _slow(text)


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


def test_a_quoted_line_break_keeps_the_fast_path_and_gives_the_csv_modules_records():
    text = 'h1;h2;h3\n1;"zwei\nZeilen";3\n4;"a;""b""";6\n7;8\n"x";y;z;\n'
    assert _fast(text) is not None
    assert _fast(text) == _slow(text)


def test_a_never_closed_quote_leaves_the_file_to_the_csv_module():
    assert _fast('h1;h2;h3\n1;"offen;3\n4;5;6\n') is None


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
