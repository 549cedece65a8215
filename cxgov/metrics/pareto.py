"""Pareto analysis of problems: counts per root cause -> shares, Wilson intervals, ranks, cumulative shares, the
vital few, and the change against the previous window (DOMAIN.md "Problems: Pareto of root causes"). Pure math.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from cxgov.metrics import stats

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Bar:
    """One cause of a Pareto analysis (a root cause, or an unmapped category)."""

    key: str
    count: int
    share: float | None  # percent of the total; None when the total is 0
    ci_low: float | None
    ci_high: float | None
    rank: int
    cumulative: float | None
    vital: bool
    previous_count: int = 0
    previous_share: float | None = None
    change: float | None = None  # in points of share
    z: float | None = None
    p_value: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


def pareto(counts: Mapping[str, int], vital_share: float = 80.0,
           previous: Mapping[str, int] | None = None) -> tuple[Bar, ...]:
    """The bars of an analysis, ranked by count descending, then key ascending. A cause is vital when the
    cumulative share of the causes ranked above it is below `vital_share`; with `previous` (the counts of the
    previous window), each bar carries the two-proportion z-test of its share's change."""
    total = sum(counts.values())
    before = dict(previous or {})
    before_total = sum(before.values())
    bars: list[Bar] = []
    above = 0.0
    running = 0
    for rank, (key, count) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), start=1):
        share = ci_low = ci_high = cumulative = None
        vital = False
        if total:
            share = 100.0 * count / total
            low_high = stats.wilson(count, total)
            if low_high is not None:
                ci_low, ci_high = (100.0 * x for x in low_high)
            vital = above < vital_share
            running += count
            cumulative = 100.0 * running / total
            above = cumulative
        k0 = before.get(key, 0)
        previous_share = 100.0 * k0 / before_total if before_total else None
        change = z = p = None
        if share is not None and previous_share is not None:  # both windows have problems
            change = share - previous_share
            z, p = stats.two_proportion_trend(k0, before_total, count, total)
        bars.append(Bar(key, count, share, ci_low, ci_high, rank, cumulative, vital, k0, previous_share, change, z, p))
    return tuple(bars)


def gap(with_: tuple[float | None, float | None, float | None], without: tuple[float | None, float | None, float | None],
        z: float = stats.Z95, feasible: tuple[float, float] | None = None) \
        -> tuple[float | None, float | None, float | None]:
    """(difference, low, high): a metric among the rows mentioning a cause minus among the rest, each given as
    (value, ci_low, ci_high); the SE of each estimate is its interval's half width over z, the difference's the
    root of the sum of their squares. The interval is clipped to `feasible`, the differences the metric's scale
    allows (kinds.difference_range: -100..100 for a percentage), which a normal interval overshoots near its
    ends and with few rows."""
    (v1, lo1, hi1), (v2, lo2, hi2) = with_, without
    if v1 is None or v2 is None:
        return None, None, None
    difference = v1 - v2
    if lo1 is None or hi1 is None or lo2 is None or hi2 is None:
        return difference, None, None
    se = math.hypot((hi1 - lo1) / (2 * z), (hi2 - lo2) / (2 * z))
    low, high = difference - z * se, difference + z * se
    if feasible is not None:
        low, high = max(low, feasible[0]), min(high, feasible[1])
    return difference, low, high
