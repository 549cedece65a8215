"""Helpers for engine tests: a small spec built from the model, and metric data written to real DuckDB files."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable, Sequence

from cxgov.errors import Location
from cxgov.spec.model import (Action, Defaults, Filter, Journey, Kpi, Metric, Program, Scope, Segment, Selector,
                              Source, Spec, Standard, Threshold, Touchpoint, Trend, Waiver, Window)
from support.duckdb_rows import write_table

AS_OF = date(2026, 11, 20)
STANDARDS_FILE = "specs/standards.yaml"
KPIS_FILE = "specs/kpis.yaml"

SURVEY_COLUMNS = {"responded_at": "TIMESTAMP", "touchpoint_id": "VARCHAR", "segment": "VARCHAR",
                  "question": "VARCHAR", "score": "INTEGER"}
TICKET_COLUMNS = {"opened_at": "TIMESTAMP", "touchpoint_id": "VARCHAR", "segment": "VARCHAR",
                  "first_contact_resolved": "BOOLEAN"}

TOUCHPOINTS = (
    Touchpoint(id="web-form", name="Online application form", journey="open-account", stage="purchase",
               channel="web", owner="digital-sales"),
    Touchpoint(id="app-onboarding", name="Onboarding in the app", journey="open-account", stage="onboarding",
               channel="app", owner="app-team"),
    Touchpoint(id="phone-complaints", name="Complaints line", journey="resolve-a-problem", stage="report",
               channel="phone", owner="contact-centre"),
    Touchpoint(id="chat-complaints", name="Complaints in chat", journey="resolve-a-problem", stage="report",
               channel="chat", owner="contact-centre"),
    Touchpoint(id="branch-complaints", name="Complaints at the counter", journey="resolve-a-problem",
               stage="report", channel="branch", owner="branch-network", status="retired"),
)
JOURNEYS = (
    Journey(id="open-account", name="Open an account", owner="retail-banking", segments=("retail", "premier"),
            stages=("purchase", "onboarding")),
    Journey(id="resolve-a-problem", name="Resolve a problem", owner="service-operations",
            stages=("report", "resolve")),
)
SEGMENTS = (Segment(id="retail", name="Retail"), Segment(id="premier", name="Premier"),
            Segment(id="student", name="Students"))
SOURCES = (
    Source(id="surveys", table="survey_responses", timestamp="responded_at", touchpoint="touchpoint_id",
           segment="segment", location=Location("specs/data.yaml", 3, 5)),
    Source(id="tickets", table="tickets", timestamp="opened_at", touchpoint="touchpoint_id", segment="segment",
           location=Location("specs/data.yaml", 9, 5)),
)
METRICS = (
    Metric(id="nps", kind="nps", source="surveys", column="score", where=Filter((("question", ("recommend",)),)),
           location=Location("specs/data.yaml", 20, 5)),
    Metric(id="csat", kind="csat", source="surveys", column="score",
           where=Filter((("question", ("satisfaction",)),)), location=Location("specs/data.yaml", 21, 5)),
    Metric(id="fcr", kind="ratio", source="tickets", condition=Filter((("first_contact_resolved", (True,)),)),
           location=Location("specs/data.yaml", 22, 5)),
    Metric(id="contacts", kind="count", source="tickets", location=Location("specs/data.yaml", 23, 5)),
)


def threshold(op: str = ">=", fail: float = 75, warn: float | None = 80) -> Threshold:
    return Threshold(op=op, fail=fail, warn=warn)


def standard(id: str = "csat-standard", *, metric: str = "csat", line: int = 10, window: str = "28d",
             applies_to: Selector | None = None, **fields) -> Standard:
    fields.setdefault("threshold", threshold())
    return Standard(id=id, metric=metric, window=parse_window(window), applies_to=applies_to or Selector(),
                    location=Location(STANDARDS_FILE, line, 5), **fields)


def kpi(id: str = "nps-kpi", *, metric: str = "nps", line: int = 10, window: str = "quarter",
        scope: Scope = Scope(), trend: float | None = None, **fields) -> Kpi:
    fields.setdefault("threshold", threshold(">=", 10, 20))
    return Kpi(id=id, metric=metric, window=parse_window(window), scope=scope,
               trend=Trend(trend) if trend is not None else None, location=Location(KPIS_FILE, line, 5), **fields)


def waiver(id: str = "w-1", *, rule: str = "csat-standard", expires: date = date(2026, 12, 31),
           touchpoints: Sequence[str] = (), granted: date | None = date(2026, 10, 1)) -> Waiver:
    return Waiver(id=id, standard=rule, justification=f"Accepted while {id} is fixed", approved_by="coo",
                  expires=expires, touchpoints=tuple(touchpoints), granted=granted,
                  location=Location("specs/waivers.yaml", 3, 5))


def action(id: str = "act-1", *, rule: str = "csat-standard", touchpoint: str | None = None,
           due: date = date(2026, 12, 15), status: str = "open") -> Action:
    return Action(id=id, standard=rule, owner="service-operations", due=due, status=status, touchpoint=touchpoint,
                  description=f"Fix for {id}")


def parse_window(text: str) -> Window:
    if text[-1] in "dw":
        return Window(text, days=int(text[:-1]) * (7 if text[-1] == "w" else 1))
    return Window(text, period=text)


def make_spec(*, standards: Iterable[Standard] = (), kpis: Iterable[Kpi] = (), waivers: Iterable[Waiver] = (),
              actions: Iterable[Action] = (), timezone: str = "UTC", min_sample: int = 5,
              touchpoints: Iterable[Touchpoint] = TOUCHPOINTS, sources: Iterable[Source] = SOURCES,
              metrics: Iterable[Metric] = METRICS) -> Spec:
    program = Program(id="northwind", name="Northwind", timezone=timezone, owner="cx-office",
                      defaults=Defaults(min_sample=min_sample))
    return Spec(root=Path("specs"), files=(), digest="sha256:" + "0" * 64, program=program, segments=SEGMENTS,
                channels=("web", "app", "phone", "chat", "branch"), journeys=JOURNEYS,
                touchpoints=tuple(touchpoints), sources=tuple(sources), metrics=tuple(metrics),
                standards=tuple(standards), kpis=tuple(kpis), waivers=tuple(waivers), actions=tuple(actions))


def with_source(spec: Spec, source_id: str, **changes) -> Spec:
    return replace(spec, sources=tuple(replace(s, **changes) if s.id == source_id else s for s in spec.sources))


# -- data ---------------------------------------------------------------------------------------------------


def noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=12)


def answers(touchpoint: str, scores: Iterable[int | None], *, question: str = "satisfaction",
            day: date = AS_OF, segment: str | None = "retail", at: datetime | None = None) -> list[tuple]:
    """Survey rows: one per score, all at `at` (default noon of `day`)."""
    when = at or noon(day)
    return [(when, touchpoint, segment, question, score) for score in scores]


def counts(spec_counts: dict[int, int]) -> list[int]:
    """{score: how many} -> a list of scores, e.g. {9: 100, 7: 50, 0: 50}."""
    return [score for score, k in sorted(spec_counts.items()) for _ in range(k)]


def csat_scores(top: int, total: int) -> list[int]:
    """`top` answers of 5 and the rest 1: a CSAT of exactly 100 * top / total."""
    return [5] * top + [1] * (total - top)


def surveys_db(tmp_path: Path, rows: Sequence[Sequence], name: str = "metrics.duckdb") -> Path:
    return write_table(tmp_path / name, "survey_responses", SURVEY_COLUMNS, rows)
