"""Run records for the history tests (tests/audit) and its renderer's (tests/report/test_history.py), built directly
from the result dataclasses: the fixtures `make_result` and `make_run`, imported by the modules that use them."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from cxgov.engine.results import Result, Run, Span, ThresholdInfo, WaiverInfo
from cxgov.errors import Location


def result(rule: str = "complaints-resolved-24h", touchpoint: str | None = "phone-complaints",
           value: float | None = 92.0, status: str = "pass", n: int = 240, underlying: str | None = None,
           scope: dict | None = None, as_of: date = date(2026, 11, 20)) -> Result:
    waiver = (WaiverInfo("w-queue", "Queue replacement", "coo", date(2026, 12, 31), True)
              if status == "waived" else None)
    return Result(rule=rule, kind="standard" if touchpoint else "kpi",
                  scope=tuple((scope or {"touchpoint": touchpoint}).items()), metric="resolved-24h",
                  metric_kind="sla", status=status, window=Span(date(2026, 10, 24), as_of),
                  threshold=ThresholdInfo(">=", 90.0, 95.0), severity="high",
                  location=Location("specs/standards.yaml", 12), touchpoint=touchpoint, value=value, n=n,
                  ci_low=None if value is None else value - 4.5, ci_high=None if value is None else value + 3.5,
                  underlying_status=underlying, owner="service-operations", waiver=waiver)


def run(as_of: date, results: list[Result], commit: str = "a1b2c3d4e5f6a7b8") -> Run:
    return Run(as_of=as_of, spec_path="specs", spec_digest="sha256:spec", data_digest="sha256:data",
               results=tuple(results), git_commit=commit, cxgov_version="0.1.0", program="northwind-bank")


def clock(hour: int, day: int = 20):
    return lambda: datetime(2026, 11, day, hour, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_result():
    return result


@pytest.fixture
def make_run():
    return run
