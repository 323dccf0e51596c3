"""Bounds of an import (issue #21): checks that read a delivered file in fixed-size chunks, before
the reader loads it, so that a hostile or broken file cannot exhaust the worker's memory.

- a line longer than `IMPORT_MAX_LINE_BYTES` (a CSV without line breaks) is refused;
- a CSV is read as a stream, `IMPORT_BATCH_ROWS` data rows at a time (`batch_rows()`, passed to the
  reader), so the memory of an import does not grow with the file;
- an XLSX whose parts unpack to more than `IMPORT_XLSX_MAX_UNPACKED_BYTES` or more than
  `IMPORT_XLSX_MAX_RATIO` times its packed size (a zip bomb) is refused; the parts are decompressed
  chunk by chunk and counted, so a zip whose headers lie about the sizes is caught as well;
- the rejected-rows file keeps at most `IMPORT_REJECTED_ROWS_KEPT` rows and says how many it left out.

Each refusal is one German sentence for the delivering office. Good rows are never dropped: a file
is either refused as a whole (the current data stay in force) or read completely.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from missimo.formatting import de_int

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BoundExceeded(Exception):
    message: str


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(4) == b"PK\x03\x04"


def check_file(path: Path) -> None:
    """Raise BoundExceeded if the delivered file exceeds a bound; reads at most one chunk at a time."""
    if is_xlsx(path):
        check_xlsx(path)
    else:
        check_line_length(path)


def check_line_length(path: Path, limit: int | None = None) -> None:
    limit = limit or settings.IMPORT_MAX_LINE_BYTES
    lines_before, carried = 0, 0  # complete lines before this chunk, length of the open line
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            segments = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
            lengths = [len(segment) for segment in segments]
            lengths[0] += carried
            longest = max(lengths)
            if longest > limit:
                line = lines_before + lengths.index(longest) + 1
                raise BoundExceeded(
                    f"Zeile {de_int(line)} der Datei ist länger als {de_int(limit)} Bytes und wurde nicht "
                    "eingelesen; so lange Zeilen kommen in keiner Behördenlieferung vor. Bitte prüfen Sie "
                    "Zeilenumbrüche und Trennzeichen der Datei und liefern Sie sie erneut."
                )
            lines_before += len(segments) - 1
            carried = lengths[-1]


def check_xlsx(path: Path) -> None:
    limit = settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
    ratio = settings.IMPORT_XLSX_MAX_RATIO
    packed = max(path.stat().st_size, 1)
    unpacked = 0
    refusal = BoundExceeded(
        f"Die Excel-Datei entpackt sich auf mehr als {de_int(min(limit, packed * ratio) // (1024 * 1024))} MiB "
        f"(höchstens {de_int(limit // (1024 * 1024))} MiB und das {de_int(ratio)}-Fache der Dateigröße sind "
        "zulässig) und wurde nicht eingelesen. Bitte liefern Sie die Daten als CSV oder in einer "
        "kleineren Datei."
    )
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if declared > limit or declared > packed * ratio:
                raise refusal
            for info in archive.infolist():
                with archive.open(info) as part:
                    while chunk := part.read(CHUNK):
                        unpacked += len(chunk)
                        if unpacked > limit or unpacked > packed * ratio:
                            raise refusal
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as error:
        raise BoundExceeded(
            "Die Excel-Datei ist beschädigt und kann nicht gelesen werden. Bitte speichern Sie sie erneut "
            "oder liefern Sie die Daten als CSV."
        ) from error


def rejected_rows_kept() -> int:
    return settings.IMPORT_REJECTED_ROWS_KEPT


def batch_rows() -> int:
    """Data rows of a CSV delivery checked at a time (bounds the memory of an import)."""
    return max(1, settings.IMPORT_BATCH_ROWS)
