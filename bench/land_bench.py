# ruff: noqa: S608  (SQL names only internal tables; the truth path is a quoted literal)
"""State-level run: DuckDB beside a local Spark on the same synthetic state.

    .venv/bin/python bench/land_bench.py                       # 3 cities x 2,000 residents (default)
    .venv/bin/python bench/land_bench.py --cities 10 --residents 300000 --spark-master 'local[2]'

Generates a synthetic state (``missimo synth --cities``), reads the exports, and runs
``missimo land run``'s engine once per backend, each in its own process so that peak
memory (the process and its children, i.e. Spark's JVM) is measured per backend. Prints
and writes to docs/benchmarks.md: time, peak memory, pairwise F1 of the person links
against the state's truth, precision and recall per cross-city rule against perfect
linkage, and every hint on which the two backends differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import write_section

STICHTAG = dt.date(2026, 3, 16)


def _cities(state: Path, codes: list[str]):
    from missimo.engine.land import CITY_SOURCES, City
    from missimo.engine.reader import read_source, write_snapshot

    cities = []
    for code in codes:
        snaps = {}
        for source in CITY_SOURCES:
            snaps[source] = state / code / f"{source}.parquet"
            if not snaps[source].exists():
                write_snapshot(read_source(source, state / code / f"{source}.csv").table, snaps[source])
        cities.append(City(code, code.title(), snaps))
    return cities


def _f1(con, truth: Path) -> dict[str, float]:
    """Pairwise precision/recall/F1 of the person clusters against the truth."""
    literal = str(truth).replace("'", "''")
    con.execute(
        f"CREATE TEMP TABLE _truth AS SELECT entity, stadt || '~' || record_key AS record_key, person_id "
        f"FROM read_csv('{literal}', delim=';', all_varchar=true) WHERE person_id IS NOT NULL"
    )
    row = con.execute(
        """
        WITH j AS (SELECT l.person_id AS p, coalesce(t.person_id, l.entity || l.record_key) AS t
                   FROM person_link l LEFT JOIN _truth t USING (entity, record_key)),
        pp AS (SELECT sum(n * (n - 1) / 2) AS x FROM (SELECT count(*) AS n FROM j GROUP BY p)),
        tp AS (SELECT sum(n * (n - 1) / 2) AS x FROM (SELECT count(*) AS n FROM j GROUP BY t)),
        bo AS (SELECT sum(n * (n - 1) / 2) AS x FROM (SELECT count(*) AS n FROM j GROUP BY p, t))
        SELECT pp.x, tp.x, bo.x FROM pp, tp, bo
        """
    ).fetchone()
    predicted, true, both = (float(v or 0) for v in row)
    precision = both / predicted if predicted else 0.0
    recall = both / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (Spark's JVM included), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 1024


def _run_sampled(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd``; return its result and the peak memory of its process tree (sampled every 0.2 s)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_mb(proc.pid))
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode(), err.read().decode())
    return result, peak


def one(args: argparse.Namespace) -> int:
    """Child process: one backend (or the truth), JSON on stdout."""
    import polars as pl

    from missimo.engine.backends import EngineBackend
    from missimo.engine.land import run_land

    state = Path(args.state)
    cities = _cities(state, args.codes.split(","))
    quality: dict[str, float] = {}
    kwargs: dict = {}
    if args.one == "truth":
        truth = pl.read_csv(state / "truth" / "land_links.csv", separator=";", infer_schema_length=0)
        kwargs["truth_links"] = list(truth.iter_rows())
    else:
        kwargs["backend"] = EngineBackend(name=args.one, spark_master=args.spark_master)
        kwargs["on_linked"] = lambda con: quality.update(_f1(con, state / "truth" / "land_links.csv"))
    with tempfile.TemporaryDirectory(prefix="land-bench-") as tmp:
        started = time.perf_counter()
        out = run_land(cities, STICHTAG, Path(tmp) / "work", Path(tmp) / "out", **kwargs)
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "counts": out.counts,
                "timings": out.timings,
                "quality": quality,
                "hints": sorted([h.rule, h.city, h.primary_ref] for h in out.hints),
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cities", type=int, default=3)
    parser.add_argument("--residents", type=int, default=2000, help="residents per city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="duckdb,spark")
    parser.add_argument("--spark-master", default="local[1]")
    parser.add_argument("--state", help="an existing synthetic state (else one is generated)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--codes", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    if args.one:
        return one(args)

    from missimo.synth.land import LAND_CITIES, generate_land

    codes = [c for c, _, _ in LAND_CITIES[: args.cities]]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="land-state-") as tmp:
        state = Path(args.state) if args.state else Path(tmp) / "state"
        if not args.state:
            started = time.perf_counter()
            generate_land(args.cities, args.residents, args.seed, STICHTAG, state)
            print(
                f"synthetic state: {args.cities} cities x {args.residents} residents in {time.perf_counter() - started:.1f} s"
            )
        results = {}
        for name in ["truth", *args.backends.split(",")]:
            cmd = [
                sys.executable,
                __file__,
                "--one",
                name,
                "--state",
                str(state),
                "--codes",
                ",".join(codes),
                "--spark-master",
                args.spark_master,
            ]
            proc, peak = _run_sampled(cmd)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
            results[name]["peak_mb"] = peak
            print(
                f"{name}: {results[name]['seconds']:.1f} s, peak {results[name]['peak_mb']:.0f} MB",
                flush=True,
            )
    from missimo.engine.land import LAND_RULES

    want = {tuple(h) for h in results["truth"]["hints"]}
    backends = [b for b in results if b != "truth"]
    records = results[backends[0]]["counts"]["person_records"]
    lines = [
        f"Synthetic state of {args.cities} cities x {args.residents:,} residents (seed {args.seed}, Stichtag "
        f"{STICHTAG:%d.%m.%Y}): {records:,} person records; Spark master `{args.spark_master}`. Each backend in "
        "its own process; peak memory = resident memory of that process and its children (Spark's JVM), sampled every 0.2 s; time = the whole `run_land` call, Spark's start included. "
        f"Load average of the shared 2-core machine at the start: {load:.1f}.",
        "",
        "| backend | time | peak memory | link precision | link recall | link F1 | hints |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for b in backends:
        r, q = results[b], results[b]["quality"]
        lines.append(
            f"| {b} | {r['seconds']:.1f} s | {r['peak_mb']:,.0f} MB | {q['precision']:.4f} | {q['recall']:.4f} | "
            f"{q['f1']:.4f} | {len(r['hints'])} |"
        )
    lines += [
        "",
        "Precision / recall per cross-city rule against perfect linkage (the truth as `person_link`):",
        "",
    ]
    lines.append("| rule | expected | " + " | ".join(f"{b} P | {b} R" for b in backends) + " |")
    lines.append("| --- | --- |" + " --- | --- |" * len(backends))
    for rule in LAND_RULES:
        w = {h for h in want if h[0] == rule.code}
        cells = []
        for b in backends:
            g = {tuple(h) for h in results[b]["hints"] if h[0] == rule.code}
            tp = len(g & w)
            cells.append(f"{tp / len(g) if g else 0:.3f} | {tp / len(w) if w else 0:.3f}")
        lines.append(f"| `{rule.code}` | {len(w)} | " + " | ".join(cells) + " |")
    if len(backends) == 2:
        a, b = ({tuple(h) for h in results[x]["hints"]} for x in backends)
        diff = sorted(a ^ b)
        lines += ["", f"Hints on which {backends[0]} and {backends[1]} differ: {len(diff)}."]
        lines += [
            f"- {'only ' + backends[0] if h in a else 'only ' + backends[1]}: {' '.join(h)}" for h in diff
        ]
    body = "## State-level run: DuckDB beside local Spark\n\n" + "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("land", body + "\n\n" + HOW_TO_SCALE)
    return 0


HOW_TO_SCALE = """**The 10-city case (about 5,000,000 person records) was not run on this shared machine.**
To run it (it needs the machine alone; reserve several hours and 16+ GB of RAM, untested):

```
.venv/bin/python bench/land_bench.py --cities 10 --residents 300000 --spark-master 'local[2]'
```

300,000 residents per city give about 500,000 person records per city (the 600,000-resident
city has 1.0 M). Generating the state takes most of the first run; pass `--state DIR` with a
state made once by `missimo synth --cities 10 --residents 300000 --stichtag 2026-03-16 --out DIR`
to reuse it. Above 250,000 records the linkage switches to the narrower `BLOCKING_RULES_LARGE`.
On a cluster, run the same engine with `spark-submit` as in docs/land.md."""


if __name__ == "__main__":
    sys.exit(main())
