"""Synthetic state: several synthetic cities with movers and planted cross-city misuse.

``generate_land(cities, residents, seed, stichtag, out_dir)`` writes one directory per
city (``out_dir/<code>/``, the six exports and that city's ``truth/`` as ``generate``
writes them, with the city's own name and postcodes) and the state's truth:

- ``out_dir/truth/land_links.csv`` (``stadt;entity;record_key;person_id``): the true person
  of every person record of every city, ids valid across cities (perfect linkage);
- ``out_dir/truth/land_scenarios.csv`` (``szenario;stadt;beleg``): the planted cases and
  the primary record each one must produce a hint for.

Planted per city pair (A, B = the next city), at rates per 100,000 residents:

- ``umzug`` (lawful): a child moves from A to B (A's row ends with ``Wegzug``, B's begins
  the same day) — must produce no hint;
- ``kind_doppelt_gemeldet``: a child registered in A gets a second main residence in B;
- ``kg_doppelbezug``: a child paid in A is paid again in B under another Kindergeldnummer;
- ``sgb2_mehrfach``: a Jobcenter member of A also receives benefits in B;
- ``schule_anderswo``: a child registered only in A is enrolled at a school in B with an
  address in B.

A Kindergeld child registered in no city is not planted here: every synthetic city already
plants "children that do not exist" (``kg_kind_nicht_gemeldet``), and none of them is
registered in another city.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

from .city import CITY, CITY_PLZ

__all__ = ["LAND_CITIES", "LAND_RATES", "generate_land"]

#: Synthetic cities of the state: code, name, first three digits of the postcodes.
LAND_CITIES = (
    ("herne", "Herne", 446),
    ("gelsenkirchen", "Gelsenkirchen", 458),
    ("bochum", "Bochum", 447),
    ("dortmund", "Dortmund", 441),
    ("essen", "Essen", 451),
    ("duisburg", "Duisburg", 470),
    ("recklinghausen", "Recklinghausen", 456),
    ("bottrop", "Bottrop", 462),
    ("oberhausen", "Oberhausen", 460),
    ("hagen", "Hagen", 580),
)
#: Planted cases per 100,000 residents of a city (at least one each).
LAND_RATES = {
    "umzug": 400.0,
    "kind_doppelt_gemeldet": 60.0,
    "kg_doppelbezug": 60.0,
    "sgb2_mehrfach": 60.0,
    "schule_anderswo": 60.0,
}
ADDRESS = ("Strasse", "Hausnummer", "Hausnummerzusatz", "PLZ", "Ort")
SOURCES = ("melderegister", "kindergeld", "schule", "jobcenter", "seu", "objekte")


def _date(s: str | None) -> dt.date | None:
    if not s:
        return None
    d, m, y = s.split(".")
    return dt.date(int(y), int(m), int(d))


def _fmt(d: dt.date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


def _read(path: Path) -> pl.DataFrame:
    df = pl.read_csv(path, separator=";", infer_schema_length=0)
    return df.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns
    )


def _write(df: pl.DataFrame, path: Path) -> None:
    path.write_bytes(
        df.write_csv(None, separator=";", quote_style="necessary", line_terminator="\r\n").encode("utf-8")
    )


def _rename_city(df: pl.DataFrame, name: str, prefix: int) -> pl.DataFrame:
    """The Herne of the generator becomes this city: its name and postcodes."""
    if "Ort" not in df.columns:
        return df
    mapping = {str(p): f"{prefix}{str(p)[3:]}" for p in CITY_PLZ}
    own = pl.col("Ort") == CITY
    out = df.with_columns(
        pl.when(own).then(pl.col("PLZ").replace(mapping)).otherwise(pl.col("PLZ")).alias("PLZ"),
        pl.when(own).then(pl.lit(name)).otherwise(pl.col("Ort")).alias("Ort"),
    )
    if "Schulname" in out.columns:
        out = out.with_columns(pl.col("Schulname").str.replace_all(CITY, name))
    return out


def _registered(df: pl.DataFrame, s: dt.date) -> pl.DataFrame:
    einzug = df["Einzugsdatum"].map_elements(_date, return_dtype=pl.Date)
    auszug = df["Auszugsdatum"].map_elements(_date, return_dtype=pl.Date)
    return df.filter((einzug <= s) & (auszug.is_null() | (auszug > s)) & (pl.col("Wohnungsstatus") == "H"))


def _age(birth: str, s: dt.date) -> int:
    d, m, y = birth.split(".")
    return s.year - int(y) - ((s.month, s.day) < (int(m or 1) or 1, int(d or 1) or 1))


def generate_land(
    cities: int, residents: int, seed: int, stichtag: dt.date | str, out_dir: str | Path
) -> dict[str, int]:
    """Generate ``cities`` synthetic cities with planted cross-city cases; returns counts."""
    from . import generate

    if isinstance(stichtag, str):
        stichtag = dt.date.fromisoformat(stichtag)
    if not 2 <= cities <= len(LAND_CITIES):
        raise ValueError(f"cities muss zwischen 2 und {len(LAND_CITIES)} liegen")
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    frames: list[dict[str, pl.DataFrame]] = []
    links: list[pl.DataFrame] = []
    for i, (code, name, prefix) in enumerate(LAND_CITIES[:cities]):
        city_dir = out / code
        generate(residents, seed * 100 + i, stichtag, city_dir)
        frames.append({s: _rename_city(_read(city_dir / f"{s}.csv"), name, prefix) for s in SOURCES})
        truth = _read(city_dir / "truth" / "records.csv").filter(
            (pl.col("source") != "objekte") & (pl.col("source") != "seu")
        )
        links.append(
            truth.select(
                pl.lit(code).alias("stadt"),
                pl.when((pl.col("source") == "kindergeld") & (pl.col("role") == "kind"))
                .then(pl.lit("kindergeld_kind"))
                .when(pl.col("source") == "kindergeld")
                .then(pl.lit("kindergeld_berechtigter"))
                .otherwise(pl.col("source"))
                .alias("entity"),
                pl.when((pl.col("source") == "kindergeld") & (pl.col("role") != "kind"))
                .then(pl.col("key").str.split("/").list.first())
                .otherwise(pl.col("key"))
                .alias("record_key"),
                pl.when(pl.col("person_id").fill_null("") == "")
                .then(pl.lit(None, pl.String))
                .otherwise(pl.lit(f"{code}:") + pl.col("person_id"))
                .alias("person_id"),
            ).unique()
        )
    truth_links = pl.concat(links)
    pid = {(r[0], r[1], r[2]): r[3] for r in truth_links.iter_rows()}
    new_links: list[tuple[str, str, str, str | None]] = []
    scenarios: list[tuple[str, str, str]] = []
    used: set[tuple[str, str]] = set()
    counter = [0]

    def next_no() -> int:
        counter[0] += 1
        return counter[0]

    def n_of(kind: str) -> int:
        return max(1, round(LAND_RATES[kind] * residents / 100_000))

    s = stichtag
    for a in range(cities):
        b = (a + 1) % cities
        code_a, code_b = LAND_CITIES[a][0], LAND_CITIES[b][0]
        fa, fb = frames[a], frames[b]
        reg_a = _registered(fa["melderegister"], s)
        counts_a = reg_a.group_by("Ordnungsmerkmal").len()
        single = set(counts_a.filter(pl.col("len") == 1)["Ordnungsmerkmal"].to_list())
        enrolled = {
            pid.get((code_a, "schule", k))
            for k in (fa["schule"]["Schulnummer"] + "/" + fa["schule"]["Schueler_ID"])
        }
        children = [
            r
            for r in reg_a.iter_rows(named=True)
            if r["Ordnungsmerkmal"] in single
            and not r["Geburtsdatum"].startswith("00")
            and "00." not in r["Geburtsdatum"][:6]
            and 6 <= _age(r["Geburtsdatum"], s) <= 15
            and pid.get((code_a, "melderegister", r["Ordnungsmerkmal"])) not in enrolled
        ]
        rng.shuffle(children)
        addr_b = _registered(fb["melderegister"], s).select(ADDRESS).unique().sort(ADDRESS)

        def b_address(addr_b: pl.DataFrame = addr_b) -> dict[str, str]:
            return dict(zip(ADDRESS, addr_b.row(int(rng.integers(addr_b.height))), strict=True))

        def take(kind: str, children: list[dict] = children, code_a: str = code_a) -> list[dict]:
            picked: list[dict] = []
            while children and len(picked) < n_of(kind):
                r = children.pop()
                if (code_a, r["Ordnungsmerkmal"]) not in used:
                    used.add((code_a, r["Ordnungsmerkmal"]))
                    picked.append(r)
            return picked

        mr_rows = []
        # movers: lawful, no hint
        for r in take("umzug"):
            moved = s - dt.timedelta(days=int(rng.integers(30, 700)))
            if _date(r["Einzugsdatum"]) and _date(r["Einzugsdatum"]) >= moved:  # type: ignore[operator]
                continue
            mask = (pl.col("Ordnungsmerkmal") == r["Ordnungsmerkmal"]) & (pl.col("Auszugsdatum").is_null())
            fa["melderegister"] = fa["melderegister"].with_columns(
                pl.when(mask)
                .then(pl.lit(_fmt(moved)))
                .otherwise(pl.col("Auszugsdatum"))
                .alias("Auszugsdatum"),
                pl.when(mask).then(pl.lit("Wegzug")).otherwise(pl.col("Abmeldegrund")).alias("Abmeldegrund"),
            )
            key = f"9{b:02d}{next_no():06d}"
            mr_rows.append(
                {
                    **r,
                    **b_address(),
                    "Ordnungsmerkmal": key,
                    "Einzugsdatum": _fmt(moved),
                    "Auszugsdatum": None,
                    "Abmeldegrund": None,
                    "Wohnung": None,
                }
            )
            new_links.append(
                (code_b, "melderegister", key, pid.get((code_a, "melderegister", r["Ordnungsmerkmal"])))
            )
            scenarios.append(("umzug", code_b, f"melderegister:{key}"))
        # a second main residence in B
        for r in take("kind_doppelt_gemeldet"):
            since = s - dt.timedelta(days=int(rng.integers(30, 700)))
            key = f"9{b:02d}{next_no():06d}"
            mr_rows.append(
                {
                    **r,
                    **b_address(),
                    "Ordnungsmerkmal": key,
                    "Einzugsdatum": _fmt(since),
                    "Auszugsdatum": None,
                    "Abmeldegrund": None,
                    "Wohnung": None,
                }
            )
            new_links.append(
                (code_b, "melderegister", key, pid.get((code_a, "melderegister", r["Ordnungsmerkmal"])))
            )
            scenarios.append(("kind_doppelt_gemeldet", code_a, f"melderegister:{r['Ordnungsmerkmal']}"))
            scenarios.append(("kind_doppelt_gemeldet", code_b, f"melderegister:{key}"))
        # enrolled in B with an address in B, registered only in A
        sch_rows = []
        for r in take("schule_anderswo"):
            key = f"L{next_no()}"
            since = s - dt.timedelta(days=int(rng.integers(30, 400)))
            sch_rows.append(
                {
                    "Schulnummer": f"99{b:02d}00",
                    "Schulname": f"Gesamtschule {LAND_CITIES[b][1]}-Mitte",
                    "Schueler_ID": key,
                    "Nachname": r["Familienname"],
                    "Vorname": r["Vornamen"].split()[0],
                    "Geburtsdatum": r["Geburtsdatum"],
                    "Geschlecht": r["Geschlecht"],
                    **b_address(),
                    "Klasse": "7a",
                    "Aufnahmedatum": _fmt(since),
                    "Entlassdatum": None,
                    "Letzter_Anwesenheitstag": _fmt(s - dt.timedelta(days=3)),
                    "Fehlstunden_unentschuldigt": "0",
                    "Stand": _fmt(s - dt.timedelta(days=1)),
                }
            )
            ref = f"99{b:02d}00/{key}"
            new_links.append(
                (code_b, "schule", ref, pid.get((code_a, "melderegister", r["Ordnungsmerkmal"])))
            )
            scenarios.append(("schule_anderswo", code_b, f"schule:{ref}"))
        # Kindergeld for one child in A and in B
        kg_a = fa["kindergeld"]
        paid = kg_a.filter(
            (pl.col("Kind_Wohnsitz") == "Inland")
            & pl.col("Zahlung_bis").is_null()
            & (pl.col("Zahlung_ab").map_elements(_date, return_dtype=pl.Date) <= s)
        )
        paid = paid.sample(n=min(paid.height, n_of("kg_doppelbezug")), seed=int(rng.integers(1 << 30)))
        kg_rows = []
        for r in paid.iter_rows(named=True):
            nr = f"9{b:02d}FK{next_no():06d}"
            kg_rows.append(
                {
                    **r,
                    **b_address(),
                    "Kindergeldnummer": nr,
                    "Kind_Nr": "1",
                    "Zahlung_ab": _fmt((s - dt.timedelta(days=180)).replace(day=1)),
                    "Zahlung_bis": None,
                }
            )
            key_a = f"{r['Kindergeldnummer']}/{r['Kind_Nr']}"
            new_links.append(
                (code_b, "kindergeld_kind", f"{nr}/1", pid.get((code_a, "kindergeld_kind", key_a)))
            )
            new_links.append(
                (
                    code_b,
                    "kindergeld_berechtigter",
                    nr,
                    pid.get((code_a, "kindergeld_berechtigter", r["Kindergeldnummer"])),
                )
            )
            scenarios.append(("kg_doppelbezug", code_a, f"kindergeld:{key_a}"))
            scenarios.append(("kg_doppelbezug", code_b, f"kindergeld:{nr}/1"))
        # Bürgergeld from the Jobcenters of A and B
        jc_a = fa["jobcenter"]
        ben = jc_a.filter(
            pl.col("Leistung_bis").is_null()
            & (pl.col("Leistung_ab").map_elements(_date, return_dtype=pl.Date) <= s)
        )
        ben = ben.sample(n=min(ben.height, n_of("sgb2_mehrfach")), seed=int(rng.integers(1 << 30)))
        jc_rows = []
        for r in ben.iter_rows(named=True):
            bg = f"99{b:03d}BG{next_no():07d}"
            jc_rows.append(
                {
                    **r,
                    **b_address(),
                    "BG_Nummer": bg,
                    "Person_Nr": "1",
                    "Arbeitgeber": None,
                    "Erwerbseinkommen": None,
                    "Leistung_ab": _fmt(s - dt.timedelta(days=200)),
                }
            )
            key_a = f"{r['BG_Nummer']}/{r['Person_Nr']}"
            new_links.append((code_b, "jobcenter", f"{bg}/1", pid.get((code_a, "jobcenter", key_a))))
            scenarios.append(("sgb2_mehrfach", code_a, f"jobcenter:{key_a}"))
            scenarios.append(("sgb2_mehrfach", code_b, f"jobcenter:{bg}/1"))
        for source, rows in (
            ("melderegister", mr_rows),
            ("schule", sch_rows),
            ("kindergeld", kg_rows),
            ("jobcenter", jc_rows),
        ):
            if rows:
                add = pl.DataFrame(rows, schema=dict.fromkeys(fb[source].columns, pl.String), strict=False)
                fb[source] = pl.concat([fb[source], add.select(fb[source].columns)])
    counts: dict[str, int] = {}
    for i, (code, _, _) in enumerate(LAND_CITIES[:cities]):
        for source in SOURCES:
            _write(frames[i][source], out / code / f"{source}.csv")
            counts[f"{code}/{source}"] = frames[i][source].height
    extra = pl.DataFrame(new_links, schema=["stadt", "entity", "record_key", "person_id"], orient="row")
    all_links = pl.concat([truth_links, extra])
    _write(all_links, out / "truth" / "land_links.csv")
    sc = pl.DataFrame(scenarios, schema=["szenario", "stadt", "beleg"], orient="row")
    _write(sc, out / "truth" / "land_scenarios.csv")
    meta = {
        "cities": [c for c, _, _ in LAND_CITIES[:cities]],
        "residents_per_city": residents,
        "seed": seed,
        "stichtag": stichtag.isoformat(),
        "rates_per_100000": LAND_RATES,
        "scenarios": dict(sorted(sc.group_by("szenario").len().iter_rows())),
    }
    (out / "truth" / "land_meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    counts["truth/land_links"] = all_links.height
    counts["truth/land_scenarios"] = sc.height
    return counts
