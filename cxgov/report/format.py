"""Plain-text pieces for the text, JUnit, SARIF and Markdown renderers (numbers come from report.display)."""

from __future__ import annotations

from cxgov import wording
from cxgov.engine.results import Result, SourceHealth
from cxgov.report.display import number, value_text


def in_units(value: float | None, result: Result) -> str:
    """A value of `result`'s metric for display: "87.5%", "20.0 points"; an em dash for no value."""
    return value_text(value, result.unit, result.metric_kind, (result.threshold.fail, result.threshold.warn))


def scope(result: Result) -> str:
    """The touchpoint id for a standard; "segment retail, journey x" for a KPI."""
    if result.touchpoint:
        return result.touchpoint
    return ", ".join(f"{kind} {value}" for kind, value in result.scope)


def interval(result: Result) -> str:
    """"95% CI 82.7–91.1"; "" without an interval."""
    text = bounds(result)
    return f"95% CI {text}" if text else ""


def bounds(result: Result) -> str:
    """"82.7–91.1", but "-1.4 to -1.0" (a dash before a minus sign reads as a double negative); "" without."""
    return span_text(result.ci_low, result.ci_high)


def span_text(low: float | None, high: float | None) -> str:
    """An interval as `bounds` writes it; "" when a bound is missing."""
    if low is None or high is None:
        return ""
    low_text, high_text = number(low), number(high)
    return f"{low_text}–{high_text}" if not low_text.startswith("-") else f"{low_text} to {high_text}"


def location(result: Result) -> str:
    return str(result.location) if result.location.line <= 0 else f"{result.location.file}:{result.location.line}"


def status(result: Result) -> str:
    """"breach", or "waived (breach)" for a waived result."""
    return f"waived ({result.underlying_status})" if result.underlying_status else result.status


def measured(result: Result) -> str:
    """"87.5% (n 240, 95% CI 82.7–91.1)"."""
    ci = interval(result)
    return f"{in_units(result.value, result)} (n {result.n}{', ' + ci if ci else ''})"


def headline(result: Result) -> str:
    """One line naming the rule, the scope, the value, the threshold (a Pareto bar: its place) and the owner."""
    name = result.rule_name or result.rule
    owner = f"; owner {result.owner}" if result.owner else ""
    if result.status == "error":
        return f"{name} at {scope(result)} could not be evaluated{owner}"
    if result.problem is not None:
        return f"{name} at {scope(result)}: {measured(result)} of {result.problem.total:,} problems, " \
               f"{pareto_place(result)}{owner}"
    return f"{name} at {scope(result)}: {measured(result)} against {wording.threshold(result.threshold)}{owner}"


def pareto_place(result: Result) -> str:
    """A Pareto bar's place: "rank 2, cumulative 76.0%, vital (Billing system errors)"."""
    info = result.problem
    assert info is not None
    cumulative = "" if info.cumulative is None else f", cumulative {in_units(info.cumulative, result)}"
    vital = "vital" if info.vital else "not vital"
    return f"rank {info.rank}{cumulative}, {vital} ({info.name}{', unmapped' if info.unmapped else ''})"


def health(h: SourceHealth) -> str:
    """One line of what the evaluation could not use of a source: "12,340 rows from 2026-08-01 to 2026-11-20;
    1,200 (9.7%) belong to no touchpoint: 'WEB-CHAT' 800 (did you mean 'web-chat'?); csat: 4 without a value"."""
    parts = [f"{h.rows:,} rows from {h.span.start.isoformat()} to {h.span.end.isoformat()}"]
    if h.untimed:
        parts.append(f"{h.untimed:,} without a readable timestamp")
    if h.unattributed:
        ids = ", ".join(f"'{u.id}' {u.rows:,}" + (f" (did you mean '{u.suggestion}'?)" if u.suggestion else "")
                        for u in h.unmatched)
        more = f" and {h.unmatched_ids - len(h.unmatched)} more" if h.unmatched_ids > len(h.unmatched) else ""
        share = f" ({h.unattributed_share:.1f}%)" if h.unattributed_share is not None else ""
        text = f"{h.unattributed:,}{share} belong to no touchpoint"
        if ids:
            text += f": {ids}{more}"
        if h.no_touchpoint:
            text += f"; {h.no_touchpoint:,} have no touchpoint id"
        parts.append(text)
    for m in h.metrics:
        lost = [f"{m.missing:,} without a value" if m.missing else "",
                f"{m.invalid:,} outside its scale" if m.invalid else ""]
        if any(lost):
            parts.append(f"{m.metric}: {', '.join(p for p in lost if p)}")
    if len(parts) == 1:
        parts.append("every row usable")
    return "; ".join(parts)
