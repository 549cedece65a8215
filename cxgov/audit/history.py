"""The audit trail: record every checked run in a DuckDB history file, list the runs, follow one rule across runs.

The SQL lives in cxgov.data.engines.duckdb_history (HistoryDB); this module turns result records into rows and rows
back into typed records (cxgov.audit.records), and computes the trends the scorecard shows (a sparkline of the last
runs, "breached since"). It returns data: cxgov.report.history and the scorecard's sparklines render it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, Sequence

from cxgov.audit.records import Point, RunRecord, breached_since, scope_tuple
from cxgov.data.engines.duckdb_history import HISTORY_SCHEMA_VERSION, HistoryDB
from cxgov.engine.results import Result, Run, Scope, ThresholdInfo
from cxgov.errors import UsageError

DEFAULT_LOCK_TIMEOUT = 30.0  # seconds to wait for another process that holds the history file
DEFAULT_TREND_RUNS = 12
SCHEMA_VERSION = HISTORY_SCHEMA_VERSION  # of the history file, as `cxgov history --format json` reports it


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


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


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
                 scope=scope_tuple(row["scope"]), status=row["status"], value=row["value"], n=row["n"] or 0,
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


def series(path: Path, rule: str, scope: Mapping[str, str] | Scope | str, *, until: date | None = None,
           limit: int | None = None, timeout: float = DEFAULT_LOCK_TIMEOUT) -> list[Point]:
    """A rule and scope across runs: one point per as-of (the latest run recorded for it), oldest first; only
    as-of dates up to `until`, and the last `limit` of them, when given. Each point has as_of, value, status."""
    key = scope if isinstance(scope, str) else canonical_scope(scope)
    return _points(path, [rule], key, timeout, until=until, latest=limit or 2**31 - 1)


@dataclass(frozen=True)
class Trend:
    """What the scorecard shows for one rule and scope: the last runs (oldest first) and the breach streak (drawn
    by cxgov.report.sparkline.trend_svg)."""

    rule: str
    scope: Scope
    points: tuple[TrendPoint, ...]
    breached_since: date | None


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

