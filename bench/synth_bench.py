"""Benchmark of the synthetic city: wall time and peak memory for 600,000 residents.

Run: .venv/bin/python bench/synth_bench.py [--residents N] [--out DIR]
The generation runs in a child process so that its peak RSS can be measured alone.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys
from missimo.synth import generate
counts = generate(int(sys.argv[1]), 42, "2026-03-15", sys.argv[2])
print(sum(v for k, v in counts.items() if not k.startswith("truth")))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark: synthetische Stadt")
    parser.add_argument("--residents", type=int, default=600_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="missimo-synth-bench-")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(args.residents), out], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stderr)
        return proc.returncode
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = int(proc.stdout.strip().splitlines()[-1])
    print(f"synth: {args.residents} residents, {rows} source rows in {out}")
    print(f"synth: wall time {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB")
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from bench._report import write_section

    write_section(
        "synth",
        "\n".join(
            [
                "## Synthetic city",
                "",
                "| what | figure | target |",
                "| --- | --- | --- |",
                f"| residents / source rows | {args.residents:,} / {rows:,} | |".replace(",", "."),
                f"| wall time (`missimo synth`) | {elapsed:.1f} s | < 120 s |",
                f"| peak memory | {peak_mb / 1024:.2f} GiB | < 4 GiB |",
            ]
        ),
    )
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
