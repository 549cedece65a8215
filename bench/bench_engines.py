"""`cxgov check` on PostgreSQL and Spark, each against a hand-written single-scan floor on the same engine.

Takes bench_scale.py's program (2,000 touchpoints, 40 standards, 10 KPIs) and its generated data at a smaller size
(1 million survey answers, 500,000 tickets by default), copies the tables into a PostgreSQL server of its own (as
the tests start one) and into Spark tables over Parquet, then times on each engine, in turns:

- PostgreSQL: `cxgov check --json` as a whole process (start-up, spec, evaluation, report), the same evaluation
  in this process (spec, scans, results, JSON), and the floor: bench_scale's hand-written query per source, in
  PostgreSQL's SQL, run through psycopg (a new connection, the queries one after the other, summed).
- Spark (local[2], in this process): the session's start, as cxgov starts it; `cxgov check`'s evaluation in the
  started session; the floor in Spark SQL; and one `cxgov check` process, session start included.
- DuckDB, for reference: `cxgov check --json` and bench_scale's floor, both as processes.

Every figure is the median of --repeat runs, after one untimed run of each (Spark's first queries pay for JIT and
code generation, PostgreSQL's for cold buffers). The standard results of every engine are cross-checked against
its floor. Nothing is asserted: the targets (check within 1.5x the floor on each engine) are printed as met or
missed.

    .venv/bin/python bench/bench_engines.py                 # all three engines (about 12 minutes on 2 cores)
    .venv/bin/python bench/bench_engines.py --surveys 2000000 --tickets 1000000 --repeat 5
    .venv/bin/python bench/bench_engines.py --engines postgres --profile   # and each engine call's time
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

import bench_scale as scale  # beside this script: the program, the data and the floor
from bench_scale import Params

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL server and table copies (tests/support)

ENGINES = ("duckdb", "postgres", "spark")
SPARK_MASTER = "local[2]"


@dataclass(frozen=True)
class Timed:
    """The median of some runs, with every run's time (seconds)."""

    runs: tuple[float, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    def __str__(self) -> str:
        spread = f" (runs {', '.join(f'{r:.2f}' for r in self.runs)})" if len(self.runs) > 1 else ""
        return f"{self.seconds:7.2f} s{spread}"


def clock(func: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = func()
    return time.perf_counter() - t0, out


def in_turns(repeat: int, measures: Sequence[Callable[[], object]]) -> list[Timed]:
    """One untimed run of each measure, then `repeat` timed runs taken in turns (a, b, a, b, ...)."""
    for measure in measures:
        measure()
    runs: list[list[float]] = [[] for _ in measures]
    for _ in range(repeat):
        for taken, measure in zip(runs, measures):
            taken.append(clock(measure)[0])
    return [Timed(tuple(r)) for r in runs]


def say(text: str = "") -> None:
    print(text, flush=True)


def line(label: str, timed: Timed | float, extra: str = "") -> None:
    shown = timed if isinstance(timed, Timed) else Timed((timed,))
    say(f"  {label:44} {shown}   {extra}".rstrip())


def plain(value: object) -> object:
    """A floor value as bench_scale's cross-check compares it (PostgreSQL's numeric sums come as Decimal)."""
    return float(value) if isinstance(value, Decimal) else value


# -- cxgov in this process -----------------------------------------------------------------------------------


class CallLog:
    """Times every call of some of an engine's methods (from any thread): where an evaluation spends its time."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()

    def wrap(self, engine: object, names: Sequence[str]) -> None:
        for name in names:
            method = getattr(engine, name)

            def timed(source, *args, _method=method, _name=name):
                seconds, out = clock(lambda: _method(source, *args))
                with self._lock:
                    self.calls.append((_name, source.id, seconds))
                return out

            setattr(engine, name, timed)

    def summary(self) -> str:
        totals: dict[tuple[str, str], list[float]] = {}
        for name, source, seconds in self.calls:
            totals.setdefault((name, source), []).append(seconds)
        return ", ".join(f"{name} {source} {statistics.median(s):.2f} s" for (name, source), s in sorted(totals.items()))


class Phases:
    """Seconds per phase of the in-process evaluations (spec, evaluation, JSON), each a list over the runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}

    def add(self, phase: str, seconds: float) -> None:
        self.seconds.setdefault(phase, []).append(seconds)

    def summary(self) -> str:
        return ", ".join(f"{phase} {statistics.median(s):.2f} s" for phase, s in self.seconds.items())


def evaluate_in_process(spec: Path, engine: object, params: Params, out_json: Path,
                        phases: Phases | None = None) -> int:
    """What `cxgov check SPEC --json OUT` does once its engine is open: load the spec, evaluate, write the JSON.
    Returns the number of results."""
    from cxgov.data.store import Store
    from cxgov.engine.evaluate import evaluate
    from cxgov.report import json as json_report
    from cxgov.spec.api import load_spec

    phases = phases or Phases()
    took, loaded = clock(lambda: load_spec(spec, params.as_of))
    phases.add("spec", took)
    took, run = clock(lambda: evaluate(loaded, Store(engine), params.as_of))
    phases.add("evaluation", took)
    took, _ = clock(lambda: out_json.write_text(json_report.render(run)))
    phases.add("JSON", took)
    return len(run.results)


def check_process(spec: Path, data: str, params: Params, out_json: Path) -> Callable[[], float]:
    """`cxgov check --json` as a process; raises when it cannot run (exit 2 or worse)."""
    cmd = scale.cxgov_cmd() + ["check", str(spec), "--data", data, "--as-of", str(params.as_of), "--json",
                               str(out_json)]

    def run() -> float:
        done = subprocess.run(cmd, capture_output=True, text=True, env=scale.CHILD_ENV)
        if done.returncode not in (0, 1):
            raise SystemExit(f"cxgov check --data {data} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return 0.0

    return run


def cross_check(label: str, out_json: Path, floor: dict[str, list[dict]], params: Params) -> None:
    floor = {k: [{c: plain(v) for c, v in row.items()} for row in rows] for k, rows in floor.items()}
    compared, mismatches = scale.cross_check(out_json, floor, scale.rules(params))
    say(f"  cross-check ({label}): n and value of {compared} standard results against the floor: "
        + ("all equal" if not mismatches else f"{len(mismatches)} differ, e.g. {mismatches[:3]}"))


def ratio_line(what: str, check: Timed, floor: Timed, targets: list) -> float:
    ratio = check.seconds / floor.seconds
    say(f"  {what}: {ratio:.2f}x the floor")
    targets.append((what, ratio))
    return ratio


# -- the engines ---------------------------------------------------------------------------------------------


def bench_duckdb(spec: Path, db: Path, params: Params, repeat: int, workdir: Path, targets: list) -> None:
    queries = scale.floor_queries(params, scale.rules(params))
    job = workdir / "engines-floor-duckdb.json"
    job.write_text(json.dumps({"db": str(db), "dims": scale.touchpoint_dims(params), "queries": queries}))
    floor_cmd = [sys.executable, str(scale.FLOOR_PROCESS), str(job)]
    from cxgov.data.engines.duckdb import DuckDBEngine

    out_json = workdir / "engines-duckdb.json"
    phases = Phases()

    def library() -> None:
        with DuckDBEngine.open(db) as engine:
            evaluate_in_process(spec, engine, params, workdir / "engines-duckdb-lib.json", phases)

    floor, check, lib = in_turns(repeat, [
        lambda: subprocess.run(floor_cmd, check=True, capture_output=True, env=scale.CHILD_ENV),
        check_process(spec, str(db), params, out_json), library])
    say("DuckDB (for reference):")
    line("floor: one scan per source, as a process", floor)
    line("cxgov check --json, as a process", check)
    line("cxgov evaluation in this process", lib, "spec, scans, results, JSON")
    say(f"    phases (median): {phases.summary()}")
    ratio_line("DuckDB: cxgov check (process)", check, floor, targets)
    cross_check("DuckDB", out_json, scale.fresh_floor(db, params, queries), params)


def bench_postgres(spec: Path, db: Path, params: Params, repeat: int, workdir: Path, targets: list,
                   profile: bool) -> None:
    import psycopg
    from support.engine_data import copy_to_postgres
    from support.pgserver import running_server

    from cxgov.data.engines.postgres import PostgresEngine
    from cxgov.data.engines.url import parse

    queries = scale.floor_queries(params, scale.rules(params), d=scale.POSTGRES)
    with running_server() as server:
        url = server.create_database("bench")
        with server.connect("bench") as conn:
            took, _ = clock(lambda: copy_to_postgres(db, conn))
            conn.execute("CREATE TABLE dims (tp text PRIMARY KEY, journey text, stage text, channel text)")
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO dims VALUES (%s, %s, %s, %s)", scale.touchpoint_dims(params))
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")  # hint bits set and statistics taken, as on a table in service
            (version,), = conn.execute("SHOW server_version").fetchall()
        say(f"PostgreSQL {version} (tables copied in {took:.1f} s; a server of its own on 127.0.0.1):")

        def floor_run() -> dict[str, list[dict]]:
            out = {}
            with psycopg.connect(url, autocommit=True) as conn:
                for label, sql in queries:
                    cur = conn.execute(sql)
                    names = [c.name for c in cur.description]
                    out[label] = [dict(zip(names, row)) for row in cur.fetchall()]
            return out

        out_json, lib_json = workdir / "engines-postgres.json", workdir / "engines-postgres-lib.json"
        log, phases = CallLog(), Phases()

        def library() -> None:
            engine = PostgresEngine.open(parse(url))
            log.wrap(engine, ("run", "describe"))
            try:
                evaluate_in_process(spec, engine, params, lib_json, phases)
            finally:
                engine.close()

        job = workdir / "engines-floor-postgres.json"
        job.write_text(json.dumps({"url": url, "queries": queries}), encoding="utf-8")
        floor_cmd = [sys.executable, str(scale.FLOOR_PROCESS), str(job)]

        def floor_process() -> None:
            subprocess.run(floor_cmd, check=True, capture_output=True, env=scale.CHILD_ENV)

        floor, floor_proc, check, lib = in_turns(repeat, [floor_run, floor_process,
                                                          check_process(spec, url, params, out_json), library])
        line("floor: one statement per source, via psycopg", floor, f"{len(queries)} statements, summed")
        line("floor as a process (Python, psycopg, connect)", floor_proc, "bench/floor_process.py")
        line("cxgov check --json, as a process", check)
        line("cxgov evaluation in this process", lib, "spec, scans, results, JSON")
        say(f"    phases (median): {phases.summary()}")
        say(f"    engine calls (median, scans run two at a time): {log.summary()}")
        ratio_line("PostgreSQL: cxgov check (process) against the floor process", check, floor_proc, targets)
        ratio_line("PostgreSQL: cxgov evaluation (in process) against the floor's statements", lib, floor, targets)
        cross_check("PostgreSQL", out_json, floor_run(), params)
        if profile:
            profile_postgres(url, spec, params, queries, workdir)


def profile_postgres(url: str, spec: Path, params: Params, queries: Sequence[tuple[str, str]],
                     workdir: Path) -> None:
    """EXPLAIN ANALYZE of cxgov's scans and of the floor's statements, each statement and plan written to a file
    in `workdir`: where PostgreSQL spends the time."""
    import psycopg

    from cxgov.data.engines.postgres import PostgresEngine
    from cxgov.data.engines.url import parse
    from cxgov.data.store import Store
    from cxgov.engine.plan import plan
    from cxgov.engine.evaluate import column_types
    from cxgov.spec.api import load_spec

    loaded = load_spec(spec, params.as_of)
    with Store(PostgresEngine.open(parse(url))) as store, psycopg.connect(url, autocommit=True) as conn:
        scans = list(plan(loaded, params.as_of, None, column_types(loaded, store, None)))
        statements = [(f"cxgov {s.request.source.id}", store.engine._statement(store._query(s.request)),
                       dict(store._query(s.request).params)) for s in scans]  # as PostgresEngine.run sends them
        statements += [(f"floor {label}", sql, None) for label, sql in queries]
        for label, sql, args in statements:
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, args).fetchall()
            plan_text = [r[0] for r in rows]
            where = workdir / f"explain-{label.replace(' ', '-')}.txt"
            where.write_text(sql + "\n\n" + "\n".join(plan_text) + "\n")
            say(f"    EXPLAIN ANALYZE {label}: " + "; ".join(t.strip() for t in plan_text[-2:]) + f"  ({where})")


def bench_spark(spec: Path, db: Path, params: Params, repeat: int, workdir: Path, targets: list,
                profile: bool) -> None:
    from support.engine_data import copy_to_spark

    from cxgov.data.engines.spark import SparkEngine
    from cxgov.data.engines.url import parse

    scratch = workdir / "spark"
    scratch.mkdir(exist_ok=True)
    os.chdir(scratch)  # Spark's default warehouse folder is the working directory's
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    target = parse(f"spark:{SPARK_MASTER}")
    started, first = clock(lambda: SparkEngine.open(target))  # the session as cxgov starts it
    session = first.session
    try:
        took, _ = clock(lambda: copy_to_spark(db, session, scratch / "tables"))
        session.createDataFrame(scale.touchpoint_dims(params), "tp string, journey string, stage string, "
                                "channel string").createOrReplaceTempView("dims")
        queries = scale.floor_queries(params, scale.rules(params), d=scale.SPARK)
        say(f"Spark {session.version} {SPARK_MASTER} in this process (tables over Parquet, written in {took:.1f} s):")

        def floor_run() -> dict[str, list[dict]]:
            return {label: [row.asDict() for row in session.sql(sql).collect()] for label, sql in queries}

        lib_json = workdir / "engines-spark-lib.json"
        log, phases = CallLog(), Phases()

        def library() -> None:
            engine = SparkEngine(target, session, owned=False)  # the started session, kept open afterwards
            log.wrap(engine, ("run", "describe"))
            evaluate_in_process(spec, engine, params, lib_json, phases)

        floor, lib = in_turns(repeat, [floor_run, library])
        line("session start (as cxgov starts it)", started)
        line("floor: one statement per source, Spark SQL", floor, f"{len(queries)} statements, summed")
        line("cxgov evaluation in the started session", lib, "spec, scans, results, JSON")
        say(f"    phases (median): {phases.summary()}")
        say(f"    engine calls (median, scans run two at a time): {log.summary()}")
        ratio_line("Spark: cxgov evaluation (session started)", lib, floor, targets)
        cross_check("Spark", lib_json, floor_run(), params)
        if profile:
            profile_spark(session, spec, params, target)
    finally:
        first.close()
    # cxgov check as users run it: a process of its own, its own session (and JVM) included. A new process has
    # its own (empty) catalog, so this run reads the same Parquet files through `path:` sources.
    out_json = workdir / "engines-spark.json"
    whole, _ = clock(check_process(spec_over_files(spec, scratch / "tables", scratch / "spec-files"),
                                   f"spark:{SPARK_MASTER}", params, out_json))
    line("cxgov check --json, as a process (one run)", whole,
         f"session start included; {whole - started - lib.seconds:+.1f} s beside start + evaluation")


def spec_over_files(spec: Path, tables: Path, folder: Path) -> Path:
    """A copy of the program in `folder` whose sources read the tables' Parquet files (`path:`, inside the copy)."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(spec, folder)
    shutil.copytree(tables, folder / "tables")
    data = folder / "data.yaml"
    text = data.read_text()
    for _, (table, _) in scale.TABLES.items():
        text = text.replace(f"table: {table},", f"path: tables/default/{table}/data.parquet,")
    data.write_text(text)
    return folder


def profile_spark(session: object, spec: Path, params: Params, target: object) -> None:
    """Jobs and stages of one evaluation, from Spark's status tracker."""
    from cxgov.data.engines.spark import SparkEngine

    tracker = session.sparkContext.statusTracker()
    seen = set(tracker.getJobIdsForGroup(None))
    engine = SparkEngine(target, session, owned=False)
    staged: list[str] = []
    stage_partials = engine._staged  # the scan's partials, computed and kept before the rest of the statement

    def timed_staged(query):
        seconds, out = clock(lambda: stage_partials(query))
        staged.append(f"{seconds:.2f} s" if out is not None else "not staged")
        return out

    engine._staged = timed_staged
    log = CallLog()
    log.wrap(engine, ("run",))
    seconds, _ = clock(lambda: evaluate_in_process(spec, engine, params, Path(os.devnull)))
    jobs = [j for j in tracker.getJobIdsForGroup(None) if j not in seen]
    stages = sum(len(tracker.getJobInfo(j).stageIds) for j in jobs if tracker.getJobInfo(j))
    say(f"    one evaluation: {seconds:.2f} s, {len(jobs)} Spark jobs, {stages} stages; {log.summary()}; "
        f"partials kept by localCheckpoint: {', '.join(staged)}")
    for label, sql in scale.floor_queries(params, scale.rules(params), d=scale.SPARK):
        seen = set(tracker.getJobIdsForGroup(None))
        took, _ = clock(lambda: session.sql(sql).collect())
        jobs = [j for j in tracker.getJobIdsForGroup(None) if j not in seen]
        stages = sum(len(tracker.getJobInfo(j).stageIds) for j in jobs if tracker.getJobInfo(j))
        say(f"    floor {label}: {took:.2f} s, {len(jobs)} Spark jobs, {stages} stages")


def unavailable(engine: str) -> str | None:
    """Why `engine` cannot be benchmarked here (run `make install-test`), or None."""
    import importlib.util

    if engine == "postgres":
        from support.pgserver import pg_bin

        try:
            pg_bin()
        except RuntimeError as exc:
            return str(exc)
        return None if importlib.util.find_spec("psycopg") else "psycopg is not installed: pip install -e '.[test]'"
    if engine == "spark":
        if importlib.util.find_spec("pyspark") is None:
            return "pyspark is not installed: pip install -e '.[test]'"
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            return "Spark needs Java and none was found: run `make install-test`"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--touchpoints", type=int, default=Params.touchpoints)
    parser.add_argument("--surveys", type=int, default=1_000_000, help="survey answers (rows; default %(default)s)")
    parser.add_argument("--tickets", type=int, default=500_000, help="tickets (rows; default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="median of N timed runs (default %(default)s)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated (default %(default)s)")
    parser.add_argument("--profile", action="store_true",
                        help="also EXPLAIN ANALYZE on PostgreSQL and count Spark's jobs and stages")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cxgov-bench",
                        help="where generated specs and databases are cached (default: %(default)s)")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"--engines: unknown {', '.join(sorted(unknown))} (choose from {', '.join(ENGINES)})")
    params = replace(Params(), touchpoints=args.touchpoints, surveys=args.surveys, tickets=args.tickets)
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    import duckdb

    say(f"cxgov bench_engines: {params.touchpoints} touchpoints, {params.standards} standards, {params.kpis} KPIs, "
        f"{params.surveys:,} survey answers, {params.tickets:,} tickets, as of {params.as_of}; median of "
        f"{args.repeat} after one warm-up run")
    say(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"load average {os.getloadavg()[0]:.2f} at start")
    spec, _ = scale.spec_for(workdir, params)
    db, built = scale.data_for(workdir, params)
    say(f"data {db} ({db.stat().st_size / 2**20:.0f} MB" + (f", generated in {built:.1f} s)" if built else ", cached)"))
    subprocess.call([sys.executable, "-m", "compileall", "-q", str(ROOT / "cxgov")], env=scale.CHILD_ENV)
    targets: list[tuple[str, float]] = []
    for engine in engines:
        say()
        missing = unavailable(engine)
        if missing:
            say(f"{engine}: skipped, {missing}")
            continue
        t0 = time.perf_counter()
        if engine == "duckdb":
            bench_duckdb(spec, db, params, args.repeat, workdir, targets)
        elif engine == "postgres":
            bench_postgres(spec, db, params, args.repeat, workdir, targets, args.profile)
        else:
            bench_spark(spec, db, params, args.repeat, workdir, targets, args.profile)
        say(f"  ({engine}: {time.perf_counter() - t0:.0f} s in all; load average {os.getloadavg()[0]:.2f} after)")
    say()
    say("targets (within 1.5x the floor on the same engine):")
    for what, ratio in targets:
        say(f"  {'met ' if ratio <= 1.5 else 'MISS'}  {what:48} {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
