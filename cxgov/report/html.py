"""The governance scorecard: one self-contained HTML file (inline CSS and SVG, no scripts, no requests).

`scorecard(run, spec, generated_at, sql)` is a pure function of its arguments: the clock is injected, rows are
sorted, every piece of spec text goes through Jinja2's autoescaping. `render` and `environment` are shared with
the RACI report and the journey map.

Every result is shown in full once, in the standards (or KPI) table; the breaches, waivers, errors and insufficient
data are grouped by rule with what the rule's results share stated once, and actions, waivers and SQL statements
are each described once and referred to (attention.py, appendix.py). That keeps a scorecard of 20,000 results a
few megabytes that renders in about a second.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Iterable, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from cxgov import __version__
from cxgov.engine.results import Result, Run
from cxgov.metrics.stats import p_text
from cxgov.report import appendix, attention, approvals as approval_views, display, pareto_view, svg
from cxgov.report.appendix import Evidence, SqlPart
from cxgov.report.approvals import ApprovalView
from cxgov.report.attention import ErrorGroup, Remedy, RuleGroup
from cxgov.report.display import DASH
from cxgov.report.names import Names
from cxgov.report.rows import Row, Rows, TrendKey
from cxgov.report.sparkline import SparkTrend, trend_svg
from cxgov.resources import templates_dir
from cxgov.spec.model import Kpi, Spec, Standard
from cxgov.speed import once

# Groups holding any of these are open on screen; the others show their summary line with counts.
ATTENTION = frozenset({"breach", "error", "warn"})
# From this many results the browser lays out off-screen groups only when scrolled to (report.css, `.large`):
# 20,000 results open in under a second instead of about five.
LARGE = 3_000


@once
def environment() -> Environment:
    """Jinja2 with autoescaping on for every template and StrictUndefined: a missing value is an error."""
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(status_label=display.status_label, status_icon=display.status_icon,
                       status_order=display.STATUS_DISPLAY_ORDER, cxgov_version=__version__,
                       trend_svg=trend_svg)
    return env


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context)


def timestamp(moment: datetime) -> str:
    """The injected generation time, to the second, with its zone when it has one."""
    text = moment.replace(microsecond=0).isoformat(sep=" ")
    return text.replace("+00:00", " UTC")


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
    window: str
    rows: tuple[Row, ...]


def _kpi_row(result: Result, rows: Rows) -> KpiRow:
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
            note = ("significant" if trend.significant else "not significant") + f", {p_text(trend.p_value)}"
        note = "; ".join(filter(None, [note, f"limit: a drop of {display.exact(trend.max_drop)}"]))
    chart = svg.interval_plot(result.value, result.ci_low, result.ci_high, result.threshold.op,
                              result.threshold.fail, result.threshold.warn, prev.value if prev else None)
    return KpiRow(rows(result), previous, display.signed(change_value), note, bool(trend and trend.breached), chart)


def _open(counts: Mapping[str, int]) -> bool:
    return any(status in ATTENTION for status in counts)


def _journey_groups(spec: Spec, results: Iterable[Result], rows: Rows) -> tuple[JourneyGroup, ...]:
    """Standard results (given in Result.sort_key order) by journey (spec order), stage (journey order) and
    touchpoint (spec order)."""
    names = rows.names
    by_touchpoint: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_touchpoint[result.touchpoint or ""].append(result)
    placed = defaultdict(list)  # (journey, stage) -> touchpoints, in spec order
    for tp in spec.touchpoints:
        placed[(tp.journey, tp.stage)].append(tp)
    covered = {tp.id for standard in spec.standards for tp in spec.covered_touchpoints(standard)}
    groups = []
    for journey in spec.journeys:
        stages = []
        ungoverned = []
        for stage in journey.stages:
            tps = []
            for tp in placed.pop((journey.id, stage), ()):
                tp_results = by_touchpoint.pop(tp.id, ())
                if not tp_results:
                    if tp.evaluated and tp.id not in covered:
                        ungoverned.append(tp.name)
                    continue
                tps.append(TouchpointGroup(tp.id, tp.name, tp.channel, rows.owner(tp.owner), tp.moment_of_truth,
                                           tp.status, tuple(rows(r) for r in tp_results),
                                           display.status_counts(tp_results)))
            if tps:
                counts = _merge(t.counts for t in tps)
                stages.append(StageGroup(stage, display.stage_label(stage), tuple(tps), counts, _open(counts)))
        if stages or ungoverned:
            counts = _merge(s.counts for s in stages)
            groups.append(JourneyGroup(journey.id, journey.name, names.owner(journey.owner), tuple(stages), counts,
                                       _open(counts), tuple(ungoverned)))
    stray = sorted((r for rs in by_touchpoint.values() for r in rs), key=Result.sort_key)  # merge the lists
    if stray:  # results for touchpoints the spec does not place in a journey stage
        counts = display.status_counts(stray)
        stray_group = TouchpointGroup("", "Touchpoints not in any journey stage", DASH, DASH, False, "",
                                      tuple(rows(r) for r in stray), counts)
        stray_stage = StageGroup(DASH, DASH, (stray_group,), counts, _open(counts))
        groups.append(JourneyGroup("", "Other touchpoints", DASH, (stray_stage,), counts, _open(counts), ()))
    return tuple(groups)


def _merge(many: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for counts in many:
        for status, count in counts.items():
            total[status] += count
    return {s: total[s] for s in display.STATUS_DISPLAY_ORDER if total.get(s)}


def _rule_order(spec: Spec) -> dict[str, int]:
    return {rule.id: i for i, rule in enumerate((*spec.standards, *spec.kpis))}


@dataclass(frozen=True)
class Scorecard:
    """Everything the scorecard template shows, display-ready."""

    title: str
    spec: Spec
    run: Run
    generated_at: str
    summary: Mapping[str, int]
    status_bar: Markup
    breaches: tuple[RuleGroup, ...]
    breach_count: int
    unhandled: int
    waived: tuple[RuleGroup, ...]
    waived_count: int
    remedies: tuple[Remedy, ...]  # the actions and waivers on any result, each once
    errors: tuple[ErrorGroup, ...]
    kpis: tuple[KpiRow, ...]
    journeys: tuple[JourneyGroup, ...]
    insufficient: tuple[InsufficientGroup, ...]
    evidence: tuple[Evidence, ...]
    sql_parts: tuple[SqlPart, ...]
    standards_count: int
    principles: tuple[tuple[str, str, str], ...]  # id, name, description
    owner: str
    sponsor: str
    approvals: tuple[ApprovalView, ...] = ()  # every approval in the spec, newest first
    approved: Mapping[str, ApprovalView] = field(default_factory=lambda: MappingProxyType({}))  # rule -> newest
    recent_since: str = ""  # approvals dated after this day, up to the as-of date, are highlighted
    trends: Mapping[TrendKey, SparkTrend] = field(default_factory=lambda: MappingProxyType({}))  # Row.key -> Trend
    large: bool = False  # more than LARGE results
    problems: tuple[pareto_view.ParetoView, ...] = ()  # one Pareto per problems analysis (and `by` value)


def build(run: Run, spec: Spec, generated_at: datetime,
          trends: Mapping[TrendKey, SparkTrend] | None = None) -> Scorecard:
    """The scorecard's content, computed from the run and the spec alone (and, for trends, the run history:
    `cxgov.audit.history.trends(path, run)`); the evidence appendix shows the SQL the run carries."""
    names = Names(spec)
    rows = Rows(names)
    ordered = run.sorted_results()
    rule_order = _rule_order(spec)
    by_status: dict[str, list[Result]] = defaultdict(list)
    by_rule: dict[str, list[Result]] = defaultdict(list)
    for result in ordered:
        by_status[result.status].append(result)
        by_rule[result.rule].append(result)
    kpi_results = sorted((r for r in ordered if r.kind == "kpi"),
                         key=lambda r: (rule_order.get(r.rule, len(rule_order)), r.rule, r.scope))
    insufficient = []
    for rule_id, rule_results in sorted(by_rule.items()):
        low = sorted((r for r in rule_results if r.status == "insufficient"), key=lambda r: r.scope)
        if low:
            insufficient.append(InsufficientGroup(rule_id, names.rule(rule_id),
                                                  appendix.min_sample(spec, spec.rule(rule_id)),
                                                  rows.window(low[0].window), tuple(rows(r) for r in low)))
    rules: list[Standard | Kpi] = [*spec.standards, *spec.kpis]
    shared_sql = appendix.share(run.evidence, [r.id for r in rules], {r.id: r.label for r in rules})
    breaches = attention.by_rule(by_status["breach"], rows)
    waived = attention.by_rule(by_status["waived"], rows)
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
        breach_count=len(by_status["breach"]),
        unhandled=sum(g.unhandled for g in breaches),
        waived=waived,
        waived_count=len(by_status["waived"]),
        remedies=attention.remedies(ordered, rows),
        errors=attention.errors(by_status["error"], rows),
        kpis=tuple(_kpi_row(r, rows) for r in kpi_results),
        journeys=_journey_groups(spec, (r for r in ordered if r.kind == "standard"), rows),
        insufficient=tuple(insufficient),
        evidence=tuple(appendix.evidence(spec, rule, by_rule.get(rule.id, []), names, shared_sql,
                                         approvals_by_rule.get(rule.id, ())) for rule in rules),
        sql_parts=shared_sql.parts,
        standards_count=sum(r.kind == "standard" for r in ordered),
        principles=tuple((p.id, p.name, p.description or "") for p in (intent.principles if intent else ())),
        owner=names.owner(spec.program.owner) or DASH,
        sponsor=names.owner(spec.program.sponsor) or DASH,
        approvals=approvals,
        approved=MappingProxyType({rule: found[0] for rule, found in approvals_by_rule.items()}),
        recent_since=approval_views.recent_since(spec, run.as_of).isoformat(),
        trends=MappingProxyType(dict(trends or {})),
        large=len(run.results) > LARGE,
        problems=pareto_view.views(spec, ordered, rows),
    )


def scorecard(run: Run, spec: Spec, generated_at: datetime,
              trends: Mapping[TrendKey, SparkTrend] | None = None) -> str:
    """The governance scorecard as one self-contained HTML document; its evidence appendix shows each rule's
    SQL from `run.evidence` (a check with evidence attaches it)."""
    return render("scorecard.html.j2", card=build(run, spec, generated_at, trends), spec=spec, run=run)
