"""A hand-built Run with one result of every status, for the renderer tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from cxgov.engine.results import (ActionInfo, PreviousInfo, Result, Run, Span, ThresholdInfo, TrendInfo,
                                  WaiverInfo)
from cxgov.errors import Location

REPO = Path(__file__).resolve().parents[2]
SHARED_SARIF_SCHEMA = REPO / ".." / "shared" / "schemas" / "sarif-2.1.0.json"

WINDOW = Span(date(2026, 10, 24), date(2026, 11, 20))
PREVIOUS = Span(date(2026, 9, 26), date(2026, 10, 23))
SLA = ThresholdInfo(">=", 90, 95)


def _standard(touchpoint: str, status: str, value: float | None, n: int, **fields) -> Result:
    base = dict(rule="complaints-resolved-24h", kind="standard", scope=(("touchpoint", touchpoint),),
                metric="resolved-24h", metric_kind="sla", status=status, window=WINDOW, threshold=SLA,
                severity="high", location=Location("specs/standards.yaml", 12, 5), touchpoint=touchpoint,
                rule_name="Complaints resolved within 24 hours", value=value, n=n, unit="%",
                owner="service-operations", previous=PreviousInfo(91.0, 230, PREVIOUS))
    base.update(fields)
    return Result(**base)


BREACH = _standard("phone-complaints", "breach", 87.5, 240, ci_low=82.71, ci_high=91.05, actions=(
    ActionInfo("act-17", "service-operations", date(2026, 12, 15), "in_progress", "Add an evening shift"),
    ActionInfo("act-9", "contact-centre", date(2026, 11, 1), "open", "Retrain | escalate <fast>", overdue=True)))
WARN = _standard("chat-complaints", "warn", 92.25, 120, ci_low=86.1, ci_high=95.6)
PASS = _standard("email-complaints", "pass", 97.0, 100, ci_low=91.5, ci_high=99.0)
WAIVED = _standard("branch-complaints", "waived", 70.0, 50, underlying_status="breach",
                   waiver=WaiverInfo("w-branch-queue", "Queue system replacement, see change CHG-1042",
                                     "chief-operating-officer", date(2026, 12, 31), True))
INSUFFICIENT = _standard("letter-complaints", "insufficient", 100.0, 4, notes=("n 4 is below the minimum sample of 30",))
ERROR = Result(rule="app-session-length", kind="standard", scope=(("touchpoint", "app-login"),), metric="session",
               metric_kind="mean", status="error", window=WINDOW, threshold=ThresholdInfo("<=", 300, 240),
               severity="low", location=Location("specs/standards.yaml", 40, 5), touchpoint="app-login",
               owner="app-team", notes=("specs/data.yaml:30:5: source 'app-analytics': table 'app_sessions' not "
                                        "found in the metrics database", "hint: load it with `cxgov data load`"))
KPI = Result(rule="relationship-nps", kind="kpi", scope=(("segment", "retail"),), metric="nps", metric_kind="nps",
             status="breach", window=Span(date(2026, 7, 1), date(2026, 9, 30)),
             threshold=ThresholdInfo(">=", 30, 40), severity="critical", location=Location("specs/kpis.yaml", 6, 5),
             rule_name="Relationship NPS", value=12.0, n=250, ci_low=1.296, ci_high=22.704, unit="points",
             owner="cx-office", previous=PreviousInfo(25.0, 200, Span(date(2026, 4, 1), date(2026, 6, 30))),
             trend=TrendInfo(5, -13.0, -1.6225, 0.1047, False, False),
             notes=("drop of 13.0 points against the previous window (p = 0.105): not significant at 95%",))
LOW_WARN = replace(KPI, rule="student-nps", scope=(("segment", "student"),), status="warn", value=35.0,
                   severity="low", trend=None, notes=())

RESULTS = (BREACH, WARN, PASS, WAIVED, INSUFFICIENT, ERROR, KPI, LOW_WARN)


def sample_run(results=RESULTS) -> Run:
    return Run(as_of=date(2026, 11, 20), spec_path="specs", spec_digest="sha256:" + "ab" * 32,
               data_digest="sha256:" + "cd" * 32, results=tuple(results), git_commit="0123456789abcdef",
               cxgov_version="0.1.0", program="northwind-bank")
