"""A rule's last runs as an inline SVG sparkline, with a text alternative: for the scorecard's trend column.

Pure functions of history points (anything with `as_of`, `value`, `status` and optionally `underlying_status` and
`threshold`). No scripts or fonts; colours come from the report stylesheet's `f-<status>` classes, with fill
attributes as a fallback when the SVG is shown on its own. All text is escaped here.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol, Sequence

from markupsafe import Markup, escape

from cxgov import wording
from cxgov.engine.results import Scope
from cxgov.metrics.stats import round_half_away
from cxgov.report.history import scope_label

_FALLBACK_FILL = {"pass": "#2e7d32", "warn": "#b26a00", "breach": "#c62828", "waived": "#6a1b9a",
                  "insufficient": "#757575", "error": "#424242"}


def _number(value: float | None) -> str:
    return "\u2014" if value is None else f"{round_half_away(value):.1f}"


class SparkPoint(Protocol):
    @property
    def as_of(self) -> date: ...
    @property
    def value(self) -> float | None: ...
    @property
    def status(self) -> str: ...


def describe(points: Sequence[SparkPoint], label: str = "", breached_since: date | None = None) -> str:
    """The text alternative: every run's as-of, value and status, oldest first, and the breach streak."""
    if not points:
        return f"{label}: no recorded runs" if label else "no recorded runs"
    runs = "; ".join(f"{p.as_of.isoformat()} {_number(p.value)} {p.status}" for p in points)
    head = f"{label}: " if label else ""
    text = f"{head}last {wording.counted(len(points), 'run')}: {runs}"
    return f"{text}; breached since {breached_since.isoformat()}" if breached_since else text


def sparkline(points: Sequence[SparkPoint], *, width: int = 120, height: int = 28, label: str = "",
              breached_since: date | None = None) -> Markup:
    """Values as a line with one dot per run coloured by status (runs without a value: a mark on the baseline),
    and the latest run's fail threshold as a dashed line."""
    alt = describe(points, label, breached_since)
    parts = [f'<svg class="sparkline" role="img" aria-label="{escape(alt)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(alt)}</title>']
    margin = 4.0
    values = [p.value for p in points if p.value is not None]
    threshold = getattr(points[-1], "threshold", None) if points else None
    fail: float | None = threshold.fail if threshold is not None else None  # an optional attribute of a point
    scale = values + ([fail] if fail is not None and values else [])
    if scale:
        lo, hi = min(scale), max(scale)
        if hi == lo:
            lo, hi = lo - 1.0, hi + 1.0
    else:
        lo, hi = 0.0, 1.0
    step = (width - 2 * margin) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return margin + i * step if len(points) > 1 else width / 2

    def y(v: float) -> float:
        return height - margin - (height - 2 * margin) * (v - lo) / (hi - lo)

    if fail is not None and values:
        parts.append(f'<line class="threshold" x1="0" x2="{width}" y1="{y(fail):.2f}" y2="{y(fail):.2f}" '
                     'stroke="#9e9e9e" stroke-width="1" stroke-dasharray="3 2"/>')
    segment: list[str] = []
    segments: list[list[str]] = [segment]
    for i, point in enumerate(points):
        if point.value is None:
            segment = []
            segments.append(segment)
        else:
            segment.append(f"{x(i):.2f},{y(point.value):.2f}")
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline fill="none" stroke="#616161" stroke-width="1.5" points="{" ".join(seg)}"/>')
    for i, point in enumerate(points):
        status = point.status if point.status in _FALLBACK_FILL else "error"
        radius = 3.0 if i == len(points) - 1 else 2.0
        if point.value is None:
            parts.append(f'<rect class="f-{status}" fill="{_FALLBACK_FILL[status]}" x="{x(i) - 2:.2f}" '
                         f'y="{height - 3:.2f}" width="4" height="2"/>')
        else:
            parts.append(f'<circle class="f-{status}" fill="{_FALLBACK_FILL[status]}" cx="{x(i):.2f}" '
                         f'cy="{y(point.value):.2f}" r="{radius:g}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


class SparkTrend(Protocol):
    """A rule and scope's last runs (cxgov.audit.history.Trend)."""

    @property
    def rule(self) -> str: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def points(self) -> Sequence[SparkPoint]: ...
    @property
    def breached_since(self) -> date | None: ...


def _subject(trend: SparkTrend) -> str:
    return f"{trend.rule} ({scope_label(trend.scope)})"


def trend_svg(trend: SparkTrend, *, width: int = 120, height: int = 28) -> Markup:
    """A trend of the run history (cxgov.audit.history.trends) as an inline sparkline (markupsafe.Markup: safe to
    insert into autoescaped HTML), labelled with its rule and scope."""
    return sparkline(trend.points, width=width, height=height, label=_subject(trend),
                     breached_since=trend.breached_since)


def trend_text(trend: SparkTrend) -> str:
    """The text alternative of `trend_svg`."""
    return describe(trend.points, label=_subject(trend), breached_since=trend.breached_since)
