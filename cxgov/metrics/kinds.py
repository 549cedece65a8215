"""Metric kinds: the SQL aggregates each kind needs, and the Measurement made from their values (DOMAIN.md).

`aggregates` declares counts and sums as `FILTER (WHERE ...)` aggregates, so many metrics share one scan;
`finalize` turns one scan row into a Measurement (value, n, missing, invalid, interval, sufficient statistics);
`trend` compares two Measurements. Values go in as bound parameters, identifiers through `quote_ident`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Callable, Mapping

from cxgov.data.scan import Aggregate
from cxgov.data.store import INTEGER_TYPES, is_numeric_type, is_timestamp_type, quote_ident
from cxgov.errors import DataError
from cxgov.spec.model import Filter, Metric, Scale, Source, assemble
from cxgov.metrics import stats

DEFAULT_SCALES = {"nps": Scale(0, 10), "csat": Scale(1, 5), "ces": Scale(1, 7)}
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
UNIT_SYMBOLS = {"minutes": "min", "hours": "h", "days": "d"}
NO_TREND = ("percentile", "count")
_EMPTY: Mapping = MappingProxyType({})


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


def _measured(value: float | None, n: int, missing: int, invalid: int, ci_low: float | None = None,
              ci_high: float | None = None, extra: Mapping = _EMPTY, stats: Mapping = _EMPTY,
              unit: str | None = None) -> Measurement:
    """A Measurement, made without the frozen dataclass's per-field __init__ (tens of thousands per check)."""
    return assemble(Measurement, {"value": value, "n": n, "missing": missing, "invalid": invalid, "ci_low": ci_low,
                                  "ci_high": ci_high, "extra": extra, "stats": stats, "unit": unit})


def scale(metric: Metric) -> Scale | None:
    """The answer scale of a rating kind: the metric's own, else the kind's default."""
    if metric.kind == "nps":
        return DEFAULT_SCALES["nps"]
    if metric.kind in ("csat", "ces"):
        return metric.scale or DEFAULT_SCALES[metric.kind]
    return None


def unit(metric: Metric) -> str | None:
    """Display unit: points for NPS, % for shares, else the metric's own (durations: their unit's symbol)."""
    if metric.kind == "nps":
        return "points"
    if metric.kind in ("csat", "ratio", "sla"):
        return "%"
    if metric.unit:
        return metric.unit
    if metric.duration is not None:
        return UNIT_SYMBOLS.get(metric.duration.unit, metric.duration.unit)
    return None


# -- columns ----------------------------------------------------------------------------------------------


def required_columns(metric: Metric) -> tuple[tuple[str, str], ...]:
    """(column, spec key) for every column of its source the metric reads, `where` and `condition` included."""
    cols: list[tuple[str, str]] = []
    if metric.column and metric.kind in ("nps", "csat", "ces", "mean", "percentile"):
        cols.append((metric.column, "column"))
    if metric.duration is not None and metric.kind in ("sla", "percentile"):
        cols += [(metric.duration.start, "duration.start"), (metric.duration.end, "duration.end")]
    if metric.kind == "gap":
        cols += [(metric.expectation or "", "expectation"), (metric.perception or "", "perception")]
    if metric.kind == "ratio":
        cols += [(c, f"condition.{c}") for c in metric.condition.columns()]
    cols += [(c, f"where.{c}") for c in metric.where.columns()]
    return tuple(dict.fromkeys(cols))


def check_columns(metric: Metric, source: Source, types: Mapping[str, str]) -> None:
    """DataError (naming the source, column and the metric's spec location) when a column is absent or of a
    type the metric cannot read: ratings and numbers need a numeric (or text) column, durations timestamps."""
    for column, key in required_columns(metric):
        if column not in types:
            raise DataError(f"column not found (metric '{metric.id}' reads it; the source has: "
                            f"{', '.join(sorted(types)) or 'no columns'})", source=source.id, column=column,
                            location=metric.at(key), hint=f"correct `{key}` or add the column to the data")
        type_ = types[column]
        if key.startswith("duration.") and not (is_timestamp_type(type_) or type_ == "VARCHAR"):
            raise DataError(f"has type {type_}, but metric '{metric.id}' reads it as a timestamp",
                            source=source.id, column=column, location=metric.at(key),
                            hint="store it as TIMESTAMP")
        if key in ("column", "expectation", "perception") and not (is_numeric_type(type_) or type_ == "VARCHAR"):
            raise DataError(f"has type {type_}, but metric '{metric.id}' reads it as a number",
                            source=source.id, column=column, location=metric.at(key),
                            hint="store it as a number (INTEGER or DOUBLE)")
    for flt, name in ((metric.where, "where"), (metric.condition, "condition")):
        for column, values in flt.terms:
            if is_numeric_type(types.get(column, "")):
                # text compared with a number column must read as a number, or the whole scan fails
                for value in values:
                    if isinstance(value, str) and not _is_number(value):
                        raise DataError(f"has type {types[column]}, but metric '{metric.id}' compares it with "
                                        f"the text {value!r}", source=source.id, column=column,
                                        location=metric.at(f"{name}.{column}"),
                                        hint=f"write a number in `{name}.{column}`, or correct the column name")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- SQL building blocks ----------------------------------------------------------------------------------


def _filter_sql(flt: Filter) -> tuple[str, tuple]:
    """`where`/`condition` as SQL: columns AND, values IN; None matches NULL.

    Booleans and numbers compare with the column read as one (`try_cast`), so `{wave: 2}` also picks "2" from a
    text column and a text that is no number is simply not equal, instead of failing the whole scan."""
    parts, params = [], []
    for column, values in flt.terms:
        col = quote_ident(column)
        ors = []
        for kind, sql_type in ((str, None), (bool, "BOOLEAN"), (float, "DOUBLE")):
            present = [v for v in values if _value_kind(v) is kind]
            if not present:
                continue
            lhs = f"try_cast({col} AS {sql_type})" if sql_type else col
            ors.append(f"{lhs} = ?" if len(present) == 1 else f"{lhs} IN ({', '.join('?' for _ in present)})")
            params += [float(v) for v in present] if kind is float else present
        if None in values:
            ors.append(f"{col} IS NULL")
        parts.append(ors[0] if len(ors) == 1 else "(" + " OR ".join(ors) + ")")
    return (" AND ".join(parts) if parts else "TRUE"), tuple(params)


def _value_kind(value: object) -> type | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return bool
    return float if isinstance(value, (int, float)) else str


class _Builder:
    """Collects the aggregates of one metric, each filtered by the metric's `where` and an extra condition.

    With the source's column `types`, a column already of the type a metric reads it as is read as it is: no
    conversion that cannot fail, no test for a whole number on an integer column."""

    def __init__(self, metric: Metric, prefix: str, types: Mapping[str, str] | None):
        self.prefix = prefix
        self.types = types
        self.where, self.where_params = _filter_sql(metric.where)
        self.items: list[Aggregate] = []

    def number(self, column: str) -> str:
        """The column as DOUBLE; NULL for text that is no number."""
        if self.types is not None and is_numeric_type(self.types.get(column, "")):
            return f"CAST({quote_ident(column)} AS DOUBLE)"
        return f"try_cast({quote_ident(column)} AS DOUBLE)"

    def integral(self, column: str) -> bool:
        """Whether every value of the column is a whole number (or NULL)."""
        return self.types is not None and self.types.get(column, "") in INTEGER_TYPES

    def timestamp(self, column: str) -> str:
        """A duration's end point: the scan gives instants as UTC TIMESTAMP (NULL where unreadable)."""
        if self.types is not None:
            return quote_ident(column)
        return f"try_cast({quote_ident(column)} AS TIMESTAMP)"

    def add(self, name: str, func: str, value: str | None, condition: str, params: tuple = (),
            value_params: tuple = (), fraction: float | None = None) -> None:
        self.items.append(Aggregate(self.prefix + name, func, value, f"({self.where}) AND ({condition})",
                                    value_params, self.where_params + params, fraction))

    def count(self, name: str, condition: str, params: tuple = ()) -> None:
        self.add(name, "count", None, condition, params)


def _rating_aggregates(b: _Builder, metric: Metric) -> None:
    """n, missing, invalid for integer answers on the kind's scale; `x` is the answer as DOUBLE. An integer
    column is compared as it is; any other must hold a whole number."""
    sc = scale(metric)
    column = metric.column or ""
    col, x = quote_ident(column), b.number(column)
    if b.integral(column) and float(sc.min).is_integer() and float(sc.max).is_integer():
        v, num = col, int
        valid, invalid = f"{col} BETWEEN ? AND ?", f"{col} NOT BETWEEN ? AND ?"
    else:
        v, num = x, float
        valid = f"{x} IS NOT NULL AND {x} = floor({x}) AND {x} BETWEEN ? AND ?"
        invalid = f"{col} IS NOT NULL AND NOT coalesce({valid}, false)"
    bounds = (num(sc.min), num(sc.max))
    b.add("n", "count", x, valid, bounds)  # the count of the mean's values too: one partial for both
    b.count("missing", f"{col} IS NULL")
    b.count("invalid", invalid, bounds)
    if metric.kind == "nps":
        b.count("promoters", f"{valid} AND {v} >= 9", bounds)
        b.count("detractors", f"{valid} AND {v} <= 6", bounds)
    elif metric.kind == "csat":
        b.count("top", f"{valid} AND {v} >= ?", bounds + (num(sc.max) - 1,))
        b.add("mean", "avg", x, valid, bounds)
    else:  # ces
        b.count("easy", f"{valid} AND {v} >= ?", bounds + (num(sc.max) - 2,))
        b.add("mean", "avg", x, valid, bounds)
        b.add("var", "var_samp", x, valid, bounds)


def _mean_aggregates(b: _Builder, value: str, missing: str) -> None:
    """Any finite number: n, mean, sample variance; NULL inputs missing, non-numbers and infinities invalid."""
    valid = f"{value} IS NOT NULL AND isfinite({value})"
    b.add("n", "count", value, valid)  # the count of the mean's and the variance's values too
    b.count("missing", missing)
    b.count("invalid", f"NOT ({missing}) AND NOT coalesce({valid}, false)")
    b.add("mean", "avg", value, valid)
    b.add("var", "var_samp", value, valid)


def _duration(b: _Builder, metric: Metric, as_of_end: datetime) -> tuple[str, str, str, tuple, tuple]:
    """(start, end as known at as-of, duration expression, its params, end params) for a duration metric.

    An end after the as-of is not known yet at the as-of: the case counts as still open then.
    """
    d = metric.duration
    assert d is not None
    start, raw_end = b.timestamp(d.start), b.timestamp(d.end)
    end = f"(CASE WHEN {raw_end} <= ? THEN {raw_end} END)"
    seconds = float(UNIT_SECONDS.get(d.unit, 3600))
    duration = f"((epoch({end}) - epoch({start})) / ?)"
    return start, end, duration, (as_of_end, seconds), (as_of_end,)


def _sla_aggregates(b: _Builder, metric: Metric, as_of_end: datetime) -> None:
    start, end, duration, dparams, eparams = _duration(b, metric, as_of_end)
    within = float(metric.within if metric.within is not None else 0)
    seconds = dparams[1]
    b.count("missing", f"{start} IS NULL")
    b.count("invalid", f"{start} IS NOT NULL AND {end} IS NOT NULL AND {duration} < 0", eparams + dparams)
    b.count("met", f"{end} IS NOT NULL AND {duration} >= 0 AND {duration} <= ?", eparams + dparams * 2 + (within,))
    b.count("breached_closed", f"{end} IS NOT NULL AND {duration} > ?", eparams + dparams + (within,))
    open_age = f"((epoch(CAST(? AS TIMESTAMP)) - epoch({start})) / ?)"
    b.count("breached_open", f"{start} IS NOT NULL AND {end} IS NULL AND {open_age} > ?",
            eparams + (as_of_end, seconds, within))
    b.count("open_not_due", f"{start} IS NOT NULL AND {end} IS NULL AND {open_age} <= ?",
            eparams + (as_of_end, seconds, within))


def aggregates(metric: Metric, source: Source, as_of_end: datetime, prefix: str,
               types: Mapping[str, str] | None = None) -> tuple[Aggregate, ...]:
    """The SQL aggregates `metric` needs, named `prefix` + a short name; `as_of_end` is the as-of instant (the
    end of the as-of day), used by durations and SLAs to tell what was still open then. Durations are differences
    of their columns as given, so the scan gives them (and `as_of_end`) as UTC wall-clock time
    (`ScanRequest.instants`): elapsed time, also across a daylight-saving change. `types` (column -> DuckDB
    type of the source, when known) lets columns of the right type be read without conversion."""
    b = _Builder(metric, prefix, types)
    kind = metric.kind
    if kind in ("nps", "csat", "ces"):
        _rating_aggregates(b, metric)
    elif kind == "mean":
        _mean_aggregates(b, b.number(metric.column or ""), f"{quote_ident(metric.column or '')} IS NULL")
    elif kind == "gap":
        e, p = metric.expectation or "", metric.perception or ""
        _mean_aggregates(b, f"({b.number(p)} - {b.number(e)})",
                         f"{quote_ident(e)} IS NULL OR {quote_ident(p)} IS NULL")
    elif kind == "ratio":
        condition, cparams = _filter_sql(metric.condition)
        nulls = [quote_ident(c) + " IS NULL" for c, values in metric.condition.terms if None not in values]
        missing = " OR ".join(nulls) if nulls else "FALSE"
        b.count("n", f"NOT ({missing})")
        b.count("missing", missing)
        b.count("k", f"NOT ({missing}) AND {condition}", cparams)
    elif kind == "count":
        b.count("n", "TRUE")
    elif kind == "percentile":
        q = (metric.percentile if metric.percentile is not None else 50) / 100
        if metric.duration is not None:
            start, end, duration, dparams, eparams = _duration(b, metric, as_of_end)
            b.count("missing", f"{start} IS NULL OR {end} IS NULL", eparams)
            b.count("invalid", f"{duration} < 0", dparams)
            valid, vparams = f"{duration} >= 0", dparams
            value, value_params = duration, dparams
        else:
            x, col = b.number(metric.column or ""), quote_ident(metric.column or "")
            b.count("missing", f"{col} IS NULL")
            valid, vparams = f"{x} IS NOT NULL AND isfinite({x})", ()
            b.count("invalid", f"{col} IS NOT NULL AND NOT coalesce({valid}, false)")
            value, value_params = x, ()
        b.count("n", valid, vparams)
        b.add("value", "quantile_cont", value, valid, vparams, value_params=value_params, fraction=q)
    elif kind == "sla":
        _sla_aggregates(b, metric, as_of_end)
    else:
        raise ValueError(f"unknown metric kind {kind!r}")
    return tuple(b.items)


# -- finalize ---------------------------------------------------------------------------------------------


def _int(row: Mapping, key: str) -> int:
    return row.get(key) or 0  # counts come back as ints; no row (no data) is 0


def _float(row: Mapping, key: str) -> float | None:
    value = row.get(key)
    return float(value) if value is not None else None


def _percent_interval(k: int, n: int) -> tuple[float | None, float | None]:
    interval = stats.wilson(k, n)
    return (100 * interval[0], 100 * interval[1]) if interval else (None, None)


def _proportion(metric: Metric, k: int, n: int, missing: int, invalid: int, extra: dict,
                interval: bool) -> Measurement:
    low, high = _percent_interval(k, n) if interval else (None, None)
    return _measured(100 * k / n if n else None, n, missing, invalid, low, high,
                       MappingProxyType(extra), MappingProxyType({"k": k, "n": n, "p": k / n if n else 0.0}),
                       unit(metric))


def _mean(metric: Metric, row: Mapping, p: str, n: int, missing: int, invalid: int, extra: dict,
          interval: bool) -> Measurement:
    mean, var = _float(row, p + "mean"), _float(row, p + "var")
    bounds = stats.mean_interval(mean, var, n) if interval and n and mean is not None else None
    low, high = bounds or (None, None)
    st = {"mean": mean, "var": var} if n else {}
    return _measured(mean if n else None, n, missing, invalid, low, high, MappingProxyType(extra),
                       MappingProxyType({k: v for k, v in st.items() if v is not None}), unit(metric))


def finalize(metric: Metric, row: Mapping, prefix: str, interval: bool = True) -> Measurement:
    """The Measurement of `metric` from one scan row (a missing row, e.g. no data at all, is n = 0); without
    `interval`, no confidence interval (a previous window's, which only trends read, and they need none)."""
    p, kind = prefix, metric.kind
    n, missing, invalid = _int(row, p + "n"), _int(row, p + "missing"), _int(row, p + "invalid")
    if kind == "nps":
        promoters, detractors = _int(row, p + "promoters"), _int(row, p + "detractors")
        if not n:
            return _measured(None, 0, missing, invalid, None, None, unit=unit(metric))
        pp, pd = promoters / n, detractors / n
        low, high = stats.nps_interval(pp, pd, n) if interval else (None, None)
        # from the counts: 100 * (pp - pd) can miss an exact value (19.999999999999996 for 6 - 4 of 10)
        return _measured(100 * (promoters - detractors) / n, n, missing, invalid, low, high,
                           MappingProxyType({"promoters": 100 * promoters / n, "detractors": 100 * detractors / n}),
                           MappingProxyType({"p_promoters": pp, "p_detractors": pd,
                                             "var": stats.nps_variance(pp, pd)}), unit(metric))
    if kind == "csat":
        return _proportion(metric, _int(row, p + "top"), n, missing, invalid,
                           {"mean": _float(row, p + "mean") if n else None}, interval)
    if kind == "ces":
        easy = _int(row, p + "easy")
        return _mean(metric, row, p, n, missing, invalid, {"easy": 100 * easy / n if n else None}, interval)
    if kind in ("mean", "gap"):
        return _mean(metric, row, p, n, missing, invalid, {}, interval)
    if kind == "ratio":
        return _proportion(metric, _int(row, p + "k"), n, missing, invalid, {}, interval)
    if kind == "sla":
        met = _int(row, p + "met")
        breached = _int(row, p + "breached_closed") + _int(row, p + "breached_open")
        extra = {"met": met, "breached": breached, "breached_open": _int(row, p + "breached_open"),
                 "open_not_due": _int(row, p + "open_not_due")}
        return _proportion(metric, met, met + breached, missing, invalid, extra, interval)
    if kind == "count":
        return _measured(float(n) if n else None, n, 0, 0, None, None, unit=unit(metric))
    if kind == "percentile":
        value = _float(row, p + "value") if n else None
        return _measured(value, n, missing, invalid, None, None, unit=unit(metric))
    raise ValueError(f"unknown metric kind {kind!r}")


# -- trend ------------------------------------------------------------------------------------------------


def _proportion_trend(cur: Measurement, prev: Measurement) -> tuple[float | None, float | None]:
    return stats.two_proportion_trend(int(prev.stats["k"]), prev.n, int(cur.stats["k"]), cur.n)


def _nps_trend(cur: Measurement, prev: Measurement) -> tuple[float | None, float | None]:
    return stats.nps_trend((prev.stats["p_promoters"], prev.stats["p_detractors"]), prev.n,
                           (cur.stats["p_promoters"], cur.stats["p_detractors"]), cur.n)


def _mean_trend(cur: Measurement, prev: Measurement) -> tuple[float | None, float | None]:
    return stats.welch_trend(prev.stats["mean"], prev.stats.get("var"), prev.n,
                             cur.stats["mean"], cur.stats.get("var"), cur.n)


_TRENDS: dict[str, Callable[[Measurement, Measurement], tuple[float | None, float | None]]] = {
    "nps": _nps_trend, "csat": _proportion_trend, "ratio": _proportion_trend, "sla": _proportion_trend,
    "ces": _mean_trend, "mean": _mean_trend, "gap": _mean_trend,
}


def trend(metric: Metric, current: Measurement, previous: Measurement) \
        -> tuple[float | None, float | None, float | None]:
    """(change, z, p): current - previous in the value's units, and the two-sided test of that change at the
    kind's scale (NPS on -1..1, proportions pooled, means Welch). Kinds without a test give z = p = None."""
    if current.value is None or previous.value is None or not current.n or not previous.n:
        return None, None, None
    change = current.value - previous.value
    test = _TRENDS.get(metric.kind)
    if test is None:
        return change, None, None
    z, p = test(current, previous)
    return change, z, p
