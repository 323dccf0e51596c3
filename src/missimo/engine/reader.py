"""Read one agency export (CSV or XLSX) into a typed snapshot table plus rejected rows.

Public API (everything else is internal)::

    read_source(source, data, *, mapping=None, progress=None) -> ReadResult
    write_rejected_csv(result, dest, *, escape_formulas=True) -> int
    write_snapshot(table, path) -> None          # atomic Parquet write
    sha256_of(data) -> str                       # hex digest of the original file
    snapshot_schema(source) -> pyarrow.Schema
    ImportRefused                                # the only exception for a refused file

Guarantees of :func:`read_source`:

* Every data record of the file is either accepted (a row of ``result.table``) or
  rejected (an entry of ``result.rejected``): ``accepted_count + rejected_count ==
  data_rows``. Lines that are completely blank (no value in any field, e.g. ``;;;;``)
  are not data records; they are counted in ``blank_rows`` and otherwise ignored.
* A file that cannot be used as a whole raises :class:`ImportRefused` with exactly one
  German message: unreadable or binary, an encoding that is neither UTF-8 nor
  Windows-1252, empty, header only (refused, so that an empty delivery can never
  replace a source's snapshot by nothing), a required column missing (the message
  names the source the file seems to belong to, if any), a column present twice.
* Row numbers are file lines (CSV: the line where the record starts; header = 1) or
  sheet rows (XLSX, header = row 1).

Encoding: a UTF-8 BOM means UTF-8; otherwise strict UTF-8 is tried, then strict
Windows-1252 (cp1252). A file that is mostly valid UTF-8 but has a few broken bytes is
refused rather than read as cp1252 (which would silently turn every umlaut into
mojibake). A cp1252 file can only carry the characters cp1252 has: German umlauts,
``ß``, ``â``, ``î``, ``ă`` are NOT in cp1252 (neither is ``ș``/``ț`` nor the cedilla
forms ``ş``/``ţ``, nor any Cyrillic letter); offices with such names must deliver UTF-8.

XLSX: the first sheet is read with python-calamine. Formulas are never evaluated: a
formula cell yields the value Excel stored with it (empty if none was stored), and a
text cell that merely looks like a formula (``=1+1``) is taken as plain text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

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
    columns, typed, then ``_row`` and ``_key``). ``encoding`` is ``"utf-8"``,
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
    blank_rows: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def accepted_count(self) -> int:
        return self.table.num_rows

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    @property
    def errors(self) -> list[RowError]:
        """All errors of all rejected rows, in row order."""
        return [e for r in self.rejected for e in r.errors]

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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")


def _escape_formula(value: str) -> str:
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_rejected_csv(
    result: ReadResult, dest: str | os.PathLike[str] | BinaryIO, *, escape_formulas: bool = True
) -> int:
    """Write the rejected rows for the office to correct and deliver again.

    CSV, ``;``, UTF-8 with BOM (opens correctly in Excel), header = the file's original
    header + ``Zeile`` + ``Fehler``; one line per rejected row with its original values.
    ``Fehler`` lists every problem as ``Spalte: Meldung (Wert: …)``, separated by
    `` | ``. With ``escape_formulas`` (default) a value that Excel would run as a
    formula (starting with ``= + - @``, unless a plain number) gets a leading ``'``.
    Returns the number of rows written.
    """
    width = len(result.header)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([*result.header, "Zeile", "Fehler"])
    for rej in result.rejected:
        values = list(rej.values[:width]) + [""] * max(0, width - len(rej.values))
        if escape_formulas:
            values = [_escape_formula(v) for v in values]
        problems = " | ".join(
            (f"{e.column}: " if e.column else "")
            + e.message
            + (f" (Wert: {e.value})" if e.value and e.column else "")
            for e in rej.errors
        )
        if escape_formulas:
            problems = _escape_formula(problems)
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
    columns: list[list[str]]  # one list per header column, only rows of the right width
    lines: list[int]  # file row number of each well-formed row
    broken: list[tuple[int, list[str]]]  # (row number, raw values) with a wrong field count
    blank_rows: int


def _load(data: str | os.PathLike[str] | bytes) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    try:
        return Path(data).read_bytes()
    except OSError as exc:
        raise ImportRefused(f"Die Datei kann nicht geöffnet werden ({exc.strerror}).") from exc


_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}",
)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportRefused(_broken_utf8_message(raw, exc.start + 3)) from exc
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportRefused("Die Datei ist als UTF-16 gekennzeichnet, aber fehlerhaft kodiert.") from exc
    if b"\x00" in raw:
        raise ImportRefused(_MSG_BINARY)
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        high = sum(1 for b in raw if b >= 0x80)
        multibyte = sum(len(m) for m in _UTF8_MULTIBYTE.findall(raw))
        if multibyte and multibyte * 2 >= high:
            raise ImportRefused(_broken_utf8_message(raw, exc.start)) from exc
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            "Die Zeichenkodierung der Datei ist weder UTF-8 noch Windows-1252 "
            f"(unbekanntes Byte in Zeile {raw.count(b'\n', 0, exc.start) + 1}); bitte als UTF-8 speichern."
        ) from exc


def _broken_utf8_message(raw: bytes, pos: int) -> str:
    line = raw.count(b"\n", 0, pos) + 1
    return (
        f"Die Datei ist UTF-8-kodiert, enthält aber in Zeile {line} ungültige Zeichen; "
        "bitte die Datei erneut als UTF-8 exportieren."
    )


_MSG_BINARY = (
    "Die Datei ist keine Textdatei (CSV) und keine Excel-Arbeitsmappe (XLSX) und kann nicht gelesen werden."
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[";"] else ";"


def _csv_records(raw: bytes, progress: ProgressCallback | None) -> _Records:
    text, encoding = _decode(raw)
    if not text.strip():
        raise ImportRefused("Die Datei ist leer.")
    sample = text[:200_000]
    if len(_CONTROL.findall(sample)) > max(3, len(sample) // 1000):
        raise ImportRefused(_MSG_BINARY)
    stripped = text.lstrip("\r\n")
    first_line = stripped.split("\n", 1)[0]
    delimiter = _detect_delimiter(first_line)
    estimate = max(1, text.count("\n"))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    header: list[str] | None = None
    columns_rows: list[list[str]] = []
    lines: list[int] = []
    broken: list[tuple[int, list[str]]] = []
    blank = 0
    width = 0
    prev = 0
    try:
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if not rec or not any(v.strip() for v in rec):
                if header is not None:
                    blank += 1
                continue
            if header is None:
                header = rec
                # trailing unnamed header columns (a trailing delimiter) are not columns
                while header and not header[-1].strip():
                    header.pop()
                width = len(header)
                continue
            n = len(rec)
            if n == width:
                columns_rows.append(rec)
                lines.append(start)
            elif n > width and not any(v.strip() for v in rec[width:]):
                columns_rows.append(rec[:width])
                lines.append(start)
            else:
                broken.append((start, rec))
            if progress is not None and (len(lines) + len(broken)) % PROGRESS_EVERY == 0:
                progress(len(lines) + len(broken), estimate)
    except csv.Error as exc:  # pragma: no cover - csv with strict=False hardly raises
        raise ImportRefused(f"Die CSV-Datei ist in Zeile {prev + 1} nicht lesbar ({exc}).") from exc
    if header is None:
        raise ImportRefused("Die Datei ist leer.")
    columns = [list(c) for c in zip(*columns_rows, strict=True)] if columns_rows else [[] for _ in header]
    del columns_rows
    return _Records("csv", encoding, delimiter, header, columns, lines, broken, blank)


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
            progress(len(lines) + len(broken), estimate)
    if header is None:
        raise ImportRefused("Die Datei ist leer.")
    columns = [list(c) for c in zip(*columns_rows, strict=True)] if columns_rows else [[] for _ in header]
    return _Records("xlsx", None, None, header, columns, lines, broken, blank)


# --- header -> contract fields -----------------------------------------------------------


def _norm_name(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


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

_DE_DATE = r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"
_ISO_DATE = r"^(\d{4})-(\d{1,2})-(\d{1,2})$"
_MONTH_DE = r"^(\d{1,2})[./](\d{4})$"
_MONTH_ISO = r"^(\d{4})-(\d{1,2})$"

_MSG_REQUIRED = "Pflichtfeld ist leer"
_MSG_TOO_LONG = f"Wert ist zu lang (mehr als {MAX_FIELD_CHARS} Zeichen)"


def _iso_text(c: pl.Expr) -> pl.Expr:
    """TT.MM.JJJJ or JJJJ-MM-TT -> 'JJJJ-M-T' text (not yet validated); else NULL."""
    return (
        pl.when(c.str.contains(_DE_DATE))
        .then(c.str.replace(_DE_DATE, "${3}-${2}-${1}"))
        .when(c.str.contains(_ISO_DATE))
        .then(c)
        .otherwise(None)
    )


def _year_ok(d: pl.Expr) -> pl.Expr:
    return d.dt.year().is_between(MIN_YEAR, MAX_YEAR)


def _date_exprs(c: pl.Expr, kind: FieldType) -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    """Typed value and (condition, message) pairs for the date-like field types."""
    iso = _iso_text(c)
    full = iso.str.to_date("%Y-%m-%d", strict=False)
    has_zero = iso.str.contains(r"-0{1,2}(-|$)")
    fmt_msg = "Kein gültiges Datum (erwartet TT.MM.JJJJ)"
    if kind is FieldType.DATE:
        typed = pl.when(_year_ok(full)).then(full).otherwise(None)
        errs = [
            (iso.is_null(), fmt_msg),
            (has_zero, "Tag oder Monat 00 ist hier nicht zulässig"),
            (full.is_null(), "Dieses Datum gibt es nicht"),
            (~_year_ok(full), f"Jahr außerhalb {MIN_YEAR}–{MAX_YEAR}"),
        ]
        return typed, errs
    if kind is FieldType.PARTIAL_DATE:
        y = iso.str.extract(_ISO_DATE, 1)
        m = iso.str.extract(_ISO_DATE, 2).cast(pl.Int32)
        d = iso.str.extract(_ISO_DATE, 3).cast(pl.Int32)
        partial_ok = ((m == 0) & (d == 0)) | (m.is_between(1, 12) & (d == 0))
        year_ok = y.cast(pl.Int32).is_between(MIN_YEAR, MAX_YEAR)
        text = pl.concat_str(
            y, pl.lit("-"), m.cast(pl.String).str.zfill(2), pl.lit("-"), d.cast(pl.String).str.zfill(2)
        )
        ok = (full.is_not_null() | partial_ok) & year_ok
        typed = pl.when(ok).then(text).otherwise(None)
        errs = [
            (iso.is_null(), "Kein gültiges Datum (erwartet TT.MM.JJJJ, 00 für unbekannten Tag/Monat)"),
            (full.is_null() & ~partial_ok, "Dieses Datum gibt es nicht"),
            (~year_ok, f"Jahr außerhalb {MIN_YEAR}–{MAX_YEAR}"),
        ]
        return typed, errs
    # months: TT.MM.JJJJ, JJJJ-MM-TT, MM.JJJJ, MM/JJJJ, JJJJ-MM
    month_text = (
        pl.when(c.str.contains(_MONTH_DE))
        .then(c.str.replace(_MONTH_DE, "${2}-${1}-1"))
        .when(c.str.contains(_MONTH_ISO))
        .then(pl.concat_str(c, pl.lit("-1")))
        .otherwise(None)
    )
    month = month_text.str.to_date("%Y-%m-%d", strict=False)
    any_form = iso.is_not_null() | month_text.is_not_null()
    value = pl.coalesce(full, month)
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
    if f_type is FieldType.DECIMAL:
        typed = num.cast(final_type, strict=False)
    else:
        typed = value.cast(final_type, strict=False)
    return typed, errs


def _fmt_num(v: float) -> str:
    return f"{v:,.0f}".replace(",", ".") if v == int(v) else str(v).replace(".", ",")


def _field_exprs(layout: SourceLayout, name: str) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, error message or NULL) for one field, on the cleaned text column."""
    f = layout.field(name)
    c = pl.col(name)
    conds: list[tuple[pl.Expr, str]] = [(c.str.len_chars() > MAX_FIELD_CHARS, _MSG_TOO_LONG)]
    typed: pl.Expr
    if f.type is FieldType.TEXT:
        v = c
        if f.upper:
            v = v.str.replace_all(r"\s+", "").str.to_uppercase()
        if f.choices:
            v = v.str.replace_all(r"\s+", " ").str.to_lowercase()
            v = v.replace_strict([x.lower() for x in f.choices], list(f.choices), default=None)
            conds.append((v.is_null(), f"Ungültiger Wert (erlaubt: {', '.join(f.choices)})"))
        if f.pattern:
            ok = v.str.contains(f"^(?:{f.pattern})$")
            conds.append((~ok, f"Ungültiges Format (erwartet: {f.format_hint or f.pattern})"))
        typed = v
    elif f.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.DOUBLE):
        typed, errs = _number_exprs(c, f.type, f.min_value, f.max_value)
        conds.extend(errs)
    else:
        typed, errs = _date_exprs(c, f.type)
        conds.extend(errs)
    # first matching condition wins; conditions only apply to non-empty values
    err: pl.Expr = pl.lit(None, dtype=pl.String)
    for cond, msg in reversed(conds):
        err = pl.when(cond.fill_null(True)).then(pl.lit(msg)).otherwise(err)
    err = pl.when(c.is_null()).then(pl.lit(_MSG_REQUIRED if f.required else None)).otherwise(err)
    typed = pl.when(err.is_null()).then(typed).otherwise(None)
    return typed, err


def read_source(
    source: str | SourceLayout,
    data: str | os.PathLike[str] | bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
) -> ReadResult:
    """Read one export of ``source`` (a name of :data:`~missimo.engine.sources.SOURCES`).

    ``data`` is a path or the file's bytes; CSV or XLSX is recognised by content, not
    by name. ``mapping`` maps a variant's column names to contract field names
    (case-insensitive, e.g. ``{"Name": "Familienname"}``) and is applied before the
    header is matched. ``progress(done, total)`` is called every
    :data:`PROGRESS_EVERY` data rows while reading and once at the end with
    ``done == total == data_rows`` (``total`` is an estimate before that).

    Raises :class:`ImportRefused` (one German message) when the file cannot be used as
    a whole; otherwise returns a :class:`ReadResult`.
    """
    layout = source if isinstance(source, SourceLayout) else get_source(source)
    raw = _load(data)
    if not raw.strip():
        raise ImportRefused("Die Datei ist leer.")
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        rec = _xlsx_records(raw, progress)
    else:
        rec = _csv_records(raw, progress)
    del raw
    column_map, extra, missing_optional = _map_header(layout, rec.header, mapping)
    n_ok = len(rec.lines)
    data_rows = n_ok + len(rec.broken)
    if data_rows == 0:
        raise ImportRefused("Die Datei enthält nur die Kopfzeile und keine Datensätze.")

    # all-string frame of the contract fields (missing optional -> NULL), cleaned
    # every original column as a string Series (raw values are needed for the report)
    raw_cols_all = [pl.Series(f"__c{i}", col, dtype=pl.String) for i, col in enumerate(rec.columns)]
    rec.columns = []
    by_field = {target: i for i, target in column_map.items()}
    cols: dict[str, pl.Series] = {}
    for name in layout.field_names:
        if name in by_field:
            cols[name] = raw_cols_all[by_field[name]].alias(name)
        else:
            cols[name] = pl.Series(name, [None] * n_ok, dtype=pl.String)
    frame = pl.DataFrame(cols, height=n_ok).with_columns(
        pl.Series("_row", rec.lines, dtype=pl.Int32), pl.int_range(pl.len(), dtype=pl.Int32).alias("_idx")
    )
    cleaned = frame.with_columns(
        [
            pl.col(n).str.strip_chars().pipe(lambda e: pl.when(e.str.len_chars() > 0).then(e).otherwise(None))
            for n in layout.field_names
        ]
    )
    typed_exprs: list[pl.Expr] = []
    err_exprs: list[pl.Expr] = []
    err_cols: list[tuple[str, str]] = []  # (error column, field name)
    for n in layout.field_names:
        t, e = _field_exprs(layout, n)
        typed_exprs.append(t.alias(n))
        err_exprs.append(e.alias(f"__err_{n}"))
        err_cols.append((f"__err_{n}", n))
    typed = cleaned.lazy().select(pl.col("_idx"), pl.col("_row"), *typed_exprs, *err_exprs).collect()

    # row checks (on typed values) and duplicate keys
    check_exprs = []
    for j, chk in enumerate(layout.checks):
        check_exprs.append(chk.error_expr().alias(f"__chk_{j}"))
        err_cols.append((f"__chk_{j}", chk.column))
    keys = list(layout.duplicate_key)
    key_ok = pl.all_horizontal([pl.col(k).is_not_null() for k in keys])
    typed = typed.with_columns(*check_exprs, (key_ok & pl.len().over(keys).gt(1)).alias("__dup"))
    if typed["__dup"].any():
        dups = (
            typed.filter(pl.col("__dup"))
            .group_by(keys)
            .agg(pl.col("_row").sort().head(5).cast(pl.String).str.join(", ").alias("__rows"), pl.len())
        )
        label = " und ".join(layout.field(k).label for k in keys)
        verb = "kommen" if len(keys) > 1 else "kommt"
        dup_msg = pl.concat_str(
            pl.lit(f"{label} {verb} mehrfach in der Datei vor (Zeilen "),
            pl.col("__rows"),
            pl.when(pl.col("len") > 5).then(pl.lit(", …")).otherwise(pl.lit("")),
            pl.lit(")"),
        ).alias("__dupmsg")
        typed = typed.join(dups.select(*keys, dup_msg), on=keys, how="left", nulls_equal=False)
    else:
        typed = typed.with_columns(pl.lit(None, dtype=pl.String).alias("__dupmsg"))
    err_cols.append(("__dupmsg", keys[0]))

    err_names = [e for e, _ in err_cols]
    has_err = pl.any_horizontal([pl.col(e).is_not_null() for e in err_names])
    typed = typed.with_columns(has_err.alias("__bad"))

    # accepted rows -> snapshot table
    schema = snapshot_schema(layout)
    key_expr = pl.concat_str([pl.col(k).cast(pl.String) for k in layout.key], separator="/").alias("_key")
    accepted = (
        typed.filter(~pl.col("__bad"))
        .sort("_idx")
        .select(*[pl.col(n) for n in layout.field_names], pl.col("_row"), key_expr)
    )
    table = accepted.to_arrow().cast(schema)

    # rejected rows: errors long, raw values from the uncleaned frame
    rejected: list[RejectedRow] = []
    bad = typed.filter(pl.col("__bad")).sort("_idx")
    if bad.height:
        field_of = dict(err_cols)
        long = (
            bad.select("_idx", "_row", *err_names)
            .unpivot(index=["_idx", "_row"], variable_name="__col", value_name="__msg")
            .drop_nulls("__msg")
        )
        long = long.with_columns(pl.col("__col").replace_strict(field_of, return_dtype=pl.String))
        # keep the field order of the layout within a row
        order = {n: i for i, n in enumerate(layout.field_names)}
        long = long.with_columns(
            pl.col("__col").replace_strict(order, return_dtype=pl.Int32).alias("__ord")
        ).sort("_idx", "__ord")
        raw_vals = frame.filter(pl.col("_idx").is_in(bad["_idx"].implode()))
        raw_cols = {n: raw_vals[n].to_list() for n in layout.field_names}
        idx_pos = {idx: p for p, idx in enumerate(raw_vals["_idx"].to_list())}
        all_raw_idx = raw_vals["_idx"].to_list()
        # raw values of every original column (including extra ones) for the report
        bad_idx = pl.Series(all_raw_idx, dtype=pl.Int64)
        original = [col.gather(bad_idx).to_list() for col in raw_cols_all]
        grouped: dict[int, list[RowError]] = {}
        rows_of: dict[int, int] = {}
        for idx, row, col, msg in long.select("_idx", "_row", "__col", "__msg").iter_rows():
            p = idx_pos[idx]
            value = raw_cols[col][p] or ""
            grouped.setdefault(idx, []).append(RowError(row, col, value.strip(), msg))
            rows_of[idx] = row
        for idx in all_raw_idx:
            p = idx_pos[idx]
            rejected.append(RejectedRow(rows_of[idx], tuple(c[p] for c in original), tuple(grouped[idx])))
    width = len(rec.header)
    sep = rec.delimiter or ";"
    for row, values in rec.broken:
        msg = f"Zeile hat {len(values)} statt {width} Felder" + (
            " (abgeschnitten oder Anführungszeichen nicht geschlossen?)" if len(values) < width else ""
        )
        rejected.append(RejectedRow(row, tuple(values), (RowError(row, "", sep.join(values), msg),)))
    rejected.sort(key=lambda r: r.row)

    assert table.num_rows + len(rejected) == data_rows
    if progress is not None:
        progress(data_rows, data_rows)
    return ReadResult(
        source=layout.name,
        file_format=rec.file_format,
        encoding=rec.encoding,
        delimiter=rec.delimiter,
        header=tuple(rec.header),
        column_map=column_map,
        extra_columns=tuple(extra),
        missing_optional_columns=tuple(missing_optional),
        table=table,
        rejected=tuple(rejected),
        data_rows=data_rows,
        blank_rows=rec.blank_rows,
    )
