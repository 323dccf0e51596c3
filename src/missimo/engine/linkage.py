# ruff: noqa: S608  (SQL is built from internal identifiers; values are bound parameters)
"""Person linkage across the five person sources (Splink 5 on DuckDB).

Public surface:

- ``build_person_records(con, snapshots)``: one comparison record per person record of
  every source (entities of ``docs/engine-seams.md``) in table ``person_record``.
- ``link_records(con, records_table, ...)``: train (or load) the Fellegi-Sunter model,
  score blocked pairs, cluster, respecting rejected links. Writes ``person_pair``
  (scored pairs with per-comparison match weights) and ``person_link``.
- ``write_links(con, records_table, pair_table, link_table, threshold, rejected)``: cluster
  already scored pairs again (a changed threshold or rejected links without a new predict).
- ``link_persons(con, snapshots, ...)``: both of the above.
- ``explain_pair(con, uid_l, uid_r)``: "Warum verknüpft?" from the stored tables.

Nationality (``Staatsangehoerigkeit``) is never read: the record SQL selects columns by
name and that column is not among them.

The model (Fellegi-Sunter, Splink 5 on DuckDB):

- records: Melderegister one per Ordnungsmerkmal (current row for display, all addresses
  in ``addr_keys``), Kindergeld one per Kindergeldnummer (the entitled person) and one per
  Kindergeldnummer/Kind_Nr (the child, no address when ``Kind_Wohnsitz`` = Ausland),
  school, Jobcenter and SEU one per key;
- comparisons: first names (all equal in any order / first equal with term-frequency
  adjustment / one shared / swapped with the family name / Jaro-Winkler), family name
  (equal with TF / equal phonetic key with TF / a part of a double name or the birth name /
  swapped / Jaro-Winkler), birth date (equal / day and month swapped / compatible with
  ``00`` parts / one part off / different), address (equal with TF / a former address /
  same street and number / same street / similar street / same PLZ), sex, and an optional
  ``kennung``;
- training: prior from a deterministic rule, u by random sampling (``U_MAX_PAIRS``), m by
  EM on two blockings capped at ``EM_MAX_PAIRS`` pairs each;
- clusters: constrained connected components (``_cluster``), so that one cluster never
  holds two Melderegister entries, two children of one claim, two pupils of one school,
  two members of one Bedarfsgemeinschaft or a rejected pair, and a record that fits two
  such mutually exclusive persons about equally well (below 0.99) joins neither;
- level weights are made monotone after training (``_monotone``): no level counts more
  against a match than "verschieden".

``DEFAULT_THRESHOLD`` = 0.5 (more likely the same person than not): a missed link creates
false hints here (a pupil "not registered", a child "not existing"), while the cluster
constraints keep twins and siblings apart; measured precision at 0.5 is >= 0.995 on
FEBRL3/FEBRL4 and the synthetic city (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from missimo.engine.normalise import (
    address_keyed_relation,
    fold,
    forename_keys,
    install_sql_macros,
    name_key,
    surname_keys,
)

__all__ = [
    "BLOCKING_RULES",
    "BLOCKING_RULES_LARGE",
    "DEFAULT_THRESHOLD",
    "ENTITIES",
    "LinkageResult",
    "PairExplanation",
    "build_person_records",
    "explain_pair",
    "link_persons",
    "link_records",
    "model_settings",
    "write_links",
]

log = logging.getLogger(__name__)

#: Match probability at or above which two records are the same person (see docs/benchmarks.md).
DEFAULT_THRESHOLD = 0.5
#: Pairs at or above this probability are stored in ``person_pair`` (for review and explanation).
STORE_THRESHOLD = 0.05
#: Cap on the number of pairs used by each EM training session.
EM_MAX_PAIRS = 500_000
#: Whether clustering leaves a record unlinked that fits two different persons equally well.
AMBIGUITY_CHECK = True
#: ... for links below this probability only: above it the record agrees with both
#: candidates in (nearly) every field, so they are interchangeable for every rule
#: (same-named twins; a person registered twice), and linking either one is harmless.
AMBIGUITY_BELOW = 0.99
#: Pairs sampled for the u probabilities.
U_MAX_PAIRS = 2_000_000

ENTITIES = ("melderegister", "kindergeld_berechtigter", "kindergeld_kind", "schule", "jobcenter", "seu")

RECORD_COLUMNS = (
    "unique_id, entity, record_key, familienname, vornamen, geburtsname, geburtsdatum, geschlecht, "
    "strasse, hausnummer, zusatz, plz, ort, addr_key, addr_keys"
)

# ---------------------------------------------------------------------------------------
# records


def _source_relation(con: duckdb.DuckDBPyConnection, source: str, ref: str | Path) -> str:
    """A view ``src_<source>`` over a Parquet file or an existing table/view, with ``_addr_key``."""
    ref_s = str(ref)
    frm = f"read_parquet('{ref_s}')" if ref_s.endswith(".parquet") or Path(ref_s).exists() else ref_s
    frm = address_keyed_relation(con, frm, f"_keyed_{source}")
    cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {frm}").fetchall()]
    lower = {c.lower(): c for c in cols}
    extra = ""
    if "_addr_key" not in lower and "strasse" in lower:
        z = lower.get("hausnummerzusatz", "NULL")
        extra = (
            f", missimo_address_key({lower['strasse']}, {lower.get('hausnummer', 'NULL')}, {z}, "
            f"{lower.get('plz', 'NULL')}) AS _addr_key"
        )
    view = f"src_{source}"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *{extra} FROM {frm}")
    return view


def _c(cols: Sequence[str], name: str) -> str:
    """Column reference if present (case-insensitive), else NULL."""
    for c in cols:
        if c.lower() == name.lower():
            return f'"{c}"'
    return "NULL"


def _entity_sql(con: duckdb.DuckDBPyConnection, source: str, view: str) -> list[str]:
    cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()]

    def c(n: str) -> str:
        return _c(cols, n)

    addr = (
        f"{c('Strasse')} AS strasse, CAST({c('Hausnummer')} AS VARCHAR) AS hausnummer, "
        f"CAST({c('Hausnummerzusatz')} AS VARCHAR) AS zusatz, CAST({c('PLZ')} AS VARCHAR) AS plz, "
        f"{c('Ort')} AS ort"
    )
    dob = "CAST({} AS VARCHAR)"
    if source == "melderegister":
        order = f"({c('Auszugsdatum')} IS NULL) DESC, {c('Einzugsdatum')} DESC NULLS LAST, {c('_row')} DESC"
        return [
            f"""
            SELECT 'melderegister:' || k AS unique_id, 'melderegister' AS entity, k AS record_key,
                   familienname, vornamen, geburtsname, geburtsdatum, geschlecht,
                   strasse, hausnummer, zusatz, plz, ort, addr_key, addr_keys, ['melderegister'] AS excl
            FROM (
              SELECT CAST({c("Ordnungsmerkmal")} AS VARCHAR) AS k,
                     {c("Familienname")} AS familienname, {c("Vornamen")} AS vornamen,
                     {c("Geburtsname")} AS geburtsname, {dob.format(c("Geburtsdatum"))} AS geburtsdatum,
                     {c("Geschlecht")} AS geschlecht, {addr}, _addr_key AS addr_key,
                     list(_addr_key) FILTER (WHERE _addr_key IS NOT NULL) OVER (PARTITION BY
                       {c("Ordnungsmerkmal")}) AS addr_keys,
                     row_number() OVER (PARTITION BY {c("Ordnungsmerkmal")} ORDER BY {order}) AS rn
              FROM {view}
            ) WHERE rn = 1
            """
        ]
    if source == "kindergeld":
        nr = c("Kindergeldnummer")
        berechtigter = f"""
            SELECT 'kindergeld_berechtigter:' || k AS unique_id, 'kindergeld_berechtigter' AS entity,
                   k AS record_key, familienname, vornamen, NULL AS geburtsname, geburtsdatum,
                   NULL AS geschlecht, strasse, hausnummer, zusatz, plz, ort, addr_key,
                   [addr_key] AS addr_keys, ['kg:' || k] AS excl
            FROM (
              SELECT CAST({nr} AS VARCHAR) AS k, {c("Berechtigter_Familienname")} AS familienname,
                     {c("Berechtigter_Vornamen")} AS vornamen,
                     {dob.format(c("Berechtigter_Geburtsdatum"))} AS geburtsdatum, {addr},
                     _addr_key AS addr_key,
                     row_number() OVER (PARTITION BY {nr} ORDER BY {c("Zahlung_ab")} DESC NULLS LAST,
                       {c("_row")} DESC) AS rn
              FROM {view}
            ) WHERE rn = 1
        """
        inland = f"coalesce(lower({c('Kind_Wohnsitz')}), 'inland') <> 'ausland'"
        kind = f"""
            SELECT 'kindergeld_kind:' || k AS unique_id, 'kindergeld_kind' AS entity, k AS record_key,
                   familienname, vornamen, NULL AS geburtsname, geburtsdatum, NULL AS geschlecht,
                   strasse, hausnummer, zusatz, plz, ort, addr_key,
                   CASE WHEN addr_key IS NULL THEN [] ELSE [addr_key] END AS addr_keys,
                   ['kg:' || split_part(k, '/', 1)] AS excl
            FROM (
              SELECT {_key_expr(cols, nr + " || '/' || CAST(" + c("Kind_Nr") + " AS VARCHAR)")} AS k,
                     {c("Kind_Familienname")} AS familienname, {c("Kind_Vornamen")} AS vornamen,
                     {dob.format(c("Kind_Geburtsdatum"))} AS geburtsdatum, {addr},
                     CASE WHEN {inland} THEN _addr_key END AS addr_key,
                     row_number() OVER (PARTITION BY {nr}, {c("Kind_Nr")} ORDER BY {c("Zahlung_ab")} DESC
                       NULLS LAST, {c("_row")} DESC) AS rn
              FROM {view}
            ) WHERE rn = 1
        """
        return [berechtigter, kind]
    natural = {
        "schule": (c("Nachname"), c("Vorname"), f"{c('Schulnummer')} || '/' || {c('Schueler_ID')}"),
        "jobcenter": (
            c("Familienname"),
            c("Vornamen"),
            f"{c('BG_Nummer')} || '/' || CAST({c('Person_Nr')} AS VARCHAR)",
        ),
        "seu": (c("Familienname"), c("Vornamen"), f"CAST({c('SEU_ID')} AS VARCHAR)"),
    }
    if source not in natural:
        raise ValueError(f"unknown person source {source!r}")
    fam, vor, key = natural[source]
    excl = {
        "schule": "['schule:' || split_part(k, '/', 1)]",
        "jobcenter": "['bg:' || split_part(k, '/', 1)]",
        "seu": f"['seu:' || coalesce(CAST({c('Einschulungsjahr')} AS VARCHAR), '')]",
    }[source]
    return [
        f"""
        SELECT '{source}:' || k AS unique_id, '{source}' AS entity, k AS record_key, familienname, vornamen,
               NULL AS geburtsname, geburtsdatum, geschlecht, strasse, hausnummer, zusatz, plz, ort,
               addr_key, CASE WHEN addr_key IS NULL THEN [] ELSE [addr_key] END AS addr_keys,
               {excl} AS excl
        FROM (
          SELECT {_key_expr(cols, key)} AS k, {fam} AS familienname, {vor} AS vornamen,
                 {c("Einschulungsjahr")} AS Einschulungsjahr,
                 {dob.format(c("Geburtsdatum"))} AS geburtsdatum, {c("Geschlecht")} AS geschlecht, {addr},
                 _addr_key AS addr_key,
                 row_number() OVER (PARTITION BY {_key_expr(cols, key)} ORDER BY {c("_row")} DESC) AS rn
          FROM {view}
        ) WHERE rn = 1
        """
    ]


def _key_expr(cols: Sequence[str], natural: str) -> str:
    return f"coalesce(CAST({_c(cols, '_key')} AS VARCHAR), {natural})"


def build_person_records(
    con: duckdb.DuckDBPyConnection, snapshots: Mapping[str, str | Path], table: str = "person_record"
) -> str:
    """Create ``table`` with one row per person record of every given source.

    ``snapshots`` maps a source name (``melderegister``, ``kindergeld``, ``schule``,
    ``jobcenter``, ``seu``) to a Parquet file or a table/view name in ``con``; missing
    sources are skipped. Returns the table name.
    """
    install_sql_macros(con)
    parts: list[str] = []
    for source, ref in snapshots.items():
        if source == "objekte":
            continue
        view = _source_relation(con, source, ref)
        parts.extend(_entity_sql(con, source, view))
    if not parts:
        raise ValueError("no person source given")
    con.execute(f"CREATE OR REPLACE TABLE {table}_raw AS " + " UNION ALL BY NAME ".join(parts))
    _add_features(con, f"{table}_raw", table)
    con.execute(f"DROP TABLE {table}_raw")
    return table


def _add_features(con: duckdb.DuckDBPyConnection, raw: str, out: str) -> None:
    """Comparison columns; names are normalised once per distinct spelling in Python."""
    names = con.execute(
        f"SELECT DISTINCT s FROM (SELECT familienname AS s FROM {raw} UNION ALL "
        f"SELECT geburtsname FROM {raw} UNION ALL SELECT vornamen FROM {raw}) WHERE s IS NOT NULL"
    ).fetchall()
    rows: dict[str, list[Any]] = {k: [] for k in ("s", "nfold", "nkey", "sparts", "fkeys", "ffirst")}
    for (s,) in names:
        tokens = fold(s).replace("-", " ").split()
        rows["s"].append(s)
        rows["nfold"].append(fold(s).replace("-", " ") or None)
        rows["nkey"].append(name_key(s) or None)
        rows["sparts"].append(surname_keys(s))
        rows["fkeys"].append(forename_keys(s))
        rows["ffirst"].append(tokens[0] if tokens else None)
    lookup = pa.table(
        {
            "s": pa.array(rows["s"], pa.string()),
            "nfold": pa.array(rows["nfold"], pa.string()),
            "nkey": pa.array(rows["nkey"], pa.string()),
            "sparts": pa.array(rows["sparts"], pa.list_(pa.string())),
            "fkeys": pa.array(rows["fkeys"], pa.list_(pa.string())),
            "ffirst": pa.array(rows["ffirst"], pa.string()),
        }
    )
    con.register("_name_lookup", lookup)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {out} AS
        WITH d AS (
          SELECT r.*,
                 regexp_extract(r.geburtsdatum, '^(\\d{{4}})-?(\\d{{2}})-?(\\d{{2}})', ['y', 'm', 'd']) AS p
          FROM {raw} r
        )
        SELECT d.* EXCLUDE (p, addr_keys),
               coalesce(d.addr_keys, []) AS addr_keys,
               fam.nfold AS surname_fold, fam.nkey AS surname_key,
               list_distinct(list_concat(coalesce(fam.sparts, []), coalesce(geb.sparts, []))) AS surname_keys,
               vor.ffirst AS forename_fold, vor.fkeys[1] AS forename_key, vor.fkeys AS forename_keys,
               nullif(array_to_string(list_sort(vor.fkeys), ' '), '') AS forenames_sorted,
               nullif(TRY_CAST(p.y AS INTEGER), 0) AS dob_y,
               CASE WHEN TRY_CAST(p.m AS INTEGER) BETWEEN 1 AND 12 THEN TRY_CAST(p.m AS INTEGER) END AS dob_m,
               CASE WHEN TRY_CAST(p.d AS INTEGER) BETWEEN 1 AND 31 THEN TRY_CAST(p.d AS INTEGER) END AS dob_d,
               CASE WHEN p.y <> '' THEN p.y || '-' || p.m || '-' || p.d END AS dob,
               CASE WHEN TRY_CAST(p.d AS INTEGER) BETWEEN 1 AND 12 AND TRY_CAST(p.m AS INTEGER) >= 1
                    THEN p.y || '-' || p.d || '-' || p.m END AS dob_swapped,
               CASE lower(left(d.geschlecht, 1)) WHEN 'm' THEN 'm' WHEN 'w' THEN 'w' WHEN 'f' THEN 'w' END
                 AS gender,
               split_part(d.addr_key, '|', 1) || '|' || split_part(d.addr_key, '|', 2) AS street_key,
               split_part(d.addr_key, '|', 2) || '|' || split_part(d.addr_key, '|', 3) AS street_hnr,
               nullif(split_part(d.addr_key, '|', 1), '') AS plz_n,
               nullif(split_part(d.addr_key, '|', 2), '') AS street_name,
               nullif(split_part(d.addr_key, '|', 3), '') AS hnr
        FROM d
        LEFT JOIN _name_lookup fam ON fam.s = d.familienname
        LEFT JOIN _name_lookup geb ON geb.s = d.geburtsname
        LEFT JOIN _name_lookup vor ON vor.s = d.vornamen
        """
    )
    con.unregister("_name_lookup")


# ---------------------------------------------------------------------------------------
# the model


def _level(sql: str, label: str, tf: str | None = None, null: bool = False) -> dict[str, Any]:
    sql = re.sub(r"\b([lr])\.(\w+)", r"\2_\1", sql)  # comparisons use col_l / col_r
    lvl: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        lvl["is_null_level"] = True
    if tf:
        lvl["tf_adjustment_column"] = tf
        lvl["tf_adjustment_weight"] = 1.0
    return lvl


def _comparisons() -> list[dict[str, Any]]:
    jw = "jaro_winkler_similarity"
    return [
        {
            "output_column_name": "vorname",
            "comparison_description": "Vornamen",
            "comparison_levels": [
                _level("l.forename_key IS NULL OR r.forename_key IS NULL", "fehlt", null=True),
                _level("l.forenames_sorted = r.forenames_sorted", "alle Vornamen gleich (Reihenfolge egal)"),
                _level("l.forename_key = r.forename_key", "erster Vorname gleich", tf="forename_key"),
                _level("list_has_any(l.forename_keys, r.forename_keys)", "ein Vorname gemeinsam"),
                _level("l.forename_key = r.surname_key", "mit Familienname vertauscht"),
                _level(
                    "damerau_levenshtein(l.forename_fold, r.forename_fold) <= 1 "
                    "AND greatest(length(l.forename_fold), length(r.forename_fold)) >= 4",
                    "ein Buchstabe abweichend",
                ),
                _level(f"{jw}(l.forename_fold, r.forename_fold) >= 0.9", "Vorname sehr ähnlich"),
                _level(f"{jw}(l.forename_fold, r.forename_fold) >= 0.75", "Vorname ähnlich"),
                _level("ELSE", "verschieden"),
            ],
        },
        {
            "output_column_name": "familienname",
            "comparison_description": "Familienname / Geburtsname",
            "comparison_levels": [
                _level("l.surname_key IS NULL OR r.surname_key IS NULL", "fehlt", null=True),
                _level("l.surname_fold = r.surname_fold", "gleich", tf="surname_fold"),
                _level("l.surname_key = r.surname_key", "gleich in anderer Schreibweise", tf="surname_key"),
                _level(
                    "list_has_any(l.surname_keys, r.surname_keys)",
                    "Teil eines Doppelnamens oder Geburtsname gleich",
                ),
                _level("l.surname_key = r.forename_key", "mit Vorname vertauscht"),
                _level(
                    "damerau_levenshtein(l.surname_fold, r.surname_fold) <= 1 "
                    "AND greatest(length(l.surname_fold), length(r.surname_fold)) >= 4",
                    "ein Buchstabe abweichend",
                ),
                _level(f"{jw}(l.surname_fold, r.surname_fold) >= 0.9", "sehr ähnlich"),
                _level(f"{jw}(l.surname_fold, r.surname_fold) >= 0.75", "ähnlich"),
                _level("ELSE", "verschieden"),
            ],
        },
        {
            "output_column_name": "geburtsdatum",
            "comparison_description": "Geburtsdatum",
            "comparison_levels": [
                _level("l.dob_y IS NULL OR r.dob_y IS NULL", "fehlt", null=True),
                _level(
                    "l.dob_m IS NOT NULL AND l.dob_d IS NOT NULL AND l.dob = r.dob",
                    "gleich",
                ),
                _level(
                    "l.dob_y = r.dob_y AND l.dob_m = r.dob_d AND l.dob_d = r.dob_m",
                    "Tag und Monat vertauscht",
                ),
                _level(
                    "l.dob_y = r.dob_y AND (l.dob_m IS NULL OR r.dob_m IS NULL OR l.dob_m = r.dob_m) "
                    "AND (l.dob_d IS NULL OR r.dob_d IS NULL OR l.dob_d = r.dob_d)",
                    "vereinbar (Tag/Monat unbekannt)",
                ),
                _level(
                    "(l.dob_y = r.dob_y AND (l.dob_m = r.dob_m OR l.dob_d = r.dob_d)) OR "
                    "(abs(l.dob_y - r.dob_y) <= 10 AND l.dob_m = r.dob_m AND l.dob_d = r.dob_d)",
                    "eine Angabe abweichend",
                ),
                _level("ELSE", "verschieden"),
            ],
        },
        {
            "output_column_name": "adresse",
            "comparison_description": "Anschrift",
            "comparison_levels": [
                _level("l.addr_key IS NULL OR r.addr_key IS NULL", "fehlt", null=True),
                _level("l.addr_key = r.addr_key", "gleiche Anschrift", tf="addr_key"),
                _level("list_has_any(l.addr_keys, r.addr_keys)", "eine frühere Anschrift gleich"),
                _level("l.street_hnr = r.street_hnr", "gleiche Straße und Hausnummer, andere PLZ"),
                _level("l.street_key = r.street_key", "gleiche Straße"),
                _level(
                    f"{jw}(l.street_name, r.street_name) >= 0.9 AND (l.hnr = r.hnr OR l.plz_n = r.plz_n)",
                    "ähnliche Straße",
                ),
                _level("l.plz_n = r.plz_n", "gleiche PLZ"),
                _level("ELSE", "verschieden"),
            ],
        },
        {
            "output_column_name": "geschlecht",
            "comparison_description": "Geschlecht",
            "comparison_levels": [
                _level("l.gender IS NULL OR r.gender IS NULL", "fehlt", null=True),
                _level("l.gender = r.gender", "gleich"),
                _level("ELSE", "verschieden"),
            ],
        },
    ]


#: Blocking rules of the prediction (measured in docs/benchmarks.md: >= 99.5 % of the true
#: pairs of the synthetic city and of FEBRL3/FEBRL4 when their identification number is used).
BLOCKING_RULES = [
    "l.dob = r.dob",
    "l.dob_swapped = r.dob",
    "l.surname_key = r.surname_key AND l.forename_key = r.forename_key",
    "l.surname_key = r.surname_key AND l.dob_y = r.dob_y",
    "l.forename_key = r.forename_key AND l.dob_y = r.dob_y AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.dob_m = r.dob_m AND l.dob_d = r.dob_d AND l.surname_key = r.surname_key",
    "l.addr_key = r.addr_key AND l.dob_y = r.dob_y",
    "l.street_key = r.street_key AND l.forename_key = r.forename_key",
    "l.street_hnr = r.street_hnr AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.surname_key = r.forename_key AND l.forename_key = r.surname_key",  # first and family name swapped
]


#: Blocking rules for large inputs (more than ``LARGE_INPUT`` records): each rule narrowed by
#: a second or third field, so that a city of 600,000 residents (1M records) yields ~15M
#: candidate pairs instead of ~115M. Keeps 621,396 of the 621,400 true pairs of the
#: 600,000-resident synthetic city. (Two rules with 7.2M pairs and no true pair that no
#: other rule finds were dropped: family name + first name + birth month, family name +
#: birth year and month; docs/benchmarks.md.)
BLOCKING_RULES_LARGE = [
    "l.dob = r.dob AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.dob = r.dob AND left(l.forename_key, 1) = left(r.forename_key, 1)",
    "l.dob_swapped = r.dob AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.surname_key = r.surname_key AND l.forename_key = r.forename_key AND l.dob_y = r.dob_y",
    "l.forename_key = r.forename_key AND l.dob_y = r.dob_y AND l.dob_m = r.dob_m",
    "l.dob_m = r.dob_m AND l.dob_d = r.dob_d AND l.surname_key = r.surname_key "
    "AND left(l.forename_key, 1) = left(r.forename_key, 1)",
    "l.addr_key = r.addr_key AND l.dob_y = r.dob_y",
    "l.street_key = r.street_key AND l.forename_key = r.forename_key AND l.dob_m = r.dob_m",
    "l.street_hnr = r.street_hnr AND left(l.surname_key, 1) = left(r.surname_key, 1) AND l.dob_m = r.dob_m",
    "l.surname_key = r.forename_key AND l.forename_key = r.surname_key",
]
#: Up to this many records the broader ``BLOCKING_RULES`` are used (their cost grows with
#: the square of block sizes; below this size it is a few seconds).
LARGE_INPUT = 250_000


KENNUNG_COMPARISON: dict[str, Any] = {
    "output_column_name": "kennung",
    "comparison_description": "Kennung (z. B. Steuer-ID, wenn eine Quelle sie liefert)",
    "comparison_levels": [
        _level("l.kennung IS NULL OR r.kennung IS NULL", "fehlt", null=True),
        _level("l.kennung = r.kennung", "gleich"),
        _level("damerau_levenshtein(l.kennung, r.kennung) <= 1", "ein Zeichen abweichend"),
        _level("ELSE", "verschieden"),
    ],
}


def model_settings(
    blocking_rules: Sequence[str] = tuple(BLOCKING_RULES), *, with_kennung: bool = False
) -> dict[str, Any]:
    """The untrained Splink settings of the person model.

    ``with_kennung`` adds a comparison (and a blocking rule) on an optional ``kennung``
    column, an identification number some sources may deliver (none of the contract's
    reference layouts does; the FEBRL benchmark uses its ``soc_sec_id`` there).
    """
    comparisons = _comparisons()
    rules = list(blocking_rules)
    if with_kennung:
        comparisons.append(KENNUNG_COMPARISON)
        rules.append("l.kennung = r.kennung")
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-5,
        "blocking_rules_to_generate_predictions": rules,
        "comparisons": comparisons,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "max_iterations": 20,
        "em_convergence": 0.001,
    }


# ---------------------------------------------------------------------------------------
# linking


@dataclass
class LinkageResult:
    """What a linkage run produced (table names in the DuckDB connection) and its figures."""

    records_table: str
    pair_table: str
    link_table: str
    threshold: float
    n_records: int
    n_pairs_linked: int
    n_persons: int
    n_edges_skipped: int
    model: dict[str, Any] = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)


def _train(linker: Any, em_max_pairs: int, u_max_pairs: int, seed: int) -> None:
    linker.training.estimate_probability_two_random_records_match(
        [
            "l.forenames_sorted = r.forenames_sorted AND l.surname_fold = r.surname_fold AND l.dob = r.dob",
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    for rule in (
        "l.dob = r.dob",
        "l.surname_key = r.surname_key AND l.forename_key = r.forename_key",
    ):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=em_max_pairs, estimate_without_term_frequencies=True
        )


def _monotone(model: dict[str, Any]) -> dict[str, Any]:
    """No level counts more strongly against a match than "verschieden" (the ELSE level).

    EM drives the m probability of a level that the training pairs rarely show among
    matches towards 0 (``gleiche Straße`` -50 bits, ``mit Vorname vertauscht`` -98 bits at
    600,000 residents), and a synthetic quirk can rank ``gleiche PLZ`` below ``verschieden``.
    A record that comes closer to the other cannot be stronger evidence of two different
    persons than one that differs completely, so such a level gets the ELSE level's weight
    (m = u x m_else / u_else).
    """
    for comp in model["comparisons"]:
        levels = comp["comparison_levels"]
        other = next((lv for lv in levels if lv["sql_condition"].strip().upper() == "ELSE"), None)
        if not other or not other.get("m_probability") or not other.get("u_probability"):
            continue
        ratio = other["m_probability"] / other["u_probability"]
        for lv in levels:
            if lv is other or lv.get("is_null_level"):
                continue
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if m is not None and u and m / u < ratio:
                lv["m_probability"] = u * ratio
    return model


def link_records(
    con: duckdb.DuckDBPyConnection,
    records_table: str = "person_record",
    *,
    model_path: str | Path | None = None,
    trained_model: str | Path | dict[str, Any] | None = None,
    rejected: Iterable[tuple[str, str, str, str]] = (),
    threshold: float = DEFAULT_THRESHOLD,
    store_threshold: float = STORE_THRESHOLD,
    em_max_pairs: int = EM_MAX_PAIRS,
    u_max_pairs: int = U_MAX_PAIRS,
    blocking_rules: Sequence[str] | None = None,
    seed: int = 42,
    pair_table: str = "person_pair",
    link_table: str = "person_link",
) -> LinkageResult:
    """Link the records of ``records_table`` (built by ``build_person_records``).

    Trains the model by EM (or uses ``trained_model``), saves it as Splink settings JSON to
    ``model_path`` when given, stores scored pairs >= ``store_threshold`` with their
    per-comparison match weights in ``pair_table`` and the clusters in ``link_table``
    (``entity, record_key, person_id, probability``). ``rejected`` holds
    ``(entity, record_key, entity, record_key)`` pairs that never end in one cluster.

    ``person_link.person_id`` is the smallest ``entity:record_key`` of the cluster (stable
    and readable); ``probability`` is the highest match probability among the links that
    joined the record to its cluster, NULL for a record linked to nobody.
    """
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sdf = db_api.register(records_table)
    if trained_model is not None:
        settings: Any = trained_model if isinstance(trained_model, dict) else str(trained_model)
        linker = Linker(sdf, settings, log_level=logging.WARNING)
    else:
        cols = {c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()}
        with_kennung = "kennung" in cols and bool(
            con.execute(f"SELECT count(kennung) FROM {records_table}").fetchall()[0][0]
        )
        if blocking_rules is None:
            n_input = con.execute(f"SELECT count(*) FROM {records_table}").fetchall()[0][0]
            blocking_rules = BLOCKING_RULES if n_input <= LARGE_INPUT else BLOCKING_RULES_LARGE
        settings = model_settings(blocking_rules, with_kennung=with_kennung)
        linker = Linker(sdf, settings, log_level=logging.WARNING)
        _train(linker, em_max_pairs, u_max_pairs, seed)
        linker = Linker(sdf, _monotone(linker.misc.save_model_to_json(None)), log_level=logging.WARNING)
    model = linker.misc.save_model_to_json(str(model_path) if model_path else None, overwrite=True)
    timings["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=store_threshold, warning_mode="never")
    timings["predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _store_pairs(con, pred.physical_name, pair_table, model, records_table)
    n_applied = write_links(con, records_table, pair_table, link_table, threshold, rejected)
    pred.drop_table_from_database_and_remove_from_cache()
    n_records, n_persons = con.execute(
        f"SELECT count(*), count(DISTINCT person_id) FROM {link_table}"
    ).fetchall()[0]
    n_linked = con.execute(f"SELECT count(*) FROM {pair_table} WHERE linked").fetchall()[0]
    return LinkageResult(
        records_table=records_table,
        pair_table=pair_table,
        link_table=link_table,
        threshold=threshold,
        n_records=int(n_records),
        n_pairs_linked=int(n_linked[0]) if n_linked else 0,
        n_persons=int(n_persons),
        n_edges_skipped=n_applied,
        timings={**timings, "cluster": time.perf_counter() - t0},
        model=model,
    )


def write_links(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    pair_table: str,
    link_table: str,
    threshold: float,
    rejected: Iterable[tuple[str, str, str, str]] = (),
) -> int:
    """Cluster the scored pairs of ``pair_table`` into ``link_table``; returns skipped edges."""
    con.execute(f"UPDATE {pair_table} SET linked = FALSE, rejected = FALSE WHERE linked OR rejected")
    rej = _register_rejected(con, rejected)
    clusters, probs, n_applied = _cluster(con, records_table, pair_table, threshold, rej)
    con.register(
        "_clusters",
        pa.table({"unique_id": list(clusters), "person_id": list(clusters.values())}),
    )
    con.register("_probs", pa.table({"unique_id": list(probs), "probability": list(probs.values())}))
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {link_table} AS
        SELECT r.entity, r.record_key, coalesce(c.person_id, r.unique_id) AS person_id,
               CAST(p.probability AS DOUBLE) AS probability
        FROM {records_table} r
        LEFT JOIN _clusters c USING (unique_id)
        LEFT JOIN _probs p USING (unique_id)
        """
    )
    con.unregister("_clusters")
    con.unregister("_probs")
    return n_applied


def _store_pairs(
    con: duckdb.DuckDBPyConnection, pred: str, pair_table: str, model: dict[str, Any], records_table: str
) -> None:
    """Scored pairs with, per comparison, the level reached (gamma) and its match weight."""
    cols = [c[0] for c in con.execute(f"DESCRIBE {pred}").fetchall()]
    selects = ["p.unique_id_l", "p.unique_id_r", "p.match_weight", "p.match_probability"]
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        parts = [c for c in cols if c in (f"mw_{name}", f"mw_tf_adj_{name}")]
        mw = " + ".join(f"coalesce(p.{c}, 0)" for c in parts) or "0"
        selects.append(f"({mw}) AS w_{name}")
        selects.append(f"{_gamma_case(comp)} AS gamma_{name}")
    con.execute(
        f"CREATE OR REPLACE TABLE {pair_table} AS SELECT {', '.join(selects)}, FALSE AS linked, "
        f"FALSE AS rejected FROM {pred} p JOIN {records_table} l ON l.unique_id = p.unique_id_l "
        f"JOIN {records_table} r ON r.unique_id = p.unique_id_r"
    )


def _gamma_case(comp: Mapping[str, Any]) -> str:
    levels = comp["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    whens = []
    for lv in levels:
        sql = re.sub(r"\b(\w+)_([lr])\b", r"\2.\1", lv["sql_condition"])
        if lv.get("is_null_level"):
            whens.append(f"WHEN {sql} THEN -1")
        elif sql.strip().upper() == "ELSE":
            whens.append("ELSE 0")
        else:
            whens.append(f"WHEN {sql} THEN {len(non_null) - 1 - non_null.index(lv)}")
    return "CASE " + " ".join(whens) + " END"


def _register_rejected(
    con: duckdb.DuckDBPyConnection, rejected: Iterable[tuple[str, str, str, str]]
) -> list[tuple[str, str]]:
    pairs = [(f"{a}:{b}", f"{c}:{d}") for a, b, c, d in rejected]
    return pairs


def _cluster(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    pair_table: str,
    threshold: float,
    rejected: list[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, float], int]:
    """Constrained connected components.

    Edges at or above ``threshold`` are added by falling probability (union-find). An edge
    is skipped when it would put into one cluster

    - the two records of a rejected pair, or
    - two records sharing an exclusivity group (``excl`` column): one Ordnungsmerkmal per
      person in the Melderegister, distinct Kind_Nr of one Kindergeldnummer, distinct pupils
      of one school, distinct members of one Bedarfsgemeinschaft. This keeps twins apart
      even though their records agree on everything but the first name;

    or when it is ambiguous: a record (cluster) A that fits cluster B also fits a cluster
    C that can never be the same person as B (they share an exclusivity group, e.g. two
    Melderegister entries of namesakes with the same birth date), while A could be C (no
    shared group) and C is not taken by an at least as good suitor that can never be A
    (twins of one claim with the same name take one entry each). A can be at most one of
    them, so its probability of being B is renormalised over the competitors,
    ``odds(A,B) / (1 + odds(A,B) + odds(A,C))`` (odds = 2^match weight, best pair between
    the clusters, every stored pair counted), and the edge is added only if that is still
    at or above ``threshold``; checked from both sides. Two equally good candidates
    therefore link to neither.

    Returns (person_id by unique_id, best accepted edge probability by unique_id, number of
    skipped edges).
    """
    if rejected:
        con.register("_rej", pa.table({"a": [p[0] for p in rejected], "b": [p[1] for p in rejected]}))
        con.execute(
            f"UPDATE {pair_table} SET rejected = TRUE FROM _rej "
            f"WHERE (unique_id_l = a AND unique_id_r = b) OR (unique_id_l = b AND unique_id_r = a)"
        )
        con.unregister("_rej")
    pairs = con.execute(
        f"SELECT unique_id_l, unique_id_r, match_probability, match_weight FROM {pair_table} "
        "WHERE NOT rejected ORDER BY match_probability DESC, unique_id_l, unique_id_r"
    ).fetchall()
    cols = [c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()]
    groups: dict[str, set[str]] = {}
    if "excl" in cols:
        for uid, excl in con.execute(
            f"SELECT unique_id, excl FROM {records_table} WHERE len(excl) > 0 AND unique_id IN "
            f"(SELECT unique_id_l FROM {pair_table} UNION SELECT unique_id_r FROM {pair_table})"
        ).fetchall():
            groups[uid] = set(excl)
    # rejected pairs become private exclusivity groups
    for i, (a, b) in enumerate(rejected):
        groups.setdefault(a, set()).add(f"\x00rej{i}")
        groups.setdefault(b, set()).add(f"\x00rej{i}")

    # every stored pair is evidence for the ambiguity check (odds capped to stay finite)
    neighbours: dict[str, list[tuple[str, float]]] = {}
    for a, b, _p, w in pairs:
        odds = 2.0 ** min(float(w), 1000.0)
        neighbours.setdefault(a, []).append((b, odds))
        neighbours.setdefault(b, []).append((a, odds))
    limit = threshold / (1.0 - threshold) if threshold < 1 else math.inf

    parent: dict[str, str] = {}
    root_groups: dict[str, set[str]] = {}
    members: dict[str, list[str]] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def groups_of(root: str) -> set[str]:
        return root_groups.get(root, groups.get(root, set()) if root not in members else set())

    def claimed(rz: str, odds: float, side: str, other: str, side_groups: set[str]) -> bool:
        """Whether cluster ``rz`` has another suitor, at least as good as ``odds``, that can
        never be ``side`` (the other of two twins of one claim with the same name)."""
        for y in members.get(rz, [rz]):
            for w, o in neighbours.get(y, ()):
                if o >= odds:
                    rw = find(w)
                    if rw not in (rz, side, other):
                        gw = groups_of(rw)
                        if gw and side_groups and not gw.isdisjoint(side_groups):
                            return True
        return False

    def fit(side: str, other: str, side_groups: set[str], other_groups: set[str]) -> tuple[float, float]:
        """(best odds of ``side`` to ``other``, best odds to a rival: a cluster that ``side``
        could join but that can never be the same person as ``other``)."""
        best = rival = 0.0
        for x in members.get(side, [side]):
            for z, odds in neighbours.get(x, ()):
                rz = find(z)
                if rz == other:
                    best = max(best, odds)
                elif rz != side and odds > rival:
                    gz = groups_of(rz)
                    if (
                        gz
                        and other_groups
                        and not gz.isdisjoint(other_groups)
                        and gz.isdisjoint(side_groups)
                        and not claimed(rz, odds, side, other, side_groups)
                    ):
                        rival = odds
        return best, rival

    accepted: list[tuple[str, str]] = []
    probs: dict[str, float] = {}
    n_skipped = 0
    for a, b, p, _w in pairs:
        if p < threshold:
            break
        ra, rb = find(a), find(b)
        if ra != rb:
            ga, gb = groups_of(ra), groups_of(rb)
            if ga and gb and not ga.isdisjoint(gb):
                n_skipped += 1
                continue
            if AMBIGUITY_CHECK and p < AMBIGUITY_BELOW:
                odds_ab, rival_a = fit(ra, rb, ga, gb)
                _, rival_b = fit(rb, ra, gb, ga)
                rival = max(rival_a, rival_b)
            else:
                odds_ab = rival = 0.0
            if rival and odds_ab < limit * (1.0 + rival):
                n_skipped += 1
                continue
            if len(members.get(ra, [ra])) > len(members.get(rb, [rb])):
                ra, rb = rb, ra
                ga, gb = gb, ga
            parent[ra] = rb
            members[rb] = members.pop(rb, [rb]) + members.pop(ra, [ra])
            if ga or gb:
                root_groups[rb] = ga | gb
            root_groups.pop(ra, None)
        accepted.append((a, b))
        probs[a] = max(probs.get(a, 0.0), p)
        probs[b] = max(probs.get(b, 0.0), p)
    if accepted:
        con.register("_acc", pa.table({"l": [e[0] for e in accepted], "r": [e[1] for e in accepted]}))
        con.execute(
            f"UPDATE {pair_table} SET linked = TRUE FROM _acc WHERE unique_id_l = l AND unique_id_r = r"
        )
        con.unregister("_acc")
    person_of: dict[str, str] = {}
    for ms in members.values():
        pid = min(ms)
        for m in ms:
            person_of[m] = pid
    return person_of, probs, n_skipped


def link_persons(
    con: duckdb.DuckDBPyConnection,
    snapshots: Mapping[str, str | Path],
    **kwargs: Any,
) -> LinkageResult:
    """``build_person_records`` + ``link_records`` (keyword arguments passed on)."""
    build_person_records(con, snapshots)
    return link_records(con, "person_record", **kwargs)


# ---------------------------------------------------------------------------------------
# explanation


@dataclass
class PairExplanation:
    """Both records side by side, each comparison's level and weight, and the result."""

    left: dict[str, Any]
    right: dict[str, Any]
    prior_weight: float
    fields: list[dict[str, Any]]
    match_weight: float
    match_probability: float
    linked: bool
    rejected: bool


_DISPLAY = ("familienname", "vornamen", "geburtsname", "geburtsdatum", "geschlecht", "strasse",
            "hausnummer", "zusatz", "plz", "ort")  # fmt: skip


def explain_pair(
    con: duckdb.DuckDBPyConnection,
    uid_l: str,
    uid_r: str,
    model: Mapping[str, Any] | str | Path,
    records_table: str = "person_record",
    pair_table: str = "person_pair",
) -> PairExplanation | None:
    """ "Warum verknüpft?": explain one stored pair (``entity:record_key`` ids, any order).

    Returns ``None`` when the pair was never scored above the storage threshold (then the
    records simply did not look alike enough to be considered).
    """
    settings: Mapping[str, Any] = (
        model if isinstance(model, Mapping) else json.loads(Path(model).read_text(encoding="utf-8"))
    )
    a, b = sorted((uid_l, uid_r))
    rows = con.execute(
        f"SELECT * FROM {pair_table} WHERE (unique_id_l = ? AND unique_id_r = ?) "
        "OR (unique_id_l = ? AND unique_id_r = ?)",
        [a, b, b, a],
    ).fetchall()
    if not rows:
        return None
    row = rows[0]
    desc = con.execute(f"SELECT * FROM {pair_table} LIMIT 0").description
    pair = dict(zip([d[0] for d in desc], row, strict=True))
    recs = {}
    for uid in (pair["unique_id_l"], pair["unique_id_r"]):
        found = con.execute(
            f"SELECT {', '.join(_DISPLAY)} FROM {records_table} WHERE unique_id = ?",
            [uid],
        ).fetchall()
        rec = found[0] if found else (None,) * len(_DISPLAY)
        recs[uid] = {"unique_id": uid, **dict(zip(_DISPLAY, rec, strict=True))}
    fields = []
    for comp in settings["comparisons"]:
        name = comp["output_column_name"]
        gamma = pair[f"gamma_{name}"]
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        if gamma == -1:
            label = next((lv["label_for_charts"] for lv in levels if lv.get("is_null_level")), "fehlt")
        else:
            label = non_null[len(non_null) - 1 - int(gamma)]["label_for_charts"]
        fields.append(
            {
                "comparison": name,
                "description": comp.get("comparison_description", name),
                "level": label,
                "agrees": gamma is not None and gamma > 0,
                "weight": float(pair[f"w_{name}"]),
            }
        )
    prior = float(settings["probability_two_random_records_match"])
    return PairExplanation(
        left=recs[pair["unique_id_l"]],
        right=recs[pair["unique_id_r"]],
        prior_weight=math.log2(prior / (1 - prior)),
        fields=fields,
        match_weight=float(pair["match_weight"]),
        match_probability=float(pair["match_probability"]),
        linked=bool(pair["linked"]),
        rejected=bool(pair["rejected"]),
    )
