"""Reading snapshots and a finished run's analysis store for the application.

The Django apps never run SQL on a snapshot or on the analysis store themselves: they call these
functions, so that what a snapshot holds is interpreted in one place (the engine) and the same
way as the rules interpret it. Every function opens its own short-lived DuckDB connection.

Public names: :func:`objekte_rows`, :func:`distinct_values`, :func:`schools_with_pupils`, :func:`latest_value_per_key`,
:func:`find_person_rows`, :func:`record_refs`, :func:`persons_of_records`,
:func:`melderegister_keys_of_persons`, :func:`linked_pairs_of_persons`,
:func:`compare_snapshots`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from missimo.engine.normalise import install_sql_macros
from missimo.engine.sources import get_source

ANALYSIS_DB = "analysis.duckdb"

OBJEKTE_COLUMNS = (
    "Objekt_ID",
    "Strasse",
    "Hausnummer",
    "Hausnummerzusatz",
    "PLZ",
    "Ort",
    "Wohneinheiten",
    "Wohnflaeche_m2",
    "Eigentuemer",
    "Baujahr",
    "UTM_Ost",
    "UTM_Nord",
)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _column(name: str) -> str:
    """A column name as a quoted SQL identifier; only plain names (from the source layouts)."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a column name: {name!r}")
    return f'"{name}"'


def _query(sql: str, params: list[Any], *, macros: bool = False) -> list[tuple]:
    con = duckdb.connect()
    try:
        if macros:
            install_sql_macros(con)
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def objekte_rows(path: str | Path) -> list[tuple]:
    """The property register's rows: :data:`OBJEKTE_COLUMNS` and, last, the normalised address key
    (the one the address linkage uses), ordered by Objekt_ID."""
    return _query(
        f"SELECT {', '.join(OBJEKTE_COLUMNS)}, "  # noqa: S608 (constant column names)
        "missimo_address_key(Strasse, Hausnummer, Hausnummerzusatz, PLZ) "
        "FROM read_parquet(?) ORDER BY Objekt_ID",
        [str(path)],
        macros=True,
    )


def distinct_values(path: str | Path, column: str) -> set[str]:
    """The distinct, non-empty values of one column as text (e.g. the Schulnummern delivered)."""
    sql = f"SELECT DISTINCT CAST({_column(column)} AS VARCHAR) FROM read_parquet(?)"  # noqa: S608
    rows = _query(sql, [str(path)])
    return {str(row[0]).strip() for row in rows if row[0] is not None and str(row[0]).strip()}


def schools_with_pupils(path: str | Path) -> list[tuple[str, str, int]]:
    """(Schulnummer, Schulname, pupils) of a `schule` snapshot: primary schools first, then by size."""
    return [
        (str(number), str(name or ""), int(n))
        for number, name, n in _query(
            "SELECT CAST(Schulnummer AS VARCHAR), any_value(Schulname), count(*) AS n FROM read_parquet(?) "
            "GROUP BY 1 ORDER BY (any_value(Schulname) ILIKE 'Grundschule%') DESC, n DESC, 1",
            [str(path)],
        )
    ]


def latest_value_per_key(path: str | Path, key: str, value: str, order: str) -> dict[str, Any]:
    """key -> value of the row with the latest ``order`` per key (e.g. a person's latest
    registration)."""
    k, v, o = _column(key), _column(value), _column(order)
    rows = _query(f"SELECT {k}, arg_max({v}, {o}) FROM read_parquet(?) GROUP BY {k}", [str(path)])  # noqa: S608
    return {str(k): v for k, v in rows}


def find_person_rows(
    path: str | Path,
    source: str,
    *,
    ordnungsmerkmal: str = "",
    family_name: str = "",
    given_name: str = "",
    birth_date: str = "",
) -> list[dict[str, Any]]:
    """Every row of a snapshot of ``source`` that names the person: by Ordnungsmerkmal (the
    Melderegister's key) or by surname and birth date (ISO ``JJJJ-MM-TT``), narrowed by a part of
    the first names; any person column of the source counts (the Kindergeld export names parent
    and child)."""
    layout = get_source(source)
    conditions: list[str] = []
    params: list[Any] = [str(path)]
    if ordnungsmerkmal and layout.key == ("Ordnungsmerkmal",):
        conditions.append("Ordnungsmerkmal = ?")
        params.append(ordnungsmerkmal.strip())
    if family_name and birth_date:
        for person in layout.persons:
            condition = (
                f'(lower(trim("{person.surname}")) = lower(?) AND CAST("{person.birth_date}" AS VARCHAR) = ?'
            )
            params.extend([family_name.strip(), birth_date])
            if given_name:
                condition += f""" AND lower("{person.first_names}") LIKE '%' || lower(?) || '%'"""
                params.append(given_name.strip())
            conditions.append(condition + ")")
    if not conditions:
        return []
    con = duckdb.connect()
    try:
        # The conditions name only the layout's person columns; every value is a parameter.
        where = " OR ".join(conditions)
        cursor = con.execute(f"SELECT * FROM read_parquet(?) WHERE {where}", params)  # noqa: S608
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def record_refs(source: str, rows: Iterable[dict[str, Any]]) -> set[str]:
    """The references (``entity:key``, as in hints' evidence and the person linkage) of rows of a
    snapshot: the source's own record key and one per person the row names."""
    layout = get_source(source)
    refs: set[str] = set()
    for row in rows:
        key = row.get("_key")
        if not key:
            continue
        refs.add(f"{source}:{key}")
        for person in layout.persons:
            values = [row.get(column) for column in person.key]
            if all(v is not None and str(v) != "" for v in values):
                refs.add(f"{person.entity}:{'/'.join(str(v) for v in values)}")
    return refs


def _open_store(work_dir: str | Path) -> duckdb.DuckDBPyConnection | None:
    store = Path(work_dir) / ANALYSIS_DB
    if not store.exists():
        return None
    con = duckdb.connect(str(store), read_only=True)
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "person_link" not in tables:
        con.close()
        return None
    return con


def persons_of_records(work_dir: str | Path, refs: Iterable[str]) -> set[str]:
    """The linked persons (person_id) a finished run's store holds for these record references; the
    store keeps only persons with a hint, so others are simply not found."""
    wanted = sorted(set(refs))
    if not wanted:
        return set()
    con = _open_store(work_dir)
    if con is None:
        return set()
    try:
        marks = ", ".join("?" for _ in wanted)
        rows = con.execute(
            f"SELECT DISTINCT person_id FROM person_link WHERE entity || ':' || record_key IN ({marks})",  # noqa: S608
            wanted,
        ).fetchall()
    finally:
        con.close()
    return {str(row[0]) for row in rows}


def melderegister_keys_of_persons(work_dir: str | Path) -> dict[str, str]:
    """person_id -> Ordnungsmerkmal (the smallest, if a person has several) from a run's store."""
    con = _open_store(work_dir)
    if con is None:
        return {}
    try:
        rows = con.execute(
            "SELECT person_id, min(record_key) FROM person_link WHERE entity = 'melderegister' GROUP BY person_id"
        ).fetchall()
    finally:
        con.close()
    return {str(person_id): str(key) for person_id, key in rows}


def linked_pairs_of_persons(work_dir: str | Path, person_ids: Iterable[str]) -> list[tuple[str, str]]:
    """The linked pairs of records (unique ids ``entity:key``, left < right) within these persons,
    from a finished run's store: what "Warum verknüpft?" explains."""
    wanted = sorted(set(person_ids))
    con = _open_store(work_dir) if wanted else None
    if con is None:
        return []
    try:
        marks = ", ".join("?" for _ in wanted)
        uids = [
            row[0]
            for row in con.execute(
                f"SELECT entity || ':' || record_key FROM person_link WHERE person_id IN ({marks})",  # noqa: S608
                wanted,
            ).fetchall()
        ]
        if len(uids) < 2:
            return []
        marks = ", ".join("?" for _ in uids)
        rows = con.execute(
            f"SELECT unique_id_l, unique_id_r FROM person_pair WHERE linked "  # noqa: S608
            f"AND unique_id_l IN ({marks}) AND unique_id_r IN ({marks}) ORDER BY unique_id_l, unique_id_r",
            [*uids, *uids],
        ).fetchall()
    finally:
        con.close()
    return [(str(left), str(right)) for left, right in rows]


def compare_snapshots(
    old: str | Path, new: str | Path, *, as_of: str = "", unit: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Two snapshots of one source matched on the record key (``_key``): rows ``added`` and
    ``removed`` and, per field both have, how many matched rows ``changed`` it.

    ``as_of`` names the field that dates the data (the Schulen's ``Stand``): its latest value in
    each snapshot is ``as_of_before`` / ``as_of_after`` (ISO dates). ``unit`` names the field that
    identifies the delivering unit (the Schulnummer) and optionally one with its name: the units in
    the old snapshot that deliver nothing in the new one are ``units_missing`` ([number, name],
    at most 50, sorted) and ``units_missing_count``."""
    con = duckdb.connect()
    extra: dict[str, Any] = {}
    try:
        for name, path in (("o", old), ("n", new)):
            literal = str(path).replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{literal}')")  # noqa: S608
        old_columns = {row[0] for row in con.execute("DESCRIBE o").fetchall()}
        columns = [
            row[0]
            for row in con.execute("DESCRIBE n").fetchall()
            if row[0] in old_columns and not row[0].startswith("_") and _IDENTIFIER.fullmatch(row[0])
        ]
        added = con.execute("SELECT count(*) FROM n ANTI JOIN o USING (_key)").fetchone()
        removed = con.execute("SELECT count(*) FROM o ANTI JOIN n USING (_key)").fetchone()
        changed: dict[str, int] = {}
        if columns:
            sums = ", ".join(f'count(*) FILTER (WHERE o."{c}" IS DISTINCT FROM n."{c}")' for c in columns)
            counts = con.execute(f"SELECT {sums} FROM o JOIN n USING (_key)").fetchone()  # noqa: S608
            if counts is not None:
                changed = {c: int(v) for c, v in zip(columns, counts, strict=True) if v}
        new_columns = {row[0] for row in con.execute("DESCRIBE n").fetchall()}
        both = old_columns & new_columns
        if as_of and as_of in both and _IDENTIFIER.fullmatch(as_of):
            (before,) = con.execute(f'SELECT max("{as_of}") FROM o').fetchone() or (None,)  # noqa: S608
            (after,) = con.execute(f'SELECT max("{as_of}") FROM n').fetchone() or (None,)  # noqa: S608
            extra["as_of_before"] = before.isoformat() if before is not None else None
            extra["as_of_after"] = after.isoformat() if after is not None else None
        if unit and unit[0] in both and all(_IDENTIFIER.fullmatch(c) for c in unit):
            number = f'"{unit[0]}"'
            name = f'any_value("{unit[1]}")' if len(unit) > 1 and unit[1] in old_columns else "NULL"
            missing = con.execute(
                f"SELECT {number}, {name} FROM o WHERE {number} IS NOT NULL "  # noqa: S608
                f"AND {number} NOT IN (SELECT {number} FROM n WHERE {number} IS NOT NULL) "
                f"GROUP BY {number} ORDER BY {number}"
            ).fetchall()
            extra["units_missing_count"] = len(missing)
            extra["units_missing"] = [[str(n), str(label or "")] for n, label in missing[:50]]
    finally:
        con.close()
    return {
        "added": int(added[0]) if added else 0,
        "removed": int(removed[0]) if removed else 0,
        "changed": changed,
        **extra,
    }
