"""The first rows of a delivered file as plain text, for the column-mapping form."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from missimo.imports.bounds import check_xlsx


def preview(path: Path, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """Header and the first data rows. Never raises for bad content; returns ([], []) instead."""
    with path.open("rb") as stream:
        raw = stream.read(200_000)  # enough for the header and the first rows; never the whole file
    if raw[:2] == b"PK":
        try:
            from python_calamine import CalamineWorkbook

            check_xlsx(path)  # a zip bomb is not unpacked for a preview either
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            data = sheet.to_python(nrows=rows + 1)
        except Exception:
            return [], []
        table = [[_text(cell) for cell in row] for row in data]
    else:
        text = None
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            return [], []
        first = text.split("\n", 1)[0]
        delimiter = max((";", ",", "\t"), key=first.count)
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))[: rows + 1]
    if not table:
        return [], []
    return [h.strip() for h in table[0]], table[1:]


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
