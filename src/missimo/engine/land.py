# ruff: noqa: S608  (SQL names only internal tables and validated city codes; values are parameters)
"""The state-level run (Landesebene): several cities' snapshots, linked across cities.

    city snapshots ──► person records per city ──► one linkage over all cities ──► cross-city rules
        (Melderegister, Kindergeld,        (keys prefixed by the city code)           │
         Jobcenter, Schule)                                                          ▼
                                       one hint file per city (only that city's hints) ──► work dir deleted

A state office (e.g. a task force of the Land) runs this for hints no single city can
see (docs/rules.md, "Landesebene"). Every hint belongs to the city that holds its primary
record; its evidence names only that city's records (``source:key``), and where another
city holds the contradicting record the explanation names that city, so that the two
offices can ask each other under the rules of Amtshilfe (docs/adr/0008-land-city-and-state.md).
The analysis store is a temporary DuckDB file in ``work_dir``; it is deleted when the run
ends (also on error), so nothing about persons without a hint outlives the run
(§ 52 Abs. 3 SGB II). Plain Python, no Django.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from missimo.engine import linkage
from missimo.engine.backends import EngineBackend
from missimo.engine.explain import format_date, format_month, money_csv
from missimo.engine.ranking import HINT_HEADER

__all__ = ["CITY_SOURCES", "LAND_RULES", "City", "LandHint", "LandOutput", "LandRule", "run_land"]

CITY_SOURCES = ("melderegister", "kindergeld", "jobcenter", "schule")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class LandRule:
    code: str
    title: str
    primary: str
    needs: tuple[str, ...]
    legal: str


LAND_RULES = (
    LandRule(
        "LAND_KIND_MEHRFACH_GEMELDET",
        "Kind in mehreren Städten mit Hauptwohnung gemeldet",
        "melderegister",
        ("melderegister",),
        "§ 21 Abs. 1 und 2 BMG (nur eine Hauptwohnung), § 17 BMG (Anmeldung, Abmeldung)",
    ),
    LandRule(
        "LAND_KG_DOPPELBEZUG",
        "Kindergeld für ein Kind in mehreren Städten",
        "kindergeld",
        ("kindergeld",),
        "§ 64 Abs. 1 EStG (Kindergeld für jedes Kind nur einem Berechtigten), § 70 EStG",
    ),
    LandRule(
        "LAND_KG_KIND_NIRGENDS_GEMELDET",
        "Kindergeld-Kind in keiner Stadt gemeldet",
        "kindergeld",
        ("kindergeld", "melderegister"),
        "§ 63 Abs. 1 Satz 3 und 6 EStG (Wohnsitz oder gewöhnlicher Aufenthalt im Inland), § 17 BMG",
    ),
    LandRule(
        "LAND_SGB2_MEHRFACH",
        "Bürgergeld in den Jobcentern mehrerer Städte",
        "jobcenter",
        ("jobcenter",),
        "§ 36 SGB II (örtliche Zuständigkeit nach dem gewöhnlichen Aufenthalt), § 60 SGB I",
    ),
    LandRule(
        "LAND_SCHULE_ANDERSWO_GEMELDET",
        "Schulanmeldung mit Adresse in der Stadt, Meldung in einer anderen Stadt",
        "schule",
        ("schule", "melderegister"),
        "§ 17 BMG (Meldepflicht), §§ 34, 41 SchulG NRW (Schulpflicht, Anmeldung), § 84 SchulG NRW",
    ),
)
RULE_BY_CODE = {r.code: r for r in LAND_RULES}


@dataclass(frozen=True)
class City:
    """One city of the run: a short code (file names, keys) and its name (explanations)."""

    code: str
    name: str
    snapshots: Mapping[str, Path]

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(
                f"Ungültiges Stadtkürzel {self.code!r}: erlaubt sind Kleinbuchstaben, Ziffern und '-' "
                "(höchstens 40 Zeichen)."
            )
        unknown = set(self.snapshots) - set(CITY_SOURCES)
        if unknown:
            raise ValueError(
                f"{self.name}: unbekannte Quelle(n) {', '.join(sorted(unknown))}; "
                f"erlaubt sind {', '.join(CITY_SOURCES)}."
            )


@dataclass(frozen=True)
class LandHint:
    city: str
    hint_id: str
    rule: str
    primary_ref: str
    evidence: tuple[str, ...]
    address: str | None
    amount: Decimal | None
    explanation: str
    other_cities: tuple[str, ...]


@dataclass
class LandOutput:
    stichtag: dt.date
    hints: list[LandHint]
    files: dict[str, Path]
    counts: dict[str, int]
    per_rule: dict[str, int]
    not_evaluated: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


_ADDR = (
    "CASE WHEN t.Strasse IS NULL AND t.PLZ IS NULL THEN NULL ELSE trim(concat("
    "coalesce(t.Strasse, ''), ' ', coalesce(CAST(t.Hausnummer AS VARCHAR), ''), "
    "coalesce(CAST(t.Hausnummerzusatz AS VARCHAR), ''), ', ', coalesce(CAST(t.PLZ AS VARCHAR), ''), ' ', "
    "coalesce(t.Ort, ''))) END"
)

#: Per source: the entity of its person records and the columns the rules read.
_SOURCE_SQL = {
    "melderegister": (
        "melderegister",
        "CAST(t._key AS VARCHAR)",
        "t.Familienname AS familienname, t.Vornamen AS vornamen, CAST(t.Geburtsdatum AS VARCHAR) AS geburtsdatum, "
        "t.Wohnungsstatus AS wohnungsstatus, t.Einzugsdatum AS von, t.Auszugsdatum AS bis, "
        "NULL::DECIMAL(12,2) AS betrag, NULL::VARCHAR AS wohnsitz",
    ),
    "kindergeld": (
        "kindergeld_kind",
        "CAST(t._key AS VARCHAR)",
        "t.Kind_Familienname AS familienname, t.Kind_Vornamen AS vornamen, "
        "CAST(t.Kind_Geburtsdatum AS VARCHAR) AS geburtsdatum, NULL::VARCHAR AS wohnungsstatus, "
        "t.Zahlung_ab AS von, t.Zahlung_bis AS bis, t.Monatsbetrag AS betrag, t.Kind_Wohnsitz AS wohnsitz",
    ),
    "jobcenter": (
        "jobcenter",
        "CAST(t._key AS VARCHAR)",
        "t.Familienname AS familienname, t.Vornamen AS vornamen, CAST(t.Geburtsdatum AS VARCHAR) AS geburtsdatum, "
        "NULL::VARCHAR AS wohnungsstatus, t.Leistung_ab AS von, t.Leistung_bis AS bis, "
        "NULL::DECIMAL(12,2) AS betrag, NULL::VARCHAR AS wohnsitz",
    ),
    "schule": (
        "schule",
        "CAST(t._key AS VARCHAR)",
        "t.Nachname AS familienname, t.Vorname AS vornamen, CAST(t.Geburtsdatum AS VARCHAR) AS geburtsdatum, "
        "NULL::VARCHAR AS wohnungsstatus, t.Aufnahmedatum AS von, t.Entlassdatum AS bis, "
        "NULL::DECIMAL(12,2) AS betrag, NULL::VARCHAR AS wohnsitz",
    ),
}

#: "at S": registered / paid / benefits / enrolled (docs/rules.md, Terms). Payment and
#: benefits end inclusively, registration and enrolment exclusively.
_AT_S = {
    "melderegister": "von <= $s AND (bis IS NULL OR bis > $s)",
    "kindergeld": "von <= $s AND (bis IS NULL OR bis >= $s)",
    "jobcenter": "von <= $s AND (bis IS NULL OR bis >= $s)",
    "schule": "von <= $s AND (bis IS NULL OR bis > $s)",
}


def _load(con: duckdb.DuckDBPyConnection, cities: Sequence[City]) -> set[str]:
    """Person records of all cities in ``land_record`` (keys prefixed ``code~``) and the
    rules' view of every source record in ``land_fact``. Returns the sources present in
    every city (a cross-city rule needs its sources everywhere to be fair)."""
    record_parts: list[str] = []
    fact_parts: list[str] = []
    present = set(CITY_SOURCES)
    for i, city in enumerate(cities):
        present &= set(city.snapshots)
        persons = {s: p for s, p in city.snapshots.items() if s in CITY_SOURCES}
        if not persons:
            continue
        table = f"_pr_{i}"
        linkage.build_person_records(con, persons, table=table)
        prefix = f"'{city.code}~'"
        record_parts.append(
            f"SELECT * REPLACE (entity || ':' || {prefix} || record_key AS unique_id, "
            f"{prefix} || record_key AS record_key, "
            f"list_transform(excl, lambda g: {prefix} || g) AS excl) FROM {table}"
        )
        for source, path in persons.items():
            entity, key, cols = _SOURCE_SQL[source]
            fact_parts.append(
                f"SELECT '{city.code}' AS stadt, '{source}' AS source, '{entity}' AS entity, "
                f"{prefix} || {key} AS record_key, '{source}:' || {key} AS ref, {cols}, "
                f"{_ADDR} AS adresse, trim(CAST(t.PLZ AS VARCHAR)) AS plz "
                f"FROM read_parquet({_literal(Path(path))}) t"
            )
    if not record_parts:
        raise ValueError("Keine Personenquelle in den Datenständen der Städte.")
    con.execute("CREATE OR REPLACE TABLE land_record AS " + " UNION ALL BY NAME ".join(record_parts))
    for i in range(len(cities)):
        con.execute(f"DROP TABLE IF EXISTS _pr_{i}")
    con.execute("CREATE OR REPLACE TABLE land_fact AS " + " UNION ALL BY NAME ".join(fact_parts))
    return present


def _facts_at_s(con: duckdb.DuckDBPyConnection, stichtag: dt.date) -> None:
    at_s = " OR ".join(
        f"(f.source = '{s}' AND {cond.replace('von', 'f.von').replace('bis', 'f.bis')})"
        for s, cond in _AT_S.items()
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE land_s AS
        SELECT f.*, coalesce(l.person_id, f.entity || ':' || f.record_key) AS person_id,
               ({at_s}) AS at_s,
               TRY_CAST(left(f.geburtsdatum, 4) AS INTEGER) AS geburtsjahr
        FROM land_fact f LEFT JOIN person_link l ON l.entity = f.entity AND l.record_key = f.record_key
        """,
        {"s": stichtag},
    )
    con.execute(
        "CREATE OR REPLACE TABLE land_city_plz AS "
        "SELECT DISTINCT stadt, plz FROM land_fact WHERE source = 'melderegister' AND plz IS NOT NULL"
    )


#: One statement per rule: (stadt, primary_ref, evidence, adresse, amount, other cities, facts).
_RULE_SQL = {
    "LAND_KIND_MEHRFACH_GEMELDET": """
        WITH reg AS (SELECT * FROM land_s WHERE source = 'melderegister' AND at_s
                     AND upper(coalesce(wohnungsstatus, 'H')) = 'H'
                     AND geburtsjahr IS NOT NULL AND year($s) - geburtsjahr < 18)
        SELECT r.stadt, r.ref, [r.ref], r.adresse, NULL::DECIMAL(12,2),
               list(DISTINCT o.stadt ORDER BY o.stadt),
               {'name': r.vornamen || ' ' || r.familienname, 'geburtsdatum': r.geburtsdatum,
                'seit': r.von}
        FROM reg r JOIN reg o ON o.person_id = r.person_id AND o.stadt <> r.stadt
        GROUP BY ALL""",
    "LAND_KG_DOPPELBEZUG": """
        WITH paid AS (SELECT * FROM land_s WHERE source = 'kindergeld' AND at_s)
        SELECT p.stadt, p.ref, [p.ref], p.adresse, p.betrag,
               list(DISTINCT o.stadt ORDER BY o.stadt),
               {'name': p.vornamen || ' ' || p.familienname, 'geburtsdatum': p.geburtsdatum,
                'seit': p.von}
        FROM paid p JOIN paid o ON o.person_id = p.person_id AND o.stadt <> p.stadt
        GROUP BY ALL""",
    "LAND_KG_KIND_NIRGENDS_GEMELDET": """
        SELECT p.stadt, p.ref, [p.ref], p.adresse, p.betrag, []::VARCHAR[],
               {'name': p.vornamen || ' ' || p.familienname, 'geburtsdatum': p.geburtsdatum,
                'seit': p.von}
        FROM land_s p
        WHERE p.source = 'kindergeld' AND p.at_s AND lower(coalesce(p.wohnsitz, 'inland')) = 'inland'
          AND p.plz IN (SELECT plz FROM land_city_plz)
          AND NOT EXISTS (SELECT 1 FROM land_s m WHERE m.source = 'melderegister' AND m.person_id = p.person_id)""",
    "LAND_SGB2_MEHRFACH": """
        WITH ben AS (SELECT * FROM land_s WHERE source = 'jobcenter' AND at_s)
        SELECT b.stadt, b.ref, [b.ref], b.adresse, NULL::DECIMAL(12,2),
               list(DISTINCT o.stadt ORDER BY o.stadt),
               {'name': b.vornamen || ' ' || b.familienname, 'geburtsdatum': b.geburtsdatum,
                'seit': b.von}
        FROM ben b JOIN ben o ON o.person_id = b.person_id AND o.stadt <> b.stadt
        GROUP BY ALL""",
    "LAND_SCHULE_ANDERSWO_GEMELDET": """
        WITH reg AS (SELECT * FROM land_s WHERE source = 'melderegister' AND at_s)
        SELECT s.stadt, s.ref, [s.ref], s.adresse, NULL::DECIMAL(12,2),
               list(DISTINCT o.stadt ORDER BY o.stadt),
               {'name': s.vornamen || ' ' || s.familienname, 'geburtsdatum': s.geburtsdatum,
                'seit': s.von}
        FROM land_s s JOIN reg o ON o.person_id = s.person_id AND o.stadt <> s.stadt
        WHERE s.source = 'schule' AND s.at_s
          AND s.plz IN (SELECT plz FROM land_city_plz c WHERE c.stadt = s.stadt)
          AND NOT EXISTS (SELECT 1 FROM reg h WHERE h.person_id = s.person_id AND h.stadt = s.stadt)
        GROUP BY ALL""",
}


def _birth(value: str | None) -> str:
    if not value:
        return "unbekannt"
    y, _, rest = value.partition("-")
    m, _, d = rest.partition("-")
    return f"{d or '00'}.{m or '00'}.{y}"


def _explain(rule: str, facts: Mapping[str, Any], others: Sequence[str], stichtag: dt.date) -> str:
    who = f"{(facts.get('name') or '').strip() or 'Eine Person ohne Namen'} (geb. {_birth(facts.get('geburtsdatum'))})"
    since = facts.get("seit")
    also = ", ".join(others)
    at = format_date(stichtag)
    if rule == "LAND_KIND_MEHRFACH_GEMELDET":
        return (
            f"{who} ist seit {format_date(since)} hier mit Hauptwohnung gemeldet und am {at} zugleich "
            f"in {also} mit Hauptwohnung gemeldet."
        )
    if rule == "LAND_KG_DOPPELBEZUG":
        return (
            f"Für {who} wird hier seit {format_month(since)} Kindergeld gezahlt und am {at} zugleich "
            f"auch in {also}."
        )
    if rule == "LAND_KG_KIND_NIRGENDS_GEMELDET":
        return (
            f"Für {who} wird seit {format_month(since)} Kindergeld gezahlt (Kind im Inland), aber das Kind "
            "ist im Melderegister keiner Stadt dieses Abgleichs zu finden."
        )
    if rule == "LAND_SGB2_MEHRFACH":
        return (
            f"{who} erhält hier seit {format_date(since)} Bürgergeld und am {at} zugleich "
            f"vom Jobcenter in {also}."
        )
    return (
        f"{who} ist seit {format_date(since)} mit einer Adresse in der Stadt an einer Schule angemeldet, "
        f"ist hier aber nicht gemeldet, sondern am {at} in {also}."
    )


def _hint_id(city: str, rule: str, primary_ref: str) -> str:
    digest = hashlib.sha256(f"{city}|{rule}|{primary_ref}".encode()).hexdigest()[:16].upper()
    return f"L-{digest}"


def write_city_hints(hints: Sequence[LandHint], path: Path) -> int:
    """One city's hints in the contract's hint export format (Objekt_ID empty: the state
    run has no property master)."""
    rows = sorted(hints, key=lambda h: (h.rule, h.primary_ref))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(HINT_HEADER)
        for h in rows:
            writer.writerow(
                [
                    h.hint_id,
                    h.rule,
                    "",
                    h.address or "",
                    "|".join(h.evidence),
                    money_csv(h.amount),
                    h.explanation,
                ]
            )
    return len(rows)


def run_land(
    cities: Sequence[City],
    stichtag: dt.date,
    work_dir: str | Path,
    out_dir: str | Path,
    *,
    backend: EngineBackend | None = None,
    progress: Progress | None = None,
    em_max_pairs: int = linkage.EM_MAX_PAIRS,
    u_max_pairs: int = linkage.U_MAX_PAIRS,
    truth_links: Sequence[tuple[str, str, str, str | None]] | None = None,
    on_linked: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> LandOutput:
    """Link the persons of all ``cities`` and write one hint file per city to ``out_dir``.

    ``work_dir`` must not exist yet (it is the temporary analysis store and is deleted
    completely when the run ends, successfully or not). ``truth_links`` (``(city code,
    entity, record_key, person_id)``, e.g. a synthetic state's truth) replaces the linkage:
    the hints of perfect linkage, against which the real linkage is measured. ``on_linked``
    is called with the analysis store once ``person_link`` exists (the benchmark measures the
    links there, before the store is deleted).
    """
    codes = [c.code for c in cities]
    if len(cities) < 2:
        raise ValueError("Ein Abgleich auf Landesebene braucht mindestens zwei Städte.")
    if len(set(codes)) != len(codes):
        raise ValueError("Jedes Stadtkürzel darf nur einmal vorkommen.")
    work = Path(work_dir)
    if work.exists():
        raise ValueError(f"Das Arbeitsverzeichnis {work} besteht schon; es wird nach dem Lauf gelöscht.")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, percent: None)
    names = {c.code: c.name for c in cities}
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    work.mkdir(parents=True)
    try:
        con = duckdb.connect(str(work / "land.duckdb"))
        try:
            con.execute(f"SET temp_directory = {_literal(work / 'tmp')}")
            started = time.perf_counter()
            report("Datenstände der Städte werden geladen", 5)
            present = _load(con, cities)
            counts["person_records"] = int(con.execute("SELECT count(*) FROM land_record").fetchone()[0])  # type: ignore[index]
            timings["records"] = time.perf_counter() - started

            started = time.perf_counter()
            report("Personen werden städteübergreifend verknüpft", 20)
            if truth_links is None:
                result = linkage.link_records(
                    con,
                    "land_record",
                    reference_date=stichtag,
                    predict_on=backend.predictor(work) if backend else None,
                    em_max_pairs=em_max_pairs,
                    u_max_pairs=u_max_pairs,
                )
                counts["persons"] = result.n_persons
                counts["links"] = result.n_pairs_linked
            else:
                con.execute(
                    "CREATE TABLE person_link (entity VARCHAR, record_key VARCHAR, person_id VARCHAR, "
                    "probability DOUBLE)"
                )
                con.executemany(
                    "INSERT INTO person_link VALUES (?, ? || '~' || ?, ?, 1.0)",
                    [(e, c, k, p) for c, e, k, p in truth_links if p],
                )
            timings["person_linkage"] = time.perf_counter() - started

            if on_linked is not None:
                on_linked(con)
            started = time.perf_counter()
            report("Regeln der Landesebene werden ausgewertet", 75)
            _facts_at_s(con, stichtag)
            hints: list[LandHint] = []
            per_rule: dict[str, int] = {}
            not_evaluated: dict[str, str] = {}
            for rule in LAND_RULES:
                missing = [s for s in rule.needs if s not in present]
                if missing:
                    not_evaluated[rule.code] = (
                        f"nicht ausgewertet: Datenstand {', '.join(missing)} fehlt für mindestens eine Stadt"
                    )
                    continue
                sql = _RULE_SQL[rule.code]
                rows = con.execute(sql, {"s": stichtag} if "$s" in sql else {}).fetchall()
                seen: set[tuple[str, str]] = set()
                for stadt, ref, evidence, adresse, amount, others, facts in sorted(rows, key=repr):
                    if (stadt, ref) in seen:  # one hint per primary record and rule
                        continue
                    seen.add((stadt, ref))
                    other_names = tuple(names[o] for o in others)
                    hints.append(
                        LandHint(
                            city=stadt,
                            hint_id=_hint_id(stadt, rule.code, ref),
                            rule=rule.code,
                            primary_ref=ref,
                            evidence=tuple(evidence),
                            address=adresse,
                            amount=amount,
                            explanation=_explain(rule.code, facts, other_names, stichtag),
                            other_cities=tuple(others),
                        )
                    )
                per_rule[rule.code] = len(seen)
            timings["rules"] = time.perf_counter() - started
        finally:
            con.close()
    finally:
        # the analysis store holds every person of every city: nothing of it is kept
        shutil.rmtree(work, ignore_errors=True)
    files: dict[str, Path] = {}
    for city in cities:
        path = out / f"{city.code}.csv"
        counts[f"hints_{city.code}"] = write_city_hints([h for h in hints if h.city == city.code], path)
        files[city.code] = path
    counts["hints"] = len(hints)
    report("fertig", 100)
    return LandOutput(stichtag, hints, files, counts, per_rule, not_evaluated, timings)
