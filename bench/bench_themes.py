"""Theme matching over free-text verbatims: a problems analysis's scan against one more plain scan of the source.

Takes the example's `what-customers-write` analysis (6 themes, 22 patterns over 5 root causes, with its `score`),
alone on its source with a 365-day window so every generated verbatim is in it, and generates enough survey rows
for --verbatims comments (default 5 million; a quarter of the rows have none). Then times, in turns, the median of
--repeat runs after one untimed run of each:

- the analysis's scan as `cxgov check` runs it (Store.scan: the fold, one regular expression per cause, per theme
  and for "no theme", and the score's aggregates among the rows mentioning each cause and the rest);
- the same scan without the score (the matching alone);
- a plain scan of the same rows: a hand-written count and total text length over the window, which reads the
  text column once and matches nothing; and cxgov's scan of the source without the analysis (data health and
  the digest), what a check reads anyway.

The analysis's share of texts per root cause is printed beside the reference matcher's in Python on a sample. Nothing is
asserted; the figures are printed.

    .venv/bin/python bench/bench_themes.py                        # 5 million verbatims (about 4 minutes)
    .venv/bin/python bench/bench_themes.py --verbatims 500000 --repeat 5
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from cxgov.data import themes
from cxgov.data.engines.duckdb import Database
from cxgov.data.generate import generate
from cxgov.data.generate_problems import BLANK_COMMENT, NO_COMMENT
from cxgov.data.store import Store
from cxgov.engine.plan import plan
from cxgov.spec.api import load_spec
from cxgov.spec.model import Spec, Window

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 20)
PROBLEM = "what-customers-write"


def bench_spec(with_score: bool = True) -> Spec:
    """The example's comment analysis alone on the surveys source, over a year: every verbatim counts."""
    spec = load_spec(ROOT / "specs")
    problem = spec.problem(PROBLEM)
    assert problem is not None
    problem = replace(problem, window=Window("365d", days=365), score=problem.score if with_score else None)
    score = spec.metric("csat")
    source = spec.source(problem.source)
    return replace(spec, sources=(source,), metrics=(score,), standards=(), kpis=(), waivers=(), actions=(),
                   problems=(problem,), approvals=())


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    result = run()  # untimed: warms the buffer pool
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbatims", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    spec = bench_spec()
    rows = math.ceil(args.verbatims / (1 - NO_COMMENT - BLANK_COMMENT))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "themes.duckdb"
        started = time.perf_counter()
        generate(spec, db, rows=rows, seed=1, as_of=AS_OF, threads=args.threads)
        print(f"generated {rows:,} survey rows in {time.perf_counter() - started:.1f} s")
        problem = spec.problem(PROBLEM)
        assert problem is not None and problem.text
        source = spec.source(problem.source)
        end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time())
        start = end - timedelta(days=365)
        with Database.open(db) as database:
            table, ts, text = source.table, source.timestamp, problem.text
            plain_sql = (f'SELECT count(*), count("{text}"), sum(length("{text}")) FROM "{table}" '
                         f'WHERE "{ts}" >= ? AND "{ts}" < ?')
            verbatims = database.execute(f'SELECT count(*) FROM "{table}" WHERE "{ts}" >= ? AND "{ts}" < ? '
                                         f"AND trim(\"{text}\") <> ''", (start, end))[0][0]
            sample = [t for (t,) in database.execute(
                f'SELECT "{text}" FROM "{table}" WHERE "{ts}" >= ? AND "{ts}" < ? AND "{text}" IS NOT NULL '
                f'ORDER BY "{ts}" LIMIT 20000', (start, end))]
        print(f"{verbatims:,} verbatims in the window ({problem.window.text}), "
              f"{len(problem.themes)} themes, {sum(len(t.patterns) for t in problem.themes)} patterns, "
              f"{len(problem.cause_ids)} root causes")
        with Store.open(db) as store:
            (scan,) = plan(spec, AS_OF, [PROBLEM])
            (matching,) = plan(bench_spec(with_score=False), AS_OF, [PROBLEM])
            full, rows_out = timed(lambda: store.scan(scan.request), args.repeat)
            bare, _ = timed(lambda: store.scan(matching.request), args.repeat)
            alone = scan.without_problems([PROBLEM])
            health, _ = timed(lambda: store.scan(alone.request), args.repeat)
        with Database.open(db) as database:
            database.set_threads(args.threads)
            plain, counted = timed(lambda: database.execute(plain_sql, (start, end)), args.repeat)
    current = next(r for r in rows_out if r["period"] == f"{problem.window.text} current"
                   and r["grouping"] == scan.problems[0].grouping)  # type: ignore[index]
    prefix = scan.problems[0].prefix
    counts = {c: int(current.get(f"{prefix}c{i}") or 0) for i, c in enumerate(problem.cause_ids)}
    reference = {c: sum(themes.matches(t, [p for th in problem.themes if th.root_cause == c for p in th.patterns])
                        for t in sample) for c in problem.cause_ids}
    print(f"plain scan (count, text length):  {plain:7.2f} s  ({counted[0][0]:,} rows)")  # type: ignore[index]
    print(f"cxgov's scan of the source alone:  {health:7.2f} s  (data health and digest, no analysis)")
    print(f"themes matched, no score:         {bare:7.2f} s  {bare / plain:5.2f}x the plain scan, "
          f"{verbatims / bare / 1e6:.2f} M verbatims/s")
    print(f"the analysis as checked (score):  {full:7.2f} s  {full / plain:5.2f}x the plain scan, "
          f"+{full - health:.2f} s on the source's scan")
    texts = counted[0][1]  # type: ignore[index]
    print("share of texts mentioning each root cause, the scan over all of them / the reference matcher in Python "
          f"over the first {len(sample):,}:")
    for c in problem.cause_ids:
        print(f"  {c}: {100 * counts[c] / texts:.2f}% ({counts[c]:,}) / {100 * reference[c] / len(sample):.2f}%")


if __name__ == "__main__":
    main()
