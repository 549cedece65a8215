"""Benchmark rendering the HTML scorecard for 20,000 results (targets: under 3 s and under 5 MB).

A generated program (10 journeys × 7 stages, 2,000 touchpoints, 10 standards on every touchpoint, 4 KPIs by
segment) and a Run whose statuses follow from its values, with breaches, actions, waivers, insufficient data
and errors in realistic shares, and the SQL of every rule for the evidence appendix. Prints the best render
time of --repeat runs and the file size; with Chromium installed, also how long the file takes to open and lay
out. Run: .venv/bin/python bench/bench_scorecard.py [--results N] [--out PATH]
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=20_000, help="standard results (default 20,000)")
    parser.add_argument("--standards", type=int, default=10, help="standards per touchpoint (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="render this many times, report the best")
    parser.add_argument("--out", type=Path, help="keep the scorecard here")
    parser.add_argument("--no-browser", action="store_true", help="skip opening the file in Chromium")
    args = parser.parse_args(argv)

    spec = program(max(1, args.results // args.standards), args.standards)
    run = evaluation(spec)
    sql = rule_sql(spec)
    generated_at = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    counts = run.summary()
    print(f"{len(run.results):,} results ({', '.join(f'{n:,} {s}' for s, n in counts.items() if n)}), "
          f"{len(spec.touchpoints):,} touchpoints, {len(sql)} rules with SQL")
    times = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        page = html.scorecard(run, spec, generated_at, sql)
        times.append(time.perf_counter() - started)
    size = len(page.encode("utf-8"))
    best = min(times)
    print(f"render: best {best:.2f} s of {len(times)} (target < {TARGET_SECONDS:.0f} s) "
          f"{'ok' if best < TARGET_SECONDS else 'OVER TARGET'}")
    print(f"size:   {size / 1e6:.2f} MB, {size / len(run.results):.0f} bytes per result "
          f"(target < {TARGET_BYTES / 1e6:.0f} MB) {'ok' if size < TARGET_BYTES else 'OVER TARGET'}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.out or Path(tmp) / "scorecard.html"
        path.write_text(page, encoding="utf-8")
        if not args.no_browser:
            seconds = open_in_chromium(path)
            print("chromium: not installed, skipped" if seconds is None
                  else f"chromium: opened and laid out in {seconds:.2f} s")
    return 0 if best < TARGET_SECONDS and size < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
