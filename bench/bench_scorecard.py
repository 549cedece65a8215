"""Benchmark rendering the HTML scorecard for 20,000 results (targets: under 3 s and under 5 MB).

Two inputs:
- synthetic (the default): a generated program (10 journeys × 7 stages, 2,000 touchpoints, 10 standards on every
  touchpoint, 4 KPIs by segment) and a Run whose statuses follow from its values, with breaches, actions,
  waivers, insufficient data and errors in realistic shares, and made-up SQL for the evidence appendix;
- --real: the bench_scale.py program and data (2,000 touchpoints, 40 standards, 10 KPIs, about 18,000 results,
  generated and cached on first use), evaluated once in-process, with the real SQL of every rule.

Times what the scorecard costs beyond evaluation, best of --repeat: the SQL behind each rule (--real only),
building the view, rendering the template and writing the file; prints the size per section; with Chromium
installed, also how long the file takes to open and lay out.
Run: .venv/bin/python bench/bench_scorecard.py [--real [--quick]] [--results N] [--out PATH]
"""

from __future__ import annotations

from dataclasses import replace

import argparse
import dataclasses
import gc
import hashlib
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from cxgov.engine.results import ActionInfo, PreviousInfo, Result, Run, Span, ThresholdInfo, WaiverInfo
from cxgov.errors import Location
from cxgov.report import html
from cxgov.spec.model import (Defaults, Filter, Intent, Journey, Kpi, Metric, Owner, Principle, Program, Scope,
                              Segment, Selector, Source, Spec, Standard, Threshold, Touchpoint, Window)

TARGET_SECONDS, TARGET_BYTES = 3.0, 5_000_000
AS_OF = date(2026, 11, 20)
WINDOW = Span(date(2026, 10, 24), AS_OF)
STAGES = ("awareness", "consideration", "purchase", "onboarding", "use", "service", "loyalty")
CHANNELS = ("web", "app", "branch", "phone", "chat", "email")
SEGMENTS = ("retail", "premier", "small-business", "student")


def _unit(key: str) -> float:
    """A deterministic number in [0, 1) from a key."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2 ** 64


def program(touchpoints: int, standards: int) -> Spec:
    teams = tuple(Owner(id=f"team-{i:02d}", name=f"Service team {i:02d}", kind="team") for i in range(40))
    journeys = tuple(Journey(id=f"journey-{j}", name=f"Customer journey number {j}", owner=teams[j].id,
                             stages=STAGES) for j in range(10))
    tps = tuple(Touchpoint(id=f"tp-{i:05d}", name=f"Touchpoint {i}: {CHANNELS[i % 6]} {STAGES[(i // 60) % 7]}",
                           journey=f"journey-{i % 10}", stage=STAGES[(i // 60) % 7], channel=CHANNELS[i % 6],
                           owner=teams[i % 40].id, systems=("crm", "telephony"), processes=("complaints",),
                           moment_of_truth=i % 17 == 0) for i in range(touchpoints))
    metrics = (Metric(id="csat", name="Customer satisfaction", kind="csat", source="surveys", column="score",
                      where=Filter((("question", ("satisfaction",)),))),
               Metric(id="nps", name="Net Promoter Score", kind="nps", source="surveys", column="score"))
    stds = tuple(Standard(id=f"standard-{s:02d}", name=f"Customers are satisfied with aspect {s} of the service",
                          metric="csat", threshold=Threshold(">=", 70, 80), window=Window("28d", days=28),
                          applies_to=Selector(), severity=("critical", "high", "medium", "low")[s % 4],
                          location=Location("specs/standards.yaml", 10 + 12 * s, 5)) for s in range(standards))
    kpis = tuple(Kpi(id=f"kpi-{k}", name=f"Relationship NPS {k}", metric="nps", threshold=Threshold(">=", 20, 30),
                     window=Window("quarter", period="quarter"), scope=Scope("program"), by="segment",
                     owner=teams[k].id, location=Location("specs/kpis.yaml", 5 + 9 * k, 5)) for k in range(4))
    return Spec(root=Path("specs"), files=(), digest="sha256:" + "0" * 64,
                program=Program(id="bench-bank", name="Bench Bank", owner=teams[0].id,
                                intent=Intent("Customers settle their money matters in one contact.",
                                              (Principle(id="effortless", name="Effortless"),)),
                                defaults=Defaults()),
                owners=teams, segments=tuple(Segment(id=s, name=s.title()) for s in SEGMENTS), channels=CHANNELS,
                journeys=journeys, touchpoints=tps,
                sources=(Source(id="surveys", table="survey_responses", timestamp="responded_at",
                                touchpoint="touchpoint_id"),),
                metrics=metrics, standards=stds, kpis=kpis)


def _status(value: float, n: int, fail: float, warn: float) -> str:
    if n < 30:
        return "insufficient"
    return "pass" if value >= warn else "warn" if value >= fail else "breach"


def evaluation(spec: Spec) -> Run:
    """About 1 result in 20 breached (a third of those with an action, a sixth waived), 1 in 15 warned, 1 in 40
    with insufficient data, 1 in 500 an error."""
    results = []
    waiver = WaiverInfo("w-rebuild", "Platform rebuild, change CHG-2291", "team-00", date(2027, 1, 31), True)
    action = ActionInfo("act-1", "team-01", date(2026, 12, 15), "in_progress", "Add an evening shift.")
    for tp in spec.touchpoints:
        for std in spec.standards:
            u = _unit(tp.id + std.id)
            n = int(20 + 400 * _unit(std.id + tp.id))
            value = 60 + 10 * u / 0.05 if u < 0.05 else 70 + 10 * (u - 0.05) / 0.07 if u < 0.12 else 80 + 17 * u
            status = _status(value, n, 70, 80) if u > 0.002 else "error"
            extra: dict = {}
            if status == "breach" and u < 0.008:
                status, extra = "waived", {"underlying_status": "breach", "waiver": waiver}
            elif status == "breach" and u < 0.025:
                extra = {"actions": (action,)}
            elif status == "error":
                extra = {"notes": ("source 'surveys': column score is missing",)}
            results.append(Result(
                rule=std.id, kind="standard", scope=(("touchpoint", tp.id),), metric="csat", metric_kind="csat",
                status=status, window=WINDOW, threshold=ThresholdInfo(">=", 70, 80), severity=std.severity,
                location=std.location, touchpoint=tp.id, rule_name=std.name,
                value=None if status == "error" else value, n=0 if status == "error" else n,
                ci_low=None if status == "error" else value - 4.1, ci_high=None if status == "error" else value + 3.8,
                unit="%", owner=tp.owner, **extra))
    quarter = Span(date(2026, 7, 1), date(2026, 9, 30))
    for kpi in spec.kpis:
        for segment in SEGMENTS:
            value = 10 + 30 * _unit(kpi.id + segment)
            results.append(Result(
                rule=kpi.id, kind="kpi", scope=(("segment", segment),), metric="nps", metric_kind="nps",
                status=_status(value, 500, 20, 30), window=quarter, threshold=ThresholdInfo(">=", 20, 30),
                severity="high", location=kpi.location, rule_name=kpi.name, value=value, n=500, ci_low=value - 8,
                ci_high=value + 8, unit="points", owner=kpi.owner,
                previous=PreviousInfo(value + 2.5, 480, Span(date(2026, 4, 1), date(2026, 6, 30)))))
    return Run(as_of=AS_OF, spec_path="specs", spec_digest=spec.digest, data_digest="sha256:" + "1" * 64,
               results=tuple(results), git_commit="0" * 40, cxgov_version="bench", program=spec.program.id)


def rule_sql(spec: Spec) -> dict[str, str]:
    aggregates = ",\n  ".join(f"count(*) FILTER (WHERE \"score\" IN (4, 5)) AS a{i}" for i in range(12))
    return {rule.id: f'SELECT "touchpoint_id", period,\n  {aggregates}\nFROM metrics."survey_responses"\n'
                     f"GROUP BY GROUPING SETS ((period, \"touchpoint_id\"))" for rule in (*spec.standards, *spec.kpis)}


def open_in_chromium(path: Path) -> float | None:
    """Seconds for Chromium to load and lay out the file, or None without Chromium/Playwright."""
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.evaluate("document.body.getBoundingClientRect().height")  # forces layout
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


SECTIONS = ("intent", "summary", "breaches", "kpis", "standards", "insufficient", "errors", "approvals", "evidence")


def section_sizes(page: str) -> str:
    """"breaches 0.87, standards 2.52, ..." in MB (UTF-8), for the sections of the page."""
    starts = [page.index(f'<section id="{name}"') for name in SECTIONS] + [page.index("</main>")]
    sizes = [len(page[a:b].encode("utf-8")) / 1e6 for a, b in zip(starts, starts[1:])]
    return ", ".join(f"{name} {size:.2f}" for name, size in zip(SECTIONS, sizes) if size >= 0.005)


def best(repeat: int, func):
    """(best seconds, last value) of calling func `repeat` times."""
    times, value = [], None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - started)
    return min(times), value


def real_inputs(workdir: Path, quick: bool, repeat: int):
    """The bench_scale program: (spec, run, sql, seconds for the SQL), evaluated in-process."""
    import bench_scale  # beside this file; generates and caches the program and its data
    from cxgov.data.store import Store
    from cxgov.engine.evaluate import evaluate
    from cxgov.engine.evidence import rule_sql
    from cxgov.spec.api import load_spec

    params = bench_scale.Params()
    if quick:
        params = dataclasses.replace(params, touchpoints=200, surveys=200_000, tickets=100_000)
    workdir.mkdir(parents=True, exist_ok=True)
    spec_dir, _ = bench_scale.spec_for(workdir, params)
    db, _ = bench_scale.data_for(workdir, params)
    print(f"program {spec_dir}\ndata    {db}")
    spec = load_spec(spec_dir)
    with Store.open(db) as store:
        started = time.perf_counter()
        run = evaluate(spec, store, params.as_of)
        print(f"evaluated in {time.perf_counter() - started:.1f} s (not part of the scorecard's cost)")
        sql_seconds, sql = best(repeat, lambda: rule_sql(spec, params.as_of, store))
    return spec, run, sql, sql_seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", action="store_true", help="render the bench_scale.py program's real run")
    parser.add_argument("--quick", action="store_true", help="with --real: 200 touchpoints, 300,000 rows")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cxgov-bench",
                        help="with --real: where bench_scale.py caches the program and data")
    parser.add_argument("--results", type=int, default=20_000, help="standard results (default 20,000)")
    parser.add_argument("--standards", type=int, default=10, help="standards per touchpoint (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="time this many runs, report the best")
    parser.add_argument("--out", type=Path, help="keep the scorecard here")
    parser.add_argument("--no-browser", action="store_true", help="skip opening the file in Chromium")
    args = parser.parse_args(argv)

    if args.real:
        spec, run, sql, sql_seconds = real_inputs(args.workdir, args.quick, args.repeat)
    else:
        spec = program(max(1, args.results // args.standards), args.standards)
        run = evaluation(spec)
        sql, sql_seconds = rule_sql(spec), 0.0
    generated_at = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    counts = run.summary()
    print(f"{len(run.results):,} results ({', '.join(f'{n:,} {s}' for s, n in counts.items() if n)}), "
          f"{len(spec.touchpoints):,} touchpoints, {len(sql)} rules with SQL")
    gc.freeze()  # as the command line does while it renders reports: the collector leaves the Run alone
    build_seconds, card = best(args.repeat, lambda: html.build(replace(run, evidence=sql), spec, generated_at))
    render_seconds, page = best(args.repeat, lambda: html.render("scorecard.html.j2", card=card, spec=spec,
                                                                  run=run))
    assert page == html.scorecard(replace(run, evidence=sql), spec, generated_at)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.out or Path(tmp) / "scorecard.html"
        write_seconds, _ = best(args.repeat, lambda: path.write_text(page, encoding="utf-8", newline="\n"))
        total = sql_seconds + build_seconds + render_seconds + write_seconds
        size = len(page.encode("utf-8"))
        print(f"time:   {total:.2f} s (target < {TARGET_SECONDS:.0f} s) {'ok' if total < TARGET_SECONDS else 'OVER TARGET'}"
              f"; best of {max(1, args.repeat)}: SQL {sql_seconds:.2f} s, view {build_seconds:.2f} s, "
              f"template {render_seconds:.2f} s, write {write_seconds:.2f} s")
        print(f"size:   {size / 1e6:.2f} MB, {size / max(1, len(run.results)):.0f} bytes per result "
              f"(target < {TARGET_BYTES / 1e6:.0f} MB) {'ok' if size < TARGET_BYTES else 'OVER TARGET'}")
        print(f"        by section, MB: {section_sizes(page)}")
        if not args.no_browser:
            seconds = open_in_chromium(path)
            print("chromium: not installed, skipped" if seconds is None
                  else f"chromium: opened and laid out in {seconds:.2f} s")
    return 0 if total < TARGET_SECONDS and size < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
