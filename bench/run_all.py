"""Run every benchmark in bench/ (each bench_*.py, in name order), one after the other, and print their figures.

    .venv/bin/python bench/run_all.py              # what `make bench` runs
    .venv/bin/python bench/run_all.py scale check  # only the scripts whose names contain one of these words

Each script runs with its own defaults (they take different arguments; run one directly to pass options).
`bench_engines.py` needs PostgreSQL and Java (`make install-test`, which `make bench` runs); without one, it skips
that engine and says why.

Scripts run one at a time on purpose: timings taken while another benchmark runs on the same cores are not worth
reading. The exit code is 1 when any script fails; the others still run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def scripts() -> list[Path]:
    return sorted(p for p in BENCH.glob("bench_*.py") if p.is_file())


def main(argv: list[str]) -> int:
    failed = []
    found = [p for p in scripts() if not argv or any(word in p.stem for word in argv)]
    if not found:
        print(f"no bench/bench_*.py script{' matches ' + ', '.join(argv) if argv else ''}", file=sys.stderr)
        return 1
    print(f"running {len(found)} benchmark(s) on {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    for script in found:
        print(f"\n=== {script.name} " + "=" * max(3, 80 - len(script.name)), flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=BENCH.parent)
        print(f"--- {script.name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
