"""`cxgov check --json` against its floor on three program shapes.

    .venv/bin/python bench/bench_shapes.py                  # the three shapes, median of 5 (the README's figures)
    .venv/bin/python bench/bench_shapes.py --shape python   # one shape
    .venv/bin/python bench/bench_shapes.py --repeat 3 --patience 0

The shapes (bench_scale.py's generator, its 40 standards and 10 KPIs, with other sizes):

- `bench`: bench_scale.py's program, 2,000 touchpoints over 10 million survey answers and 5 million tickets;
- `scan`: 20 touchpoints over the same 15 million rows, so the scans are nearly all of the work (scan-bound);
- `python`: 5,000 touchpoints over 1 million rows (666,667 answers, 333,333 tickets), so results, their JSON and
  the text report weigh more than the scans (Python-bound).

For each, the floor (bench/floor_process.py with bench_scale.py's hand-written queries: a process that starts
Python, imports DuckDB and reads each source table once, computing every aggregate of every rule) and
`cxgov check SPEC --data DB --as-of DATE --json FILE` run as fresh processes in turns (floor, check, floor, ...),
`--repeat` times each. Printed: the medians of wall time and of CPU time (user + system of the process and its
threads, from the children's rusage: steadier than wall time on a shared host), peak resident memory, the ratio
of the medians, the ratio of each check run to the floor run before it (the host's drift cancels out of
these), whether a run was taken under load, and a verdict against 1.5x (on the ratio of the medians). Every
standard result's n and value in the JSON are cross-checked against the floor's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb

import cxgov
from bench_scale import (CHILD_ENV, FLOOR_PROCESS, Params, Quiet, Run, cross_check, cxgov_cmd, data_for,
                         floor_queries, fresh_floor, rules, run_process, spec_for, touchpoint_dims)

TARGET = 1.5


@dataclass(frozen=True)
class Shape:
    name: str
    what: str
    params: Params


SHAPES = (
    Shape("bench", "the bench program", Params(touchpoints=2000, surveys=10_000_000, tickets=5_000_000)),
    Shape("scan", "scan-bound", Params(touchpoints=20, surveys=10_000_000, tickets=5_000_000)),
    Shape("python", "Python-bound", Params(touchpoints=5000, surveys=666_667, tickets=333_333)),
)


@dataclass(frozen=True)
class Medians:
    """The medians of a measure's runs, its highest peak memory and how many runs were under load."""

    seconds: float
    cpu: float
    peak_mb: float
    loaded: int
    runs: int
    other_cores: float  # the highest CPU share other processes took during a run

    @staticmethod
    def of(runs: Sequence[Run]) -> Medians:
        others = [r.other_cores for r in runs if r.other_cores is not None]
        return Medians(statistics.median(r.seconds for r in runs), statistics.median(r.cpu or 0.0 for r in runs),
                       max(r.peak_mb for r in runs), sum(o > 0.25 for o in others), len(runs), max(others, default=0))

    def figures(self) -> dict:
        return {"seconds": self.seconds, "cpu": self.cpu, "peak_mb": self.peak_mb, "runs": self.runs,
                "under_load": self.loaded, "max_other_cores": self.other_cores}

    def line(self, label: str, extra: str = "") -> str:
        load = (f"  [{self.loaded} of {self.runs} runs UNDER LOAD, up to {self.other_cores:.2f} other cores]"
                if self.loaded else "")
        return (f"  {label:24} {self.seconds:6.2f} s wall  {self.cpu:6.2f} s CPU  peak {self.peak_mb:5.0f} MB"
                f"  {extra}".rstrip() + load)


def measure(shape: Shape, workdir: Path, repeat: int, quiet: Quiet) -> dict:
    """The floor and `cxgov check --json` of one shape, in turns, `repeat` times each: medians and a verdict."""
    params = shape.params
    spec, spec_built = spec_for(workdir, params)
    db, data_built = data_for(workdir, params)
    print(f"{shape.name}: {shape.what}, {params.touchpoints:,} touchpoints, {params.standards} standards, "
          f"{params.kpis} KPIs, {params.surveys + params.tickets:,} rows"
          + (f" (spec generated in {spec_built:.1f} s)" if spec_built is not None else "")
          + (f" (data generated in {data_built:.1f} s)" if data_built is not None else ""), flush=True)
    all_rules = rules(params)
    queries = floor_queries(params, all_rules)
    job = workdir / f"floor-shape-{shape.name}.json"
    job.write_text(json.dumps({"db": str(db), "dims": touchpoint_dims(params), "queries": queries}))
    floor_cmd = [sys.executable, str(FLOOR_PROCESS), str(job)]
    out_json = workdir / f"results-shape-{shape.name}.json"
    check_cmd = cxgov_cmd() + ["check", str(spec), "--data", str(db), "--as-of", str(params.as_of),
                               "--json", str(out_json)]
    floor_runs: list[Run] = []
    check_runs: list[Run] = []
    for _ in range(repeat):
        for taken, cmd, stdout in ((floor_runs, floor_cmd, None),
                                   (check_runs, check_cmd, workdir / f"check-shape-{shape.name}.txt")):
            quiet.wait()
            run = run_process(cmd, stdout)
            if run.code not in (0, 1):
                raise SystemExit(f"{shape.name}: a measured command failed (exit {run.code}):\n{run.stderr[-3000:]}")
            taken.append(run)
    floor, check = Medians.of(floor_runs), Medians.of(check_runs)
    results = json.loads(out_json.read_text())["results"]
    compared, mismatches = cross_check(out_json, fresh_floor(db, params, queries), all_rules)
    ratio, cpu_ratio = check.seconds / floor.seconds, check.cpu / floor.cpu
    # each check run against the floor run just before it: the host's drift between minutes, which moves both
    # alike, cancels out of these
    paired = [c.seconds / f.seconds for f, c in zip(floor_runs, check_runs)]  # in turn order
    print(floor.line("floor", f"{len(queries)} queries"))
    print(check.line("cxgov check --json",
                     f"{len(results):,} results, {out_json.stat().st_size / 2**20:.1f} MB of JSON"))
    print(f"  cross-check: n and value of {compared:,} standard results against the floor: "
          + ("all equal" if not mismatches else f"{len(mismatches)} differ, e.g. {mismatches[:3]}"))
    print(f"  per turn: check/floor {statistics.median(paired):.2f}x median, {min(paired):.2f}x to {max(paired):.2f}x")
    loaded = floor.loaded + check.loaded
    verdict = "met " if ratio <= TARGET and not mismatches else "MISS"
    print(f"  {verdict} {shape.name}: check --json {ratio:.2f}x the floor (wall, median of {repeat}), "
          f"{cpu_ratio:.2f}x in CPU; target {TARGET}x"
          + (f"  [{loaded} of {2 * repeat} runs under load]" if loaded else ""), flush=True)
    return {"params": {k: str(v) for k, v in params.__dict__.items()}, "floor": floor.figures(),
            "check_json": check.figures(), "ratio": ratio, "cpu_ratio": cpu_ratio,
            "paired_ratios": paired, "results": len(results),
            "compared": compared, "mismatches": len(mismatches), "met": verdict == "met "}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", action="append", choices=[s.name for s in SHAPES],
                        help="only this shape (repeatable; default: all three)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the floor and of check, median taken")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cxgov-bench",
                        help="where generated specs and databases are cached (default: %(default)s)")
    parser.add_argument("--patience", type=float, default=20, metavar="SECONDS",
                        help="before each run, wait up to this long for other processes to leave the cores idle")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    quiet = Quiet(args.patience)
    print(f"cxgov bench_shapes: {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB "
          f"{duckdb.__version__}, load average {os.getloadavg()[0]:.2f} at start", flush=True)
    # the bytecode cache written before anything is timed, as an install writes it
    subprocess.call([sys.executable, "-m", "compileall", "-q", str(Path(cxgov.__file__).parent)], env=CHILD_ENV)
    figures = {s.name: measure(s, args.workdir, args.repeat, quiet) for s in SHAPES
               if not args.shape or s.name in args.shape}
    print(f"load average {os.getloadavg()[0]:.2f} at the end; waited {quiet.waited:.0f} s for idle cores")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
