"""Tables as downloads: the one writer of every CSV and XLSX file the application produces.

A list page and its export call the same function for their (header, rows), so the download has
exactly the rows and columns the page shows. Cells are plain values: text, numbers, decimals
(euro amounts), dates, date-times, booleans or None.

Formula injection: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be evaluated by a spreadsheet program; :func:`escape_cell` prefixes it with an
apostrophe, in CSV and XLSX alike (and XLSX never turns text into formulas or links). The escaping
is the engine's (`engine.escape_cell`), the same for the rejected rows of a delivery.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone

from missimo import engine

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MONEY_FORMAT = '#,##0.00 "€"'

__all__ = [
    "FORMATS",
    "Workbook",
    "cell_text",
    "csv_bytes",
    "csv_document",
    "download",
    "escape_cell",
    "export",
    "neutralise_bidi",
    "require_format",
    "xlsx_bytes",
]


# The one formula escaping (and the neutralising of bidirectional control characters, issue #21),
# shared with the engine's rejected-rows file.
BIDI_CONTROLS = engine.BIDI_CONTROLS
escape_cell = engine.escape_cell
neutralise_bidi = engine.neutralise_bidi


def require_format(fmt: str) -> str:
    """The export format of a URL `.../export.<fmt>`; anything but csv and xlsx is 404."""
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def cell_text(value: Any) -> str:
    """A cell as CSV text: dates TT.MM.JJJJ, amounts with a decimal comma, None empty, text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, float):
        return str(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return escape_cell(str(value))


def csv_document(lines: Iterable[Sequence[Any]]) -> bytes:
    """Lines of cells as CSV: UTF-8 with BOM (Excel opens umlauts correctly), `;`, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for line in lines:
        writer.writerow([cell_text(value) for value in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One table as CSV: the header line, then the rows."""
    return csv_document([header, *rows])


def sheet_name(title: str, used: set[str] | None = None) -> str:
    """A worksheet name: at most 31 characters, none of []:*?/\\, unique within `used`."""
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Liste"
    if used is None:
        return name
    base, n = name, 2
    while name in used:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


class Sheet:
    """One worksheet of a :class:`Workbook`, written row by row."""

    def __init__(self, book: Workbook, worksheet) -> None:
        self._book = book
        self._sheet = worksheet
        self.name = worksheet.name
        self.rows = 0

    def append(self, values: Sequence[Any], *, style: str = "", money_columns: Iterable[int] = ()) -> None:
        """Write one row below the last: numbers and dates as values, text escaped, None empty.
        `style` "bold" or "title" formats the whole row; `money_columns` are euro amounts."""
        money = set(money_columns)
        row_format = self._book.formats.get(style)
        for c, value in enumerate(values):
            self._write(self.rows, c, value, row_format, c in money)
        self.rows += 1

    def _write(self, r: int, c: int, value: Any, row_format, money: bool) -> None:
        formats = self._book.formats
        sheet = self._sheet
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_string(r, c, "ja" if value else "nein", row_format)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(r, c, float(value), formats["money"] if money else row_format)
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(r, c, _local(value).replace(tzinfo=None), formats["datetime"])
        elif isinstance(value, dt.date):
            sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), formats["date"])
        else:
            sheet.write_string(r, c, escape_cell(str(value)), row_format)

    def autofilter(self, columns: int) -> None:
        """A filter on the header row (the first row) over `columns` columns."""
        if columns:
            self._sheet.autofilter(0, 0, max(self.rows - 1, 1), columns - 1)

    def column_width(self, column: int, width: float) -> None:
        self._sheet.set_column(column, column, width)


class Workbook:
    """An XLSX file of one or more sheets; text is never turned into a formula or a link."""

    def __init__(self) -> None:
        import xlsxwriter

        self._out = io.BytesIO()
        self._book = xlsxwriter.Workbook(
            self._out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        self._used: set[str] = set()
        self.formats = {
            "bold": self._book.add_format({"bold": True}),
            "title": self._book.add_format({"bold": True, "font_size": 14}),
            "date": self._book.add_format({"num_format": "dd.mm.yyyy"}),
            "datetime": self._book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
            "money": self._book.add_format({"num_format": MONEY_FORMAT}),
        }

    def sheet(self, title: str) -> Sheet:
        return Sheet(self, self._book.add_worksheet(sheet_name(title, self._used)))

    def table(
        self, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, money_columns=()
    ) -> Sheet:
        """A sheet of one table: a bold header with a filter, then the rows."""
        sheet = self.sheet(title)
        sheet.append(header, style="bold")
        for row in rows:
            sheet.append(row, money_columns=money_columns)
        sheet.autofilter(len(header))
        return sheet

    def close(self) -> bytes:
        self._book.close()
        return self._out.getvalue()


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[Any]], title: str, *, money_columns: Iterable[int] = ()
) -> bytes:
    """One table as an XLSX file with one worksheet `title`."""
    book = Workbook()
    book.table(title, header, rows, money_columns=tuple(money_columns))
    return book.close()


def table_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    title: str,
    *,
    money_columns: Iterable[int] = (),
) -> bytes:
    """One table as CSV or XLSX."""
    require_format(fmt)
    if fmt == "csv":
        return csv_bytes(header, rows)
    return xlsx_bytes(header, rows, title, money_columns=money_columns)


def download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    """The export as a download `filename.fmt` (filename without extension, ASCII)."""
    response = HttpResponse(content, content_type=FORMATS[require_format(fmt)])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def export(header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, filename: str, title: str):
    """CSV or XLSX of one table as a download."""
    return download(table_bytes(header, list(rows), fmt, title), filename, fmt)
