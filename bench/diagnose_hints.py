"""Diagnose the engine's hints against the synthetic truth, without Django.

    .venv/bin/python bench/diagnose_hints.py CITY_DIR [--stichtag 2026-09-15] [--keep]

Reads the city's six CSV files with the importer's reader (cached as Parquet snapshots in
``CITY_DIR/snapshots``), runs address linkage, person linkage and the rules step by step in
``CITY_DIR/diagnose.duckdb`` (kept, not minimised, so that false hints can be traced to the
pairs behind them), prints each step's time (the engine's own timers) and per-rule
precision/recall, and writes the false and missed hints to ``CITY_DIR/diagnose/``.
Not a ``*_bench.py``: ``make bench`` does not run it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import logging
import resource
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from missimo.engine import linkage, rules
from missimo.engine.addresses import link_addresses
from missimo.engine.reader import read_source, write_snapshot
from missimo.engine.run import _create_views
from missimo.engine.sources import SOURCES


def snapshots(city: Path) -> dict[str, Path]:
    out = city / "snapshots"
    out.mkdir(exist_ok=True)
    paths = {}
    for source in SOURCES:
        path = out / f"{source}.parquet"
        if not path.exists():
            started = time.perf_counter()
            result = read_source(source, city / f"{source}.csv")
            write_snapshot(result.table, path)
            print(f"read {source}: {time.perf_counter() - started:.1f} s", flush=True)
        paths[source] = path
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("city", type=Path)
    ap.add_argument("--stichtag", default="2026-09-15")
    ap.add_argument("--rules-only", action="store_true", help="reuse the linkage tables of the last run")
    ap.add_argument("--recluster", action="store_true", help="reuse the scored pairs, cluster again")
    ap.add_argument("--no-ambiguity", action="store_true", help="cluster without the ambiguity check")
    args = ap.parse_args()
    linkage.AMBIGUITY_CHECK = not args.no_ambiguity
    args.rules_only = args.rules_only or args.recluster
    logging.basicConfig(level=logging.WARNING)
    city: Path = args.city
    stichtag = dt.date.fromisoformat(args.stichtag)
    paths = snapshots(city)
    db = city / "diagnose.duckdb"
    if not args.rules_only:
        db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"SET temp_directory = '{city / 'tmp'}'")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    _create_views(con, paths)
    timings["load"] = time.perf_counter() - started
    if not args.rules_only:
        started = time.perf_counter()
        print(link_addresses(con, "objekte", {s: s for s in paths if s != "objekte"}), flush=True)
        timings["address_linkage"] = time.perf_counter() - started
        started = time.perf_counter()
        t0 = time.perf_counter()
        linkage.build_person_records(con, {s: s for s in SOURCES if s != "objekte"})
        records_seconds = time.perf_counter() - t0
        res = linkage.link_records(con, "person_record", model_path=city / "diagnose_model.json")
        timings["person_linkage"] = time.perf_counter() - started
        print(
            f"person linkage: records {records_seconds:.1f} s, "
            + ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items()),
            f"| {res.n_records} records, {res.n_persons} persons, {res.n_pairs_linked} links, "
            f"{res.n_edges_skipped} edges skipped",
            flush=True,
        )
    if args.recluster:
        started = time.perf_counter()
        skipped = linkage.write_links(
            con, "person_record", "person_pair", "person_link", linkage.DEFAULT_THRESHOLD
        )
        print(f"cluster again: {time.perf_counter() - started:.1f} s, {skipped} edges skipped", flush=True)
    started = time.perf_counter()
    evaluation = rules.evaluate(con, stichtag)
    timings["rules"] = time.perf_counter() - started
    print(
        "timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
        f"| peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GiB",
        flush=True,
    )

    expected: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    with open(city / "truth" / "expected_hints.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            expected[row["Regel"]][row["Primaerbeleg"]] = row
    found: dict[str, dict[str, rules.Hint]] = defaultdict(dict)
    for hint in evaluation.hints:
        found[hint.rule][hint.primary_ref] = hint
    out = city / "diagnose"
    out.mkdir(exist_ok=True)
    worst = 1.0
    for rule in sorted(set(expected) | set(found)):
        e, g = set(expected[rule]), set(found[rule])
        tp = len(e & g)
        precision = tp / len(g) if g else 1.0
        recall = tp / len(e) if e else 1.0
        worst = min(worst, precision, recall)
        print(f"{rule:24} expected {len(e):5} found {len(g):5} P {precision:.3f} R {recall:.3f}")
        with open(out / f"{rule}.txt", "w", encoding="utf-8") as f:
            for ref in sorted(g - e):
                h = found[rule][ref]
                f.write(f"FP {ref} persons={list(h.person_ids)} evidence={list(h.evidence)} {h.facts}\n")
            for ref in sorted(e - g):
                f.write(f"FN {ref} {expected[rule][ref]}\n")
    print(f"lowest per-rule precision or recall: {worst:.3f}")


if __name__ == "__main__":
    main()
