"""A tiny city built directly in DuckDB, for the rule and ranking tests.

`City` collects rows of the six snapshot tables plus the linkage output
(`person_link`, `address_link`) in the shapes of `docs/engine-seams.md`, then `build()`
creates them on a fresh DuckDB connection. Every record names the person it belongs to
(`person=`), and the property its address normalises to (`at=`, an Objekt_ID) or an
address outside the building register (`at=None` with `plz=`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb

D = dt.date.fromisoformat
CITY_PLZ = "44623"

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "melderegister": [
        ("Ordnungsmerkmal", "VARCHAR"),
        ("Familienname", "VARCHAR"),
        ("Vornamen", "VARCHAR"),
        ("Geburtsname", "VARCHAR"),
        ("Geburtsdatum", "VARCHAR"),
        ("Geschlecht", "VARCHAR"),
        ("Staatsangehoerigkeit", "VARCHAR"),
        ("Wohnung", "VARCHAR"),
        ("Wohnungsstatus", "VARCHAR"),
        ("Einzugsdatum", "DATE"),
        ("Auszugsdatum", "DATE"),
        ("Abmeldegrund", "VARCHAR"),
    ],
    "kindergeld": [
        ("Kindergeldnummer", "VARCHAR"),
        ("Kind_Nr", "INTEGER"),
        ("Berechtigter_Familienname", "VARCHAR"),
        ("Berechtigter_Vornamen", "VARCHAR"),
        ("Berechtigter_Geburtsdatum", "DATE"),
        ("Kind_Familienname", "VARCHAR"),
        ("Kind_Vornamen", "VARCHAR"),
        ("Kind_Geburtsdatum", "DATE"),
        ("Kind_Wohnsitz", "VARCHAR"),
        ("Zahlung_ab", "DATE"),
        ("Zahlung_bis", "DATE"),
        ("Monatsbetrag", "DECIMAL(12,2)"),
    ],
    "schule": [
        ("Schulnummer", "VARCHAR"),
        ("Schulname", "VARCHAR"),
        ("Schueler_ID", "VARCHAR"),
        ("Nachname", "VARCHAR"),
        ("Vorname", "VARCHAR"),
        ("Geburtsdatum", "DATE"),
        ("Geschlecht", "VARCHAR"),
        ("Klasse", "VARCHAR"),
        ("Aufnahmedatum", "DATE"),
        ("Entlassdatum", "DATE"),
        ("Letzter_Anwesenheitstag", "DATE"),
        ("Fehlstunden_unentschuldigt", "INTEGER"),
        ("Stand", "DATE"),
    ],
    "jobcenter": [
        ("BG_Nummer", "VARCHAR"),
        ("Person_Nr", "INTEGER"),
        ("Familienname", "VARCHAR"),
        ("Vornamen", "VARCHAR"),
        ("Geburtsdatum", "DATE"),
        ("Leistung_ab", "DATE"),
        ("Leistung_bis", "DATE"),
        ("Arbeitgeber", "VARCHAR"),
        ("Erwerbseinkommen", "DECIMAL(12,2)"),
    ],
    "seu": [
        ("SEU_ID", "VARCHAR"),
        ("Familienname", "VARCHAR"),
        ("Vornamen", "VARCHAR"),
        ("Geburtsdatum", "DATE"),
        ("Geschlecht", "VARCHAR"),
        ("Einschulungsjahr", "INTEGER"),
        ("Einladungsdatum", "DATE"),
        ("Status", "VARCHAR"),
    ],
    "objekte": [
        ("Objekt_ID", "VARCHAR"),
        ("Wohneinheiten", "INTEGER"),
        ("Wohnflaeche_m2", "DOUBLE"),
        ("Eigentuemer", "VARCHAR"),
        ("Baujahr", "INTEGER"),
        ("UTM_Ost", "DOUBLE"),
        ("UTM_Nord", "DOUBLE"),
    ],
}
ADDRESS = [
    ("Strasse", "VARCHAR"),
    ("Hausnummer", "VARCHAR"),
    ("Hausnummerzusatz", "VARCHAR"),
    ("PLZ", "VARCHAR"),
    ("Ort", "VARCHAR"),
]
TECH = [("_row", "INTEGER"), ("_key", "VARCHAR"), ("_addr_key", "VARCHAR")]


class City:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SCHEMAS}
        self.person_link: list[tuple[str, str, str, float]] = []
        self.address_link: dict[str, tuple[str | None, str]] = {}
        self.objects: dict[str, dict[str, Any]] = {}

    # --- addresses -----------------------------------------------------------------
    def objekt(
        self,
        oid: str,
        street: str = "Bahnhofstraße",
        number: str = "1",
        *,
        flats: int | None = None,
        area: float | None = None,
        plz: str = CITY_PLZ,
    ) -> str:
        row = {"Objekt_ID": oid, "Wohneinheiten": flats, "Wohnflaeche_m2": area}
        addr = {"Strasse": street, "Hausnummer": number, "PLZ": plz, "Ort": "Herne"}
        self.objects[oid] = addr
        key = f"a:{oid}"
        self.address_link[key] = (oid, f"{street} {number}, {plz} Herne")
        self._add("objekte", oid, row, addr, key)
        return oid

    def _address(self, at: str | None, plz: str) -> tuple[dict[str, Any], str | None]:
        if at is not None:
            return dict(self.objects[at]), f"a:{at}"
        if plz == "":
            return {}, None
        addr = {"Strasse": "Nirgendweg", "Hausnummer": "99", "PLZ": plz, "Ort": "Irgendwo"}
        key = f"x:{plz}"
        self.address_link[key] = (None, f"Nirgendweg 99, {plz} Irgendwo")
        return addr, key

    def _add(
        self, source: str, key: str, row: dict[str, Any], addr: dict[str, Any], addr_key: str | None
    ) -> None:
        rows = self.rows[source]
        rows.append({**row, **addr, "_row": len(rows) + 2, "_key": key, "_addr_key": addr_key})

    def _link(self, entity: str, key: str, person: str | None) -> None:
        if person is not None and not any(e == entity and k == key for e, k, _, _ in self.person_link):
            self.person_link.append((entity, key, person, 0.99))

    # --- records ---------------------------------------------------------------------
    def melde(
        self,
        om: str,
        *,
        person: str | None = None,
        at: str | None = "O1",
        plz: str = CITY_PLZ,
        ein: str = "2015-01-01",
        aus: str | None = None,
        grund: str | None = None,
        status: str = "H",
        born: str = "2014-03-04",
        sex: str | None = None,
        name: tuple[str, str] = ("Kim", "Muster"),
    ) -> None:
        addr, key = self._address(at, plz)
        row = {
            "Ordnungsmerkmal": om,
            "Vornamen": name[0],
            "Familienname": name[1],
            "Geburtsdatum": born,
            "Geschlecht": sex,
            "Wohnungsstatus": status,
            "Einzugsdatum": D(ein),
            "Auszugsdatum": D(aus) if aus else None,
            "Abmeldegrund": grund,
        }
        self._add("melderegister", om, row, addr, key)
        if not any(e == "melderegister" and k == om for e, k, _, _ in self.person_link):
            self._link("melderegister", om, person)

    def kindergeld(
        self,
        nummer: str = "214FK123456",
        kind_nr: int = 1,
        *,
        person: str | None = None,
        parent: str | None = None,
        at: str | None = "O1",
        plz: str = CITY_PLZ,
        born: str = "2014-03-04",
        wohnsitz: str = "Inland",
        ab: str = "2024-01-01",
        bis: str | None = None,
        betrag: str = "259.00",
        name: tuple[str, str] = ("Andrei", "Popescu"),
        parent_name: tuple[str, str] = ("Elena", "Popescu"),
    ) -> str:
        addr, key = self._address(at, plz)
        k = f"{nummer}/{kind_nr}"
        row = {
            "Kindergeldnummer": nummer,
            "Kind_Nr": kind_nr,
            "Berechtigter_Vornamen": parent_name[0],
            "Berechtigter_Familienname": parent_name[1],
            "Berechtigter_Geburtsdatum": D("1985-05-05"),
            "Kind_Vornamen": name[0],
            "Kind_Familienname": name[1],
            "Kind_Geburtsdatum": D(born),
            "Kind_Wohnsitz": wohnsitz,
            "Zahlung_ab": D(ab),
            "Zahlung_bis": D(bis) if bis else None,
            "Monatsbetrag": Decimal(betrag),
        }
        self._add("kindergeld", k, row, addr, key)
        self._link("kindergeld_kind", k, person)
        if not any(e == "kindergeld_berechtigter" and r == nummer for e, r, _, _ in self.person_link):
            self._link("kindergeld_berechtigter", nummer, parent)
        return f"kindergeld:{k}"

    def schule(
        self,
        schueler: str = "S1",
        schulnummer: str = "123456",
        *,
        person: str | None = None,
        at: str | None = "O1",
        plz: str = CITY_PLZ,
        born: str = "2014-03-04",
        auf: str = "2020-08-01",
        entl: str | None = None,
        letzter: str | None = "2026-03-13",
        stand: str = "2026-03-16",
        name: tuple[str, str] = ("Mara", "Schmidt"),
        schulname: str = "Grundschule Am Park",
    ) -> str:
        addr, key = self._address(at, plz)
        k = f"{schulnummer}/{schueler}"
        row = {
            "Schulnummer": schulnummer,
            "Schulname": schulname,
            "Schueler_ID": schueler,
            "Vorname": name[0],
            "Nachname": name[1],
            "Geburtsdatum": D(born),
            "Klasse": "3b",
            "Aufnahmedatum": D(auf),
            "Entlassdatum": D(entl) if entl else None,
            "Letzter_Anwesenheitstag": D(letzter) if letzter else None,
            "Stand": D(stand),
        }
        self._add("schule", k, row, addr, key)
        self._link("schule", k, person)
        return f"schule:{k}"

    def jobcenter(
        self,
        bg: str = "12345BG0000001",
        nr: int = 1,
        *,
        person: str | None = None,
        at: str | None = "O1",
        plz: str = CITY_PLZ,
        ab: str = "2024-01-01",
        bis: str | None = None,
        arbeitgeber: str | None = None,
        einkommen: str | None = None,
        name: tuple[str, str] = ("Ivan", "Petrov"),
    ) -> str:
        addr, key = self._address(at, plz)
        k = f"{bg}/{nr}"
        row = {
            "BG_Nummer": bg,
            "Person_Nr": nr,
            "Vornamen": name[0],
            "Familienname": name[1],
            "Geburtsdatum": D("1990-01-01"),
            "Leistung_ab": D(ab),
            "Leistung_bis": D(bis) if bis else None,
            "Arbeitgeber": arbeitgeber,
            "Erwerbseinkommen": Decimal(einkommen) if einkommen else None,
        }
        self._add("jobcenter", k, row, addr, key)
        self._link("jobcenter", k, person)
        return f"jobcenter:{k}"

    def seu(
        self,
        seu_id: str = "SEU1",
        *,
        person: str | None = None,
        at: str | None = "O1",
        plz: str = CITY_PLZ,
        jahr: int = 2025,
        status: str = "nicht erschienen",
        born: str = "2019-05-05",
        name: tuple[str, str] = ("Lia", "Kraus"),
    ) -> str:
        addr, key = self._address(at, plz)
        row = {
            "SEU_ID": seu_id,
            "Vornamen": name[0],
            "Familienname": name[1],
            "Geburtsdatum": D(born),
            "Einschulungsjahr": jahr,
            "Einladungsdatum": D(f"{jahr - 1}-11-01"),
            "Status": status,
        }
        self._add("seu", seu_id, row, addr, key)
        self._link("seu", seu_id, person)
        return f"seu:{seu_id}"

    # --- build -----------------------------------------------------------------------
    def build(self, *, without: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        for source, cols in SCHEMAS.items():
            if source in without:
                continue
            columns = cols + ADDRESS + TECH
            con.execute(f"CREATE TABLE {source} ({', '.join(f'{n} {t}' for n, t in columns)})")
            names = [n for n, _ in columns]
            rows = [[r.get(n) for n in names] for r in self.rows[source]]
            if rows:
                marks = ", ".join("?" for _ in names)
                con.executemany(f"INSERT INTO {source} VALUES ({marks})", rows)  # noqa: S608
        if "person_link" not in without:
            con.execute(
                "CREATE TABLE person_link (entity VARCHAR, record_key VARCHAR, person_id VARCHAR, "
                "probability DOUBLE)"
            )
            if self.person_link:
                con.executemany("INSERT INTO person_link VALUES (?, ?, ?, ?)", self.person_link)
        if "address_link" not in without:
            con.execute(
                "CREATE TABLE address_link (addr_key VARCHAR, objekt_id VARCHAR, score DOUBLE, label VARCHAR)"
            )
            rows2 = [(k, o, 1.0 if o else 0.0, label) for k, (o, label) in sorted(self.address_link.items())]
            if rows2:
                con.executemany("INSERT INTO address_link VALUES (?, ?, ?, ?)", rows2)
        return con
