"""Theme matching over free-text verbatims: what a problems analysis adds to its source's scan, against one more scan.

Takes the example's `what-customers-write` analysis (6 themes, 22 patterns over 5 root causes, with its `score`),
alone on its source with a 365-day window so every generated verbatim is in it, and generates enough survey rows
for --verbatims comments (default 5 million; a quarter of the rows have none) into DuckDB, and copies them to a
PostgreSQL server of its own with `--engines duckdb,postgres`. Then times on each engine, in turns, the median of
--repeat runs after one untimed run of each:

- the analysis's scan as `cxgov check` runs it (Store.scan: the fold, one regular expression per theme behind a
  substring test, computed once per row as a bit of a row key; the counts and the score's aggregates among the
  rows mentioning each cause and the rest summed from the partials by key);
- the same scan without the score (the matching alone);
- cxgov's scan of the source without the analysis (data health and the digest), what a check reads anyway;
- one more scan: a hand-written statement counting the rows matching each theme, one regular expression per
  theme over the lower-cased text, as someone would write it to find these counts in a second pass;
- a plain scan: a hand-written count and total text length over the window, which reads the text column once
  and matches nothing.

The target ("adds less than the cost of one more scan of that source") is read as: the analysis's scan minus
the source's scan alone is less than the hand-written matching statement on the same engine. The share of texts
per root cause is printed beside the reference matcher's in Python on a sample. Nothing is asserted.

    .venv/bin/python bench/bench_themes.py                        # 5 million verbatims, DuckDB
    .venv/bin/python bench/bench_themes.py --verbatims 1000000 --engines duckdb,postgres
"""

from __future__ import annotations

import argparse
import sys
import math
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from cxgov.data import themes
from cxgov.data.engines.duckdb import Database
from cxgov.data.generate import generate
from cxgov.data.generate_problems import BLANK_COMMENT, NO_COMMENT
from cxgov.data.store import Store
from cxgov.engine.plan import Scan, plan
from cxgov.spec.api import load_spec
from cxgov.spec.model import Problem, Spec, Window

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


@dataclass
class Target:
    """One engine holding the generated rows: cxgov's data URL, and a way to run a hand-written statement."""

    name: str
    store: Store
    execute: Callable[[str, tuple], list]
    dialect: str  # how the hand-written statements are written
    schema: str  # where the hand-written statements find the table


def duckdb_target(db: Path, threads: int) -> Iterator[Target]:
    with Store.open(db) as store:
        con = store.engine._con  # type: ignore[attr-defined]  # the statements by hand, on the same connection
        con.execute(f"SET threads = {int(threads)}")
        yield Target("DuckDB", store, lambda q, p: con.execute(q, list(p)).fetchall(), "duckdb", "metrics")


def postgres_target(db: Path) -> Iterator[Target]:
    import psycopg
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL server and table copies (tests/support)
    from support.engine_data import copy_to_postgres
    from support.pgserver import running_server

    with running_server() as server:
        url = server.create_database("themes")
        with server.connect("themes") as conn:
            started = time.perf_counter()
            copy_to_postgres(db, conn)
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")  # hint bits set and statistics taken, as on a table in service
            (version,), = conn.execute("SHOW server_version").fetchall()
        print(f"PostgreSQL {version}: rows copied in {time.perf_counter() - started:.1f} s")
        with psycopg.connect(url, autocommit=True) as conn, Store.open(url) as store:
            yield Target("PostgreSQL", store, lambda q, p: conn.execute(q.replace("?", "%s"), p).fetchall(),
                         "postgres", "public")


def hand_written(target: Target, table: str, ts: str, text: str, regexes: list[str]) -> str:
    """One more scan: the rows matching each theme, one regular expression a theme over the lower-cased text."""
    test = "regexp_matches(lower(\"{c}\"), ?)" if target.dialect == "duckdb" else "lower(\"{c}\") ~ ?"
    counts = ", ".join(f"count(*) FILTER (WHERE {test.format(c=text)})" for _ in regexes)
    return f'SELECT {counts} FROM {target.schema}."{table}" WHERE "{ts}" >= ? AND "{ts}" < ?'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbatims", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB's threads")
    parser.add_argument("--engines", default="duckdb", help="duckdb,postgres")
    args = parser.parse_args()
    spec = bench_spec()
    rows = math.ceil(args.verbatims / (1 - NO_COMMENT - BLANK_COMMENT))
    problem = spec.problem(PROBLEM)
    assert problem is not None and problem.text
    source = spec.source(problem.source)
    table, ts, text = source.table, source.timestamp, problem.text
    end = datetime.combine(AS_OF + timedelta(days=1), datetime.min.time())
    start = end - timedelta(days=365)
    regexes = [themes.regex(t.patterns) for t in problem.themes]
    (scan,) = plan(spec, AS_OF, [PROBLEM])
    (matching,) = plan(bench_spec(with_score=False), AS_OF, [PROBLEM])
    alone = scan.without_problems([PROBLEM])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "themes.duckdb"
        started = time.perf_counter()
        generate(spec, db, rows=rows, seed=1, as_of=AS_OF, threads=args.threads)
        print(f"generated {rows:,} survey rows in {time.perf_counter() - started:.1f} s")
        with Database.open(db) as database:
            verbatims = database.execute(f'SELECT count(*) FROM "{table}" WHERE "{ts}" >= ? AND "{ts}" < ? '
                                         f"AND trim(\"{text}\") <> ''", (start, end))[0][0]
            sample = [t for (t,) in database.execute(
                f'SELECT "{text}" FROM "{table}" WHERE "{ts}" >= ? AND "{ts}" < ? AND "{text}" IS NOT NULL '
                f'ORDER BY "{ts}" LIMIT 20000', (start, end))]
        print(f"{verbatims:,} verbatims in the window ({problem.window.text}), "
              f"{len(problem.themes)} themes, {sum(len(t.patterns) for t in problem.themes)} patterns, "
              f"{len(problem.cause_ids)} root causes")
        reference = {c: sum(themes.matches(t, [p for th in problem.themes if th.root_cause == c for p in th.patterns])
                            for t in sample) for c in problem.cause_ids}
        targets = {"duckdb": lambda: duckdb_target(db, args.threads), "postgres": lambda: postgres_target(db)}
        for name in args.engines.split(","):
            for target in targets[name]():
                store = target.store
                plain_sql = (f'SELECT count(*), count("{text}"), sum(length("{text}")) '
                             f'FROM {target.schema}."{table}" WHERE "{ts}" >= ? AND "{ts}" < ?')
                full, rows_out = timed(lambda: store.scan(scan.request), args.repeat)
                bare, _ = timed(lambda: store.scan(matching.request), args.repeat)
                health, _ = timed(lambda: store.scan(alone.request), args.repeat)
                more, _ = timed(lambda: target.execute(hand_written(target, table, ts, text, regexes),
                                                       (*regexes, start, end)), args.repeat)
                plain, counted = timed(lambda: target.execute(plain_sql, (start, end)), args.repeat)
                report(target.name, problem, scan, rows_out, counted, reference, len(sample), verbatims,
                       plain=plain, health=health, bare=bare, full=full, more=more)


def report(engine: str, problem: Problem, scan: Scan, rows_out: list[dict], counted: list, reference: dict[str, int],
           sampled: int, verbatims: int, *, plain: float, health: float, bare: float, full: float, more: float) -> None:
    current = next(r for r in rows_out if r["period"] == f"{problem.window.text} current"
                   and r["grouping"] == scan.problems[0].grouping)
    prefix = scan.problems[0].prefix
    counts = {c: int(current.get(f"{prefix}c{i}") or 0) for i, c in enumerate(problem.cause_ids)}
    print(f"\n{engine}:")
    print(f"  plain scan (count, text length):   {plain:7.2f} s  ({counted[0][0]:,} rows)")
    print(f"  cxgov's scan of the source alone:  {health:7.2f} s  (data health and digest, no analysis)")
    print(f"  one more scan (themes by hand):    {more:7.2f} s  (a regular expression per theme)")
    print(f"  themes matched, no score:          {bare:7.2f} s  +{bare - health:.2f} s on the source's scan: "
          f"{(bare - health) / more:.2f}x one more scan ({verbatims / bare / 1e6:.2f} M verbatims/s)")
    print(f"  the analysis as checked (score):   {full:7.2f} s  +{full - health:.2f} s on the source's scan: "
          f"{(full - health) / more:.2f}x one more scan")
    texts = counted[0][1]
    print("  share of texts mentioning each root cause, the scan over all of them / the reference matcher in Python "
          f"over the first {sampled:,}:")
    for c in problem.cause_ids:
        print(f"    {c}: {100 * counts[c] / texts:.2f}% ({counts[c]:,}) / {100 * reference[c] / sampled:.2f}%")


if __name__ == "__main__":
    main()
