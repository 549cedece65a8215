"""Benchmark `cxgov validate` and `load_spec` on a large spec: 5,000 touchpoints in 200 files (written to a temporary
folder), or the spec folder given with --spec.

Prints the time of each piece of load_spec (what check, report and explain use: read, YAML, positions, schema,
build, the error rules), load_spec's first call in a fresh process, validate (which also looks for governance
warnings) in-process and as a `cxgov validate` subprocess. Targets: load_spec of the 2,000-touchpoint program of
bench_scale.py well under 250 ms; cxgov validate of 5,000 touchpoints under 2 s.

    .venv/bin/python bench/bench_validate.py
    .venv/bin/python bench/bench_validate.py --spec $TMPDIR/cxgov-bench/spec-v3-tp2000-s40-k10-2026-11-20
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import yaml

from cxgov import speed
from cxgov.spec import api, build, lint, loader, schema
from cxgov.spec.rules import RULES

CHANNELS = ["web", "app", "branch", "phone", "chat", "email"]
STAGES = ["awareness", "consideration", "purchase", "onboarding", "use", "service", "loyalty"]
STEPS = ["intent", "inventory", "redesign", "dialogue", "knowledge", "communication", "recognition", "dashboard"]


def _dump(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=120), encoding="utf-8")


def generate(root: Path, touchpoints: int = 5000, files: int = 200) -> None:
    """A realistic, valid spec: `files` files in all, journeys (one per file) sharing `touchpoints` evenly."""
    teams = [f"team-{i:02d}" for i in range(60)]
    people = [f"person-{i:03d}" for i in range(120)]
    _dump(root / "program.yaml", {"version": 1, "program": {
        "id": "bench-bank", "name": "Bench Bank", "timezone": "Europe/London", "owner": teams[0],
        "sponsor": people[0], "intent": {"statement": "Easy, fair, one contact.", "principles": [
            {"id": "effortless", "name": "Effortless"}, {"id": "one-contact", "name": "One contact"}]},
        "review": {"cadence": "quarterly", "last_reviewed": date(2026, 10, 1)},
        "defaults": {"min_sample": 30, "max_waiver_days": 180, "max_accountable": 8}},
        "channels": CHANNELS, "segments": [{"id": "retail", "name": "Retail", "basis": "demographic"}]})
    _dump(root / "owners.yaml", {"version": 1, "owners": [
        *({"id": t, "name": f"Team {t}", "kind": "team", "email": f"{t}@bench.example",
           "members": people[i * 2:i * 2 + 2]} for i, t in enumerate(teams)),
        *({"id": p, "name": f"Person {p}", "kind": "person", "title": "Lead"} for p in people)]})
    _dump(root / "rules.yaml", {"version": 1, "sources": [
        {"id": "surveys", "table": "survey_responses", "timestamp": "responded_at", "touchpoint": "touchpoint_id"},
        {"id": "tickets", "table": "tickets", "timestamp": "opened_at", "touchpoint": "touchpoint_id"}],
        "metrics": [
            {"id": "csat", "kind": "csat", "source": "surveys", "column": "score", "where": {"question": "sat"}},
            {"id": "nps", "kind": "nps", "source": "surveys", "column": "score"},
            {"id": "resolved-24h", "kind": "sla", "source": "tickets", "within": 24,
             "duration": {"start": "opened_at", "end": "resolved_at", "unit": "hours"}}],
        "standards": [
            {"id": f"std-{c}-{s}", "metric": "csat" if i % 2 else "resolved-24h",
             "applies_to": {"channel": [c], "stage": [s]}, "threshold": {"op": ">=", "fail": 70, "warn": 80},
             "window": "28d", "severity": "high"}
            for i, (c, s) in enumerate((c, s) for c in CHANNELS for s in STAGES)],
        "kpis": [{"id": f"kpi-{c}", "metric": "nps", "scope": {"channel": c}, "window": "quarter",
                  "threshold": {"op": ">=", "fail": 20, "warn": 30}, "owner": people[1]} for c in CHANNELS]})
    _dump(root / "raci.yaml", {"version": 1, "raci": [
        {"id": f"act-{s}", "name": f"Activity {s}", "cycle_step": s,
         "assignments": {people[2 + i]: "A", teams[i]: "R", teams[i + 1]: "C"}} for i, s in enumerate(STEPS)]})
    journeys = files - 4
    n = 0
    for j in range(journeys):
        count = touchpoints // journeys + (1 if j < touchpoints % journeys else 0)
        jid = f"journey-{j:03d}"
        tps = []
        for _ in range(count):
            tps.append({"id": f"tp-{n:05d}", "name": f"Touchpoint {n}", "journey": jid,
                        "stage": STAGES[n % len(STAGES)], "channel": CHANNELS[n % len(CHANNELS)],
                        "owner": teams[n % len(teams)], "responsible": [teams[(n + 1) % len(teams)]],
                        "informed": [teams[0]], "systems": ["crm"], "principles": ["effortless"],
                        "moment_of_truth": n % 11 == 0, "status": "active", "labels": {"region": "uk"}})
            n += 1
        _dump(root / "journeys" / f"{jid}.yaml", {"version": 1, "journeys": [
            {"id": jid, "name": f"Journey {j}", "owner": teams[j % len(teams)], "segments": ["retail"],
             "stages": STAGES}], "touchpoints": tps})


def _time(fn, repeat: int) -> tuple[tuple[float, float], object]:
    """Median wall-clock and CPU seconds of `repeat` calls (CPU includes child processes), and the last result.

    Each call starts with the previous result dropped and the garbage collected, as in a fresh process.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        cpu0, child0, wall0 = time.process_time(), _children_cpu(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0 + _children_cpu() - child0)
    return (statistics.median(walls), statistics.median(cpus)), result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


FRESH = """
import sys, time
from datetime import date
from pathlib import Path
started = time.perf_counter()
from cxgov.spec import api
imported = time.perf_counter()
api.load_spec(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]))
print(imported - started, time.perf_counter() - imported)
"""


def pieces(root: Path, today: date, repeat: int) -> list[tuple[str, tuple[float, float]]]:
    """load_spec's steps one by one, as api.validate runs them (collector paused), each timed on its own."""
    paths = loader.spec_files(root)
    errors_only = [code for code in lint.CHECKS if RULES[code].severity == "error"]
    with speed.collector_paused():
        t_read, texts = _time(lambda: [loader.decode(loader.read(p)) for p in paths], repeat)
        t_yaml, nodes = _time(lambda: [loader.compose(t) for t in texts], repeat)
        t_convert, _ = _time(lambda: [loader.convert(p.name, t, n) for p, t, n in zip(paths, texts, nodes)], repeat)
        del nodes
        documents = loader.load_documents(root)
        t_compile, _ = _time(lambda: schema.compile_schema(schema.schema()), 1)
        schema.is_valid()  # compiled once per process, as in a real run
        t_schema, found = _time(lambda: schema.check(documents), repeat)
        assert not found, found[:3]
        t_build, (spec, found) = _time(lambda: build.build(documents, root), repeat)
        assert spec is not None and not found, found[:3]
        # on a copy each time: the Spec caches what it computes (coverage, lookups)
        t_lint, _ = _time(lambda: lint.lint(dataclasses.replace(spec), today, errors_only), repeat)
        warning_rules = [code for code in lint.CHECKS if code not in errors_only]
        t_warnings, _ = _time(lambda: lint.lint(dataclasses.replace(spec), today, warning_rules), repeat)
    t_spec, _ = _time(lambda: api.load_spec(root, today), repeat)
    return [("  read files", t_read), ("  YAML (libyaml)" if loader.CLoader else "  YAML (pure Python)", t_yaml),
            ("  values and positions", t_convert), ("  schema (compile, once)", t_compile),
            ("  schema (check)", t_schema), ("  build", t_build), ("  lint: error rules", t_lint),
            ("load_spec (in-process)", t_spec), ("lint: warning rules", t_warnings)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, help="time this spec folder instead of a generated one")
    parser.add_argument("--touchpoints", type=int, default=5000)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    today = date(2026, 11, 20)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.spec
        if root is None:
            root = Path(tmp) / "specs"
            generate(root, args.touchpoints, args.files)
        files = loader.spec_files(root)
        print(f"spec: {root} with {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB")

        rows = pieces(root, today, args.repeat)
        t_total, result = _time(lambda: api.validate(root, today), args.repeat)
        assert result.ok, [d.format() for d in result.errors[:3]]
        fresh: list[tuple[float, ...]] = []  # (import, first load_spec) of each run

        def run_fresh() -> None:
            proc = subprocess.run([sys.executable, "-c", FRESH, str(root), today.isoformat()], capture_output=True,
                                  text=True)
            assert proc.returncode == 0, proc.stderr[-2000:]
            fresh.append(tuple(float(x) for x in proc.stdout.split()))

        t_fresh, _ = _time(run_fresh, args.repeat)
        imported, first = (statistics.median(column) for column in zip(*fresh))
        cli = Path(sys.executable).parent / "cxgov"
        t_cli, proc = _time(lambda: subprocess.run([str(cli), "validate", str(root), "--today", today.isoformat()],
                                                   capture_output=True, text=True), args.repeat)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]

        print(f"{'piece':<34} {'wall':>8}    {'cpu':>8}    (median of {args.repeat}; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        rows += [("validate (in-process)", t_total), ("fresh process: import cxgov.spec.api", (imported, None)),
                 ("fresh process: first load_spec", (first, None)), ("fresh process, all", t_fresh),
                 ("cxgov validate (subprocess)", t_cli)]
        for name, (wall, cpu) in rows:
            print(f"{name:<34} {wall * 1000:8.0f} ms " + (f"{cpu * 1000:8.0f} ms" if cpu is not None else ""))
        print(f"summary: {result.summary()}")
        wall, cpu = t_cli
        print(f"target: cxgov validate under 2000 ms: {'met' if wall < 2.0 else 'NOT met'} (wall), "
              f"{'met' if cpu < 2.0 else 'NOT met'} (cpu)")


if __name__ == "__main__":
    main()
