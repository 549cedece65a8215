"""Small inline SVG charts for the HTML reports: no scripts, no fonts, colours from the report stylesheet.

Every chart is an `role="img"` with a text alternative; any text placed in SVG is escaped here.
"""

from __future__ import annotations

from typing import Mapping

from markupsafe import Markup, escape

from cxgov.report.display import STATUS_DISPLAY_ORDER, counts_text, exact, number
from cxgov.vocabulary import HIGHER_IS_BETTER

_NEGATED = {">=": "below", ">": "at or below", "<=": "above", "<": "at or above"}


def status_bar(counts: Mapping[str, int], label: str = "Results by status") -> Markup:
    """A stacked horizontal bar, one segment per status, in STATUS_DISPLAY_ORDER."""
    total = sum(counts.values())
    alt = f"{label}: {counts_text(counts) or 'no results'}"
    parts = [f'<svg class="bar" role="img" aria-label="{escape(alt)}" viewBox="0 0 1000 24" '
             f'preserveAspectRatio="none" width="100%" height="24"><title>{escape(alt)}</title>']
    if total:
        x = 0.0
        for status in STATUS_DISPLAY_ORDER:
            count = counts.get(status, 0)
            if not count:
                continue
            width = 1000.0 * count / total
            parts.append(f'<rect class="f-{status}" x="{x:.2f}" y="0" width="{width:.2f}" height="24"/>')
            x += width
    else:
        parts.append('<rect class="f-none" x="0" y="0" width="1000" height="24"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def interval_plot(value: float | None, low: float | None, high: float | None, op: str, fail: float,
                  warn: float | None = None, previous: float | None = None) -> Markup:
    """A value with its 95% interval over the breach / warn / pass zones of its threshold (empty for no value)."""
    if value is None:
        return Markup("")
    points = [v for v in (value, low, high, fail, warn, previous) if v is not None]
    lo, hi = min(points), max(points)
    pad = (hi - lo) * 0.12 or max(abs(hi) * 0.1, 1.0)
    lo, hi = lo - pad, hi + pad
    width, height, margin = 200.0, 28.0, 4.0

    def x(v: float) -> float:
        return margin + (width - 2 * margin) * (v - lo) / (hi - lo)

    higher = op in HIGHER_IS_BETTER
    target = warn if warn is not None else fail
    if higher:
        zones = [("breach", lo, fail), ("warn", fail, target), ("pass", target, hi)]
    else:
        zones = [("pass", lo, target), ("warn", target, fail), ("breach", fail, hi)]
    alt = [f"Value {number(value)}"]
    if low is not None and high is not None:
        alt.append(f"95% interval {number(low)} to {number(high)}")
    if previous is not None:
        alt.append(f"previous window {number(previous)}")
    alt.append(f"breach {_NEGATED[op]} {exact(fail)}")
    if warn is not None:
        alt.append(f"warn {_NEGATED[op]} {exact(warn)}")
    text = escape("; ".join(alt))
    parts = [f'<svg class="interval" role="img" aria-label="{text}" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}"><title>{text}</title>']
    for status, start, end in zones:
        if end > start:
            parts.append(f'<rect class="z-{status}" x="{x(start):.1f}" y="6" width="{x(end) - x(start):.1f}" '
                         f'height="16"/>')
    if low is not None and high is not None:
        parts.append(f'<path class="ci" d="M{x(low):.1f} 14H{x(high):.1f}M{x(low):.1f} 9V19M{x(high):.1f} 9V19"/>')
    if previous is not None:
        px = x(previous)
        parts.append(f'<path class="prev" d="M{px:.1f} 9L{px + 5:.1f} 14L{px:.1f} 19L{px - 5:.1f} 14Z"/>')
    parts.append(f'<circle class="val" cx="{x(value):.1f}" cy="14" r="4"/></svg>')
    return Markup("".join(parts))
