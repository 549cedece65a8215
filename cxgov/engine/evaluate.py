"""Evaluate a spec's standards and KPIs against metric data as of a date.

Runs the plan (one scan per source), turns each row into a Measurement and each Measurement into a
Result: min_sample, thresholds (exact values), KPI trends, waivers, actions and owners. A scan that cannot run
(a missing table or column) gives `error` results for the rules it feeds, and the run goes on.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterable, Mapping, Sequence

from cxgov import __version__
from cxgov.data.scan import scanned
from cxgov.engine import health
from cxgov.engine import problems as problem_results
from cxgov.engine.plan import Order, Scan, Target, scans, select_problems, select_rules
from cxgov.engine.results import (ActionInfo, PreviousInfo, Result, Run, ThresholdInfo, TrendInfo,
                                  WaiverInfo)
from cxgov.errors import DataError
from cxgov.metrics import kinds, stats
from cxgov.metrics.kinds import Measurement
from cxgov.spec.loader import display_name
from cxgov.metrics.measurement import Row
from cxgov.spec.model import Kpi, Metric, Source, Spec, Threshold, Waiver
from cxgov.speed import assemble, beside, collector_paused, defaults

if TYPE_CHECKING:
    from cxgov.data.scan import Query, ScanRequest
    from cxgov.data.store import Store

SIGNIFICANCE = 0.05  # two-sided, for the trend test


def evaluate(spec: Spec, store: Store, as_of: date, *, only: Collection[str] | None = None,
             git_commit: str | None = None,
             on_results: Callable[[Sequence[Result]], None] | None = None,
             max_unattributed: float = health.MAX_UNATTRIBUTED,
             while_scanning: Callable[[Sequence[Result]], None] | None = None) -> Run:
    """Evaluate every selected rule of `spec` (all when `only` is empty) against `store` as of `as_of`.

    `on_results` is given the results of each scan as soon as they are made (while DuckDB may still be running
    another), for work on them that need not wait for the whole Run; `while_scanning` only those made while
    another scan still runs, for work that is worth doing early only beside the engine (once the engine is
    done, the work is better left until the store is closed and its memory given back). `max_unattributed` is
    the percent of a source's rows that may belong to no touchpoint before its data health is a finding."""
    with collector_paused():  # tens of thousands of results and no garbage cycles: the collector would find nothing
        return _evaluate(spec, store, as_of, only, git_commit, on_results, max_unattributed, while_scanning)


def _evaluate(spec: Spec, store: Store, as_of: date, only: Collection[str] | None, git_commit: str | None,
              on_results: Callable[[Sequence[Result]], None] | None, max_unattributed: float,
              while_scanning: Callable[[Sequence[Result]], None] | None) -> Run:
    ordered: list[tuple[Order, Result]] = []
    sources_health = []
    read: dict[str, Source] = {}
    fields = _Fields(spec, as_of)
    pending: list[tuple[Scan, Query | None, Future[list[tuple[Any, ...]]]]] = []  # each scan, its statement
    shares: dict[str, tuple[int, int]] = {}  # the data digest's, taken in the scans
    # the engine runs the statements beside this thread (speed.beside says why), which plans and builds the next
    # ones meanwhile, then turns the rows of each finished one into results
    with beside(store.engine.statements_at_once, "cxgov-scan") as pool:
        for scan in scans(spec, as_of, only, column_types(spec, store, only)):
            read.setdefault(scan.request.source.id, scan.request.source)  # unreadable ones too: the digest says so
            scan, failed = _check_columns(spec, store, scan)
            for exc, targets in failed:
                ordered.extend((t.order, _error(fields, scan, t, exc)) for t in targets)
            scan = _check_problem_columns(spec, store, scan, ordered)
            if scan.targets or scan.problems:
                pending.append((scan, *_submit(pool, store, scan.request)))
        prepared: dict[int, list[tuple[_RuleFields, dict[str, Any]]]] = {}  # scan's index -> _prepare's list
        for at, (scan, query, future) in enumerate(pending):
            if not future.done():  # while the engine runs it: what the results will hold besides their numbers
                for later in range(at, len(pending)):
                    if later not in prepared:
                        prepared[later] = _prepare(fields, pending[later][0].targets)
            try:
                fetched = future.result()  # raises the statement's DataError, whether building or running it
                rows = store.rows(scan.request, query, fetched) if query is not None else []
            except DataError as exc:
                ordered.extend((t.order, _error(fields, scan, t, exc)) for t in scan.targets)
                for p in scan.problems:
                    ordered.extend(problem_results.error_results(spec, p, exc))
                continue
            shares[scan.request.source.id] = scanned(rows)
            index = _index(scan, rows)
            sources_health.append(health.source_health(spec, scan, rows, max_unattributed))
            # rules on the same metric and scope share their numbers
            measured: dict[tuple[str, int, str, tuple[str | None, ...]], Measurement] = {}

            def measure(target: Target, metric: Metric, period: str, interval: bool) -> Measurement:
                key = (target.prefix, target.grouping, period, target.key)
                found = measured.get(key)
                if found is None:
                    row = index.get((target.grouping, period, target.key))
                    found = measured[key] = kinds.finalize(metric, row or _NO_ROW, target.prefix, interval)
                return found

            planned = prepared.pop(at, None) or _prepare(fields, scan.targets)
            made = [(target.order, _result(of, state, target, measure))
                    for target, (of, state) in zip(scan.targets, planned)]
            found = scan.discovered(rows)
            made += [(target.order, _result(of, state, target, measure))
                     for target, (of, state) in zip(found, _prepare(fields, found))]
            made += problem_results.results(spec, scan, rows, as_of)
            ordered.extend(made)
            batch = [result for _, result in made]
            if on_results is not None:
                on_results(batch)
            if while_scanning is not None and not all(f.done() for _, _, f in pending[at + 1:]):
                while_scanning(batch)
    data_digest = store.digest(tuple(read[k] for k in sorted(read)), shares)
    ordered.sort(key=lambda pair: pair[0])
    results = tuple(result for _, result in ordered)
    return Run(
        as_of=as_of,
        spec_path=display_name(spec.root),
        spec_digest=spec.digest,
        data_digest=data_digest,
        results=results,
        git_commit=git_commit,
        cxgov_version=__version__,
        program=spec.program.id,
        health=tuple(sorted(sources_health, key=lambda h: h.source)),
        diagnostics=problem_results.unmapped_warnings(spec, results),
    )


def _submit(pool: Executor, store: Store, request: ScanRequest) \
        -> tuple[Query | None, Future[list[tuple[Any, ...]]]]:
    """A scan's statement, built here, and the engine's rows for it, to come from `pool` (a statement that cannot
    be built: its DataError, from the future)."""
    rows: Future[list[tuple[Any, ...]]]
    try:
        query = store.statement(request)
    except DataError as exc:
        rows = Future()
        rows.set_exception(exc)
        return None, rows
    if query is None:
        rows = Future()
        rows.set_result([])
        return None, rows
    return query, pool.submit(store.fetch, request, query)


def column_types(spec: Spec, store: Store, only: Collection[str] | None = None) -> dict[str, Mapping[str, str]]:
    """Source id -> its column types, for the sources the selected rules read and the store can describe (the
    others fail with a located error when their scan is checked)."""
    types: dict[str, Mapping[str, str]] = {}
    read = [spec.metric(rule.metric).source for rule in select_rules(spec, only)]
    read += [p.source for p in select_problems(spec, only)]
    for source_id in dict.fromkeys(read):
        try:
            types[source_id] = store.columns(spec.source(source_id))
        except DataError:
            pass
    return types


def status_of(threshold: Threshold, measurement: Measurement, min_sample: int) -> str:
    """insufficient when n < min_sample (or no value); else breach / warn / pass by exact comparison."""
    if measurement.value is None or measurement.n < min_sample:
        return "insufficient"
    if not threshold.passes(measurement.value, threshold.fail):
        return "breach"
    if threshold.warn is not None and not threshold.passes(measurement.value, threshold.warn):
        return "warn"
    return "pass"


def _check_columns(spec: Spec, store: Store, scan: Scan) -> tuple[Scan, list[tuple[DataError, tuple[Target, ...]]]]:
    """The scan without the metrics whose columns are missing or unreadable, and the targets they leave behind.

    Checking first names the metric's own spec line and keeps the other rules of the scan running.
    """
    source = scan.request.source
    try:
        types = store.columns(source)
    except DataError as exc:
        return scan.without({m for m, _ in scan.metrics}), [(exc, scan.targets)]
    failed: dict[str, DataError] = {}
    for metric_id, _ in scan.metrics:
        try:
            kinds.check_columns(spec.metric(metric_id), source, types)
        except DataError as exc:
            failed[metric_id] = exc
    errors = [(exc, tuple(t for t in scan.targets if t.rule.metric == metric_id))
              for metric_id, exc in failed.items()]
    scan = scan.without(set(failed)) if failed else scan
    # a split the source cannot give (no segment column, say) fails the rules asking for it, not the others
    unsplittable: dict[int, DataError] = {}
    for index, dimensions in enumerate(scan.request.grouping_sets):
        for dimension in dimensions:
            try:
                store.dimension_column(source, dimension)
            except DataError as exc:
                unsplittable[index] = exc
                break
    if "touchpoint" in (scan.request.health or ()):
        try:
            store.dimension_column(source, "touchpoint")
        except DataError:  # its rules fail with that error; the rows are still counted
            scan = replace(scan, request=replace(scan.request, health=()))
    if unsplittable:
        errors += [(exc, tuple(t for t in scan.targets if t.grouping == index))
                   for index, exc in unsplittable.items()]
        scan = scan.without_groupings(set(unsplittable))
    return scan, errors


def _check_problem_columns(spec: Spec, store: Store, scan: Scan, ordered: list[tuple[Order, Result]]) -> Scan:
    """The scan without the problems analyses whose columns are missing: their causes become `error` results."""
    if not scan.problems:
        return scan
    source = scan.request.source
    failed = set()
    for target in scan.problems:
        try:
            problem_results.check_columns(target.problem, source.id, store.columns(source))
        except DataError as exc:
            ordered.extend(problem_results.error_results(spec, target, exc))
            failed.add(target.problem.id)
    return scan.without_problems(failed) if failed else scan


def _index(scan: Scan, rows: Iterable[Row]) -> dict[tuple[int, str, tuple[object, ...]], Row]:
    sets = scan.request.grouping_sets
    return {(row["grouping"], row["period"], tuple(row.get(d) for d in sets[row["grouping"]])): row
            for row in rows if row["grouping"] is not None}


_NO_ROW: Row = MappingProxyType({})  # no row for a scope and period: no data, n = 0


class _Fields:
    """What every result of a target gets from its rule and window, made once per rule and window (`of`), and once
    per touchpoint what depends on the touchpoint besides (its actions and waivers)."""

    def __init__(self, spec: Spec, as_of: date):
        self.spec, self.as_of = spec, as_of
        self._rules: dict[tuple[str, str], _RuleFields] = {}

    def of(self, target: Target) -> _RuleFields:
        rule = target.rule
        key = (rule.id, target.frame.name)
        found = self._rules.get(key)
        if found is None:
            found = self._rules[key] = _RuleFields(self.spec, target, self.as_of)
        return found

    def common(self, target: Target) -> dict[str, Any]:
        """A new dict of every Result field: the rule's, the target's, and the defaults for the rest."""
        return self.of(target).common(target)


class _RuleFields:
    """One rule in one window: the fields all its results share, and what its results are judged by."""

    __slots__ = ("spec", "rule", "as_of", "metric", "base", "min_sample", "current", "previous", "kpi",
                 "_actions", "_waivers")

    def __init__(self, spec: Spec, target: Target, as_of: date):
        rule = self.rule = target.rule
        self.spec, self.as_of = spec, as_of
        metric = self.metric = spec.metric(rule.metric)
        self.base: dict[str, Any] = {
            **RESULT_DEFAULTS, "rule": rule.id, "kind": target.kind, "metric": metric.id,
            "metric_kind": metric.kind, "window": target.frame.current,
            "threshold": ThresholdInfo(rule.threshold.op, rule.threshold.fail, rule.threshold.warn),
            "severity": rule.severity, "location": rule.location, "rule_name": rule.name,
            "unit": kinds.unit(metric), "principle": rule.principle}
        self.min_sample = spec.min_sample(rule)
        self.current, self.previous = target.frame.labels
        self.kpi = rule if isinstance(rule, Kpi) and rule.trend is not None else None  # one with a trend test
        self._actions = _Actions(spec, rule.id, as_of)
        self._waivers = _Waivers(spec, rule.id, as_of)

    def common(self, target: Target) -> dict[str, Any]:
        """A new dict of every Result field: the rule's, the target's, and the defaults for the rest."""
        state = dict(self.base)
        tp = target.touchpoint
        state["scope"] = target.scope
        state["touchpoint"] = tp.id if tp is not None else None
        state["owner"] = _owner(self.spec, target)
        state["actions"] = self._actions.of(tp.id if tp is not None else None)
        return state


RESULT_DEFAULTS = defaults(Result)  # each Result is assembled from a dict of all its fields (cxgov.speed)


def _prepare(fields: _Fields, targets: Sequence[Target]) -> list[tuple[_RuleFields, dict[str, Any]]]:
    """Each target's rule fields and the new dict of its Result's fields but the measured ones: made while the
    engine still scans (a fifth of the work of a result), then `_result` fills it in."""
    prepared = []
    for target in targets:
        of = fields.of(target)
        prepared.append((of, of.common(target)))
    return prepared


def _result(fields: _RuleFields, state: dict[str, Any], target: Target,
            measure: Callable[[Target, Metric, str, bool], Measurement]) -> Result:
    """The Result of `target`: `state` (its `fields.common`) with its measurements, status, trend and waiver."""
    current = measure(target, fields.metric, fields.current, True)
    previous = measure(target, fields.metric, fields.previous, False)
    min_sample = fields.min_sample
    status = status_of(fields.rule.threshold, current, min_sample)
    notes: list[str] = []
    if status == "insufficient":
        notes.append(f"n {current.n} is below the minimum sample of {min_sample}" if current.n
                     else "no data in the window")
    if current.invalid:
        notes.append(f"{current.invalid} value(s) outside the metric's scale left out")
    trend = None
    kpi = fields.kpi
    if kpi is not None and kpi.trend is not None:
        trend, note = _trend(fields.spec, kpi, kpi.trend.max_drop, current, previous, min_sample, state["unit"])
        notes.append(note)
        if trend.breached and status in ("pass", "warn"):
            status = "breach"
    underlying, waiver, waiver_note = fields._waivers.of(target, status)
    if waiver_note:
        notes.append(waiver_note)
    extra = current.extra
    state.update(status="waived" if underlying else status, value=current.value, n=current.n,
                 missing=current.missing, invalid=current.invalid, ci_low=current.ci_low, ci_high=current.ci_high,
                 extra=extra if isinstance(extra, MappingProxyType) else MappingProxyType(dict(extra)),
                 underlying_status=underlying, waiver=waiver,
                 previous=assemble(PreviousInfo, {"value": previous.value, "n": previous.n,
                                                  "window": target.frame.previous}),
                 trend=trend, notes=tuple(notes))
    return assemble(Result, state)


def _trend(spec: Spec, kpi: Kpi, max_drop: float, current: Measurement, previous: Measurement, min_sample: int,
           unit: str | None) -> tuple[TrendInfo, str]:
    if current.n < min_sample or previous.n < min_sample or current.value is None or previous.value is None:
        change = None if current.value is None or previous.value is None else current.value - previous.value
        return (TrendInfo(max_drop, change, None, None, False, False),
                f"trend not tested: the current (n {current.n}) or previous window (n {previous.n}) "
                f"is below the minimum sample of {min_sample}")
    change, z, p = kinds.trend(spec.metric(kpi.metric), current, previous)
    assert change is not None  # both windows have a value
    drop = -change if kpi.threshold.higher_is_better else change
    significant = p is not None and p < SIGNIFICANCE
    breached = significant and drop > max_drop
    units = f" {unit}" if unit else ""
    tested = stats.p_text(p) if p is not None else "no test for this kind"
    if breached:
        note = (f"significant drop of {drop:.1f}{units} against the previous window ({tested}), "
                f"more than the allowed {max_drop:g}")
    elif drop > 0:
        note = (f"drop of {drop:.1f}{units} against the previous window ({tested}): "
                + ("within the allowed drop" if drop <= max_drop else "not significant at 95%"))
    else:
        note = "no drop against the previous window"
    return TrendInfo(max_drop, change, z, p, significant, breached), note


class _Waivers:
    """The waivers of one rule, for each of its results: (underlying status when waived, the waiver shown, a
    note). The waivers covering a touchpoint are found once per touchpoint, and once for all when none names one."""

    def __init__(self, spec: Spec, rule_id: str, as_of: date):
        self.named = spec.waivers_by_rule.get(rule_id) or ()
        self.as_of = as_of
        self._by_touchpoint = any(w.touchpoints for w in self.named)
        self._chosen: dict[str | None, tuple[WaiverInfo | None, WaiverInfo | None]] = {}

    def of(self, target: Target, status: str) -> tuple[str | None, WaiverInfo | None, str]:
        if not self.named:
            return None, None, ""
        tp = target.touchpoint.id if target.touchpoint and self._by_touchpoint else None
        chosen = self._chosen.get(tp)
        if chosen is None:
            chosen = self._chosen[tp] = self._choose(tp)
        active, expired = chosen
        if active is not None:
            covers = status in ("warn", "breach")
            return (status if covers else None, active,
                    "" if covers else f"waiver {active.id} is active but not needed: the result is {status}")
        if expired is not None:
            return None, expired, f"waiver {expired.id} expired on {expired.expires.isoformat()}; evaluated without it"
        return None, None, ""

    def _choose(self, tp: str | None) -> tuple[WaiverInfo | None, WaiverInfo | None]:
        """The active waiver shown (the latest to expire), else the expired one."""
        matching = [w for w in self.named if not w.touchpoints or tp in w.touchpoints]
        active = [w for w in matching if w.active_on(self.as_of)]
        if active:
            return _waiver_info(max(active, key=lambda w: (w.expires, w.id)), True), None
        expired = [w for w in matching if w.expires < self.as_of]
        if expired:
            return None, _waiver_info(max(expired, key=lambda w: (w.expires, w.id)), False)
        return None, None


def _waiver_info(waiver: Waiver, active: bool) -> WaiverInfo:
    return WaiverInfo(waiver.id, waiver.justification, waiver.approved_by, waiver.expires, active)


class _Actions:
    """The actions of one rule, for each touchpoint (by due date), as one shared tuple for the touchpoints no
    action names."""

    def __init__(self, spec: Spec, rule_id: str, as_of: date):
        named = spec.actions_by_rule.get(rule_id) or ()
        self._infos = [(a.touchpoint, ActionInfo(a.id, a.owner, a.due, a.status, a.description,
                                                 a.status != "done" and a.due < as_of))
                       for a in sorted(named, key=lambda a: (a.due, a.id))]
        self._every = tuple(info for tp, info in self._infos if tp is None)
        self._named = {tp for tp, _ in self._infos if tp is not None}
        self._made: dict[str | None, tuple[ActionInfo, ...]] = {}

    def of(self, tp: str | None) -> tuple[ActionInfo, ...]:
        if tp not in self._named:
            return self._every
        found = self._made.get(tp)
        if found is None:
            found = self._made[tp] = tuple(info for named, info in self._infos if named in (None, tp))
        return found


def _owner(spec: Spec, target: Target) -> str | None:
    rule = target.rule
    if rule.owner:
        return rule.owner
    if target.touchpoint is not None:
        return target.touchpoint.owner
    scope = dict(target.scope)
    journey = spec.journey(scope.get("journey", ""))
    if journey is not None and journey.owner:
        return journey.owner
    return spec.program.owner


def _error(fields: _Fields, scan: Scan, target: Target, exc: DataError) -> Result:
    """An `error` result: the message names the source, the column and the spec line to correct."""
    located = DataError(exc.message, exc.source or scan.request.source.id, exc.column,
                        location=exc.location or scan.request.source.location)
    state = fields.common(target)
    state.update(status="error", notes=(str(located),) + ((f"hint: {exc.hint}",) if exc.hint else ()))
    return assemble(Result, state)
