"""Import benchmark: all six agency exports of a city of ~600,000 residents.

Usage::

    .venv/bin/python bench/import_bench.py [--scale 1.0] [--dir DIR] [--bad 0.01]

Uses the synthetic city of ``missimo.synth`` (600,000 residents at ``--scale 1``) when
it exists, otherwise (or with ``--own``) generates large CSVs itself; either way a share
``--bad`` of rows is broken (impossible dates, emptied keys, bad PLZ) and each file
ends in a truncated line. The import
itself runs in a child process so that its peak memory (max RSS) is measured alone.
Prints rows/s per source, the total time and the peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

SIZES = {  # rows at scale 1.0 (~1 million in total)
    "melderegister": 700_000,
    "kindergeld": 120_000,
    "schule": 70_000,
    "jobcenter": 60_000,
    "seu": 6_000,
    "objekte": 44_000,
}

SURNAMES = [
    "Müller",
    "Schmidt",
    "Yılmaz",
    "Popescu",
    "Ionescu",
    "Петров",
    "Şahin",
    "Kowalski",
    "Weiß",
    "Öztürk",
]
FORENAMES = [
    "Anna",
    "Ștefan",
    "Mihai Ion",
    "Мария",
    "Jörg",
    "Ayşe",
    "Lena Marie",
    "Ana-Maria",
    "Ionuț",
    "Paul",
]
STREETS = ["Bahnhofstraße", "Bahnhofstr.", "Hauptstraße", "Am Markt", "Overhofstraße", "Flottmannstr."]


def _dates(rng: np.random.Generator, n: int, start: str, days: int) -> pl.Series:
    base = np.datetime64(start)
    d = base + rng.integers(0, days, n).astype("timedelta64[D]")
    return pl.Series(d).dt.strftime("%d.%m.%Y")


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pl.Series:
    return pl.Series(np.array(values, dtype=object)[rng.integers(0, len(values), n)], dtype=pl.String)


def _address(rng: np.random.Generator, n: int) -> dict[str, pl.Series]:
    return {
        "Strasse": _pick(rng, STREETS, n),
        "Hausnummer": pl.Series(rng.integers(1, 200, n)).cast(pl.String),
        "Hausnummerzusatz": _pick(rng, ["", "", "", "a", "b"], n),
        "PLZ": _pick(rng, ["44623", "44625", "44627", "44628", "44649"], n),
        "Ort": pl.Series(["Herne"] * n),
    }


def _frame(source: str, n: int, rng: np.random.Generator) -> pl.DataFrame:
    ids = pl.Series(np.arange(1, n + 1)).cast(pl.String)
    if source == "melderegister":
        persons = (np.arange(n) * 0.83).astype(np.int64)  # several periods per person
        ein = np.datetime64("1990-01-01") + (np.arange(n) % 9000).astype("timedelta64[D]")
        aus = ein + rng.integers(30, 3000, n).astype("timedelta64[D]")
        moved = rng.random(n) < 0.3
        return pl.DataFrame(
            {
                "Ordnungsmerkmal": pl.Series(persons + 10_000_000).cast(pl.String),
                "Familienname": _pick(rng, SURNAMES, n),
                "Vornamen": _pick(rng, FORENAMES, n),
                "Geburtsname": _pick(rng, ["", "", "", "Schulz"], n),
                "Geburtsdatum": _dates(rng, n, "1930-01-01", 33000),
                "Geschlecht": _pick(rng, ["m", "w", "d", "x", ""], n),
                "Staatsangehoerigkeit": _pick(rng, ["DE", "RO", "BG", "DE,TR", ""], n),
                **_address(rng, n),
                "Wohnung": _pick(rng, ["", "EG links", "2. OG", "WE 3"], n),
                "Wohnungsstatus": _pick(rng, ["H", "H", "H", "N"], n),
                "Einzugsdatum": pl.Series(ein).dt.strftime("%d.%m.%Y"),
                "Auszugsdatum": pl.Series(np.where(moved, aus, np.datetime64("NaT", "D")))
                .dt.strftime("%d.%m.%Y")
                .fill_null(""),
                "Abmeldegrund": pl.Series(np.where(moved, "Umzug", ""), dtype=pl.String),
            }
        )
    if source == "kindergeld":
        claims = (np.arange(n) // 2) + 100_000
        return pl.DataFrame(
            {
                "Kindergeldnummer": pl.Series([f"214FK{c:06d}" for c in claims]),
                "Kind_Nr": pl.Series(np.arange(n) % 2 + 1).cast(pl.String),
                "Berechtigter_Familienname": _pick(rng, SURNAMES, n),
                "Berechtigter_Vornamen": _pick(rng, FORENAMES, n),
                "Berechtigter_Geburtsdatum": _dates(rng, n, "1960-01-01", 12000),
                **_address(rng, n),
                "Kind_Familienname": _pick(rng, SURNAMES, n),
                "Kind_Vornamen": _pick(rng, FORENAMES, n),
                "Kind_Geburtsdatum": _dates(rng, n, "2005-01-01", 7000),
                "Kind_Wohnsitz": _pick(rng, ["Inland"] * 9 + ["Ausland"], n),
                "Zahlung_ab": _pick(rng, ["01.2020", "03.2021", "01.07.2022", "2023-05"], n),
                "Zahlung_bis": _pick(rng, ["", "", "12.2026"], n),
                "Monatsbetrag": _pick(rng, ["259,00", "255,00", "250,00"], n),
            }
        )
    if source == "schule":
        return pl.DataFrame(
            {
                "Schulnummer": _pick(rng, ["123456", "234567", "345678"], n),
                "Schulname": _pick(rng, ["GS Am Markt", "Gesamtschule Herne"], n),
                "Schueler_ID": ids,
                "Nachname": _pick(rng, SURNAMES, n),
                "Vorname": _pick(rng, FORENAMES, n),
                "Geburtsdatum": _dates(rng, n, "2008-01-01", 4000),
                "Geschlecht": _pick(rng, ["m", "w"], n),
                **_address(rng, n),
                "Klasse": _pick(rng, ["3b", "EF", "7a"], n),
                "Aufnahmedatum": _dates(rng, n, "2019-08-01", 1500),
                "Entlassdatum": _pick(rng, ["", "", "", "31.07.2026"], n),
                "Letzter_Anwesenheitstag": _dates(rng, n, "2026-01-01", 100),
                "Fehlstunden_unentschuldigt": pl.Series(rng.integers(0, 40, n)).cast(pl.String),
                "Stand": pl.Series(["15.05.2026"] * n),
            }
        )
    if source == "jobcenter":
        bg = np.arange(n) // 3
        return pl.DataFrame(
            {
                "BG_Nummer": pl.Series([f"12345BG{b:07d}" for b in bg]),
                "Person_Nr": pl.Series(np.arange(n) % 3 + 1).cast(pl.String),
                "Familienname": _pick(rng, SURNAMES, n),
                "Vornamen": _pick(rng, FORENAMES, n),
                "Geburtsdatum": _dates(rng, n, "1950-01-01", 25000),
                **_address(rng, n),
                "Leistung_ab": _dates(rng, n, "2020-01-01", 1500),
                "Leistung_bis": _pick(rng, ["", "", "31.12.2026"], n),
                "Arbeitgeber": _pick(rng, ["", "", "Bau GmbH"], n),
                "Erwerbseinkommen": _pick(rng, ["", "", "1.250,00", "520,5"], n),
            }
        )
    if source == "seu":
        return pl.DataFrame(
            {
                "SEU_ID": ids,
                "Familienname": _pick(rng, SURNAMES, n),
                "Vornamen": _pick(rng, FORENAMES, n),
                "Geburtsdatum": _dates(rng, n, "2019-01-01", 700),
                "Geschlecht": _pick(rng, ["m", "w"], n),
                **_address(rng, n),
                "Einschulungsjahr": pl.Series(["2026"] * n),
                "Einladungsdatum": _dates(rng, n, "2025-09-01", 200),
                "Status": _pick(rng, ["untersucht", "nicht erschienen", "verzogen"], n),
            }
        )
    return pl.DataFrame(
        {
            "Objekt_ID": pl.Series([f"OBJ-{i}" for i in range(n)]),
            **_address(rng, n),
            "Wohneinheiten": pl.Series(rng.integers(1, 40, n)).cast(pl.String),
            "Wohnflaeche_m2": pl.Series(rng.integers(50, 4000, n)).cast(pl.String) + ",5",
            "Eigentuemer": _pick(rng, ["", "Stadt Herne", "Immo GmbH"], n),
            "Baujahr": pl.Series(rng.integers(1880, 2025, n)).cast(pl.String),
            "UTM_Ost": pl.Series(rng.uniform(360000, 380000, n)).round(2).cast(pl.String),
            "UTM_Nord": pl.Series(rng.uniform(5700000, 5720000, n)).round(2).cast(pl.String),
        }
    )


def _spoil(df: pl.DataFrame, share: float, rng: np.random.Generator) -> pl.DataFrame:
    """Break a share of rows: impossible dates, bad required values, emptied required fields."""
    n = df.height
    bad = rng.random(n) < share
    first = df.columns[0]
    date_col = next((c for c in df.columns if "datum" in c.lower() or c.endswith("_ab")), df.columns[1])
    kind = rng.integers(0, 3, n)
    return df.with_columns(
        pl.when(pl.Series(bad & (kind == 0)))
        .then(pl.lit("31.02.2020"))
        .otherwise(pl.col(date_col))
        .alias(date_col),
        pl.when(pl.Series(bad & (kind == 1))).then(pl.lit("")).otherwise(pl.col(first)).alias(first),
        pl.when(pl.Series(bad & (kind == 2))).then(pl.lit("4462x")).otherwise(pl.col("PLZ")).alias("PLZ"),
    )


def _synth_frames(directory: Path, scale: float) -> dict[str, pl.DataFrame] | None:
    """The six exports of missimo.synth (600,000 residents at scale 1), if available."""
    try:
        from missimo.synth import generate as synth_generate
    except ImportError:
        return None
    residents = max(1_000, min(1_000_000, int(600_000 * scale)))
    synth_dir = directory / "synth"
    t0 = time.perf_counter()
    synth_generate(residents, 1, "2026-05-15", synth_dir)
    print(f"missimo.synth: {residents:,} residents in {time.perf_counter() - t0:.1f} s")
    return {s: pl.read_csv(synth_dir / f"{s}.csv", separator=";", infer_schema=False) for s in SIZES}


def generate(
    directory: Path, scale: float, bad: float, style: str = "plain", own: bool = False
) -> dict[str, Path]:
    """Write the six CSV files (synthetic city unless ``own``), with a share of broken rows."""
    rng = np.random.default_rng(42)
    frames = None if own else _synth_frames(directory, scale)
    if frames is None:
        print("generating own CSVs")
        frames = {source: _frame(source, int(size * scale), rng) for source, size in SIZES.items()}
    paths = {}
    for source, df in frames.items():
        df = _spoil(df, bad, rng)
        path = directory / f"{source}.csv"
        if style == "quoted":
            df.write_csv(path, separator=";", quote_style="always")
        else:
            df.write_csv(path, separator=";", quote_style="necessary")
        with path.open("ab") as fh:
            if style == "multiline":  # one quoted line break inside an otherwise normal file
                fh.write(b";".join([b'"zwei\nZeilen"'] * df.width) + b"\n")
            fh.write(b"99999999;Abgeschnit")  # a truncated last line, as a broken transfer leaves it
        paths[source] = path
    return paths


def run_imports(paths: dict[str, str]) -> None:
    """Child process: import every file, print one JSON line with the figures."""
    from missimo.engine.reader import read_source

    figures: dict[str, Any] = {}
    total_t = 0.0
    cpu0 = time.process_time()
    for source, path in paths.items():
        t0 = time.perf_counter()
        res = read_source(source, path)
        dt = time.perf_counter() - t0
        total_t += dt
        figures[source] = {
            "rows": res.data_rows,
            "accepted": res.accepted_count,
            "rejected": res.rejected_count,
            "seconds": round(dt, 2),
        }
    figures["_total_seconds"] = round(total_t, 2)
    figures["_cpu_seconds"] = round(time.process_time() - cpu0, 2)
    figures["_load"] = round(os.getloadavg()[0], 1)
    figures["_max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--bad", type=float, default=0.01, help="share of broken rows")
    ap.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    ap.add_argument(
        "--style",
        choices=["plain", "quoted", "multiline"],
        default="plain",
        help="plain: quotes only where needed; quoted: every field quoted; "
        "multiline: plus one quoted line break (slow csv-module path)",
    )
    ap.add_argument("--own", action="store_true", help="use the built-in generator, not missimo.synth")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_imports(json.loads(args.child))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        paths = generate(directory, args.scale, args.bad, args.style, args.own)
        print(f"generated in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps({k: str(v) for k, v in paths.items()})],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    total_rows = 0
    print(f"{'source':<15}{'rows':>10}{'accepted':>10}{'rejected':>10}{'s':>8}{'rows/s':>12}")
    for source in SIZES:
        f = figures[source]
        total_rows += f["rows"]
        rate = f["rows"] / max(f["seconds"], 1e-9)
        print(
            f"{source:<15}{f['rows']:>10}{f['accepted']:>10}{f['rejected']:>10}{f['seconds']:>8.2f}{rate:>12,.0f}"
        )
    total = figures["_total_seconds"]
    print(
        f"total: {total_rows:,} rows in {total:.1f} s = {total_rows / total:,.0f} rows/s; "
        f"peak memory (max RSS of the import process): {figures['_max_rss_mb']} MB; target <= 20 s "
        f"(style {args.style})\n"
        f"CPU time of the import process: {figures['_cpu_seconds']} s (all threads); "
        f"load average at the end: {figures['_load']} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
