"""Lists as downloads: one table (header, rows) -> CSV or XLSX, formula-safe.

A list page and its export call the same function for their (header, rows), so the download
has exactly the rows and columns the page shows. Cells are plain values: text, numbers,
dates, date-times or None. Text starting with a formula character is escaped by the one
implementation, :func:`missimo.properties.services.escape_cell`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone

from missimo.properties.services import escape_cell

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

__all__ = ["FORMATS", "csv_bytes", "download", "escape_cell", "export", "require_format", "xlsx_bytes"]


def require_format(fmt: str) -> str:
    """The export format of a URL `.../export.<fmt>`; anything but csv and xlsx is 404."""
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _text(value) -> str:
    """A cell as CSV text: dates TT.MM.JJJJ, decimals with a comma, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal | float):
        return str(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return escape_cell(str(value))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with BOM (Excel opens umlauts correctly), `;` as delimiter, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_text(label) for label in header])
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str) -> bytes:
    """One worksheet `title` with a bold header and an autofilter; text is never a formula or URL."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    # Worksheet names: at most 31 characters, none of []:*?/\
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Liste"
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True})
    date_format = book.add_format({"num_format": "dd.mm.yyyy"})
    datetime_format = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    for c, label in enumerate(header):
        sheet.write_string(0, c, escape_cell(str(label)), bold)
    count = 0
    for r, row in enumerate(rows, start=1):
        count = r
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                sheet.write_string(r, c, "ja" if value else "nein")
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, _local(value).replace(tzinfo=None), datetime_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write_string(r, c, escape_cell(str(value)))
    if header:
        sheet.autofilter(0, 0, max(count, 1), len(header) - 1)
    book.close()
    return out.getvalue()


def download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    """The export as a download `filename.fmt` (filename without extension, ASCII)."""
    response = HttpResponse(content, content_type=FORMATS[require_format(fmt)])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def export(header: Sequence[str], rows: Iterable[Sequence], fmt: str, filename: str, title: str):
    """CSV or XLSX of one table as a download."""
    require_format(fmt)
    rows = list(rows)
    content = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title)
    return download(content, filename, fmt)
