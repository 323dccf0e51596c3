# ruff: noqa: S608  (SQL is built from internal identifiers; values are bound parameters)
"""Address linkage: every distinct normalised address of the sources onto an ``objekte`` building.

``link_addresses(con, objekte, sources)`` writes

- ``address_link(addr_key, objekt_id, score, label)`` (docs/engine-seams.md): one row per
  distinct address key; ``objekt_id`` NULL when no building matched;
- ``address_candidate(addr_key, rank, objekt_id, label, score)``: for each unmatched
  address the closest buildings (same PLZ or similar street, nearest house number), so a
  case worker sees "did you mean".

Matching, first rule that applies:

1. same key (PLZ, street key, house number with Zusatz): score 1.0;
2. same PLZ and house number, street Jaro-Winkler >= 0.92 (typos such as
   ``Bahnhfostraße``): score = similarity x 0.95; only for a street that does not exist
   in that PLZ as written (``Kleine Sonnenstraße 27`` is a house number that does not exist
   on an existing street, not a typo of ``Kleiner Sonnenweg 27``);
3. same street key and house number in another PLZ (wrong PLZ), only if unambiguous and
   the address is in the city (its PLZ occurs in ``objekte``, or its Ort is the Ort of a
   building): ``Bahnhofstraße 1, 45879 Gelsenkirchen`` is not Herne's Bahnhofstraße 1: 0.85;
4. same PLZ and street, the house number without its Zusatz (``12`` for ``12a``) or the
   ``objekte`` entry without Zusatz for an address with one, only if unambiguous: 0.8.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from missimo.engine.normalise import address_keyed_relation, address_label, install_sql_macros

__all__ = ["MIN_STREET_SIMILARITY", "link_addresses"]

MIN_STREET_SIMILARITY = 0.92
N_CANDIDATES = 3


def _relation(ref: str | Path) -> str:
    s = str(ref)
    return f"read_parquet('{s}')" if s.endswith(".parquet") or Path(s).exists() else s


def _col(con: duckdb.DuckDBPyConnection, rel: str, name: str) -> str:
    cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
    for c in cols:
        if c.lower() == name.lower():
            return f'"{c}"'
    return "NULL"


def _addresses_sql(con: duckdb.DuckDBPyConnection, rel: str, extra: str = "") -> str:
    def c(n: str) -> str:
        return _col(con, rel, n)

    key = (
        c("_addr_key")
        if c("_addr_key") != "NULL"
        else f"missimo_address_key({c('Strasse')}, {c('Hausnummer')}, {c('Hausnummerzusatz')}, {c('PLZ')})"
    )
    return (
        f"SELECT {extra}{key} AS addr_key, CAST({c('Strasse')} AS VARCHAR) AS strasse, "
        f"CAST({c('Hausnummer')} AS VARCHAR) AS hausnummer, "
        f"CAST({c('Hausnummerzusatz')} AS VARCHAR) AS zusatz, "
        f"CAST({c('PLZ')} AS VARCHAR) AS plz, CAST({c('Ort')} AS VARCHAR) AS ort FROM {rel}"
    )


def _with_labels(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    rows = con.execute(sql).fetchall()
    desc = [d[0] for d in con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description]
    cols: dict[str, list[object]] = {d: [] for d in desc}
    cols["label"] = []
    for row in rows:
        rec = dict(zip(desc, row, strict=True))
        for d in desc:
            cols[d].append(rec[d])
        cols["label"].append(
            address_label(rec["strasse"], rec["hausnummer"], rec["zusatz"], rec["plz"], rec["ort"])
        )
    return pa.table(cols)


def link_addresses(
    con: duckdb.DuckDBPyConnection,
    objekte: str | Path,
    sources: Mapping[str, str | Path],
    *,
    table: str = "address_link",
    candidates_table: str = "address_candidate",
) -> dict[str, int]:
    """Match all distinct source addresses onto buildings; returns counts by outcome."""
    install_sql_macros(con)
    obj = _relation(objekte)
    oid = _col(con, obj, "Objekt_ID")
    obj_sql = _addresses_sql(con, obj, f"CAST({oid} AS VARCHAR) AS objekt_id, ")
    buildings = _with_labels(con, obj_sql)
    con.register("_buildings_arrow", buildings)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _buildings AS
        SELECT objekt_id, addr_key, label, lower(trim(ort)) AS ort_n, split_part(addr_key, '|', 1) AS plz_n,
               split_part(addr_key, '|', 2) AS street, split_part(addr_key, '|', 3) AS hnr,
               TRY_CAST(regexp_extract(split_part(addr_key, '|', 3), '^\\d+') AS INTEGER) AS hnr_num
        FROM _buildings_arrow WHERE addr_key IS NOT NULL"""
    )
    con.unregister("_buildings_arrow")
    parts = [
        _addresses_sql(con, address_keyed_relation(con, _relation(ref), f"_addr_src_{i}"))
        for i, (name, ref) in enumerate(sources.items())
        if name != "objekte"
    ]
    if parts:
        src_sql = (
            "SELECT addr_key, any_value(strasse) AS strasse, any_value(hausnummer) AS hausnummer, "
            "any_value(zusatz) AS zusatz, any_value(plz) AS plz, any_value(ort) AS ort FROM ("
            + " UNION ALL ".join(parts)
            + ") WHERE addr_key IS NOT NULL GROUP BY addr_key"
        )
        addresses = _with_labels(con, src_sql)
    else:
        addresses = pa.table({k: pa.array([], pa.string()) for k in ("addr_key", "ort", "label")})
    con.register("_addresses_arrow", addresses)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _addresses AS
        SELECT addr_key, label, lower(trim(ort)) AS ort_n, split_part(addr_key, '|', 1) AS plz_n,
               split_part(addr_key, '|', 2) AS street, split_part(addr_key, '|', 3) AS hnr,
               TRY_CAST(regexp_extract(split_part(addr_key, '|', 3), '^\\d+') AS INTEGER) AS hnr_num
        FROM _addresses_arrow"""
    )
    con.unregister("_addresses_arrow")
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {table} AS
        WITH exact AS (
          SELECT a.addr_key, min(b.objekt_id) AS objekt_id, 1.0 AS score, 1 AS rule
          FROM _addresses a JOIN _buildings b ON a.addr_key = b.addr_key GROUP BY a.addr_key
        ),
        rest AS (SELECT * FROM _addresses WHERE addr_key NOT IN (SELECT addr_key FROM exact)),
        typo AS (
          SELECT a.addr_key, arg_max(b.objekt_id, jaro_winkler_similarity(a.street, b.street)) AS objekt_id,
                 max(jaro_winkler_similarity(a.street, b.street)) * 0.95 AS score, 2 AS rule
          FROM rest a JOIN _buildings b ON a.plz_n = b.plz_n AND a.hnr = b.hnr
          WHERE jaro_winkler_similarity(a.street, b.street) >= {MIN_STREET_SIMILARITY}
            AND NOT EXISTS (SELECT 1 FROM _buildings s WHERE s.plz_n = a.plz_n AND s.street = a.street)
          GROUP BY a.addr_key
        ),
        rest2 AS (SELECT * FROM rest WHERE addr_key NOT IN (SELECT addr_key FROM typo)),
        plz AS (
          SELECT a.addr_key, min(b.objekt_id) AS objekt_id, 0.85 AS score, 3 AS rule
          FROM rest2 a JOIN _buildings b ON a.street = b.street AND a.hnr = b.hnr
          WHERE a.plz_n IN (SELECT plz_n FROM _buildings) OR a.ort_n IN (SELECT ort_n FROM _buildings)
          GROUP BY a.addr_key HAVING count(*) = 1
        ),
        rest3 AS (SELECT * FROM rest2 WHERE addr_key NOT IN (SELECT addr_key FROM plz)),
        zusatz AS (
          SELECT a.addr_key, min(b.objekt_id) AS objekt_id, 0.8 AS score, 4 AS rule
          FROM rest3 a JOIN _buildings b ON a.plz_n = b.plz_n AND a.street = b.street
             AND a.hnr_num = b.hnr_num
             AND (b.hnr = CAST(b.hnr_num AS VARCHAR) OR a.hnr = CAST(a.hnr_num AS VARCHAR))
          GROUP BY a.addr_key HAVING count(*) = 1
        ),
        matched AS (SELECT * FROM exact UNION ALL SELECT * FROM typo UNION ALL SELECT * FROM plz
                    UNION ALL SELECT * FROM zusatz)
        SELECT a.addr_key, m.objekt_id, CAST(m.score AS DOUBLE) AS score,
               coalesce(b.label, a.label) AS label
        FROM _addresses a LEFT JOIN matched m USING (addr_key)
        LEFT JOIN _buildings b ON b.objekt_id = m.objekt_id
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {candidates_table} AS
        WITH u AS (SELECT a.* FROM _addresses a JOIN {table} l USING (addr_key) WHERE l.objekt_id IS NULL),
        c AS (
          SELECT u.addr_key, b.objekt_id, b.label,
                 jaro_winkler_similarity(u.street, b.street) * 0.7
                 + (CASE WHEN u.plz_n = b.plz_n THEN 0.2 ELSE 0 END)
                 + 0.1 / (1 + abs(coalesce(u.hnr_num, 0) - coalesce(b.hnr_num, 0))) AS score
          FROM u JOIN _buildings b
            ON u.plz_n = b.plz_n OR jaro_winkler_similarity(u.street, b.street) >= 0.85
        )
        SELECT addr_key, CAST(rank AS INTEGER) AS rank, objekt_id, label, score FROM (
          SELECT *, row_number() OVER (PARTITION BY addr_key ORDER BY score DESC, objekt_id) AS rank FROM c
        ) WHERE rank <= {N_CANDIDATES}
        """
    )
    row = con.execute(
        f"SELECT count(*), count(objekt_id), count(*) FILTER (WHERE score = 1.0) FROM {table}"
    ).fetchall()[0]
    total, matched, exact = row if row else (0, 0, 0)
    return {"addresses": total, "matched": matched, "exact": exact, "unmatched": total - matched}
