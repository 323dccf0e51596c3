"""Read one agency export (CSV or XLSX) into a typed snapshot table plus rejected rows.

Public API (everything else is internal)::

    read_source(source, data, *, mapping=None, progress=None, batch_rows=BATCH_ROWS,
                keep_rejected=None) -> ReadResult
    write_rejected_csv(result, dest, *, escape_formulas=True) -> int
    write_snapshot(table, path) -> None          # atomic Parquet write
    sha256_of(data) -> str                       # hex digest of the original file
    snapshot_schema(source) -> pyarrow.Schema
    ImportRefused                                # the only exception for a refused file

Guarantees of :func:`read_source`:

* Every data record of the file is either accepted (a row of ``result.table``) or
  rejected (counted in ``result.rejected_count``; the first ``keep_rejected`` of them,
  or all, are entries of ``result.rejected``): ``accepted_count + rejected_count ==
  data_rows``. Lines that are completely blank (no value in any field, e.g. ``;;;;``)
  are not data records; they are counted in ``blank_rows`` and otherwise ignored.
* A file that cannot be used as a whole raises :class:`ImportRefused` with exactly one
  German message: unreadable or binary, an encoding that is neither UTF-8 nor
  Windows-1252, empty, header only (refused, so that an empty delivery can never
  replace a source's snapshot by nothing), a required column missing (the message
  names the source the file seems to belong to, if any), a column present twice.
* Row numbers are file lines (CSV: the line where the record starts; header = 1) or
  sheet rows (XLSX, header = row 1).

Row checks: every field is checked against its layout (type, format, closed list,
range, at most 1000 characters), then the row checks of the layout (end before start,
Abmeldegrund only with Auszugsdatum), then duplicate keys: all rows that share a
duplicate key are rejected (the office must decide which one is right), and the
message names the rows. A row may carry several errors; rejected rows keep their
original raw values for :func:`write_rejected_csv`.

Memory and speed: a CSV is streamed (encoding decided over 1 MiB chunks, records read
row by row by the csv module), checked ``batch_rows`` rows at a time and spooled to
temporary files; duplicate keys are grouped out of core by DuckDB, whose per-row
messages are written to disk and read back beside the batches; ``result.table`` is
mapped from a temporary Arrow file. With ``keep_rejected`` only that many rejected
rows are kept in memory (all are counted). Types are parsed once per distinct value of
a batch; German messages are built only for invalid rows.

Encoding: a UTF-8 BOM means UTF-8; otherwise strict UTF-8 is tried, then strict
Windows-1252 (cp1252). A file that is mostly valid UTF-8 but has a few broken bytes is
refused rather than read as cp1252 (which would silently turn every umlaut into
mojibake). A cp1252 file can only carry the characters cp1252 has: German umlauts,
``ß``, ``â`` and ``î`` are in it, but ``ă``, ``ș``/``ț`` (comma below), the cedilla
forms ``ş``/``ţ`` and every Cyrillic letter are not, so an office whose names hold them
must deliver UTF-8 (a cp1252 export has already replaced them, usually by ``?``).

XLSX: the first sheet is read with python-calamine. Formulas are never evaluated: a
formula cell yields the value Excel stored with it (empty if none was stored), and a
text cell that merely looks like a formula (``=1+1``) is taken as plain text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import heapq
import io
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from missimo.engine.cells import escape_cell
from missimo.engine.sources import SOURCES, FieldType, SourceLayout, get_source

__all__ = [
    "ImportRefused",
    "ReadResult",
    "RejectedRow",
    "RowError",
    "read_source",
    "sha256_of",
    "snapshot_schema",
    "write_rejected_csv",
    "write_snapshot",
]

#: A value longer than this many characters is rejected (no field of any layout needs more).
MAX_FIELD_CHARS = 1000
#: Plausible years for dates (anything else is a typo such as 0202 or 20200).
MIN_YEAR, MAX_YEAR = 1870, 2100
#: ``progress`` is called about every this many data rows.
PROGRESS_EVERY = 100_000

ProgressCallback = Callable[[int, int], None]

csv.field_size_limit(2**31 - 1)  # very long fields are read, then rejected by MAX_FIELD_CHARS


class ImportRefused(Exception):
    """The file cannot be used as a whole. ``message`` is one German sentence for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem in one field of one row. ``column`` is the contract field name, or
    ``""`` for a problem of the whole row (wrong number of fields)."""

    row: int
    column: str
    value: str
    message: str


@dataclass(frozen=True)
class RejectedRow:
    """A rejected record: its file row number, its original raw values (in the order
    of the file's header; a structurally broken row may have more or fewer values) and
    one or more errors."""

    row: int
    values: tuple[str, ...]
    errors: tuple[RowError, ...]


@dataclass(frozen=True)
class ReadResult:
    """Outcome of :func:`read_source` for a file that was not refused.

    ``table`` holds the accepted rows in exactly :func:`snapshot_schema` (contract
    columns, typed, then ``_row`` and ``_key``). ``rejected_count`` counts every
    rejected row; ``rejected`` holds the first of them by row number (all of them
    unless ``read_source`` was given ``keep_rejected``). ``encoding`` is ``"utf-8"``,
    ``"utf-8-sig"`` (with BOM), ``"cp1252"`` or ``"utf-16"``, and ``None`` for XLSX;
    ``delimiter`` likewise. ``header`` is the file's header as delivered;
    ``column_map`` maps header position -> contract field for the columns used.
    """

    source: str
    file_format: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    header: tuple[str, ...]
    column_map: Mapping[int, str]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    table: pa.Table
    rejected: tuple[RejectedRow, ...]
    data_rows: int
    rejected_count: int
    blank_rows: int = 0

    @property
    def accepted_count(self) -> int:
        return self.table.num_rows

    @property
    def rejected_left_out(self) -> int:
        """Rejected rows counted in ``rejected_count`` but not kept in ``rejected``."""
        return self.rejected_count - len(self.rejected)

    @property
    def errors(self) -> list[RowError]:
        """All errors of the kept rejected rows (``rejected``), in row order."""
        return [e for r in self.rejected for e in r.errors]

    def summary(self) -> dict[str, object]:
        """JSON-ready facts for an import record (counts, encoding, columns)."""
        return {
            "source": self.source,
            "format": self.file_format,
            "encoding": self.encoding,
            "encoding_label": self.encoding_label,
            "delimiter": self.delimiter,
            "data_rows": self.data_rows,
            "accepted": self.accepted_count,
            "rejected": self.rejected_count,
            "blank_rows": self.blank_rows,
            "extra_columns": list(self.extra_columns),
            "missing_optional_columns": list(self.missing_optional_columns),
        }

    @property
    def encoding_label(self) -> str:
        """German label of the detected encoding, for display."""
        return _ENCODING_LABELS.get(self.encoding or "", "Excel-Arbeitsmappe (XLSX)")


_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 mit BOM",
    "cp1252": "Windows-1252",
    "utf-16": "UTF-16",
}


# --- public helpers -------------------------------------------------------------------


def sha256_of(data: str | os.PathLike[str] | bytes) -> str:
    """SHA-256 (hex) of the original file's bytes (a path or the bytes themselves)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return hashlib.sha256(data).hexdigest()
    h = hashlib.sha256()
    with open(data, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_ARROW_TYPES: dict[FieldType, pa.DataType] = {
    FieldType.TEXT: pa.string(),
    FieldType.PARTIAL_DATE: pa.string(),
    FieldType.DATE: pa.date32(),
    FieldType.MONTH_START: pa.date32(),
    FieldType.MONTH_END: pa.date32(),
    FieldType.INTEGER: pa.int32(),
    FieldType.DECIMAL: pa.decimal128(12, 2),
    FieldType.DOUBLE: pa.float64(),
}


def snapshot_schema(source: str | SourceLayout) -> pa.Schema:
    """The snapshot schema of docs/engine-seams.md: contract columns, then ``_row``, ``_key``."""
    layout = source if isinstance(source, SourceLayout) else get_source(source)
    return pa.schema(
        [pa.field(f.name, _ARROW_TYPES[f.type]) for f in layout.fields]
        + [pa.field("_row", pa.int32(), nullable=False), pa.field("_key", pa.string(), nullable=False)]
    )


def write_snapshot(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as Parquet to ``path`` atomically.

    The data goes to a temporary file in the same directory, is fsynced, and then
    replaces ``path`` with :func:`os.replace`; readers see either the old or the new
    file, never a half-written one. The directory is fsynced afterwards (POSIX).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_rejected_csv(
    result: ReadResult, dest: str | os.PathLike[str] | BinaryIO, *, escape_formulas: bool = True
) -> int:
    """Write the rejected rows for the office to correct and deliver again.

    CSV, ``;``, UTF-8 with BOM (opens correctly in Excel), header = the file's original
    header + ``Zeile`` + ``Fehler``; one line per rejected row with its original values.
    ``Fehler`` lists every problem as ``Spalte: Meldung (Wert: …)``, separated by
    `` | ``. With ``escape_formulas`` (default) a value that Excel would run as a
    formula (starting with ``= + - @``) gets a leading ``'`` (:func:`missimo.engine.cells.escape_cell`,
    the one escaping of every export).
    Returns the number of rows written.
    """
    width = len(result.header)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([*result.header, "Zeile", "Fehler"])
    for rej in result.rejected:
        values = [v or "" for v in rej.values[:width]] + [""] * max(0, width - len(rej.values))
        if escape_formulas:
            values = [escape_cell(v) for v in values]
        problems = " | ".join(
            (f"{e.column}: " if e.column else "")
            + e.message
            + (f" (Wert: {e.value})" if e.value and e.column else "")
            for e in rej.errors
        )
        if escape_formulas:
            problems = escape_cell(problems)
        writer.writerow([*values, str(rej.row), problems])
    payload = codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
    if isinstance(dest, str | os.PathLike):
        Path(dest).write_bytes(payload)
    else:
        dest.write(payload)
    return len(result.rejected)


# --- reading bytes into header + records -----------------------------------------------


@dataclass
class _Records:
    """Raw cells of a file: header, the well-formed rows as columns, the broken rows."""

    file_format: str
    encoding: str | None
    delimiter: str | None
    header: list[str]
    columns: list[pl.Series]  # one String Series per header column, only well-formed rows
    lines: pl.Series  # file row number of each well-formed row
    broken: list[tuple[int, list[str]]]  # (row number, raw values) with a wrong field count
    blank_rows: int


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}",
)


_MSG_BINARY = (
    "Die Datei ist keine Textdatei (CSV) und keine Excel-Arbeitsmappe (XLSX) und kann nicht gelesen werden."
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[";"] else ";"


def _series(columns: Sequence[Sequence[str]]) -> list[pl.Series]:
    return [pl.Series(f"__c{i}", col, dtype=pl.String) for i, col in enumerate(columns)]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace(".", ",")  # typed number: decimal comma is unambiguous
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_records(raw: bytes, progress: ProgressCallback | None) -> _Records:
    from python_calamine import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw))
        if not wb.sheet_names:
            raise ImportRefused("Die Excel-Arbeitsmappe enthält kein Tabellenblatt.")
        sheet = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused(
            "Die Excel-Datei kann nicht gelesen werden (beschädigt oder kennwortgeschützt)."
        ) from exc
    header: list[str] | None = None
    columns_rows: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, list[str]]] = []
    blank = 0
    width = 0
    estimate = max(1, len(sheet) - 1)
    for i, cells in enumerate(sheet, start=1):
        rec = [_cell_text(v) for v in cells]
        if not any(v.strip() for v in rec):
            if header is not None:
                blank += 1
            continue
        if header is None:
            while rec and not rec[-1].strip():
                rec.pop()
            header = rec
            width = len(header)
            continue
        if len(rec) >= width and not any(v.strip() for v in rec[width:]):
            columns_rows.append(rec[:width])
            lines.append(i)
        else:
            while len(rec) > width and not rec[-1].strip():
                rec.pop()
            broken.append((i, rec))
        if progress is not None and (len(lines) + len(broken)) % PROGRESS_EVERY == 0:
            progress((len(lines) + len(broken)) // 2, estimate)
    if header is None:
        raise ImportRefused("Die Datei ist leer.")
    columns = list(zip(*columns_rows, strict=True)) if columns_rows else [() for _ in header]
    return _Records(
        "xlsx", None, None, header, _series(columns), pl.Series(lines, dtype=pl.Int32), broken, blank
    )


# --- header -> contract fields -----------------------------------------------------------


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _norm_name(name: str) -> str:
    """Header name for matching: case-insensitive, umlauts spelled out, and blanks,
    ``_``, ``-`` and ``.`` alike (``Kind-Nr.`` = ``Kind_Nr``, ``Straße`` = ``Strasse``)."""
    folded = name.replace("\ufeff", "").casefold().translate(_UMLAUTS)
    return "_".join(re.split(r"[\s_\-.]+", folded.strip(" \t\r\n._-"))).strip("_")


def _map_header(
    layout: SourceLayout, header: Sequence[str], mapping: Mapping[str, str] | None
) -> tuple[dict[int, str], list[str], list[str]]:
    fields_by_norm = {_norm_name(f): f for f in layout.field_names}
    user: dict[str, str] = {}
    for variant, target in (mapping or {}).items():
        canonical = fields_by_norm.get(_norm_name(target))
        if canonical is None:
            raise ImportRefused(
                f"Die Spaltenzuordnung nennt das unbekannte Feld „{target}“ (Quelle {layout.label})."
            )
        user[_norm_name(variant)] = canonical
    column_map: dict[int, str] = {}
    seen: dict[str, int] = {}
    extra: list[str] = []
    for i, name in enumerate(header):
        n = _norm_name(name)
        found = user.get(n) or fields_by_norm.get(n)
        if found is None:
            extra.append(name.strip() or f"(Spalte {i + 1} ohne Überschrift)")
            continue
        if found in seen:
            raise ImportRefused(
                f"Die Spalte „{found}“ ist doppelt vorhanden (Spalten {seen[found] + 1} und {i + 1})."
            )
        seen[found] = i
        column_map[i] = found
    missing_required = [f for f in layout.required_fields if f not in seen]
    if missing_required:
        raise ImportRefused(_missing_message(layout, header, missing_required))
    missing_optional = [f for f in layout.field_names if f not in seen]
    return column_map, extra, missing_optional


def _missing_message(layout: SourceLayout, header: Sequence[str], missing: list[str]) -> str:
    present = {_norm_name(h) for h in header}
    for other in SOURCES.values():
        if other.name == layout.name:
            continue
        if all(_norm_name(f) in present for f in other.required_fields):
            return (
                f"Die Datei passt nicht zur Quelle {layout.label}: sie sieht aus wie eine Lieferung "
                f"der Quelle {other.label} (Pflichtspalten fehlen: {', '.join(missing)})."
            )
    return f"Pflichtspalte(n) fehlen in der Kopfzeile: {', '.join(missing)} (Quelle {layout.label})."


# --- vectorised validation ---------------------------------------------------------------

_DE_DATE = r"^\d{1,2}\.\d{1,2}\.\d{4}$"
_DE_DATE10 = r"^\d{2}\.\d{2}\.\d{4}$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH_DE = r"^\d{1,2}[./]\d{4}$"
_MONTH_ISO = r"^\d{4}-\d{2}$"
_TIME_SUFFIX = r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_ZERO_PART = r"^0{1,2}\.|\.0{1,2}\.|-00(-|$)"

_MSG_REQUIRED = "Pflichtfeld ist leer"
_MSG_TOO_LONG = f"Wert ist zu lang (mehr als {MAX_FIELD_CHARS} Zeichen)"


def _full_date(c: pl.Expr) -> pl.Expr:
    """TT.MM.JJJJ or JJJJ-MM-TT -> DATE; NULL when malformed or impossible (31.02.)."""
    return pl.coalesce(c.str.to_date("%d.%m.%Y", strict=False), c.str.to_date("%Y-%m-%d", strict=False))


def _year_ok(d: pl.Expr) -> pl.Expr:
    return d.dt.year().is_between(MIN_YEAR, MAX_YEAR)


def _date_exprs(c: pl.Expr, kind: FieldType) -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    """Typed value and (condition, message) pairs for the date-like field types.

    Only cheap, vectorised operations (anchored ``contains``, ``to_date``, fixed
    slices) are used: this runs over every row of the biggest files.
    """
    c = c.str.replace(_TIME_SUFFIX, "")  # "01.02.2020 00:00" from spreadsheet exports
    form_ok = c.str.contains(_DE_DATE) | c.str.contains(_ISO_DATE)
    full = _full_date(c)
    if kind is FieldType.DATE:
        typed = pl.when(_year_ok(full)).then(full).otherwise(None)
        errs = [
            (~form_ok, "Kein gültiges Datum (erwartet TT.MM.JJJJ)"),
            (c.str.contains(_ZERO_PART), "Tag oder Monat 00 ist hier nicht zulässig"),
            (full.is_null(), "Dieses Datum gibt es nicht"),
            (~_year_ok(full), f"Jahr außerhalb {MIN_YEAR}–{MAX_YEAR}"),
        ]
        return typed, errs
    if kind is FieldType.PARTIAL_DATE:
        de10 = c.str.contains(_DE_DATE10)
        y = pl.when(de10).then(c.str.slice(6, 4)).otherwise(c.str.slice(0, 4))
        m = pl.when(de10).then(c.str.slice(3, 2)).otherwise(c.str.slice(5, 2))
        d = pl.when(de10).then(c.str.slice(0, 2)).otherwise(c.str.slice(8, 2))
        partial_ok = (
            (de10 | c.str.contains(_ISO_DATE))
            & (d == "00")
            & ((m == "00") | m.is_between(pl.lit("01"), pl.lit("12")))
        )
        year_ok = (
            pl.when(full.is_not_null())
            .then(_year_ok(full))
            .otherwise(y.is_between(pl.lit(str(MIN_YEAR)), pl.lit(str(MAX_YEAR))))
        )
        text = (
            pl.when(full.is_not_null())
            .then(full.dt.strftime("%Y-%m-%d"))
            .otherwise(pl.concat_str(y, pl.lit("-"), m, pl.lit("-"), d))
        )
        typed = pl.when((full.is_not_null() | partial_ok) & year_ok).then(text).otherwise(None)
        errs = [
            (~form_ok, "Kein gültiges Datum (erwartet TT.MM.JJJJ, 00 für unbekannten Tag/Monat)"),
            (full.is_null() & ~partial_ok, "Dieses Datum gibt es nicht"),
            (~year_ok, f"Jahr außerhalb {MIN_YEAR}–{MAX_YEAR}"),
        ]
        return typed, errs
    # months: TT.MM.JJJJ, JJJJ-MM-TT, MM.JJJJ, MM/JJJJ, JJJJ-MM
    month = pl.coalesce(
        pl.concat_str(pl.lit("01."), c.str.replace("/", ".", literal=True)).str.to_date(
            "%d.%m.%Y", strict=False
        ),
        pl.concat_str(c, pl.lit("-01")).str.to_date("%Y-%m-%d", strict=False),
    )
    any_form = form_ok | c.str.contains(_MONTH_DE) | c.str.contains(_MONTH_ISO)
    value = pl.when(form_ok).then(full).otherwise(month)
    value = value.dt.month_start() if kind is FieldType.MONTH_START else value.dt.month_end()
    typed = pl.when(_year_ok(value)).then(value).otherwise(None)
    errs = [
        (~any_form, "Kein gültiger Monat (erwartet MM.JJJJ oder TT.MM.JJJJ)"),
        (value.is_null(), "Diesen Monat/dieses Datum gibt es nicht"),
        (~_year_ok(value), f"Jahr außerhalb {MIN_YEAR}–{MAX_YEAR}"),
    ]
    return typed, errs


_NUM_CASES: tuple[tuple[str, str, str], ...] = (
    # (pattern, characters to delete, becomes the decimal point)
    (r"^[+-]?\d+$", "", ""),
    (r"^[+-]?\d+,\d+$", "", ","),  # 259,00 (German decimal comma)
    (r"^[+-]?\d{1,3}(\.\d{3})+,\d+$", ".", ","),  # 1.234,56
    (r"^[+-]?\d{1,3}(\.\d{3}){2,}$", ".", ""),  # 1.234.567
    (r"^[+-]?\d{1,3}(,\d{3})+\.\d+$", ",", "."),  # 1,234.56
    (r"^[+-]?\d{1,3}(,\d{3}){2,}$", ",", ""),  # 1,234,567
    (r"^[+-]?(\d{4,}\.\d+|\d{1,3}\.(\d{1,2}|\d{4,}))$", "", "."),  # 1.5, 1234.567 (unambiguous point)
)
_AMBIGUOUS_POINT = r"^[+-]?\d{1,3}\.\d{3}$"


def _number_text(c: pl.Expr) -> pl.Expr:
    """German/English number text -> canonical '1234.56' text, or NULL if not a number."""
    t = c.str.replace_all(r"[\s\u00a0\u202f']", "").str.replace(r"(?i)(€|eur)$", "")
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for pattern, delete, point in reversed(_NUM_CASES):
        out = t
        if delete:
            out = out.str.replace_all(delete, "", literal=True)
        if point and point != ".":
            out = out.str.replace_all(point, ".", literal=True)
        expr = pl.when(t.str.contains(pattern)).then(out).otherwise(expr)
    return expr


def _number_exprs(
    c: pl.Expr, f_type: FieldType, lo: float | None, hi: float | None
) -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    num = _number_text(c)
    errs: list[tuple[pl.Expr, str]] = []
    if f_type is FieldType.INTEGER:
        as_int = pl.when(num.str.contains(r"^[+-]?\d{1,9}$")).then(num).otherwise(None).cast(pl.Int64)
        errs.append((as_int.is_null(), "Keine ganze Zahl"))
        value: pl.Expr = as_int
        final_type: pl.DataType = pl.Int32()
    else:
        errs.append((num.is_null(), "Keine gültige Zahl (erwartet z. B. 1234,56)"))
        errs.insert(
            0,
            (
                c.str.replace_all(r"[\s\u00a0\u202f']", "").str.contains(_AMBIGUOUS_POINT),
                "Mehrdeutige Zahl: Punkt als Tausender- oder Dezimaltrennzeichen? "
                "Bitte Dezimalkomma verwenden",
            ),
        )
        if f_type is FieldType.DECIMAL:
            errs.append(
                (~num.str.contains(r"^[+-]?\d{1,10}(\.\d{1,2})?$"), "Höchstens zwei Nachkommastellen")
            )
            value = num.cast(pl.Float64)
            final_type = pl.Decimal(12, 2)
        else:
            value = num.cast(pl.Float64)
            final_type = pl.Float64()
    if lo is not None or hi is not None:
        lo_v = float("-inf") if lo is None else lo
        hi_v = float("inf") if hi is None else hi
        rng = f"{_fmt_num(lo_v)} bis {_fmt_num(hi_v)}" if lo is not None and hi is not None else ""
        msg = f"Wert außerhalb des zulässigen Bereichs ({rng})" if rng else "Wert darf nicht negativ sein"
        errs.append((~value.is_between(lo_v, hi_v), msg))
    # the typed value is NULL exactly when one of the conditions holds
    ok = ~pl.any_horizontal([cond.fill_null(True) for cond, _ in errs])
    source = num if f_type is FieldType.DECIMAL else value
    typed = pl.when(ok).then(source.cast(final_type, strict=False)).otherwise(None)
    return typed, errs


def _fmt_num(v: float) -> str:
    return f"{v:,.0f}".replace(",", ".") if v == int(v) else str(v).replace(".", ",")


def _field_exprs(layout: SourceLayout, name: str, src: str) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, error message) for one field, reading the cleaned text column ``src``.

    The typed value is NULL exactly when the text is empty or invalid, so whether a row
    is valid can be decided from the typed columns alone (cheap, over all rows); the
    message expression is then evaluated only over the rows that are invalid.
    """
    f = layout.field(name)
    c = pl.col(src)
    short = c.str.len_chars() <= MAX_FIELD_CHARS
    conds: list[tuple[pl.Expr, str]] = [(~short, _MSG_TOO_LONG)]
    typed: pl.Expr
    if f.type is FieldType.TEXT:
        v = c
        if f.upper:
            v = v.str.replace_all(r"\s+", "").str.to_uppercase()
        if f.choices:
            v = v.str.to_lowercase().replace_strict(
                [x.lower() for x in f.choices], list(f.choices), default=None
            )
            conds.append((v.is_null(), f"Ungültiger Wert (erlaubt: {', '.join(f.choices)})"))
        if f.pattern:
            ok = v.str.contains(f"^(?:{f.pattern})$")
            conds.append((~ok, f"Ungültiges Format (erwartet: {f.format_hint or f.pattern})"))
            v = pl.when(ok).then(v).otherwise(None)
        typed = v
    elif f.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.DOUBLE):
        typed, errs = _number_exprs(c, f.type, f.min_value, f.max_value)
        conds.extend(errs)
    else:
        typed, errs = _date_exprs(c, f.type)
        conds.extend(errs)
    typed = pl.when(short).then(typed).otherwise(None)
    # first matching condition wins; conditions only apply to non-empty values
    err: pl.Expr = pl.lit("Ungültiger Wert")
    for cond, msg in reversed(conds):
        err = pl.when(cond.fill_null(True)).then(pl.lit(msg)).otherwise(err)
    err = pl.when(c.is_null()).then(pl.lit(_MSG_REQUIRED if f.required else None)).otherwise(err)
    err = pl.when(c.is_not_null() & typed.is_not_null()).then(pl.lit(None, dtype=pl.String)).otherwise(err)
    return typed, err


def _is_plain(layout: SourceLayout, name: str) -> bool:
    f = layout.field(name)
    return f.type is FieldType.TEXT and not (f.choices or f.pattern or f.upper)


# --- streaming input (CSV) -----------------------------------------------------------------

#: Data rows checked at a time; the memory of a CSV import is bounded by this (see docs/sicherheit.md).
BATCH_ROWS = 10_000
_CHUNK = 1 << 20
_WS_BYTES = b" \t\n\r\x0b\x0c"
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


class _Input:
    """A seekable binary stream over ``data`` (a non-seekable file object is spooled to a
    temporary file first; bytes stay where they are)."""

    def __init__(self, data: str | os.PathLike[str] | bytes | BinaryIO) -> None:
        self._close = True
        self.wrappers: list[io.TextIOWrapper] = []
        if isinstance(data, bytes | bytearray | memoryview):
            self.stream: BinaryIO = io.BytesIO(data)
        elif hasattr(data, "read"):
            seekable = getattr(data, "seekable", None)
            if seekable is not None and seekable():
                self.stream, self._close = cast(BinaryIO, data), False
            else:
                spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
                while chunk := data.read(_CHUNK):
                    if not isinstance(chunk, bytes):
                        raise TypeError("read_source needs a binary file object")
                    spool.write(chunk)
                spool.seek(0)
                self.stream = spool
        else:
            try:
                self.stream = open(data, "rb")  # noqa: SIM115 - closed in close()
            except OSError as exc:
                raise ImportRefused(f"Die Datei kann nicht geöffnet werden ({exc.strerror}).") from exc
        self.start = self.stream.tell()
        probe = self.stream.read(0)
        if not isinstance(probe, bytes):
            raise TypeError("read_source needs a binary file object")

    def rewind(self) -> BinaryIO:
        self.stream.seek(self.start)
        return self.stream

    def chunks(self) -> Iterator[bytes]:
        stream = self.rewind()
        while chunk := stream.read(_CHUNK):
            yield chunk

    def close(self) -> None:
        for wrapper in self.wrappers:
            wrapper.detach()
        if self._close:
            self.stream.close()


def _detect_encoding(inp: _Input) -> tuple[str, str, int]:
    """(codec for decoding, reported encoding, estimated lines), decided exactly as for the
    whole file in memory but in one pass over chunks: BOM, NUL bytes, strict UTF-8, the
    share of UTF-8 multibyte sequences, strict Windows-1252."""
    head = inp.rewind().read(4)
    nonblank = False
    newlines = 0
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    bom = head.startswith(codecs.BOM_UTF8)
    utf8_error: int | None = None  # line of the first invalid UTF-8 byte
    cp_error: int | None = None  # line of the first byte Windows-1252 does not define
    nul = False
    high = multibyte = 0
    carry = b""
    pending = b""
    first = True
    u16 = codecs.getincrementaldecoder("utf-16")()
    for chunk in inp.chunks():
        if first and bom:
            chunk = chunk[3:]
        first = False
        nonblank = nonblank or bool(chunk.strip(_WS_BYTES))
        if utf16:
            try:
                u16.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ImportRefused(
                    "Die Datei ist als UTF-16 gekennzeichnet, aber fehlerhaft kodiert."
                ) from exc
            newlines += chunk.count(b"\n")
            continue
        nul = nul or b"\x00" in chunk
        if utf8_error is None:
            buf = pending + chunk
            try:
                _, used = codecs.utf_8_decode(buf, "strict", False)
                pending = buf[used:]
            except UnicodeDecodeError as exc:
                utf8_error = newlines + buf.count(b"\n", 0, exc.start) + 1
        if cp_error is None and (m := _CP1252_UNDEFINED.search(chunk)):
            cp_error = newlines + chunk.count(b"\n", 0, m.start()) + 1
        high += len(chunk) - len(chunk.translate(None, bytes(range(0x80, 0x100))))
        buf = carry + chunk
        last = 0
        for m in _UTF8_MULTIBYTE.finditer(buf):
            if m.start() >= len(buf) - 3:
                break
            multibyte += m.end() - m.start()
            last = m.end()
        carry = buf[max(last, len(buf) - 3) :]
        newlines += chunk.count(b"\n")
    if utf16:
        try:
            u16.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise ImportRefused("Die Datei ist als UTF-16 gekennzeichnet, aber fehlerhaft kodiert.") from exc
        if not nonblank:
            raise ImportRefused("Die Datei ist leer.")
        return "utf-16", "utf-16", newlines
    multibyte += sum(len(m) for m in _UTF8_MULTIBYTE.findall(carry))
    if not nonblank and not bom:
        raise ImportRefused("Die Datei ist leer.")
    if utf8_error is None and pending:
        utf8_error = newlines + 1
    if bom:
        if utf8_error is not None:
            raise ImportRefused(_broken_utf8_message_at(utf8_error))
        return "utf-8-sig", "utf-8-sig", newlines
    if nul:
        raise ImportRefused(_MSG_BINARY)
    if utf8_error is None:
        return "utf-8", "utf-8", newlines
    if multibyte and multibyte * 2 >= high:
        raise ImportRefused(_broken_utf8_message_at(utf8_error))
    if cp_error is not None:
        raise ImportRefused(
            "Die Zeichenkodierung der Datei ist weder UTF-8 noch Windows-1252 "
            f"(unbekanntes Byte in Zeile {cp_error}); bitte als UTF-8 speichern."
        )
    return "cp1252", "cp1252", newlines


def _broken_utf8_message_at(line: int) -> str:
    return (
        f"Die Datei ist UTF-8-kodiert, enthält aber in Zeile {line} ungültige Zeichen; "
        "bitte die Datei erneut als UTF-8 exportieren."
    )


@dataclass
class _Spool:
    """Header and facts of a file whose well-formed rows were written to a Parquet file."""

    file_format: str
    encoding: str | None
    delimiter: str | None
    header: list[str]
    broken: list[tuple[int, list[str]]]  # the first ``keep_broken`` of them, in row order
    blank_rows: int
    good_rows: int
    broken_count: int = 0  # all rows with a wrong field count
    keep_broken: int | None = None  # None: keep every broken row

    def add_broken(self, row: int, values: list[str]) -> None:
        self.broken_count += 1
        if self.keep_broken is None or len(self.broken) < self.keep_broken:
            self.broken.append((row, values))


def _csv_batches(
    inp: _Input, codec: str, batch_rows: int
) -> tuple[str, list[str], Iterator[tuple[list[list[str]], list[int]]], _Spool]:
    """Header and an iterator of (well-formed rows, their start lines) batches, read row by
    row with the csv module exactly as :func:`_parse_csv` and :func:`_split_records` do
    for the whole text (CR and CRLF become LF first); broken and blank rows are counted
    into the returned spool record while the iterator runs."""
    probe = io.TextIOWrapper(inp.rewind(), encoding=codec, newline="")
    sample = probe.read(200_000)
    probe.detach()
    if len(_CONTROL.findall(sample)) > max(3, len(sample) // 1000) and sample.strip():
        raise ImportRefused(_MSG_BINARY)
    del sample
    text = io.TextIOWrapper(inp.rewind(), encoding=codec, newline=None)
    inp.wrappers.append(text)
    lines = iter(text)
    seen: list[str] = []
    first_line = ""
    for line in lines:
        seen.append(line)
        if line != "\n":
            first_line = line.rstrip("\n")
            break
    delimiter = _detect_delimiter(first_line)
    reader = csv.reader(itertools.chain(seen, lines), delimiter=delimiter, quotechar='"', strict=False)
    prev = 0
    header: list[str] | None = None

    def is_blank(rec: list[str]) -> bool:
        return not rec or (not rec[0].strip() and not "".join(rec).strip())

    try:
        for rec in reader:
            prev = reader.line_num
            if is_blank(rec):
                continue
            header = list(rec)
            break
    except csv.Error as exc:  # pragma: no cover - csv with strict=False hardly raises
        raise ImportRefused(f"Die CSV-Datei ist nicht lesbar ({exc}).") from exc
    if header is None:
        raise ImportRefused("Die Datei ist leer.")
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    info = _Spool("csv", None, delimiter, header, [], 0, 0)

    def batches() -> Iterator[tuple[list[list[str]], list[int]]]:
        nonlocal prev
        good: list[list[str]] = []
        starts: list[int] = []
        try:
            for rec in reader:
                start, prev = prev + 1, reader.line_num
                if is_blank(rec):
                    info.blank_rows += 1
                elif len(rec) == width:
                    good.append(rec)
                    starts.append(start)
                elif len(rec) > width and not "".join(rec[width:]).strip():
                    good.append(rec[:width])
                    starts.append(start)
                else:
                    info.add_broken(start, rec)
                if len(good) >= batch_rows:
                    yield good, starts
                    good, starts = [], []
        except csv.Error as exc:  # pragma: no cover
            raise ImportRefused(f"Die CSV-Datei ist nicht lesbar ({exc}).") from exc
        if good:
            yield good, starts

    return delimiter, header, batches(), info


def _raw_frame(header: Sequence[str], rows: list[list[str]], starts: Sequence[int]) -> pl.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    return pl.DataFrame(
        [pl.Series(f"__c{i}", col, dtype=pl.String) for i, col in enumerate(columns)]
        + [pl.Series("_row", list(starts), dtype=pl.Int32)]
    )


def _cleaned(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().pipe(lambda e: pl.when(e.str.len_chars() > 0).then(e))


def _key_frame(layout: SourceLayout, raw: pl.DataFrame, by_field: Mapping[str, int]) -> pl.DataFrame:
    """The typed duplicate-key fields of a batch as text (NULL when empty or invalid)."""
    keys = list(layout.duplicate_key)
    exprs: list[pl.Expr] = []
    for k in keys:
        if k in by_field:
            typed, _ = _field_exprs(layout, k, f"__s_{k}")
            exprs.append(typed.cast(pl.String).alias(f"__k_{k}"))
        else:
            exprs.append(pl.lit(None, dtype=pl.String).alias(f"__k_{k}"))
    pre = [_cleaned(f"__c{by_field[k]}").alias(f"__s_{k}") for k in keys if k in by_field]
    return raw.select("_row", *pre).select("_row", *exprs)


#: DuckDB's memory limit (MiB) while it groups the duplicate keys of a file; beyond it DuckDB
#: spills to the temporary directory. There is no import memory setting to derive it from: the
#: memory of an import is set by ``MISSIMO_IMPORT_BATCH_ROWS`` (see docs/sicherheit.md), and this
#: limit is part of the budget measured there.
DUPLICATE_KEY_MEMORY_MB = 256
#: Rows per batch when DuckDB's per-row duplicate messages are written to disk.
_DUP_FETCH_ROWS = 100_000
_FIRST_FIVE = "array_to_string(list_slice(list(_row ORDER BY _row), 1, 5), ', ')"
_DUP_SCHEMA = pa.schema(
    [pa.field("_row", pa.int32()), pa.field("n", pa.int64()), pa.field("rows", pa.string())]
)


def _dup_rows(layout: SourceLayout, key_file: str, dest: Path, memory_mb: int) -> None:
    """Write every row that shares its duplicate key with another key-complete row to the
    Parquet file ``dest``, ordered by ``_row``: its row number, how many rows share the key
    (``n``) and the first five of them (``rows``, ``"3, 8"``). Out of core: DuckDB groups
    and sorts the key file on disk with a memory limit, and the result is streamed to
    ``dest`` batch by batch, so neither the duplicate keys nor their rows are ever held in
    memory as a whole (a file in which every key occurs twice has half its rows here)."""
    import duckdb

    keys = [f'"__k_{k}"' for k in layout.duplicate_key]
    cols = ", ".join(keys)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    con = duckdb.connect(config={"memory_limit": f"{memory_mb}MB", "threads": 1})
    try:
        con.execute("SET temp_directory = ?", [str(Path(key_file).parent / "duckdb_tmp")])
        con.execute("SET preserve_insertion_order = false")
        # column names come from the layout, the path is a parameter
        k_rows = f"SELECT _row, {cols} FROM read_parquet(?) WHERE {not_null}"  # noqa: S608
        g_keys = f"SELECT {cols}, count(*) AS n, {_FIRST_FIVE} AS rows FROM k GROUP BY ALL HAVING n > 1"  # noqa: S608
        query = f"WITH k AS ({k_rows}), g AS ({g_keys}) SELECT CAST(k._row AS INTEGER) AS _row, g.n, g.rows "
        query += f"FROM k JOIN g USING ({cols}) ORDER BY k._row"
        relation = con.sql(query, params=[key_file])
        assert relation is not None
        stream = relation.to_arrow_reader(_DUP_FETCH_ROWS)
        with pq.ParquetWriter(str(dest), _DUP_SCHEMA, compression="lz4") as out:
            for batch in stream:
                out.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=_DUP_SCHEMA))
    finally:
        con.close()


class _DupCursor:
    """Reads the per-row duplicate messages of :func:`_dup_rows` alongside the batches of
    pass 2: both are ordered by ``_row``, so each batch takes the messages up to its last
    row and only one batch of messages is in memory at a time."""

    def __init__(self, layout: SourceLayout, path: Path | None, batch_rows: int) -> None:
        keys = list(layout.duplicate_key)
        label = " und ".join(layout.field(k).label for k in keys)
        verb = "kommen" if len(keys) > 1 else "kommt"
        self._prefix = f"{label} {verb} mehrfach in der Datei vor (Zeilen "
        self._batches = (
            iter(pq.ParquetFile(str(path)).iter_batches(batch_size=batch_rows)) if path else iter(())
        )
        self._pending = pl.DataFrame(schema={"_row": pl.Int32, "n": pl.Int64, "rows": pl.String})

    def upto(self, last_row: int) -> pl.DataFrame:
        """``_row`` and ``__dupmsg`` of the duplicate rows up to ``last_row``."""
        parts = [self._pending]
        while parts[-1].height == 0 or parts[-1]["_row"][-1] <= last_row:
            batch = next(self._batches, None)
            if batch is None:
                break
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            parts.append(frame)
        frame = pl.concat(parts) if len(parts) > 1 else parts[0]
        taken = frame.filter(pl.col("_row") <= last_row)
        self._pending = frame.filter(pl.col("_row") > last_row)
        message = pl.concat_str(
            pl.lit(self._prefix),
            pl.col("rows"),
            pl.when(pl.col("n") > 5).then(pl.lit(", …")).otherwise(pl.lit("")),
            pl.lit(")"),
        )
        return taken.select(pl.col("_row"), message.alias("__dupmsg"))


def _check_batch(
    layout: SourceLayout,
    raw: pl.DataFrame,
    header_width: int,
    column_map: Mapping[int, str],
    dups: pl.DataFrame,
    keep: int | None = None,
) -> tuple[pa.Table, list[RejectedRow], int]:
    """Check one batch of well-formed rows (``__c<i>`` raw columns and ``_row``):
    accepted rows in the snapshot schema, the first ``keep`` rejected rows (all if
    ``None``) with German messages, and the number of all rejected rows of the batch.
    ``dups`` holds ``_row`` and ``__dupmsg`` of the batch's rows with a duplicate key."""
    n_ok = raw.height
    raw_cols_all = [raw[f"__c{i}"] for i in range(header_width)]
    by_field = {target: i for i, target in column_map.items()}
    cols: dict[str, pl.Series] = {}
    for name in layout.field_names:
        if name in by_field:
            cols[name] = raw_cols_all[by_field[name]].alias(name)
        else:
            cols[name] = pl.Series(name, [None] * n_ok, dtype=pl.String)
    frame = pl.DataFrame(cols, height=n_ok).with_columns(
        raw["_row"].alias("_row"), pl.int_range(pl.len(), dtype=pl.Int32).alias("_idx")
    )
    names = layout.field_names
    cleaned = frame.lazy().select(
        pl.col("_idx"), pl.col("_row"), *[_cleaned(n).alias(f"__s_{n}") for n in names]
    )
    exprs = {n: _field_exprs(layout, n, f"__s_{n}") for n in names}
    cleaned_df = cleaned.collect()
    # Parsing runs once per distinct value (dates, codes and amounts repeat a lot) and
    # is joined back; plain text fields are only checked for length, over all rows.
    plain = [n for n in names if _is_plain(layout, n)]
    typed_lf = cleaned_df.lazy().with_columns(*[exprs[n][0].alias(n) for n in plain])
    for n in names:
        if n in plain:
            continue
        src = f"__s_{n}"
        distinct = cleaned_df.lazy().select(pl.col(src).unique().drop_nulls())
        distinct = distinct.with_columns(exprs[n][0].alias(n))
        typed_lf = typed_lf.join(distinct, on=src, how="left", maintain_order="left")
    typed = typed_lf.collect()
    del cleaned_df
    keys = list(layout.duplicate_key)
    key_ok = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    typed = typed.join(dups, on="_row", how="left", maintain_order="left")
    invalid = [pl.col(f"__s_{n}").is_not_null() & pl.col(n).is_null() for n in names]
    missing = [pl.col(f"__s_{n}").is_null() for n in layout.required_fields]
    checks = [chk.error_expr().is_not_null() for chk in layout.checks]
    typed = typed.with_columns((key_ok & pl.col("__dupmsg").is_not_null()).alias("__dup")).with_columns(
        pl.any_horizontal([*invalid, *missing, *checks, pl.col("__dup")]).alias("__bad")
    )

    schema = snapshot_schema(layout)
    key_expr = pl.concat_str([pl.col(k).cast(pl.String) for k in layout.key], separator="/").alias("_key")
    accepted = typed.filter(~pl.col("__bad")).select(
        *[pl.col(n) for n in layout.field_names], pl.col("_row"), key_expr
    )
    table = accepted.to_arrow().cast(schema)

    rejected: list[RejectedRow] = []
    bad = typed.filter(pl.col("__bad")).sort("_idx")
    n_bad = bad.height
    if keep is not None:
        bad = bad.head(keep)
    if bad.height:
        err_cols: list[tuple[str, str]] = [(f"__err_{n}", n) for n in names]
        err_cols += [(f"__chk_{j}", chk.column) for j, chk in enumerate(layout.checks)]
        err_cols.append(("__dupmsg2", keys[0]))
        bad = bad.with_columns(
            *[e.alias(f"__err_{n}") for n, (_, e) in exprs.items()],
            *[chk.error_expr().alias(f"__chk_{j}") for j, chk in enumerate(layout.checks)],
            pl.when(pl.col("__dup")).then(pl.col("__dupmsg")).alias("__dupmsg2"),
        )
        err_names = [e for e, _ in err_cols]
        field_of = dict(err_cols)
        long = (
            bad.select("_idx", "_row", *err_names)
            .unpivot(index=["_idx", "_row"], variable_name="__col", value_name="__msg")
            .drop_nulls("__msg")
        )
        long = long.with_columns(pl.col("__col").replace_strict(field_of, return_dtype=pl.String))
        order = {n: i for i, n in enumerate(layout.field_names)}
        long = long.with_columns(
            pl.col("__col").replace_strict(order, return_dtype=pl.Int32).alias("__ord")
        ).sort("_idx", "__ord")
        raw_vals = frame.filter(pl.col("_idx").is_in(bad["_idx"].implode()))
        raw_cols = {n: raw_vals[n].to_list() for n in layout.field_names}
        idx_pos = {idx: p for p, idx in enumerate(raw_vals["_idx"].to_list())}
        all_raw_idx = raw_vals["_idx"].to_list()
        bad_idx = pl.Series(all_raw_idx, dtype=pl.Int64)
        original = [col.gather(bad_idx).to_list() for col in raw_cols_all]
        grouped: dict[int, list[RowError]] = {}
        for idx, row, col, msg in long.select("_idx", "_row", "__col", "__msg").iter_rows():
            value = raw_cols[col][idx_pos[idx]] or ""
            grouped.setdefault(idx, []).append(RowError(row, col, value.strip(), msg))
        rows_of = dict(zip(raw_vals["_idx"].to_list(), raw_vals["_row"].to_list(), strict=True))
        for idx in all_raw_idx:
            p = idx_pos[idx]
            row = rows_of[idx]
            errors = grouped.get(idx) or [RowError(row, "", "", "Ungültige Zeile")]  # defensive
            rejected.append(RejectedRow(row, tuple(c[p] for c in original), tuple(errors)))
    return table, rejected, n_bad


def read_source(
    source: str | SourceLayout,
    data: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    mapping: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    batch_rows: int = BATCH_ROWS,
    keep_rejected: int | None = None,
) -> ReadResult:
    """Read one export of ``source`` (a name of :data:`~missimo.engine.sources.SOURCES`).

    ``data`` is a path, the file's bytes or a binary file object (e.g. an upload);
    CSV or XLSX is recognised by content, not by name. ``mapping`` maps a variant's
    column names to contract field names (case-insensitive, e.g.
    ``{"Name": "Familienname"}``) and is applied before the header is matched.

    ``progress(done, total)`` reports rows processed for a progress bar: ``done``
    only grows; reading the file counts as the first half of the work and checking
    as the second, so ``done`` reaches ``total // 2`` when the file is read and
    ``total`` at the end (the last call is ``done == total == data_rows``). While
    reading, ``total`` is an estimate from the number of lines.

    Memory: a CSV is read as a stream and checked ``batch_rows`` data rows at a time;
    the rows are spooled to temporary files (Parquet for the raw rows, Arrow IPC for the
    accepted ones, which ``result.table`` maps from disk), duplicate keys are grouped
    out of core by DuckDB and their per-row messages read back batch by batch. Every
    rejected row is counted (``result.rejected_count``), but with ``keep_rejected`` only
    the first ``keep_rejected`` of them (by row number) are kept with their values and
    errors in ``result.rejected``; ``None`` keeps all, so only then does memory grow with
    the rejected rows. An XLSX is read whole (its unpacked size is bounded before).

    Raises :class:`ImportRefused` (one German message) when the file cannot be used as
    a whole; otherwise returns a :class:`ReadResult`. An unknown source name is a
    programming error and raises ``KeyError`` (see :func:`get_source`).
    """
    layout = source if isinstance(source, SourceLayout) else get_source(source)
    batch_rows = max(1, batch_rows)
    keep = None if keep_rejected is None else max(0, keep_rejected)
    inp = _Input(data)
    try:
        with tempfile.TemporaryDirectory(prefix="missimo-read-") as tmp:
            return _read(layout, inp, mapping, progress, batch_rows, Path(tmp), keep)
    finally:
        inp.close()


def _read(
    layout: SourceLayout,
    inp: _Input,
    mapping: Mapping[str, str] | None,
    progress: ProgressCallback | None,
    batch_rows: int,
    tmp: Path,
    keep: int | None = None,
) -> ReadResult:
    head = inp.rewind().read(4)
    if not head.strip(_WS_BYTES) and not any(c.strip(_WS_BYTES) for c in inp.chunks()):
        raise ImportRefused("Die Datei ist leer.")
    raw_batches: Iterator[pl.DataFrame]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        rec = _xlsx_records(inp.rewind().read(), progress)
        info = _Spool("xlsx", None, None, rec.header, [], rec.blank_rows, 0, keep_broken=keep)
        for row, values in rec.broken:
            info.add_broken(row, values)
        frame = pl.DataFrame(
            [c.alias(f"__c{i}") for i, c in enumerate(rec.columns)] + [rec.lines.alias("_row")]
        )
        del rec
        raw_batches = iter(frame.iter_slices(batch_rows))
        estimate = frame.height
    else:
        codec, encoding, estimate = _detect_encoding(inp)
        _, header, csv_batches, info = _csv_batches(inp, codec, batch_rows)
        info.encoding = encoding
        info.keep_broken = keep
        raw_batches = (_raw_frame(header, rows, starts) for rows, starts in csv_batches)
    estimate = max(1, estimate)
    column_map, extra, missing_optional = _map_header(layout, info.header, mapping)
    by_field = {target: i for i, target in column_map.items()}
    width = len(info.header)

    # pass 1: raw rows and their typed duplicate keys to disk
    spool_path = str(tmp / "rows.parquet")
    writer: pq.ParquetWriter | None = None
    for batch in raw_batches:
        keyed = batch.with_columns(_key_frame(layout, batch, by_field).drop("_row"))
        table = keyed.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(spool_path, table.schema, compression="lz4")
        writer.write_table(table)
        info.good_rows += batch.height
        if progress is not None:
            progress(min(info.good_rows // 4, estimate // 2), estimate)
    if writer is not None:
        writer.close()
    data_rows = info.good_rows + info.broken_count
    if data_rows == 0:
        raise ImportRefused("Die Datei enthält nur die Kopfzeile und keine Datensätze.")
    if progress is not None:
        progress(data_rows // 4, data_rows)

    # duplicate keys over the whole file, out of core: per-row messages on disk
    dup_path: Path | None = None
    if writer is not None:
        dup_path = tmp / "duplicates.parquet"
        _dup_rows(layout, spool_path, dup_path, DUPLICATE_KEY_MEMORY_MB)
    dups = _DupCursor(layout, dup_path, batch_rows)

    # pass 2: check each batch; accepted rows to an Arrow file mapped from disk. Batches
    # come in row order, so the first ``keep`` rejected rows of the batches are the first
    # ``keep`` list entries; every rejected row is counted.
    schema = snapshot_schema(layout)
    accepted_path = tmp / "accepted.arrow"
    rejected: list[RejectedRow] = []
    rejected_count = 0
    done = 0
    with pa.OSFile(str(accepted_path), "wb") as sink, pa.ipc.new_file(sink, schema) as ipc:
        if writer is not None:
            for arrow_batch in pq.ParquetFile(spool_path).iter_batches(batch_size=batch_rows):
                raw = pl.from_arrow(arrow_batch)
                assert isinstance(raw, pl.DataFrame)
                room = None if keep is None else keep - len(rejected)
                batch_dups = dups.upto(raw["_row"].max())  # type: ignore[arg-type]
                table, rej, n_rej = _check_batch(layout, raw, width, column_map, batch_dups, room)
                for b in table.to_batches():
                    ipc.write_batch(b)
                rejected.extend(rej)
                rejected_count += n_rej
                done += raw.height
                if progress is not None:
                    progress(
                        data_rows // 4 + (data_rows - data_rows // 4) * done // (data_rows + 1), data_rows
                    )
    Path(spool_path).unlink(missing_ok=True)
    table = pa.ipc.open_file(pa.memory_map(str(accepted_path))).read_all()

    # broken rows (wrong field count) were found while reading; both lists are the first
    # rows of their kind in row order, so the first ``keep`` of their merge are the first
    # ``keep`` rejected rows of the file
    sep = info.delimiter or ";"
    broken: list[RejectedRow] = []
    for row, values in info.broken:
        msg = f"Zeile hat {len(values)} statt {width} Felder" + (
            " (abgeschnitten oder Anführungszeichen nicht geschlossen?)" if len(values) < width else ""
        )
        broken.append(RejectedRow(row, tuple(values), (RowError(row, "", sep.join(values), msg),)))
    info.broken = []
    rejected_count += info.broken_count
    merged = heapq.merge(rejected, broken, key=lambda r: r.row)
    rejected = list(merged if keep is None else itertools.islice(merged, keep))

    assert table.num_rows + rejected_count == data_rows
    if progress is not None:
        progress(data_rows, data_rows)
    return ReadResult(
        source=layout.name,
        file_format=info.file_format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        header=tuple(info.header),
        column_map=column_map,
        extra_columns=tuple(extra),
        missing_optional_columns=tuple(missing_optional),
        table=table,
        rejected=tuple(rejected),
        data_rows=data_rows,
        rejected_count=rejected_count,
        blank_rows=info.blank_rows,
    )
