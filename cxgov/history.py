"""The audit trail: record every checked run in a DuckDB history file, list the runs, follow one rule across runs.

The SQL lives in cxgov.data.store (HistoryDB); this module turns result records into rows and rows back into typed
records, and computes the trends the scorecard shows (a sparkline of the last runs, "breached since").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from cxgov.data.engines.duckdb_history import HISTORY_SCHEMA_VERSION, HistoryDB
from cxgov.engine.results import STATUSES, Result, Run, ThresholdInfo
from cxgov.errors import UsageError
from cxgov.metrics.stats import round_half_away
from cxgov.speed import memo

if TYPE_CHECKING:
    from markupsafe import Markup

DEFAULT_LOCK_TIMEOUT = 30.0  # seconds to wait for another process that holds the history file
DEFAULT_TREND_RUNS = 12

Scope = tuple[tuple[str, str], ...]


def canonical_scope(scope: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """The scope as canonical JSON (sorted keys, no spaces): how the history stores and matches it."""
    items = dict(scope.items() if isinstance(scope, Mapping) else scope)
    return json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_scope(terms: Sequence[str]) -> str:
    """`--scope` values (`key=value`, repeatable, or one JSON object) as canonical scope JSON."""
    if len(terms) == 1 and terms[0].lstrip().startswith("{"):
        try:
            value = json.loads(terms[0])
        except json.JSONDecodeError as exc:
            raise UsageError(f"--scope {terms[0]!r} is not valid JSON: {exc.msg}") from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise UsageError(f"--scope {terms[0]!r} must be a JSON object of strings, e.g. "
                             '\'{"touchpoint": "web-chat"}\'')
        return canonical_scope(value)
    pairs = {}
    for term in terms:
        key, sep, value = term.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--scope {term!r} is not KEY=VALUE",
                             hint="e.g. --scope touchpoint=web-chat, or --scope segment=retail")
        pairs[key.strip()] = value.strip()
    return canonical_scope(pairs)


@memo(65536)
def _scope_tuple(text: str) -> Scope:
    return tuple(sorted((str(k), str(v)) for k, v in json.loads(text).items()))


def _scope_label(scope: Scope) -> str:
    return ", ".join(f"{k}={v}" for k, v in scope) or "(program)"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


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


def _result_columns(results: Sequence[Result]) -> dict[str, list[object]]:
    rows: dict[str, list[object]] = {
        "seq": list(range(1, len(results) + 1)),
        "rule": [r.rule for r in results],
        "kind": [r.kind for r in results],
        "scope": [canonical_scope(r.scope) for r in results],
        "touchpoint": [r.touchpoint for r in results],
        "metric": [r.metric for r in results],
        "metric_kind": [r.metric_kind for r in results],
        "value": [r.value for r in results],
        "n": [r.n for r in results],
        "ci_low": [r.ci_low for r in results],
        "ci_high": [r.ci_high for r in results],
        "status": [r.status for r in results],
        "underlying_status": [r.underlying_status for r in results],
        "severity": [r.severity for r in results],
        "owner": [r.owner for r in results],
        "window_start": [r.window.start for r in results],
        "window_end": [r.window.end for r in results],
        "threshold_op": [r.threshold.op for r in results],
        "threshold_fail": [r.threshold.fail for r in results],
        "threshold_warn": [r.threshold.warn for r in results],
        "waiver": [r.waiver.id if r.waiver else None for r in results],
    }
    return rows


def record(run: Run, path: Path, *, clock: Callable[[], datetime] | None = None,
           timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
    """Store `run` and every result in the history at `path` (created when missing) in one transaction.

    Returns the run's id. Waits up to `timeout` seconds while another process holds the file; HistoryError then.
    """
    recorded_at = _utc((clock or (lambda: datetime.now(timezone.utc)))())
    results = run.results
    row = {
        "recorded_at": recorded_at.replace(tzinfo=None),
        "as_of": run.as_of,
        "program": run.program,
        "spec_path": run.spec_path,
        "spec_digest": run.spec_digest,
        "spec_commit": run.git_commit,
        "data_digest": run.data_digest,
        "cxgov_version": run.cxgov_version,
        "result_count": len(results),
    }
    with HistoryDB.open(Path(path), write=True, timeout=timeout) as db:
        return db.insert_run(row, _result_columns(results))


def runs(path: Path, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> tuple[RunRecord, ...]:
    """Every recorded run, oldest first."""
    with HistoryDB.open(Path(path), write=False, timeout=timeout) as db:
        rows = db.runs()
    return tuple(RunRecord(id=r["id"], recorded_at=_utc(r["recorded_at"]), as_of=r["as_of"],
                           program=r["program"] or "", spec_path=r["spec_path"] or "",
                           spec_digest=r["spec_digest"] or "", spec_commit=r["spec_commit"],
                           data_digest=r["data_digest"] or "", cxgov_version=r["cxgov_version"] or "",
                           result_count=r["result_count"], counts=MappingProxyType(dict(r["counts"])))
                 for r in rows)


def _point(row: Mapping[str, Any]) -> Point:
    threshold = (ThresholdInfo(row["threshold_op"], row["threshold_fail"], row["threshold_warn"])
                 if row["threshold_op"] else None)
    return Point(run_id=row["run_id"], as_of=row["as_of"], recorded_at=_utc(row["recorded_at"]), rule=row["rule"],
                 scope=_scope_tuple(row["scope"]), status=row["status"], value=row["value"], n=row["n"] or 0,
                 ci_low=row["ci_low"], ci_high=row["ci_high"], underlying_status=row["underlying_status"],
                 threshold=threshold, severity=row["severity"], owner=row["owner"], waiver=row["waiver"],
                 touchpoint=row["touchpoint"], metric=row["metric"])


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run of a rule and scope as the scorecard's trend shows it (the latest point carries the threshold)."""

    as_of: date
    value: float | None
    status: str
    underlying_status: str | None = None
    threshold: ThresholdInfo | None = None

    @property
    def effective_status(self) -> str:
        return self.underlying_status or self.status


def _points(path: Path, rules: Sequence[str] | None, scope: str | None, timeout: float, *,
            until: date | None = None, latest: int | None = None) -> list[Point]:
    with HistoryDB.open(Path(path), write=False, timeout=timeout) as db:
        return [_point(r) for r in db.results(rules, scope, until=until, latest=latest)]


def rule_history(path: Path, rule: str, scope: str | None = None, *,
                 timeout: float = DEFAULT_LOCK_TIMEOUT) -> tuple[Point, ...]:
    """Every recorded result of `rule` (only `scope`, canonical JSON, when given), oldest as-of first."""
    return tuple(_points(path, [rule], scope, timeout))


def _latest_per_as_of(points: Iterable[Point]) -> list[Point]:
    """One point per as-of date (the latest recorded), in as-of order."""
    latest: dict[date, Point] = {}
    for point in points:
        kept = latest.get(point.as_of)
        if kept is None or (point.recorded_at, point.run_id) >= (kept.recorded_at, kept.run_id):
            latest[point.as_of] = point
    return [latest[d] for d in sorted(latest)]


def series(path: Path, rule: str, scope: Mapping[str, str] | Scope | str, *, until: date | None = None,
           limit: int | None = None, timeout: float = DEFAULT_LOCK_TIMEOUT) -> list[Point]:
    """A rule and scope across runs: one point per as-of (the latest run recorded for it), oldest first; only
    as-of dates up to `until`, and the last `limit` of them, when given. Each point has as_of, value, status."""
    key = scope if isinstance(scope, str) else canonical_scope(scope)
    return _points(path, [rule], key, timeout, until=until, latest=limit or 2**31 - 1)


def breached_since(points: Sequence[Point | TrendPoint]) -> date | None:
    """The as-of of the first point of the current unbroken breach streak (a waived breach still counts), or
    None when the latest point is not a breach."""
    since = None
    for point in reversed(points):
        if point.effective_status != "breach":
            break
        since = point.as_of
    return since


@dataclass(frozen=True)
class Trend:
    """What the scorecard shows for one rule and scope: the last runs (oldest first) and the breach streak."""

    rule: str
    scope: Scope
    points: tuple[TrendPoint, ...]
    breached_since: date | None

    def svg(self, *, width: int = 120, height: int = 28) -> Markup:
        """An inline SVG sparkline (markupsafe.Markup: safe to insert into autoescaped HTML)."""
        from cxgov.report.sparkline import sparkline

        return sparkline(self.points, width=width, height=height, label=self._subject(),
                         breached_since=self.breached_since)

    def text(self) -> str:
        """The text alternative of the sparkline."""
        from cxgov.report.sparkline import describe

        return describe(self.points, label=self._subject(), breached_since=self.breached_since)

    def _subject(self) -> str:
        return f"{self.rule} ({_scope_label(self.scope)})"


def trends(path: Path, run: Run, *, limit: int = DEFAULT_TREND_RUNS,
           timeout: float = DEFAULT_LOCK_TIMEOUT) -> dict[tuple[str, Scope], Trend]:
    """For every result of `run`: its last `limit` as-of dates in the history up to the run's as-of, with the
    run's own result as the latest point (whether or not the run was recorded). Keyed by (rule, sorted scope)."""
    rules = sorted({r.rule for r in run.results})
    recorded: dict[tuple[str, str], list[TrendPoint]] = {}
    if rules and limit > 1:
        with HistoryDB.open(Path(path), write=False, timeout=timeout) as db:
            rows = db.results(rules, until=run.as_of - timedelta(days=1), program=run.program or None,
                              latest=limit - 1, columns=("rule", "scope", "as_of", "value", "status",
                                                         "underlying_status"))
        for row in rows:
            recorded.setdefault((row["rule"], row["scope"]), []).append(
                TrendPoint(row["as_of"], row["value"], row["status"], row["underlying_status"]))
    out = {}
    for result in run.results:
        scope = tuple(sorted(result.scope))
        current = TrendPoint(run.as_of, result.value, result.status, result.underlying_status, result.threshold)
        points = (*recorded.get((result.rule, canonical_scope(scope)), ()), current)[-limit:]
        out[(result.rule, scope)] = Trend(rule=result.rule, scope=scope, points=points,
                                          breached_since=breached_since(points))
    return out


# --- text and JSON output of `cxgov history` ---------------------------------------------------------------------

def _fmt_value(value: float | None) -> str:
    return "-" if value is None else f"{round_half_away(value):.1f}"


def _fmt_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = []
    for row in (header, *rows):
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def render_runs(records: Sequence[RunRecord], fmt: str, path: Path) -> str:
    """`cxgov history HISTORY`: one line per run (text) or a JSON document."""
    if fmt == "json":
        return json.dumps({"history": str(path), "schema_version": HISTORY_SCHEMA_VERSION,
                           "runs": [r.to_dict() for r in records]}, indent=2) + "\n"
    if not records:
        return f"{path}: no runs recorded yet\n"
    header = ("run", "recorded at (UTC)", "as-of", "spec commit", *STATUSES)
    rows = [(str(r.id), _fmt_time(r.recorded_at), r.as_of.isoformat(), (r.spec_commit or "-")[:12],
             *(str(r.counts.get(s, 0)) for s in STATUSES)) for r in records]
    right = {0, *range(4, 4 + len(STATUSES))}
    return "\n".join([f"{path}: {len(records)} run(s)", *_table(header, rows, right)]) + "\n"


def render_rule_history(rule: str, scope: str | None, points: Sequence[Point], fmt: str) -> str:
    """`cxgov history HISTORY --rule ID`: the rule's value and status in every run, grouped by scope."""
    if fmt == "json":
        return json.dumps({"rule": rule, "scope": json.loads(scope) if scope else None,
                           "points": [p.to_dict() for p in points]}, indent=2) + "\n"
    if not points:
        where = f" with scope {_scope_label(_scope_tuple(scope))}" if scope else ""
        return f"rule {rule}: no recorded results{where}\n"
    by_scope: dict[Scope, list[Point]] = {}
    for point in points:
        by_scope.setdefault(point.scope, []).append(point)
    lines = [f"rule {rule}"]
    for key in sorted(by_scope):
        scoped = by_scope[key]
        lines.append("")
        lines.append(f"scope {_scope_label(key)}")
        rows = [(str(p.run_id), p.as_of.isoformat(), _fmt_time(p.recorded_at), _fmt_value(p.value), str(p.n),
                 p.status if not p.underlying_status else f"{p.status} ({p.underlying_status})",
                 _threshold_text(p.threshold)) for p in scoped]
        lines.extend("  " + line for line in _table(
            ("run", "as-of", "recorded at (UTC)", "value", "n", "status", "threshold"), rows, {0, 3, 4}))
        since = breached_since(_latest_per_as_of(scoped))
        if since is not None:
            lines.append(f"  breached since {since.isoformat()}")
    return "\n".join(lines) + "\n"


def _threshold_text(threshold: ThresholdInfo | None) -> str:
    if threshold is None:
        return "-"
    text = f"{threshold.op} {threshold.fail:g}"
    return f"{text} (warn {threshold.warn:g})" if threshold.warn is not None else text
