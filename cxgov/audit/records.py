"""What `cxgov history` reads from the run history, as typed records: a recorded run, and one rule's result in a
run; and the streak arithmetic on a rule's runs ("breached since").

Plain data (no database, no rendering): cxgov.audit.history makes these from the history file, and
cxgov.report.history renders them as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Iterable, Mapping, Protocol, Sequence

from cxgov.engine.results import Scope, ThresholdInfo
from cxgov.speed import memo
from cxgov.vocabulary import RESULT_STATUSES as STATUSES


@memo(65536)
def scope_tuple(text: str) -> Scope:
    """A scope stored as canonical JSON, as sorted (dimension, value) pairs."""
    return tuple(sorted((str(k), str(v)) for k, v in json.loads(text).items()))


@dataclass(frozen=True)
class RunRecord:
    """One recorded run: when it was recorded, what it evaluated, and its result counts by status."""

    id: int
    recorded_at: datetime  # UTC
    as_of: date
    program: str
    spec_path: str
    spec_digest: str
    spec_commit: str | None
    data_digest: str
    cxgov_version: str
    result_count: int
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "recorded_at": self.recorded_at.isoformat().replace("+00:00", "Z"),
                "as_of": self.as_of.isoformat(), "program": self.program,
                "spec": {"path": self.spec_path, "digest": self.spec_digest, "git_commit": self.spec_commit},
                "data": {"digest": self.data_digest}, "cxgov_version": self.cxgov_version,
                "result_count": self.result_count, "summary": {s: self.counts.get(s, 0) for s in STATUSES}}


@dataclass(frozen=True)
class Point:
    """One rule and scope in one recorded run."""

    run_id: int
    as_of: date
    recorded_at: datetime  # UTC
    rule: str
    scope: Scope
    status: str
    value: float | None = None
    n: int = 0
    ci_low: float | None = None
    ci_high: float | None = None
    underlying_status: str | None = None
    threshold: ThresholdInfo | None = None
    severity: str | None = None
    owner: str | None = None
    waiver: str | None = None
    touchpoint: str | None = None
    metric: str | None = None

    @property
    def effective_status(self) -> str:
        """The status a waiver covers, or the status itself: a waived breach is still a breach."""
        return self.underlying_status or self.status

    def to_dict(self) -> dict[str, object]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(),
                "recorded_at": self.recorded_at.isoformat().replace("+00:00", "Z"), "rule": self.rule,
                "scope": dict(self.scope), "value": self.value, "n": self.n, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "status": self.status, "underlying_status": self.underlying_status,
                "threshold": self.threshold.to_dict() if self.threshold else None, "severity": self.severity,
                "owner": self.owner, "waiver": self.waiver}


def latest_per_as_of(points: Iterable[Point]) -> list[Point]:
    """One point per as-of date (the latest recorded), in as-of order."""
    latest: dict[date, Point] = {}
    for point in points:
        kept = latest.get(point.as_of)
        if kept is None or (point.recorded_at, point.run_id) >= (kept.recorded_at, kept.run_id):
            latest[point.as_of] = point
    return [latest[d] for d in sorted(latest)]


class Dated(Protocol):
    """A rule's result in one run, as the breach streak reads it (a Point, or a trend's point)."""

    @property
    def as_of(self) -> date: ...
    @property
    def effective_status(self) -> str: ...


def breached_since(points: Sequence[Dated]) -> date | None:
    """The as-of of the first point of the current unbroken breach streak (a waived breach still counts), or
    None when the latest point is not a breach."""
    since = None
    for point in reversed(points):
        if point.effective_status != "breach":
            break
        since = point.as_of
    return since
