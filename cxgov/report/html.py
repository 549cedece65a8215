"""The governance scorecard: one self-contained HTML file (inline CSS and SVG, no scripts, no requests).

`scorecard(run, spec, generated_at, sql)` is a pure function of its arguments: the clock is injected, rows are
sorted, every piece of spec text goes through Jinja2's autoescaping. `render` and `environment` are shared with
the RACI report and the journey map.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Iterable, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from cxgov import __version__
from cxgov.engine.results import Result, Run, Span
from cxgov.report import approvals as approval_views, display, svg
from cxgov.report.approvals import ApprovalView
from cxgov.report.display import DASH
from cxgov.report.names import Names
from cxgov.resources import templates_dir
from cxgov.spec.model import Filter, Kpi, Metric, Selector, Spec, Standard

# Groups holding any of these are open on screen; the others show their summary line with counts.
ATTENTION = frozenset({"breach", "error", "warn"})

KIND_DEFINITIONS = {
    "nps": "100 × (promoters − detractors) / n; promoters answer 9–10, detractors 0–6, on integers 0–10. "
           "Interval: NPS ± 1.96 × 100 × √(Var/n), Var = pP + pD − (pP − pD)².",
    "csat": "100 × answers in the top two boxes of the scale / n. Wilson score interval.",
    "ces": "Mean answer on the effort scale (higher is easier); the share answering 5–7 is reported as easy. "
           "Interval: mean ± 1.96 × s/√n.",
    "mean": "Arithmetic mean of the column. Interval: mean ± 1.96 × s/√n.",
    "ratio": "100 × rows meeting the condition / n. Wilson score interval.",
    "percentile": "Exact percentile with linear interpolation (quantile_cont). No interval.",
    "sla": "100 × met / (met + breached). Met: end − start within the limit; breached: longer, or still open "
           "and already past the limit at the as-of date; open and not yet due: left out. Wilson score interval.",
    "count": "Number of rows in the window (volume). No interval.",
    "gap": "Mean of perception − expectation over rows with both (below zero: a shortfall). "
           "Interval: mean ± 1.96 × s/√n.",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja2 with autoescaping on for every template and StrictUndefined: a missing value is an error."""
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(status_label=display.status_label, status_icon=display.status_icon,
                       status_order=display.STATUS_DISPLAY_ORDER, cxgov_version=__version__)
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def timestamp(moment: datetime) -> str:
    """The injected generation time, to the second, with its zone when it has one."""
    text = moment.replace(microsecond=0).isoformat(sep=" ")
    return text.replace("+00:00", " UTC")


@dataclass(frozen=True)
class Row:
    """One result, display-ready."""

    rule: str
    rule_label: str
    kind: str
    scope: str
    touchpoint: str | None
    status: str
    underlying: str | None
    value: str
    exact: str  # the unrounded value, for a tooltip
    interval: str
    target: str
    n: int
    owner: str
    severity: str
    window: str
    key: tuple = ()  # (rule, sorted scope pairs): how trends from the run history are looked up


@dataclass(frozen=True)
class ActionView:
    id: str
    owner: str
    due: str
    status: str
    overdue: bool
    description: str


@dataclass(frozen=True)
class WaiverView:
    id: str
    justification: str
    approver: str
    expires: str
    active: bool


@dataclass(frozen=True)
class Attention:
    """A breach, waived result or error with what is being done about it."""

    row: Row
    actions: tuple[ActionView, ...]
    waiver: WaiverView | None
    handled: bool  # an active waiver or an action not yet done
    notes: tuple[str, ...]


@dataclass(frozen=True)
class KpiRow:
    row: Row
    previous: str
    change: str
    change_note: str
    trend_breached: bool
    chart: Markup


@dataclass(frozen=True)
class TouchpointGroup:
    id: str
    name: str
    channel: str
    owner: str
    moment_of_truth: bool
    lifecycle: str
    rows: tuple[Row, ...]
    counts: Mapping[str, int]


@dataclass(frozen=True)
class StageGroup:
    name: str
    label: str
    touchpoints: tuple[TouchpointGroup, ...]
    counts: Mapping[str, int]
    open: bool


@dataclass(frozen=True)
class JourneyGroup:
    id: str
    name: str
    owner: str
    stages: tuple[StageGroup, ...]
    counts: Mapping[str, int]
    open: bool
    ungoverned: tuple[str, ...]  # active touchpoints with no standard result


@dataclass(frozen=True)
class InsufficientGroup:
    rule: str
    rule_label: str
    min_sample: int
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Evidence:
    rule: str
    label: str
    kind: str
    facts: tuple[tuple[str, str], ...]
    sql: str | None
    approvals: tuple[ApprovalView, ...] = ()  # the approvals naming this rule, newest first


def _span(span: Span | None) -> str:
    return f"{span.start.isoformat()} to {span.end.isoformat()}" if span else DASH


def _row(result: Result, names: Names) -> Row:
    pairs = display.scope_pairs(result)
    scope = names.touchpoint(result.touchpoint) if result.touchpoint and not pairs else names.scope(pairs)
    return Row(
        rule=result.rule,
        rule_label=result.rule_name or names.rule(result.rule),
        kind=result.kind,
        scope=scope,
        touchpoint=result.touchpoint,
        status=result.status,
        underlying=result.underlying_status,
        value=display.value_text(result.value, result.unit, result.metric_kind,
                                 (result.threshold.fail, result.threshold.warn)),
        exact=DASH if result.value is None else repr(result.value),
        interval=display.interval_text(result.ci_low, result.ci_high),
        target=display.threshold_text(result.threshold.op, result.threshold.fail, result.threshold.warn),
        n=result.n,
        owner=names.owner(result.owner) or DASH,
        severity=result.severity,
        window=_span(result.window),
        key=(result.rule, tuple(sorted(result.scope))),
    )


def _attention(result: Result, names: Names) -> Attention:
    actions = tuple(ActionView(a.id, names.owner(a.owner), a.due.isoformat(), a.status.replace("_", " "),
                               a.overdue, a.description or "")
                    for a in sorted(result.actions, key=lambda a: (a.due, a.id)))
    waiver = None
    if result.waiver:
        w = result.waiver
        waiver = WaiverView(w.id, w.justification, names.owner(w.approved_by), w.expires.isoformat(), w.active)
    handled = bool(waiver and waiver.active) or any(a.status != "done" for a in result.actions)
    return Attention(_row(result, names), actions, waiver, handled, tuple(result.notes))


def _kpi_row(result: Result, names: Names) -> KpiRow:
    prev = result.previous
    previous = DASH
    change_value = None
    if prev is not None:
        previous = f"{display.value_text(prev.value, result.unit, result.metric_kind)} (n {prev.n})"
        if prev.value is not None and result.value is not None:
            change_value = result.value - prev.value
    note = ""
    trend = result.trend
    if trend is not None:
        if trend.change is not None:
            change_value = trend.change
        if trend.p_value is not None:
            note = ("significant" if trend.significant else "not significant") + f", p = {trend.p_value:.3f}"
        note = "; ".join(filter(None, [note, f"limit: a drop of {display.exact(trend.max_drop)}"]))
    chart = svg.interval_plot(result.value, result.ci_low, result.ci_high, result.threshold.op,
                              result.threshold.fail, result.threshold.warn, prev.value if prev else None)
    return KpiRow(_row(result, names), previous, display.signed(change_value), note,
                  bool(trend and trend.breached), chart)


def _open(counts: Mapping[str, int]) -> bool:
    return any(status in ATTENTION for status in counts)


def _journey_groups(spec: Spec, results: Iterable[Result], names: Names) -> tuple[JourneyGroup, ...]:
    """Standard results by journey (spec order), stage (journey order) and touchpoint (spec order)."""
    by_touchpoint: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_touchpoint[result.touchpoint or ""].append(result)
    groups = []
    placed: set[str] = set()
    covered = {tp.id for standard in spec.standards for tp in spec.covered_touchpoints(standard)}
    for journey in spec.journeys:
        stages = []
        ungoverned = []
        for stage in journey.stages:
            tps = []
            for tp in spec.touchpoints:
                if tp.journey != journey.id or tp.stage != stage:
                    continue
                placed.add(tp.id)
                tp_results = sorted(by_touchpoint.get(tp.id, ()), key=Result.sort_key)
                if not tp_results:
                    if tp.evaluated and tp.id not in covered:
                        ungoverned.append(tp.name)
                    continue
                tps.append(TouchpointGroup(tp.id, tp.name, tp.channel, names.owner(tp.owner), tp.moment_of_truth,
                                           tp.status, tuple(_row(r, names) for r in tp_results),
                                           display.status_counts(tp_results)))
            if tps:
                counts = _merge(t.counts for t in tps)
                stages.append(StageGroup(stage, display.stage_label(stage), tuple(tps), counts, _open(counts)))
        if stages or ungoverned:
            counts = _merge(s.counts for s in stages)
            groups.append(JourneyGroup(journey.id, journey.name, names.owner(journey.owner), tuple(stages), counts,
                                       _open(counts), tuple(ungoverned)))
    stray = sorted((r for tp_id, rs in by_touchpoint.items() if tp_id not in placed for r in rs), key=Result.sort_key)
    if stray:  # results for touchpoints the spec does not place in a journey stage
        counts = display.status_counts(stray)
        tp = TouchpointGroup("", "Touchpoints not in any journey stage", DASH, DASH, False, "",
                             tuple(_row(r, names) for r in stray), counts)
        stage = StageGroup(DASH, DASH, (tp,), counts, _open(counts))
        groups.append(JourneyGroup("", "Other touchpoints", DASH, (stage,), counts, _open(counts), ()))
    return tuple(groups)


def _merge(many: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for counts in many:
        for status, count in counts.items():
            total[status] += count
    return {s: total[s] for s in display.STATUS_DISPLAY_ORDER if total.get(s)}


def _min_sample(spec: Spec, rule: Standard | Kpi | None) -> int:
    if rule is not None and rule.min_sample is not None:
        return rule.min_sample
    return spec.program.defaults.min_sample


def _rule_order(spec: Spec) -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate((*spec.standards, *spec.kpis))}


def _filter_text(f: Filter) -> str:
    def term(column: str, values: tuple) -> str:
        shown = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        return f"{column} = {shown[0]}" if len(shown) == 1 else f"{column} in ({', '.join(shown)})"
    return " and ".join(term(c, v) for c, v in f.terms)


def _selector_text(selector: Selector) -> str:
    if selector.touchpoints:
        return "touchpoints " + ", ".join(selector.touchpoints)
    parts = [f"{attr} {', '.join(getattr(selector, attr))}"
             for attr in ("journey", "stage", "channel", "segment", "status") if getattr(selector, attr)]
    if selector.moment_of_truth is not None:
        parts.append("moments of truth" if selector.moment_of_truth else "not moments of truth")
    parts.extend(f"label {k} {', '.join(v)}" for k, v in sorted(selector.labels.items()))
    return "; ".join(parts) or "every active touchpoint"


def _metric_facts(spec: Spec, metric: Metric) -> list[tuple[str, str]]:
    facts = [("Metric", f"{metric.label} ({metric.id}), kind {metric.kind}"),
             ("Definition", KIND_DEFINITIONS.get(metric.kind, metric.kind))]
    source = spec.by_id["sources"].get(metric.source)
    where = getattr(source, "table", None) and f"table {source.table}" or (
        getattr(source, "path", None) and f"files {source.path}") or ""
    facts.append(("Source", f"{metric.source}" + (f" ({where})" if where else "")))
    measured = []
    if metric.column:
        measured.append(f"column {metric.column}")
    if metric.duration:
        d = metric.duration
        measured.append(f"duration {d.end} − {d.start} in {d.unit}")
    if metric.within is not None:
        measured.append(f"within {display.exact(metric.within)}")
    if metric.percentile is not None:
        measured.append(f"percentile {display.exact(metric.percentile)}")
    if metric.scale:
        measured.append(f"scale {display.exact(metric.scale.min)} to {display.exact(metric.scale.max)}")
    if metric.expectation or metric.perception:
        measured.append(f"perception {metric.perception} − expectation {metric.expectation}")
    if metric.condition:
        measured.append(f"condition {_filter_text(metric.condition)}")
    if measured:
        facts.append(("Measured", "; ".join(measured)))
    if metric.where:
        facts.append(("Rows", f"where {_filter_text(metric.where)}"))
    return facts


def _evidence(spec: Spec, rule: Standard | Kpi, results: list[Result], names: Names,
              sql: Mapping[str, str], approvals: tuple[ApprovalView, ...] = ()) -> Evidence:
    is_standard = isinstance(rule, Standard)
    facts: list[tuple[str, str]] = [("Rule", f"{'Standard' if is_standard else 'KPI'} {rule.id}")]
    if rule.description:
        facts.append(("Description", rule.description))
    metric = spec.by_id["metrics"].get(rule.metric)
    facts.extend(_metric_facts(spec, metric) if metric else [("Metric", rule.metric)])
    if is_standard:
        facts.append(("Applies to", _selector_text(rule.applies_to)))
    else:
        scope = names.scope(((rule.scope.kind, rule.scope.value or ""),))
        facts.append(("Scope", scope + (f", one result per {rule.by}" if rule.by else "")))
    t = rule.threshold
    facts.append(("Threshold", display.threshold_text(t.op, t.fail, t.warn) + "; compared at full precision"))
    spans = sorted({r.window for r in results}, key=lambda s: (s.start, s.end))
    facts.append(("Window", rule.window.text + (": " + ", ".join(_span(s) for s in spans) if spans else "")))
    previous = sorted({r.previous.window for r in results if r.previous and r.previous.window},
                      key=lambda s: (s.start, s.end))
    if previous:
        facts.append(("Previous window", ", ".join(_span(s) for s in previous)))
    if not is_standard and rule.trend:
        facts.append(("Trend", f"breach on a significant drop of more than {display.exact(rule.trend.max_drop)}"))
    facts.append(("Minimum sample", str(_min_sample(spec, rule))))
    facts.append(("Severity", rule.severity))
    owner = names.owner(rule.owner) if rule.owner else "each touchpoint's owner"
    facts.append(("Owner", owner))
    if rule.principle:
        facts.append(("Principle", names.principle(rule.principle)))
    counts = display.status_counts(results)
    facts.append(("Results", f"{len(results)}" + (f": {display.counts_text(counts)}" if counts else "")))
    if results:
        total_n = sum(r.n for r in results)
        facts.append(("Sample", f"n = {total_n} in all (missing {sum(r.missing for r in results)}, "
                                f"invalid {sum(r.invalid for r in results)}, left out of n)"))
    facts.append(("Defined at", str(rule.location)))
    return Evidence(rule.id, rule.label, "standard" if is_standard else "kpi", tuple(facts), sql.get(rule.id),
                    approvals)


@dataclass(frozen=True)
class Scorecard:
    """Everything the scorecard template shows, display-ready."""

    title: str
    spec: Spec
    run: Run
    generated_at: str
    summary: Mapping[str, int]
    status_bar: Markup
    breaches: tuple[Attention, ...]
    unhandled: int
    waived: tuple[Attention, ...]
    errors: tuple[Attention, ...]
    kpis: tuple[KpiRow, ...]
    journeys: tuple[JourneyGroup, ...]
    insufficient: tuple[InsufficientGroup, ...]
    evidence: tuple[Evidence, ...]
    standards_count: int
    principles: tuple[tuple[str, str, str], ...]  # id, name, description
    owner: str
    sponsor: str
    approvals: tuple[ApprovalView, ...] = ()  # every approval in the spec, newest first
    approved: Mapping[str, ApprovalView] = field(default_factory=lambda: MappingProxyType({}))  # rule -> newest
    recent_since: str = ""  # approvals dated after this day, up to the as-of date, are highlighted
    trends: Mapping[tuple, object] = field(default_factory=lambda: MappingProxyType({}))  # Row.key -> Trend


def build(run: Run, spec: Spec, generated_at: datetime, sql: Mapping[str, str] | None = None,
          trends: Mapping[tuple, object] | None = None) -> Scorecard:
    """The scorecard's content, computed from the run and the spec alone (and, for trends, the run history:
    `cxgov.history.trends(path, run)`)."""
    names = Names(spec)
    sql = sql or {}
    ordered = run.sorted_results()
    rule_order = _rule_order(spec)
    kpi_results = sorted((r for r in ordered if r.kind == "kpi"),
                         key=lambda r: (rule_order.get(r.rule, len(rule_order)), r.rule, r.scope))
    standard_results = [r for r in ordered if r.kind != "kpi"]
    breaches = tuple(_attention(r, names) for r in ordered if r.status == "breach")
    by_rule: dict[str, list[Result]] = defaultdict(list)
    for result in ordered:
        by_rule[result.rule].append(result)
    insufficient = []
    for rule_id, rule_results in sorted(by_rule.items()):
        rows = tuple(_row(r, names) for r in sorted(rule_results, key=lambda r: r.scope) if r.status == "insufficient")
        if rows:
            insufficient.append(InsufficientGroup(rule_id, names.rule(rule_id),
                                                  _min_sample(spec, spec.rule(rule_id)), rows))
    rules = [*spec.standards, *spec.kpis]
    intent = spec.program.intent
    approvals = approval_views.views(spec, run.as_of, names)
    approvals_by_rule = approval_views.by_rule(approvals)
    return Scorecard(
        title=f"{spec.program.name}: CX governance scorecard",
        spec=spec,
        run=run,
        generated_at=timestamp(generated_at),
        summary=run.summary(),
        status_bar=svg.status_bar(display.status_counts(run.results)),
        breaches=breaches,
        unhandled=sum(not b.handled for b in breaches),
        waived=tuple(_attention(r, names) for r in ordered if r.status == "waived"),
        errors=tuple(_attention(r, names) for r in ordered if r.status == "error"),
        kpis=tuple(_kpi_row(r, names) for r in kpi_results),
        journeys=_journey_groups(spec, standard_results, names),
        insufficient=tuple(insufficient),
        evidence=tuple(_evidence(spec, rule, by_rule.get(rule.id, []), names, sql,
                                 approvals_by_rule.get(rule.id, ())) for rule in rules),
        standards_count=len(standard_results),
        principles=tuple((p.id, p.name, p.description or "") for p in (intent.principles if intent else ())),
        owner=names.owner(spec.program.owner) or DASH,
        sponsor=names.owner(spec.program.sponsor) or DASH,
        approvals=approvals,
        approved=MappingProxyType({rule: found[0] for rule, found in approvals_by_rule.items()}),
        recent_since=approval_views.recent_since(spec, run.as_of).isoformat(),
        trends=MappingProxyType(dict(trends or {})),
    )


def scorecard(run: Run, spec: Spec, generated_at: datetime, sql: Mapping[str, str] | None = None,
              trends: Mapping[tuple, object] | None = None) -> str:
    """The governance scorecard as one self-contained HTML document.

    `sql` maps rule ids to the SQL behind them (from the engine's explain), shown in the evidence appendix.
    """
    return render("scorecard.html.j2", card=build(run, spec, generated_at, sql, trends), spec=spec, run=run)
