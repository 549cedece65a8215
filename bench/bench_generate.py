"""How long `cxgov data generate` takes for the example spec (default 10 million rows).

Run: .venv/bin/python bench/bench_generate.py [ROWS] [THREADS]
Prints rows, seconds and rows per second; the target is 10 million rows in under a minute on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from cxgov.data.generate import generate
from cxgov.data.store import Database
from cxgov.spec.api import load_spec

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    spec = load_spec(ROOT / "specs")
    excluded = [s.id for s in spec.sources if s.id == "app-analytics"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        written = generate(spec, db, rows=rows, seed=1, as_of=date(2026, 11, 20), exclude=excluded,
                           threads=threads)
        seconds = time.perf_counter() - started
        with Database.open(db) as database:
            stored = sum(database.execute(f'SELECT count(*) FROM "{t}"')[0][0] for t in written)
        size = db.stat().st_size
    print(f"generate: {stored:,} rows in {seconds:.1f} s on {threads} threads "
          f"({stored / seconds:,.0f} rows/s, {size / 2**20:.0f} MiB)")
    for table, count in written.items():
        print(f"  {table}: {count:,}")


if __name__ == "__main__":
    main()
