"""The whole job at city scale: import of all six sources, linkage, rules, hints stored.

    .venv/bin/python bench/pipeline_bench.py [--residents 600000] [--seed 42]

Targets (design.md, issue 6): full run <= 60 s and peak memory <= 4 GB for 600,000 residents;
per-rule precision and recall >= 0.98 against the synthetic truth; the first N properties of
the ranking should hold planted misuse far more often than the pilots' 58 % (Wuppertal) and
27 % (Duisburg) of visited properties.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from missimo.formatting import de_int as _de

ROOT = Path(__file__).parents[1]
SOURCES = ("objekte", "melderegister", "kindergeld", "schule", "jobcenter", "seu")
STICHTAG = "2026-09-15"


def _city(residents: int, seed: int) -> tuple[Path, float | None]:
    out = ROOT / "var" / "bench" / f"city-{residents}-{seed}-{STICHTAG}"
    if (out / "truth" / "expected_hints.csv").exists():
        return out, None
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "missimo.cli",
            "synth",
            "--residents",
            str(residents),
            "--seed",
            str(seed),
            "--stichtag",
            STICHTAG,
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out, time.perf_counter() - started


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=int(os.environ.get("BENCH_RESIDENTS", "600000")))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--import-only", action="store_true", help="measure only the import of the six sources"
    )
    args = parser.parse_args()

    city, synth_seconds = _city(args.residents, args.seed)
    load_start = os.getloadavg()[0]
    data_dir = Path(tempfile.mkdtemp(prefix="missimo-bench-", dir=ROOT / "var" / "bench"))
    os.environ["MISSIMO_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    from missimo.cli import ensure_database

    ensure_database()
    from missimo.imports import services as imports
    from missimo.runs import services as runs

    rows = 0
    import_times = {}
    started_all = time.perf_counter()
    cpu_start = _cpu_seconds()
    for source in SOURCES:
        started = time.perf_counter()
        with open(city / f"{source}.csv", "rb") as stream:
            delivery = imports.store_delivery(source, stream, f"{source}.csv", channel="bench")
        delivery = imports.process_delivery(delivery.pk)
        import_times[source] = time.perf_counter() - started
        rows += delivery.data_rows
        assert delivery.status == "taken", delivery.message
    import_seconds = time.perf_counter() - started_all
    if args.import_only:
        load = os.getloadavg()[0]
        print(
            f"import of all six sources ({_de(rows)} rows): {import_seconds:.1f} s, peak {_peak_gib():.2f} GiB, load {load:.1f}"
        )
        for source, seconds in import_times.items():
            print(f"  {source}: {seconds:.1f} s")
        return 0
    started = time.perf_counter()
    run = runs.execute_run(runs.start_run(dt.date.fromisoformat(STICHTAG), channel="bench").pk)
    run_seconds = time.perf_counter() - started
    total = time.perf_counter() - started_all
    cpu_total = _cpu_seconds() - cpu_start
    peak = _peak_gib()
    assert run.status == "finished", run.message

    # Quality against the truth.
    expected = defaultdict(set)
    with open(city / "truth" / "expected_hints.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            expected[row["Regel"]].add(row["Primaerbeleg"])
    found = defaultdict(set)
    for rule, ref in run.hints.values_list("rule", "primary_ref"):
        found[rule].add(ref)
    # A property "holds planted misuse" when a planted misuse scenario sits there, or when one of
    # the hints the truth expects there stems from such a scenario.
    misuse_properties = set()
    misuse_kinds = set()
    with open(city / "truth" / "scenarios.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if row["kind"] == "misuse":
                misuse_kinds.add(row["scenario"])
                if row["objekt_id"]:
                    misuse_properties.add(row["objekt_id"])
    with open(city / "truth" / "expected_hints.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            if row["Objekt_ID"] and set(row["Szenarien"].split("|")) & misuse_kinds:
                misuse_properties.add(row["Objekt_ID"])
    ranking = list(run.ranking.order_by("rank").values_list("objekt_id", flat=True))

    lines = [
        f"## Full run ({_de(args.residents)} residents, {_de(rows)} source rows)",
        "",
        "| what | figure | target |",
        "| --- | --- | --- |",
    ]
    if synth_seconds is not None:
        lines.append(
            f"| generating the city (`missimo synth`) | {synth_seconds:.1f} s | (see Synthetic city) |"
        )
    lines += [
        f"| import of all six sources | {import_seconds:.1f} s | <= 20 s |",
        *[f"| &nbsp;&nbsp;{s} | {t:.1f} s | |" for s, t in import_times.items()],
        f"| run (linkage, rules, hints stored) | {run_seconds:.1f} s | |",
        *[
            f"| {'&nbsp;' * 2 * (1 + k.count('.'))}{k.rpartition('.')[2]} | {v:.1f} s | |"
            for k, v in run.timings.items()
        ],
        f"| **full run** (import + run) | **{total:.1f} s** | <= 60 s |",
        f"| CPU time of import + run (user + system, all threads) | {cpu_total:.1f} s | |",
        f"| peak memory (resident set, this process) | {peak:.2f} GiB | <= 4 GiB |",
        f"| load average (1 min) at start / end, 2 cores | {load_start:.1f} / {os.getloadavg()[0]:.1f} "
        "| quiet: < 1.5 |",
        f"| hints / properties with hints | {_de(run.hints.count())} / {_de(len(ranking))} | |",
        "",
        "### Hints against the synthetic truth (real linkage, not perfect)",
        "",
        "| rule | expected | found | precision | recall |",
        "| --- | --- | --- | --- | --- |",
    ]
    worst = 1.0
    for rule in sorted(set(expected) | set(found)):
        e, g = expected[rule], found[rule]
        tp = len(e & g)
        precision = tp / len(g) if g else 1.0
        recall = tp / len(e) if e else 1.0
        worst = min(worst, precision, recall)
        lines.append(f"| {rule} | {len(e)} | {len(g)} | {precision:.3f} | {recall:.3f} |")
    lines += [
        "",
        f"Lowest per-rule precision or recall: **{worst:.3f}** (target >= 0.98).",
        "",
        "### Ranking: share of the first N properties that hold planted misuse",
        "",
        "| N | share | pilots |",
        "| --- | --- | --- |",
    ]
    for n in (50, 100, 200):
        top = ranking[:n]
        share = sum(1 for oid in top if oid in misuse_properties) / len(top) if top else 0.0
        lines.append(f"| {n} (of {len(top)}) | {100 * share:.0f} % | Wuppertal 58 %, Duisburg 27 % |")
    text = "\n".join(lines)
    print(text)
    sys.path.insert(0, str(ROOT))
    from bench._report import write_section

    write_section("pipeline", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
