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
  such mutually exclusive persons about equally well (below 0.99) joins neither; a second
  pass compares a Kindergeld child still without a Melderegister entry through the address
  where its entitled person is registered (``_household_address_pairs``);
- level weights are made monotone after training (``_monotone``): no level counts more
  against a match than "verschieden".

``DEFAULT_THRESHOLD`` = 0.5 (more likely the same person than not): a missed link creates
false hints here (a pupil "not registered", a child "not existing"), while the cluster
constraints keep twins and siblings apart; measured precision at 0.5 is >= 0.995 on
FEBRL3/FEBRL4 and the synthetic city (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import gc
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
import numpy as np
import pyarrow as pa

from missimo.engine import birthdates
from missimo.engine import sources as source_layouts
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
#: Whether clustering makes a second pass comparing Kindergeld children with the
#: Melderegister through their entitled person's address (``_household_address_pairs``).
HOUSEHOLD_PASS = True
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
    # Every other source: one person per record, the columns from its descriptor (engine.sources).
    layouts = source_layouts.SOURCES
    if source not in layouts or len(layouts[source].persons) != 1:
        raise ValueError(f"unknown person source {source!r}")
    person = layouts[source].persons[0]
    fam, vor = c(person.surname), c(person.first_names)
    key = " || '/' || ".join(f"CAST({c(k)} AS VARCHAR)" for k in person.key)
    # Records that share these values are different persons (pupils of one school, members of one
    # Bedarfsgemeinschaft, children examined for one school year).
    group = " || '/' || ".join(f"coalesce(CAST({c(g)} AS VARCHAR), '')" for g in person.distinct_within)
    group = group or "''"
    return [
        f"""
        SELECT '{source}:' || k AS unique_id, '{source}' AS entity, k AS record_key, familienname, vornamen,
               NULL AS geburtsname, geburtsdatum, geschlecht, strasse, hausnummer, zusatz, plz, ort,
               addr_key, CASE WHEN addr_key IS NULL THEN [] ELSE [addr_key] END AS addr_keys,
               ['{source}:' || grp] AS excl
        FROM (
          SELECT {_key_expr(cols, key)} AS k, {fam} AS familienname, {vor} AS vornamen, {group} AS grp,
                 {dob.format(c(person.birth_date))} AS geburtsdatum, {c("Geschlecht")} AS geschlecht, {addr},
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


def _one_edit(col: str) -> str:
    """``damerau_levenshtein(l.col, r.col) <= 1``, computed ~7x faster.

    Damerau-Levenshtein <= 1 means Levenshtein <= 1 or one transposition of adjacent
    characters, which has Levenshtein 2 and equal lengths; only those pairs need the slow
    function, and only a CASE makes DuckDB skip it for the others. Exact for the ASCII
    ``fold`` columns (both functions count bytes).
    """
    a, b = f"l.{col}", f"r.{col}"
    return (
        f"CASE WHEN levenshtein({a}, {b}) <= 1 THEN TRUE "
        f"WHEN length({a}) = length({b}) AND levenshtein({a}, {b}) = 2 "
        f"THEN damerau_levenshtein({a}, {b}) <= 1 ELSE FALSE END"
    )


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
                    _one_edit("forename_fold")
                    + " AND greatest(length(l.forename_fold), length(r.forename_fold)) >= 4",
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
                    _one_edit("surname_fold")
                    + " AND greatest(length(l.surname_fold), length(r.surname_fold)) >= 4",
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
                _level("l.street_name = r.street_name", "gleiche Straße, andere PLZ"),
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
#: Complementary rules, used only for inputs up to ``COMPLEMENTARY_MAX_RECORDS`` records:
COMPLEMENTARY_RULES = [
    # complementary rules for records with errors in several fields at once (issue #15; each
    # finds true pairs of FEBRL3/FEBRL4 without the id that none of the rules above finds,
    # chosen greedily, docs/benchmarks.md): postcode + name prefixes, the building without
    # the postcode, postcode + house number + an initial, phonetic name + name prefix, the
    # family name in the street, and first and family name swapped within a postcode
    "l.plz_n = r.plz_n AND left(l.surname_key, 2) = left(r.surname_key, 2) "
    "AND left(l.forename_key, 2) = left(r.forename_key, 2)",
    "l.street_name = r.street_name AND l.hnr = r.hnr",
    "l.plz_n = r.plz_n AND l.hnr = r.hnr AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.plz_n = r.plz_n AND l.hnr = r.hnr AND left(l.forename_key, 1) = left(r.forename_key, 1)",
    "l.forename_key = r.forename_key AND left(l.surname_key, 3) = left(r.surname_key, 3)",
    "l.surname_key = r.surname_key AND left(l.forename_key, 2) = left(r.forename_key, 2)",
    "l.surname_key = r.surname_key AND l.street_name = r.street_name",
    "l.surname_key = r.forename_key AND l.plz_n = r.plz_n",
    "l.forename_key = r.surname_key AND l.plz_n = r.plz_n",
]
#: Their blocks grow with the square of a city's large buildings and long streets: on a
#: 100,000-resident synthetic city (178,274 records) they made the linkage take 6.5 x a plain
#: Splink run (docs/benchmarks.md); up to this size (FEBRL, a small town) they cost seconds.
COMPLEMENTARY_MAX_RECORDS = 50_000
BLOCKING_RULES = BLOCKING_RULES + COMPLEMENTARY_RULES


#: Blocking rules for large inputs (more than ``LARGE_INPUT`` records): each rule narrowed by
#: a second or third field, so that a city of 600,000 residents (1M records) yields about
#: 11M candidate pairs (counted per rule, with overlaps) instead of ~115M. Keeps 621,396 of the 621,400 true pairs of the
#: 600,000-resident synthetic city. (Three rules with 11.4M pairs and no true pair that no
#: other rule finds were dropped: family name + first name + birth month, family name +
#: birth year and month, first name + birth year and month; without the last one the
#: scored pairs are the same, 651,832 >= 0.05 and 635,342 >= 0.5; docs/benchmarks.md.)
BLOCKING_RULES_LARGE = [
    "l.dob = r.dob AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.dob = r.dob AND left(l.forename_key, 1) = left(r.forename_key, 1)",
    "l.dob_swapped = r.dob AND left(l.surname_key, 1) = left(r.surname_key, 1)",
    "l.surname_key = r.surname_key AND l.forename_key = r.forename_key AND l.dob_y = r.dob_y",
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


#: The deterministic rule the prior is estimated from, and the comparison levels (output
#: column, level label) whose m probabilities give the share of true pairs it finds.
PRIOR_RULE = "l.forenames_sorted = r.forenames_sorted AND l.surname_fold = r.surname_fold AND l.dob = r.dob"
PRIOR_RULE_LEVELS = (
    ("vorname", "alle Vornamen gleich (Reihenfolge egal)"),
    ("familienname", "gleich"),
    ("geburtsdatum", "gleich"),
)
#: The share assumed before the model is trained.
PRIOR_RULE_RECALL = 0.8


def prior_rule_recall(model: Mapping[str, Any]) -> float | None:
    """The share of true pairs that ``PRIOR_RULE`` finds, from the trained m probabilities
    (the product of its levels' m, conditional independence as in the model itself); None
    when a level has no m."""
    recall = 1.0
    for column, label in PRIOR_RULE_LEVELS:
        comp = next(c for c in model["comparisons"] if c["output_column_name"] == column)
        level = next(lv for lv in comp["comparison_levels"] if lv["label_for_charts"] == label)
        m = level.get("m_probability")
        if not m:
            return None
        recall *= float(m)
    return min(1.0, max(0.05, recall))


def _train(linker: Any, em_max_pairs: int, u_max_pairs: int, seed: int) -> None:
    linker.training.estimate_probability_two_random_records_match([PRIOR_RULE], recall=PRIOR_RULE_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    for rule in (
        "l.dob = r.dob",
        "l.surname_key = r.surname_key AND l.forename_key = r.forename_key",
    ):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=em_max_pairs, estimate_without_term_frequencies=True
        )
    # the prior again, now with the share of true pairs the rule finds as the trained model
    # sees it (data with many typing errors find fewer than assumed above)
    recall = prior_rule_recall(linker.misc.save_model_to_json(None))
    if recall is not None:
        linker.training.estimate_probability_two_random_records_match([PRIOR_RULE], recall=recall)


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
    reference_date: dt.date | None = None,
    predict_on: Any = None,
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

    ``predict_on`` (the backend seam, ``missimo.engine.backends``): a callable
    ``(con, records_table, model, store_threshold) -> table`` that scores the blocked pairs
    with the trained model elsewhere (Spark) and returns a table in ``con`` shaped like
    Splink's predictions; None scores them here on DuckDB.
    """
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sdf = db_api.register(records_table)
    if trained_model is not None:
        settings: Any = trained_model if isinstance(trained_model, dict) else str(trained_model)
        linker = Linker(sdf, settings, log_level=None)
    else:
        cols = {c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()}
        with_kennung = "kennung" in cols and bool(
            con.execute(f"SELECT count(kennung) FROM {records_table}").fetchall()[0][0]
        )
        if blocking_rules is None:
            n_input = con.execute(f"SELECT count(*) FROM {records_table}").fetchall()[0][0]
            blocking_rules = (
                BLOCKING_RULES
                if n_input <= COMPLEMENTARY_MAX_RECORDS
                else BLOCKING_RULES[: -len(COMPLEMENTARY_RULES)]
                if n_input <= LARGE_INPUT
                else BLOCKING_RULES_LARGE
            )
        settings = model_settings(blocking_rules, with_kennung=with_kennung)
        linker = Linker(sdf, settings, log_level=None)
        _train(linker, em_max_pairs, u_max_pairs, seed)
        linker = Linker(sdf, _monotone(linker.misc.save_model_to_json(None)), log_level=None)
    model = linker.misc.save_model_to_json(str(model_path) if model_path else None, overwrite=True)
    timings["train"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if predict_on is None:
        pred = linker.inference.predict(threshold_match_probability=store_threshold, warning_mode="never")
        pred_name = pred.physical_name
    else:
        pred, pred_name = None, predict_on(con, records_table, model, store_threshold)
    timings["predict"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _store_pairs(con, pred_name, pair_table, model, records_table)
    timings["store"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_applied = write_links(
        con, records_table, pair_table, link_table, threshold, rejected, reference_date=reference_date
    )
    if pred is not None:
        pred.drop_table_from_database_and_remove_from_cache()
    else:
        con.execute(f"DROP TABLE IF EXISTS {pred_name}")
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
    *,
    reference_date: dt.date | None = None,
) -> int:
    """Cluster the scored pairs of ``pair_table`` into ``link_table``; returns skipped edges.

    ``reference_date`` (the run's Stichtag; default today) decides who is a child for the
    birth-date rule (``missimo.engine.birthdates``): a pair involving a minor whose birth
    dates differ by more than a typing error is marked ``geburtsdatum_sperre`` and never
    linked, and no cluster combines two such records through others.
    """
    reference = reference_date or dt.date.today()
    con.execute(f"UPDATE {pair_table} SET linked = FALSE, rejected = FALSE WHERE linked OR rejected")
    _restore_direct_address(con, pair_table)
    _mark_birth_date_veto(con, records_table, pair_table, reference)
    rej = _register_rejected(con, rejected)
    # the loop creates millions of small objects and no cycles: the cyclic garbage
    # collector would only walk them again and again (2-3 s at 600,000 residents)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        n_skipped = _cluster(con, records_table, pair_table, threshold, rej, reference)
    finally:
        if gc_was_enabled:
            gc.enable()
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {link_table} AS
        WITH c AS (SELECT ids.unique_id, res.root, res.probability
                   FROM _cl_ids ids JOIN _cl_result res USING (i)),
             pid AS (SELECT root, min(unique_id) AS person_id FROM c GROUP BY root)
        SELECT r.entity, r.record_key, coalesce(pid.person_id, r.unique_id) AS person_id,
               CAST(c.probability AS DOUBLE) AS probability
        FROM {records_table} r
        LEFT JOIN c USING (unique_id)
        LEFT JOIN pid USING (root)
        """
    )
    con.unregister("_cl_result")
    for name in ("_cl_ids", "_cl_pairs"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return n_skipped


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


_DOB_COLUMNS = {"dob_y", "dob_m", "dob_d"}


def _mark_birth_date_veto(
    con: duckdb.DuckDBPyConnection, records_table: str, pair_table: str, reference: dt.date
) -> None:
    """Mark the pairs that the birth-date rule forbids (``geburtsdatum_sperre``)."""
    con.execute(
        f"ALTER TABLE {pair_table} ADD COLUMN IF NOT EXISTS geburtsdatum_sperre BOOLEAN DEFAULT FALSE"
    )
    con.execute(f"UPDATE {pair_table} SET geburtsdatum_sperre = FALSE WHERE geburtsdatum_sperre")
    if not {c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()} >= _DOB_COLUMNS:
        return
    # The vetoed pairs are found with explicit joins first: in one UPDATE ... FROM l, r DuckDB
    # plans the two record tables as a nested-loop join on the veto condition (records squared:
    # minutes at 10,000 residents), not as two hash joins on the ids.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _veto AS
        SELECT p.unique_id_l, p.unique_id_r FROM {pair_table} p
        JOIN {records_table} l ON l.unique_id = p.unique_id_l
        JOIN {records_table} r ON r.unique_id = p.unique_id_r
        WHERE {birthdates.veto_sql(reference)}
        """
    )
    con.execute(
        f"""
        UPDATE {pair_table} SET geburtsdatum_sperre = TRUE FROM _veto v
        WHERE v.unique_id_l = {pair_table}.unique_id_l AND v.unique_id_r = {pair_table}.unique_id_r
        """
    )
    con.execute("DROP TABLE _veto")


def _register_rejected(
    con: duckdb.DuckDBPyConnection, rejected: Iterable[tuple[str, str, str, str]]
) -> list[tuple[str, str]]:
    pairs = [(f"{a}:{b}", f"{c}:{d}") for a, b, c, d in rejected]
    return pairs


#: The address comparison (``comparison_levels`` label) that a Kindergeld child's pair with a
#: Melderegister entry reaches when that entry shares an address with the Melderegister entry
#: of the child's entitled person (see ``_household_address_pairs``).
HOUSEHOLD_ADDRESS_LEVEL = "eine frühere Anschrift gleich"


def _cluster(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    pair_table: str,
    threshold: float,
    rejected: list[tuple[str, str]],
    reference: dt.date | None = None,
) -> int:
    """Constrained connected components.

    Edges at or above ``threshold`` are added by falling probability (union-find). An edge
    is skipped when it would put into one cluster

    - the two records of a rejected pair, or
    - two records sharing an exclusivity group (``excl`` column): one Ordnungsmerkmal per
      person in the Melderegister, distinct Kind_Nr of one Kindergeldnummer, distinct pupils
      of one school, distinct members of one Bedarfsgemeinschaft. This keeps twins apart
      even though their records agree on everything but the first name;
    - two records whose birth dates the birth-date rule forbids to be one person (a minor
      at ``reference`` involved, more than a typing error apart; ``birthdates.veto``): such
      pairs (``geburtsdatum_sperre``) are no edges at all, and a merge of two clusters is
      skipped when any record of one and any record of the other are such a pair;

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

    A second pass then scores the pairs of a Kindergeld child that is not yet the same
    person as the Melderegister entry it is paired with again, with the address compared
    through the entitled person (``_household_address_pairs``), and adds those edges by the
    same rules.

    Records are numbered (``_cl_ids``: unique_id, i; the pairs in processing order in
    ``_cl_pairs``), the loop runs on those numbers. Leaves the result in ``_cl_result`` (i,
    root, best accepted edge probability or NULL), marks the accepted pairs ``linked`` and
    returns the number of skipped edges.
    """
    if rejected:
        con.register("_rej", pa.table({"a": [p[0] for p in rejected], "b": [p[1] for p in rejected]}))
        con.execute(
            f"UPDATE {pair_table} SET rejected = TRUE FROM _rej "
            f"WHERE (unique_id_l = a AND unique_id_r = b) OR (unique_id_l = b AND unique_id_r = a)"
        )
        con.unregister("_rej")
    has_veto = "geburtsdatum_sperre" in {c[0] for c in con.execute(f"DESCRIBE {pair_table}").fetchall()}
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cl_ids AS
        SELECT unique_id, CAST(row_number() OVER (ORDER BY unique_id) - 1 AS INTEGER) AS i
        FROM (SELECT unique_id_l AS unique_id FROM {pair_table} UNION SELECT unique_id_r FROM {pair_table})
        """
    )
    # processing order: by falling probability, ties by the ids (i is ordered like unique_id)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cl_pairs AS
        SELECT CAST(row_number() OVER (ORDER BY p.match_probability DESC, a.i, b.i) - 1 AS INTEGER) AS j,
               a.i AS l, b.i AS r, p.match_probability AS p, p.match_weight AS w
        FROM {pair_table} p
        JOIN _cl_ids a ON a.unique_id = p.unique_id_l
        JOIN _cl_ids b ON b.unique_id = p.unique_id_r
        WHERE NOT p.rejected{" AND NOT coalesce(p.geburtsdatum_sperre, FALSE)" if has_veto else ""}
        """
    )
    n = int(con.execute("SELECT count(*) FROM _cl_ids").fetchall()[0][0])
    arrays = con.execute("SELECT l, r, p, w FROM _cl_pairs ORDER BY j").fetchnumpy()
    left: list[int] = arrays["l"].tolist()
    right: list[int] = arrays["r"].tolist()
    prob: list[float] = arrays["p"].tolist()
    # every stored pair is evidence for the ambiguity check (odds capped to stay finite)
    odds: list[float] = [2.0 ** min(w, 1000.0) for w in arrays["w"].tolist()]
    # adjacency (CSR): the pairs of record x are nb_pair[offset[x]:offset[x + 1]]
    ends = np.concatenate([arrays["l"], arrays["r"]]).astype(np.int64)
    order = np.argsort(ends, kind="stable")
    nb_other: list[int] = np.concatenate([arrays["r"], arrays["l"]])[order].tolist()
    nb_pair: list[int] = np.tile(np.arange(len(left), dtype=np.int64), 2)[order].tolist()
    offset: list[int] = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))]).tolist()
    del arrays, ends, order

    empty: frozenset[int] = frozenset()
    groups: list[frozenset[int] | set[int]] = [empty] * n
    cols = [c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()]
    if "excl" in cols:
        found = con.execute(
            f"""
            SELECT i, CAST(dense_rank() OVER (ORDER BY g) AS INTEGER) AS g
            FROM (SELECT c.i, unnest(r.excl) AS g FROM {records_table} r JOIN _cl_ids c USING (unique_id))
            """
        ).fetchnumpy()
        for i, g in zip(found["i"].tolist(), found["g"].tolist(), strict=True):
            groups[i] = groups[i] | {g}
    # rejected pairs become private exclusivity groups (negative numbers)
    if rejected:
        index = dict(
            con.execute(
                "SELECT unique_id, i FROM _cl_ids WHERE unique_id IN (SELECT unnest(?))",
                [sorted({u for p in rejected for u in p})],
            ).fetchall()
        )
        for k, (a, b) in enumerate(rejected):
            for u in (a, b):
                if u in index:
                    groups[index[u]] = groups[index[u]] | {-1 - k}
    limit = threshold / (1.0 - threshold) if threshold < 1 else math.inf

    # birth dates (year known) and who is a minor, for the cluster-level birth-date rule
    dob_of: list[birthdates.BirthDate | None] = [None] * n
    minor = bytearray(n)
    if set(cols) >= _DOB_COLUMNS:
        ref = reference or dt.date.today()
        dob_rows = con.execute(
            f"""
            SELECT c.i, r.dob_y, r.dob_m, r.dob_d, {birthdates.minor_sql("r", ref)} AS minor
            FROM {records_table} r JOIN _cl_ids c USING (unique_id) WHERE r.dob_y IS NOT NULL
            """
        ).fetchall()
        for i, y, m, d, is_minor in dob_rows:
            dob_of[i] = (y, m, d)
            if is_minor:
                minor[i] = 1

    def dates_conflict(ma: list[int], mb: list[int]) -> bool:
        """Whether a record of ``ma`` and one of ``mb`` are a pair the birth-date rule forbids."""
        if not any(minor[x] for x in ma) and not any(minor[y] for y in mb):
            return False
        for x in ma:
            dx = dob_of[x]
            if dx is None:
                continue
            for y in mb:
                dy = dob_of[y]
                if dy is None or dy == dx or not (minor[x] or minor[y]):
                    continue
                if not birthdates.compatible(dx, dy):
                    return True
        return False

    parent = list(range(n))
    members: dict[int, list[int]] = {}
    best_prob = [-1.0] * n
    linked = bytearray(len(left))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def claimed(rz: int, o_min: float, side: int, other: int, side_groups: Any) -> bool:
        """Whether cluster ``rz`` has another suitor, at least as good as ``o_min``, that can
        never be ``side`` (the other of two twins of one claim with the same name)."""
        for y in members.get(rz, (rz,)):
            for k in range(offset[y], offset[y + 1]):
                if odds[nb_pair[k]] >= o_min:
                    rw = find(nb_other[k])
                    if rw != rz and rw != side and rw != other:
                        gw = groups[rw]
                        if gw and side_groups and not gw.isdisjoint(side_groups):
                            return True
        return False

    def fit(side: int, other: int, side_groups: Any, other_groups: Any) -> tuple[float, float]:
        """(best odds of ``side`` to ``other``, best odds to a rival: a cluster that ``side``
        could join but that can never be the same person as ``other``)."""
        best = rival = 0.0
        for x in members.get(side, (side,)):
            for k in range(offset[x], offset[x + 1]):
                o = odds[nb_pair[k]]
                rz = find(nb_other[k])
                if rz == other:
                    best = max(best, o)
                elif rz != side and o > rival:
                    gz = groups[rz]
                    if (
                        gz
                        and other_groups
                        and not gz.isdisjoint(other_groups)
                        and gz.isdisjoint(side_groups)
                        and not claimed(rz, o, side, other, side_groups)
                    ):
                        rival = o
        return best, rival

    def add(edges: Iterable[int]) -> int:
        skipped = 0
        for j in edges:
            p = prob[j]
            if p < threshold:
                break
            a, b = left[j], right[j]
            ra, rb = find(a), find(b)
            if ra != rb:
                ga, gb = groups[ra], groups[rb]
                if ga and gb and not ga.isdisjoint(gb):
                    skipped += 1
                    continue
                ma, mb = members.get(ra) or [ra], members.get(rb) or [rb]
                if dates_conflict(ma, mb):
                    skipped += 1
                    continue
                if AMBIGUITY_CHECK and p < AMBIGUITY_BELOW:
                    odds_ab, rival_a = fit(ra, rb, ga, gb)
                    _, rival_b = fit(rb, ra, gb, ga)
                    rival = max(rival_a, rival_b)
                else:
                    odds_ab = rival = 0.0
                if rival and odds_ab < limit * (1.0 + rival):
                    skipped += 1
                    continue
                members.pop(ra, None)
                members.pop(rb, None)
                if len(ma) > len(mb):
                    ra, rb, ga, gb, ma, mb = rb, ra, gb, ga, mb, ma
                parent[ra] = rb
                members[rb] = mb + ma
                if ga or gb:
                    groups[rb] = ga | gb
            linked[j] = 1
            if p > best_prob[a]:
                best_prob[a] = p
            if p > best_prob[b]:
                best_prob[b] = p
        return skipped

    n_skipped = add(range(len(left)))
    second = []
    if HOUSEHOLD_PASS:
        second = _household_address_pairs(
            con, records_table, pair_table, threshold, [find(x) for x in range(n)]
        )
    for j, w, p in second:
        odds[j] = 2.0 ** min(w, 1000.0)
        prob[j] = p
    n_skipped += add(j for j, _w, _p in second)

    accepted = np.flatnonzero(np.frombuffer(bytes(linked), dtype=np.uint8)).astype(np.int32)
    con.register("_acc", pa.table({"j": pa.array(accepted)}))
    # rewriting the table is faster than updating most of its rows
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {pair_table} AS
        SELECT p.* REPLACE (x.j IS NOT NULL AS linked)
        FROM {pair_table} p
        LEFT JOIN (SELECT c.j, a.unique_id AS ul, b.unique_id AS ur
                   FROM _acc JOIN _cl_pairs c USING (j)
                   JOIN _cl_ids a ON a.i = c.l JOIN _cl_ids b ON b.i = c.r) x
          ON p.unique_id_l = x.ul AND p.unique_id_r = x.ur
        """
    )
    con.unregister("_acc")
    roots = np.array([find(x) for x in range(n)], dtype=np.int32)
    best = np.array(best_prob, dtype=np.float64)
    con.register(
        "_cl_result",
        pa.table(
            {
                "i": pa.array(np.arange(n, dtype=np.int32)),
                "root": pa.array(roots),
                "probability": pa.array(best, mask=best < 0),
            }
        ),
    )
    return n_skipped


def _household_address_pairs(
    con: duckdb.DuckDBPyConnection,
    records_table: str,
    pair_table: str,
    threshold: float,
    roots: list[int],
) -> list[tuple[int, float, float]]:
    """Pairs of a Kindergeld child with a Melderegister entry, scored again with the address
    compared through the entitled person: ``(j, match weight, probability)`` in processing
    order, only those that now reach ``threshold``.

    A Kindergeld child carries the entitled person's address as the Familienkasse knows it,
    which is outdated once the family has moved; the Melderegister knows where the entitled
    person (linked in the first pass) is registered, and a child lives with that person.
    When the Melderegister entry paired with a child shares a current or former address
    with the Melderegister entry of the child's entitled person (the ``kindergeld_berechtigter``
    record of the same claim), the pair's address counts as ``HOUSEHOLD_ADDRESS_LEVEL``
    (if it did not already reach that level directly). The rescored pairs are written back
    to ``pair_table`` (``adresse_ueber`` names the entitled person's Melderegister entry;
    ``adresse_direkt`` keeps the direct comparison for ``write_links`` to restore).
    """
    pair_cols = {c[0] for c in con.execute(f"DESCRIBE {pair_table}").fetchall()}
    rec_cols = {c[0] for c in con.execute(f"DESCRIBE {records_table}").fetchall()}
    if not {"w_adresse", "gamma_adresse"} <= pair_cols or not {"entity", "excl", "addr_keys"} <= rec_cols:
        return []
    levels = next(c for c in _comparisons() if c["output_column_name"] == "adresse")["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    level = len(non_null) - 1 - [lv["label_for_charts"] for lv in non_null].index(HOUSEHOLD_ADDRESS_LEVEL)
    weight = con.execute(
        f"SELECT min(w_adresse) FROM {pair_table} WHERE gamma_adresse = ?", [level]
    ).fetchall()[0][0]
    if weight is None:  # the level was never reached by a stored pair: no weight to apply
        return []
    con.register(
        "_cl_roots",
        pa.table(
            {
                "i": pa.array(np.arange(len(roots), dtype=np.int32)),
                "root": pa.array(np.array(roots, dtype=np.int32)),
            }
        ),
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _cl_household AS
        WITH low AS (
          SELECT cp.j, cp.l, cp.r, cp.w, a.unique_id AS ul, b.unique_id AS ur
          FROM _cl_pairs cp JOIN _cl_ids a ON a.i = cp.l JOIN _cl_ids b ON b.i = cp.r
          WHERE cp.p < $threshold),
        ends AS (
          SELECT j, l, r, w, ul, ur, l AS ki, ul AS ku, r AS mi, ur AS mu FROM low
          UNION ALL SELECT j, l, r, w, ul, ur, r AS ki, ur AS ku, l AS mi, ul AS mu FROM low),
        cand AS (
          SELECT e.*, k.excl, m.addr_keys AS m_addrs
          FROM ends e
          JOIN {records_table} k ON k.unique_id = e.ku AND k.entity = 'kindergeld_kind'
          JOIN {records_table} m ON m.unique_id = e.mu AND m.entity = 'melderegister'),
        claim AS (SELECT DISTINCT ki, unnest(excl) AS g FROM cand),
        ber AS (
          SELECT claim.ki, x.root
          FROM claim
          JOIN (SELECT unique_id, unnest(excl) AS g FROM {records_table}
                WHERE entity = 'kindergeld_berechtigter') b USING (g)
          JOIN _cl_ids bi ON bi.unique_id = b.unique_id JOIN _cl_roots x ON x.i = bi.i),
        home AS (
          SELECT ber.ki, m.unique_id AS via, m.addr_keys
          FROM ber JOIN _cl_roots x ON x.root = ber.root JOIN _cl_ids mi ON mi.i = x.i
          JOIN {records_table} m ON m.unique_id = mi.unique_id AND m.entity = 'melderegister'
          WHERE len(m.addr_keys) > 0)
        SELECT cand.j, cand.l, cand.r, min(home.via) AS via,
               any_value(cand.w - p.w_adresse + $weight) AS w
        FROM cand
        JOIN home ON home.ki = cand.ki
        JOIN _cl_roots kr ON kr.i = cand.ki JOIN _cl_roots mr ON mr.i = cand.mi
        JOIN {pair_table} p ON p.unique_id_l = cand.ul AND p.unique_id_r = cand.ur
        WHERE list_has_any(cand.m_addrs, home.addr_keys) AND kr.root <> mr.root AND p.gamma_adresse < $level
        GROUP BY cand.j, cand.l, cand.r
        """,
        {"threshold": threshold, "weight": weight, "level": level},
    )
    con.unregister("_cl_roots")
    con.execute("ALTER TABLE _cl_household ADD COLUMN p DOUBLE")
    con.execute("UPDATE _cl_household SET p = pow(2, w) / (1 + pow(2, w))")
    con.execute(f"DELETE FROM _cl_household WHERE p < {float(threshold)!r}")
    con.execute(f"ALTER TABLE {pair_table} ADD COLUMN IF NOT EXISTS adresse_ueber VARCHAR")
    con.execute(
        f"ALTER TABLE {pair_table} ADD COLUMN IF NOT EXISTS adresse_direkt "
        "STRUCT(match_weight DOUBLE, match_probability DOUBLE, w DOUBLE, gamma INTEGER)"
    )
    con.execute(
        f"""
        UPDATE {pair_table} SET
          adresse_direkt = struct_pack(match_weight := match_weight, match_probability := match_probability,
                                       w := w_adresse, gamma := gamma_adresse),
          adresse_ueber = x.via, w_adresse = ?, gamma_adresse = ?, match_weight = x.w, match_probability = x.p
        FROM (SELECT a.unique_id AS ul, b.unique_id AS ur, h.via, h.w, h.p
              FROM _cl_household h JOIN _cl_ids a ON a.i = h.l JOIN _cl_ids b ON b.i = h.r) x
        WHERE unique_id_l = x.ul AND unique_id_r = x.ur
        """,
        [weight, level],
    )
    rows = con.execute("SELECT j, w, p FROM _cl_household ORDER BY p DESC, l, r").fetchall()
    con.execute("DROP TABLE _cl_household")
    return [(int(j), float(w), float(p)) for j, w, p in rows]


def _restore_direct_address(con: duckdb.DuckDBPyConnection, pair_table: str) -> None:
    """Undo ``_household_address_pairs`` (it depends on the clusters, which are made again)."""
    if "adresse_ueber" not in {c[0] for c in con.execute(f"DESCRIBE {pair_table}").fetchall()}:
        return
    con.execute(
        f"""
        UPDATE {pair_table} SET match_weight = adresse_direkt.match_weight,
          match_probability = adresse_direkt.match_probability, w_adresse = adresse_direkt.w,
          gamma_adresse = adresse_direkt.gamma, adresse_ueber = NULL, adresse_direkt = NULL
        WHERE adresse_ueber IS NOT NULL
        """
    )


def link_persons(
    con: duckdb.DuckDBPyConnection,
    snapshots: Mapping[str, str | Path],
    **kwargs: Any,
) -> LinkageResult:
    """``build_person_records`` + ``link_records`` (keyword arguments passed on)."""
    started = time.perf_counter()
    build_person_records(con, snapshots)
    records_seconds = time.perf_counter() - started
    result = link_records(con, "person_record", **kwargs)
    result.timings = {"records": records_seconds, **result.timings}
    return result


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
    #: the birth-date rule forbids the pair (a child involved, more than a typing error apart)
    birth_date_veto: bool = False


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
        if name == "adresse" and pair.get("adresse_ueber"):
            label += (
                f" (über die Anschrift des Kindergeldberechtigten im Melderegister, {pair['adresse_ueber']})"
            )
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
        birth_date_veto=bool(pair.get("geburtsdatum_sperre")),
    )
