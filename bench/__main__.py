"""`make bench`: run every benchmark of this folder and print its figures.

Each `bench/*_bench.py` is a script that prints its own figures (and updates its section of
docs/benchmarks.md). Pass names to run a subset: `make bench BENCH_ARGS="linkage import"`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("*_bench.py"))
    if argv:
        scripts = [s for s in scripts if any(s.stem.startswith(name) for name in argv)]
    failed = []
    for script in scripts:
        print(f"\n===== {script.stem} =====", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], check=False)
        print(
            f"----- {script.stem}: {time.perf_counter() - started:.1f} s, exit {result.returncode}",
            flush=True,
        )
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nBenchmarks with errors: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
