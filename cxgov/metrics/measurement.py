"""The Measurement a metric's aggregates become, and the pieces every kind family makes it from."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from cxgov.metrics import stats
from cxgov.speed import assemble

_EMPTY: Mapping[str, float] = MappingProxyType({})
Row = Mapping[str, Any]  # a scan's result row: aggregate name -> its value as the engine's driver returns it


@dataclass(frozen=True)
class Measurement:
    value: float | None  # None when n == 0
    n: int
    missing: int
    invalid: int
    ci_low: float | None
    ci_high: float | None
    extra: Mapping[str, float | None] = field(default_factory=lambda: _EMPTY, hash=False)
    stats: Mapping[str, float] = field(default_factory=lambda: _EMPTY, hash=False)
    unit: str | None = None


def measured(value: float | None, n: int, missing: int, invalid: int, ci_low: float | None = None,
             ci_high: float | None = None, extra: Mapping[str, float | None] = _EMPTY,
             stats: Mapping[str, float] = _EMPTY, unit: str | None = None) -> Measurement:
    """A Measurement, made without the frozen dataclass's per-field __init__ (tens of thousands per check)."""
    return assemble(Measurement, {"value": value, "n": n, "missing": missing, "invalid": invalid, "ci_low": ci_low,
                                  "ci_high": ci_high, "extra": extra, "stats": stats, "unit": unit})


def count(row: Row, key: str) -> int:
    found: int = row.get(key) or 0  # counts come back as ints; no row (no data) is 0
    return found


def real(row: Row, key: str) -> float | None:
    value = row.get(key)
    return float(value) if value is not None else None


def basics(row: Row, p: str) -> tuple[int, int, int]:
    """(n, missing, invalid) of the aggregates named `p` + ..."""
    return count(row, p + "n"), count(row, p + "missing"), count(row, p + "invalid")


def proportion(k: int, n: int, missing: int, invalid: int, extra: Mapping[str, float | None], interval: bool,
               unit: str | None) -> Measurement:
    """100 k / n with its Wilson interval."""
    low = high = None
    if interval:
        bounds = stats.wilson(k, n)
        if bounds:
            low, high = 100 * bounds[0], 100 * bounds[1]
    return measured(100 * k / n if n else None, n, missing, invalid, low, high, MappingProxyType(extra),
                    MappingProxyType({"k": k, "n": n, "p": k / n if n else 0.0}), unit)


def mean(row: Row, p: str, n: int, missing: int, invalid: int, extra: Mapping[str, float | None], interval: bool,
         unit: str | None) -> Measurement:
    """The mean of the aggregates `p`mean and `p`var, with its normal interval."""
    value, var = real(row, p + "mean"), real(row, p + "var")
    bounds = stats.mean_interval(value, var, n) if interval and n and value is not None else None
    low, high = bounds or (None, None)
    st = {"mean": value, "var": var} if n else {}
    return measured(value if n else None, n, missing, invalid, low, high, MappingProxyType(extra),
                    MappingProxyType({k: v for k, v in st.items() if v is not None}), unit)


Trend = tuple[float | None, float | None]


def proportion_trend(cur: Measurement, prev: Measurement) -> Trend:
    return stats.two_proportion_trend(int(prev.stats["k"]), prev.n, int(cur.stats["k"]), cur.n)


def mean_trend(cur: Measurement, prev: Measurement) -> Trend:
    return stats.welch_trend(prev.stats["mean"], prev.stats.get("var"), prev.n,
                             cur.stats["mean"], cur.stats.get("var"), cur.n)
