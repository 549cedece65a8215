"""The one record shape behind every output (DESIGN.md section 3).

The engine produces a Run; text, JSON, JUnit, SARIF, Markdown and HTML renderers are functions of it.
`Run.to_dict()` is the JSON document `cxgov check --json` writes (schemas/cxgov-results-v1.json).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from cxgov.errors import Diagnostic, Location
from cxgov.vocabulary import RESULT_STATUSES, SEVERITY_ORDER, STATUS_ORDER

if TYPE_CHECKING:
    from cxgov.engine.provenance import Checkout

SCHEMA_VERSION = 1
Scope = tuple[tuple[str, str], ...]  # a result's scope: (dimension, value) pairs


@dataclass(frozen=True)
class Span:
    """An inclusive range of calendar days in the program's timezone."""

    start: date
    end: date

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class ThresholdInfo:
    op: str
    fail: float
    warn: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "fail": self.fail, "warn": self.warn}


@dataclass(frozen=True)
class WaiverInfo:
    id: str
    justification: str
    approved_by: str
    expires: date
    active: bool  # False: expired, evaluated normally with a note

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "justification": self.justification, "approved_by": self.approved_by,
                "expires": self.expires.isoformat(), "active": self.active}


@dataclass(frozen=True)
class ActionInfo:
    id: str
    owner: str
    due: date
    status: str
    description: str | None = None
    overdue: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "due": self.due.isoformat(), "status": self.status,
                "description": self.description, "overdue": self.overdue}


@dataclass(frozen=True)
class PreviousInfo:
    """The same rule and scope over the previous window of the same length."""

    value: float | None
    n: int
    window: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "n": self.n, "window": self.window.to_dict() if self.window else None}


@dataclass(frozen=True)
class TrendInfo:
    """A trend test against the previous window: change in the value's units, its z score and p value."""

    max_drop: float
    change: float | None
    z: float | None
    p_value: float | None
    significant: bool
    breached: bool  # a significant drop of more than max_drop

    def to_dict(self) -> dict[str, Any]:
        return {"max_drop": self.max_drop, "change": self.change, "z": self.z, "p_value": self.p_value,
                "significant": self.significant, "breached": self.breached}


@dataclass(frozen=True)
class ScoreInfo:
    """A problems analysis's `score` metric among the rows mentioning a cause against the rest (key-driver gap)."""

    metric: str
    with_value: float | None
    with_n: int
    with_ci: tuple[float | None, float | None]
    without_value: float | None
    without_n: int
    without_ci: tuple[float | None, float | None]
    difference: float | None
    ci_low: float | None
    ci_high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "with": {"value": self.with_value, "n": self.with_n,
                                                "ci_low": self.with_ci[0], "ci_high": self.with_ci[1]},
                "without": {"value": self.without_value, "n": self.without_n, "ci_low": self.without_ci[0],
                            "ci_high": self.without_ci[1]},
                "difference": self.difference, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class ProblemInfo:
    """One bar of a Pareto analysis (a `kind: problem` result): a root cause, or a category mapped to none."""

    root_cause: str | None  # None for an unmapped category
    name: str
    rank: int
    cumulative: float | None
    vital: bool
    vital_share: float
    total: int  # problems of the analysis (every cause, unmapped categories included)
    parts: tuple[tuple[str, int], ...]  # (category value or theme id, count), most first
    by: str  # "category" | "theme"
    unmatched: int = 0  # rows with text that matches no theme (by theme)
    change: float | None = None  # share against the previous window, in points
    z: float | None = None
    p_value: float | None = None
    significant: bool = False
    score: ScoreInfo | None = None

    @property
    def unmapped(self) -> bool:
        return self.root_cause is None

    def to_dict(self) -> dict[str, Any]:
        return {"root_cause": self.root_cause, "name": self.name, "unmapped": self.unmapped, "rank": self.rank,
                "cumulative": self.cumulative, "vital": self.vital, "vital_share": self.vital_share,
                "total": self.total, "by": self.by,
                ("categories" if self.by == "category" else "themes"): [
                    {"id" if self.by == "theme" else "value": k, "count": c} for k, c in self.parts],
                "unmatched": self.unmatched,
                "change": {"points": self.change, "z": self.z, "p_value": self.p_value,
                           "significant": self.significant},
                "score": self.score.to_dict() if self.score else None}


@dataclass(frozen=True)
class Result:
    """One evaluated rule for one scope (a touchpoint for standards; a scope and `by` value for KPIs)."""

    rule: str
    kind: str  # "standard" | "kpi" | "problem"
    scope: Scope  # e.g. (("touchpoint", "web-chat"),) or (("segment", "retail"),)
    metric: str
    metric_kind: str
    status: str  # one of vocabulary.RESULT_STATUSES
    window: Span
    threshold: ThresholdInfo
    severity: str
    location: Location
    touchpoint: str | None = None
    rule_name: str | None = None
    value: float | None = None
    n: int = 0
    missing: int = 0
    invalid: int = 0
    ci_low: float | None = None
    ci_high: float | None = None
    extra: Mapping[str, float | None] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    unit: str | None = None  # "points", "%", or the metric's own unit
    underlying_status: str | None = None  # for waived results: the status the waiver covers
    owner: str | None = None
    waiver: WaiverInfo | None = None
    previous: PreviousInfo | None = None
    trend: TrendInfo | None = None
    actions: tuple[ActionInfo, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "waiver w-1 expired on 2026-10-31"; the error message for status error
    principle: str | None = None
    problem: ProblemInfo | None = None  # kind "problem": the Pareto bar

    @property
    def effective_status(self) -> str:
        """The status a waiver covers, or the status itself."""
        return self.underlying_status or self.status

    def sort_key(self) -> tuple[int, int, str, Scope]:
        return (STATUS_ORDER[self.status], SEVERITY_ORDER.get(self.severity, 9), self.rule, self.scope)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rule_name": self.rule_name,
            "kind": self.kind,
            "touchpoint": self.touchpoint,
            "scope": dict(self.scope),
            "metric": self.metric,
            "metric_kind": self.metric_kind,
            "value": self.value,
            "unit": self.unit,
            "n": self.n,
            "missing": self.missing,
            "invalid": self.invalid,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "extra": dict(sorted(self.extra.items())),
            "window": self.window.to_dict(),
            "threshold": self.threshold.to_dict(),
            "status": self.status,
            "underlying_status": self.underlying_status,
            "severity": self.severity,
            "owner": self.owner,
            "principle": self.principle,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            "previous": self.previous.to_dict() if self.previous else None,
            "trend": self.trend.to_dict() if self.trend else None,
            "actions": [a.to_dict() for a in self.actions],
            "notes": list(self.notes),
            "location": {"file": self.location.file, "line": self.location.line},
            **({"problem": self.problem.to_dict()} if self.problem is not None else {}),
        }


@dataclass(frozen=True)
class UnmatchedId:
    """A touchpoint id found in a source's rows that names no touchpoint of the spec."""

    id: str
    rows: int
    suggestion: str | None = None  # the spec's touchpoint it likely means (another case or separator)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rows": self.rows, "suggestion": self.suggestion}


@dataclass(frozen=True)
class MetricHealth:
    """Rows of a source a metric selects (its `where`) but cannot use: no value, or a value off its scale."""

    metric: str
    missing: int
    invalid: int

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "missing": self.missing, "invalid": self.invalid}


@dataclass(frozen=True)
class SourceHealth:
    """What an evaluation could not use of one source's rows, and why; `finding` says why it fails the check."""

    source: str
    span: Span  # the days the evaluation read: from the earliest previous window to the as-of date
    rows: int  # rows with a timestamp in the span
    untimed: int  # rows of the source without a readable timestamp (NULL, or text that is no timestamp)
    attributable: bool  # the source has a touchpoint column, so rows can be attributed to touchpoints
    unattributed: int = 0  # rows in the span that belong to no touchpoint of the spec (no_touchpoint included)
    no_touchpoint: int = 0  # rows in the span with no touchpoint id at all (NULL or empty)
    unmatched: tuple[UnmatchedId, ...] = ()  # the most frequent ids that match no touchpoint
    unmatched_ids: int = 0  # how many distinct ids match no touchpoint
    metrics: tuple[MetricHealth, ...] = ()
    location: Location | None = None  # the source in the spec
    finding: str | None = None  # why the source's data fails the check; None when it is sound

    @property
    def unattributed_share(self) -> float | None:
        """Percent of the span's rows that belong to no touchpoint (None without rows or a touchpoint column)."""
        return 100.0 * self.unattributed / self.rows if self.rows and self.attributable else None

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "window": self.span.to_dict(), "rows": self.rows, "untimed": self.untimed,
                "attributable": self.attributable, "unattributed": self.unattributed,
                "no_touchpoint": self.no_touchpoint, "unmatched": [u.to_dict() for u in self.unmatched],
                "unmatched_ids": self.unmatched_ids, "metrics": [m.to_dict() for m in self.metrics],
                "location": {"file": self.location.file, "line": self.location.line} if self.location else None,
                "finding": self.finding}


@dataclass(frozen=True)
class Run:
    """A whole evaluation: what was checked, against what, as of when, and every result."""

    as_of: date
    spec_path: str
    spec_digest: str
    data_digest: str
    results: tuple[Result, ...]
    git_commit: str | None = None
    cxgov_version: str = ""
    program: str = ""
    health: tuple[SourceHealth, ...] = ()  # per source read, by source id
    diagnostics: tuple[Diagnostic, ...] = ()  # validator warnings that need the data (CX215), by analysis
    # What reports show beside the records (not in the JSON document): rule id -> the SQL behind its numbers as
    # the engine runs it (engine.evidence), and the checkout the spec sits in (for SARIF's relative locations).
    evidence: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    checkout: Checkout | None = field(default=None, compare=False)

    @property
    def findings(self) -> tuple[SourceHealth, ...]:
        """The sources whose data fails the check."""
        return tuple(h for h in self.health if h.finding)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(RESULT_STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    def sorted_results(self) -> tuple[Result, ...]:
        return tuple(sorted(self.results, key=Result.sort_key))

    def to_dict(self, results: bool = True) -> dict[str, Any]:
        """The JSON document (`results=False`: all of it but the results)."""
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "cxgov_version": self.cxgov_version,
            "program": self.program,
            "as_of": self.as_of.isoformat(),
            "spec": {"path": self.spec_path, "digest": self.spec_digest, "git_commit": self.git_commit},
            "data": {"digest": self.data_digest, "sources": [h.to_dict() for h in self.health]},
            "summary": self.summary(),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if results:
            document["results"] = [r.to_dict() for r in self.results]
        return document




@dataclass(frozen=True)
class FailPolicy:
    """Which results fail a check: `--fail-on warn|breach|never`, `--min-severity` and `--data-findings`."""

    fail_on: str = "breach"
    min_severity: str = "low"
    data_findings: str = "error"

    def outcome(self, run: Run) -> str:
        """"cannot-run" when a rule could not be evaluated (or a data finding counts as an error), "fails" when a
        result (or a data finding counted as a breach or warn) fails the check, else "passes"."""
        if any(r.status == "error" for r in run.results) or (run.findings and self.data_findings == "error"):
            return "cannot-run"
        found = bool(run.findings) and (self.fail_on == "warn" or (self.data_findings == "breach"
                                                                   and self.fail_on != "never"))
        return "fails" if found or any(self.fails(r) for r in run.results) else "passes"

    def fails(self, result: Result) -> bool:
        """An unwaived breach (or warn with fail_on warn) at or above min_severity."""
        if self.fail_on == "never" or SEVERITY_ORDER.get(result.severity, 9) > SEVERITY_ORDER[self.min_severity]:
            return False
        return result.status == "breach" or (self.fail_on == "warn" and result.status == "warn")
