"""A problems analysis as a Pareto chart, inline SVG: bars by count (vital ones filled darker), the cumulative
share as a line with a dot per cause, and the vital-share line; labelled by rank (the table beside it names each
rank). No scripts or fonts; colours from the report stylesheet with fill and stroke attributes as a fallback. All
text is escaped here; the text alternative says what the chart shows, cause by cause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

from cxgov.report.display import number

WIDTH, HEIGHT = 640.0, 300.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 56.0, 18.0, 48.0


@dataclass(frozen=True)
class ChartBar:
    rank: int
    name: str
    count: int
    share: float | None
    cumulative: float | None
    vital: bool


def _ticks(top: int) -> list[int]:
    """Round count ticks from 0 to at least `top` (steps of 1, 2 or 5 times a power of ten), at most five."""
    if top <= 0:
        return [0, 1]
    magnitude = 1
    while True:
        for k in (1, 2, 5):
            step = k * magnitude
            if top <= 4 * step:
                return list(range(0, math.ceil(top / step) * step + 1, step))
        magnitude *= 10


def describe(bars: Sequence[ChartBar], vital_share: float, total: int) -> str:
    causes = "; ".join(f"{b.rank}. {b.name}: {b.count} ({number(b.share)}%), cumulative {number(b.cumulative)}%"
                       f"{', vital' if b.vital else ''}" for b in bars)
    return (f"Pareto chart of {total} problems by cause, most first, with the cumulative share and the "
            f"{number(vital_share)}% vital-share line. {causes or 'No problems.'}")


def chart(bars: Sequence[ChartBar], vital_share: float, total: int, title: str) -> Markup:
    alt = escape(f"{title}: {describe(bars, vital_share, total)}")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = _ticks(max((b.count for b in bars), default=0))
    top = ticks[-1] or 1
    slot = plot_w / max(len(bars), 1)

    def y_count(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    def y_share(v: float) -> float:
        return TOP + plot_h * (1 - v / 100)

    parts = [f'<svg class="pareto" role="img" aria-label="{alt}" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
             f'width="100%" preserveAspectRatio="xMidYMid meet"><title>{alt}</title>']
    axis = f'<path class="axis" stroke="#767676" fill="none" d="M{LEFT} {TOP}V{TOP + plot_h}H{LEFT + plot_w}V{TOP}"/>'
    parts.append(axis)
    for tick in ticks:
        y = y_count(tick)
        parts.append(f'<text class="tick" x="{LEFT - 6:.0f}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for pct in (0, 50, 100):
        y = y_share(pct)
        parts.append(f'<text class="tick" x="{LEFT + plot_w + 6:.0f}" y="{y + 4:.1f}">{pct}%</text>')
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + slot * 0.15
        y = y_count(bar.count)
        kind = "vital" if bar.vital else "trivial"
        fill = "#1f4e79" if bar.vital else "#8fb3d9"
        parts.append(f'<rect class="p-{kind}" fill="{fill}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                     f'height="{TOP + plot_h - y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT + slot * (i + 0.5):.1f}" y="{TOP + plot_h + 18:.0f}" '
                     f'text-anchor="middle">{bar.rank}</text>')
    vy = y_share(vital_share)
    parts.append(f'<path class="vital-line" stroke="#b26a00" stroke-dasharray="6 4" fill="none" '
                 f'd="M{LEFT} {vy:.1f}H{LEFT + plot_w}"/>')
    parts.append(f'<text class="tick" x="{LEFT + plot_w - 4:.0f}" y="{vy - 6:.1f}" text-anchor="end">'
                 f'vital share {escape(number(vital_share))}%</text>')
    points = [(LEFT + slot * (i + 0.5), y_share(b.cumulative)) for i, b in enumerate(bars) if b.cumulative is not None]
    if points:
        path = "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in points)
        parts.append(f'<path class="cumulative" stroke="#c62828" stroke-width="2" fill="none" d="{path}"/>')
        parts += [f'<circle class="cumulative-dot" fill="#c62828" cx="{x:.1f}" cy="{y:.1f}" r="3.5"/>'
                  for x, y in points]
    parts.append(f'<text class="tick" x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 6:.0f}" text-anchor="middle">'
                 f'rank (bars: count, left; line: cumulative %, right)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
