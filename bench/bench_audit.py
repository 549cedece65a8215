"""The audit trail at scale: recording runs into the history, reading trends back, and the governance diff.

Records --runs runs of --results results each into a fresh history (one transaction per run), then times
`history.runs`, `history.series` for one rule and scope, and `history.trends` for a whole run (what the scorecard
reads). Then writes bench_scale's generated program (--touchpoints, --standards) twice, loosens some rules and
retires some touchpoints in the second copy, and times `cxgov diff` between the two folders as a whole process.

    .venv/bin/python bench/bench_audit.py
    .venv/bin/python bench/bench_audit.py --runs 50 --results 20000 --touchpoints 20000 --standards 400
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import Params, write_spec  # noqa: E402

from cxgov.audit import history  # noqa: E402
from cxgov.engine.results import Result, Run, Span, ThresholdInfo  # noqa: E402
from cxgov.errors import Location  # noqa: E402

STATUSES = ("pass", "pass", "pass", "warn", "breach", "insufficient")


def make_run(day: int, count: int) -> Run:
    as_of = date(2026, 1, 1) + timedelta(days=day)
    results = tuple(
        Result(rule=f"std-{i % 40:03d}", kind="standard", scope=(("touchpoint", f"tp-{i:05d}"),), metric="csat",
               metric_kind="csat", status=STATUSES[(i + day) % len(STATUSES)], window=Span(as_of - timedelta(27), as_of),
               threshold=ThresholdInfo(">=", 80.0, 85.0), severity="medium", location=Location("specs/s.yaml", 3),
               touchpoint=f"tp-{i:05d}", value=60.0 + (i * 7 + day) % 40, n=50 + i % 200, ci_low=55.0, ci_high=90.0)
        for i in range(count))
    return Run(as_of=as_of, spec_path="specs", spec_digest="sha256:x", data_digest="sha256:y", results=results,
               git_commit="0" * 40, cxgov_version="bench", program="bench-bank")


def timed(label: str, func):
    started = time.perf_counter()
    value = func()
    print(f"  {label:<58} {time.perf_counter() - started:8.3f} s")
    return value


def bench_history(workdir: Path, runs: int, count: int) -> None:
    path = workdir / "history.duckdb"
    print(f"history: {runs} runs of {count:,} results")
    built = [make_run(day, count) for day in range(runs)]
    started = time.perf_counter()
    for day, run in enumerate(built):
        history.record(run, path, clock=lambda day=day: datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(day))
    total = time.perf_counter() - started
    print(f"  {'record (one transaction per run), per run':<58} {total / runs:8.3f} s")
    print(f"  {'history file size':<58} {path.stat().st_size / 1e6:8.1f} MB")
    timed("runs(): list every run with its counts", lambda: history.runs(path))
    timed("series(): one rule and scope across every run",
          lambda: history.series(path, "std-001", {"touchpoint": "tp-00001"}))
    timed(f"trends(): every result of the latest run ({count:,}), last 12 runs",
          lambda: history.trends(path, built[-1]))


def loosen(folder: Path) -> int:
    """Lower the fail threshold of every tenth standard and retire every hundredth touchpoint."""
    changed = 0
    rules = folder / "standards.yaml"
    text = rules.read_text()
    parts = re.split(r"(?m)^(?=  - id: )", text)
    for i, part in enumerate(parts):
        if i % 10 == 1:
            parts[i] = re.sub(r"fail: ([0-9.]+)", lambda m: f"fail: {float(m.group(1)) - 1:g}", part, count=1)
            changed += 1
    rules.write_text("".join(parts))
    for journey in sorted((folder / "journeys").glob("*.yaml"))[:2]:
        text = journey.read_text()
        text, n = re.subn(r"status: active", "status: retired", text, count=5)
        journey.write_text(text)
        changed += n
    return changed


def bench_diff(workdir: Path, touchpoints: int, standards: int) -> None:
    params = Params(touchpoints=touchpoints, standards=standards, kpis=10)
    base, head = workdir / "base", workdir / "head"
    write_spec(base, params)
    write_spec(head, params)
    edits = loosen(head)
    print(f"diff: {touchpoints:,} touchpoints, {standards} standards, {edits} edits")
    cxgov = Path(sys.executable).with_name("cxgov")
    started = time.perf_counter()
    done = subprocess.run([str(cxgov), "diff", str(base), str(head), "--format", "json"], capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    found = done.stdout.count('"effect":')
    print(f"  {'cxgov diff BASE HEAD (whole process), ' + str(found) + ' changes':<58} {elapsed:8.3f} s")
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--results", type=int, default=5000)
    parser.add_argument("--touchpoints", type=int, default=5000)
    parser.add_argument("--standards", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxgov-bench-audit-") as tmp:
        bench_history(Path(tmp), args.runs, args.results)
        bench_diff(Path(tmp), args.touchpoints, args.standards)


if __name__ == "__main__":
    main()
