"""Synthetic city: realistic agency exports with ground truth.

``generate(residents, seed, stichtag, out_dir)`` writes the six exports of
``shared/contract/sources.md`` and ``out_dir/truth/`` (see docs/synthetic-city.md);
``cli_main(argv)`` is the ``missimo synth`` command.
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import datetime as dt
import json
import unicodedata
from pathlib import Path

import polars as pl

__all__ = ["Rates", "Thresholds", "cli_main", "generate"]

from .names import _BG_GERMAN
from .oracle import Thresholds, expected_hints
from .records import COLUMNS, SOURCES, build_records
from .truth import attach_scenarios, record_truth, scenarios
from .world import Rates, build_world

MIN_RESIDENTS, MAX_RESIDENTS = 1_000, 1_000_000
FIRST_STICHTAG, LAST_STICHTAG = dt.date(2024, 3, 1), dt.date(2027, 12, 31)
XLSX_MAX_ROWS = 1_048_575


def _cp1252_fallback(err: UnicodeError) -> tuple[str, int]:
    """How a Windows-1252 export loses characters it cannot hold: Cyrillic is transliterated
    (German scheme), letters lose their diacritics, anything else becomes '?'."""
    assert isinstance(err, UnicodeEncodeError)
    out = []
    for ch in err.object[err.start : err.end]:
        low = ch.lower()
        if low in _BG_GERMAN:
            t = _BG_GERMAN[low]
            out.append(t.capitalize() if ch != low else t)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or {"ı": "i"}.get(ch, "?")
        out.append(base)
    return "".join(out), err.end


codecs.register_error("missimo_cp1252", _cp1252_fallback)


def _write(df: pl.DataFrame, path: Path, fmt: str, encoding: str) -> None:
    if fmt == "xlsx":
        if df.height > XLSX_MAX_ROWS:
            raise ValueError(f"{path.name}: {df.height} Zeilen passen nicht in ein XLSX-Blatt")
        df.write_excel(path, worksheet="Daten", autofit=False)
        return
    text = df.write_csv(None, separator=";", quote_style="necessary", line_terminator="\r\n")
    if encoding == "utf-8":
        path.write_bytes(text.encode("utf-8"))
    else:
        path.write_bytes(text.encode("cp1252", errors="missimo_cp1252"))


def generate(
    residents: int,
    seed: int,
    stichtag: dt.date | str,
    out_dir: str | Path,
    fmt: str = "csv",
    encoding: str = "utf-8",
    rates: Rates | None = None,
    thresholds: Thresholds | None = None,
) -> dict[str, int]:
    """Generate the synthetic city; returns row counts per file."""
    if isinstance(stichtag, str):
        stichtag = dt.date.fromisoformat(stichtag)
    if not MIN_RESIDENTS <= residents <= MAX_RESIDENTS:
        raise ValueError(f"residents muss zwischen {MIN_RESIDENTS} und {MAX_RESIDENTS} liegen")
    if not FIRST_STICHTAG <= stichtag <= LAST_STICHTAG:
        raise ValueError(
            f"Stichtag muss zwischen {FIRST_STICHTAG.isoformat()} und {LAST_STICHTAG.isoformat()} liegen "
            "(Schulferien-Kalender)"
        )
    if fmt not in ("csv", "xlsx"):
        raise ValueError("fmt muss csv oder xlsx sein")
    if encoding not in ("utf-8", "cp1252"):
        raise ValueError("encoding muss utf-8 oder cp1252 sein")
    rates = rates or Rates()
    thresholds = thresholds or Thresholds()
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    world = build_world(residents, seed, stichtag, rates)
    rec = build_records(world, seed)
    counts: dict[str, int] = {}
    for source in SOURCES:
        df = rec.frames[source].select(COLUMNS[source])
        _write(df, out / f"{source}.{fmt}", fmt, encoding)
        counts[source] = df.height
    rt = record_truth(rec)
    sc = scenarios(world, rec, rt)
    hints = attach_scenarios(expected_hints(rec, world.s, thresholds), sc)
    truth = out / "truth"
    _write(rt, truth / "records.csv", "csv", "utf-8")
    _write(sc, truth / "scenarios.csv", "csv", "utf-8")
    _write(hints, truth / "expected_hints.csv", "csv", "utf-8")
    counts |= {"truth/records": rt.height, "truth/scenarios": sc.height, "truth/expected_hints": hints.height}
    meta = {
        "residents": residents,
        "seed": seed,
        "stichtag": stichtag.isoformat(),
        "format": fmt,
        "encoding": encoding,
        "rates_per_100000": dataclasses.asdict(rates),
        "thresholds": dataclasses.asdict(thresholds),
        "rows": counts,
        "hints_per_rule": dict(sorted(hints.group_by("Regel").len().iter_rows())),
    }
    (truth / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return counts


def cli_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="missimo synth",
        description="Erzeugt eine synthetische Stadt: die sechs Behördenexporte und die Wahrheit (truth/).",
    )
    parser.add_argument(
        "--residents", type=int, required=True, help="Zahl der Einwohnerinnen und Einwohner (je Stadt)"
    )
    parser.add_argument(
        "--cities",
        type=int,
        default=None,
        help="mehrere Städte (2 bis 10) mit Umzügen und städteübergreifenden Fällen erzeugen, "
        "je Stadt ein Unterverzeichnis (docs/land.md)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="Startwert des Zufallsgenerators (gleich = gleiche Dateien)"
    )
    parser.add_argument("--stichtag", required=True, help="Stichtag im Format JJJJ-MM-TT")
    parser.add_argument("--out", required=True, help="Zielverzeichnis")
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="Dateiformat der Exporte")
    parser.add_argument(
        "--encoding", choices=("utf-8", "cp1252"), default="utf-8", help="Zeichenkodierung der CSV-Exporte"
    )
    parser.add_argument(
        "--rate",
        action="append",
        default=[],
        metavar="NAME=WERT",
        help="Rate eines Szenarios je 100.000 Einwohner ändern, z. B. ausland_familien=120 "
        "(mehrfach möglich)",
    )
    args = parser.parse_args(argv)
    changes: dict[str, float] = {}
    known = {f.name for f in dataclasses.fields(Rates)}
    for item in args.rate:
        name, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if name not in known or number < 0:
            parser.error(
                f"--rate {item!r}: unbekanntes Szenario oder ungültiger Wert "
                f"(bekannt: {', '.join(sorted(known))})"
            )
        changes[name] = number
    try:
        stichtag = dt.date.fromisoformat(args.stichtag)
    except ValueError:
        parser.error(f"Stichtag {args.stichtag!r} ist kein Datum im Format JJJJ-MM-TT")
    if args.cities is not None and (args.format != "csv" or args.encoding != "utf-8" or changes):
        parser.error(
            "--cities erzeugt CSV in UTF-8 mit den Standardraten (ohne --format, --encoding, --rate)"
        )
    try:
        if args.cities is not None:
            from .land import generate_land

            counts = generate_land(args.cities, args.residents, args.seed, stichtag, args.out)
        else:
            counts = generate(
                args.residents, args.seed, stichtag, args.out, args.format, args.encoding, Rates(**changes)
            )
    except ValueError as exc:
        print(f"Fehler: {exc}")
        return 2
    for name, rows in counts.items():
        print(f"{name}: {rows} Zeilen")
    return 0
