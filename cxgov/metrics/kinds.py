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

from sqlglot import exp

from cxgov.data import sql
from cxgov.data.scan import Aggregate
from cxgov.data.sql import and_
from cxgov.data.store import INTEGER_TYPES, is_numeric_type, is_timestamp_type
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


# -- query building blocks --------------------------------------------------------------------------------


def _filter(flt: Filter) -> exp.Expression:
    """`where`/`condition` as an expression: columns AND, values IN; None matches NULL.

    Booleans and numbers compare with the column read as one (a try-cast), so `{wave: 2}` also picks "2" from a
    text column and a text that is no number is simply not equal, instead of failing the whole scan."""
    parts = []
    for column, values in flt.terms:
        ors: list[exp.Expression] = []
        for kind, sql_type in ((str, None), (bool, "BOOLEAN"), (float, "DOUBLE")):
            present = [v for v in values if _value_kind(v) is kind]
            if not present:
                continue
            lhs = sql.TryCast(this=sql.col(column), to=exp.DataType.build(sql_type)) if sql_type else sql.col(column)
            bound = [sql.value(float(v) if kind is float else v) for v in present]
            ors.append(exp.EQ(this=lhs, expression=bound[0]) if len(bound) == 1
                       else exp.In(this=lhs, expressions=bound))
        if None in values:
            ors.append(_is_null(sql.col(column)))
        parts.append(ors[0] if len(ors) == 1 else exp.Paren(this=exp.or_(*ors)))
    return and_(*parts)


def _value_kind(value: object) -> type | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return bool
    return float if isinstance(value, (int, float)) else str


def _is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e, expression=exp.Null())


def _not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=_is_null(e))


def _not(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Paren(this=e))


def _or(*conditions: exp.Expression) -> exp.Expression:
    return exp.Paren(this=exp.or_(*conditions)) if len(conditions) > 1 else conditions[0]


def _between(e: exp.Expression, low: float, high: float) -> exp.Expression:
    return exp.Between(this=e, low=sql.value(low), high=sql.value(high))


def _coalesce_false(e: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=exp.Paren(this=e), expressions=[exp.false()])


Tree = Callable[[], exp.Expression]  # makes a fresh tree each call: a node has one parent


class _Builder:
    """Collects the aggregates of one metric, each filtered by the metric's `where` and an extra condition.

    With the source's column `types`, a column already of the type a metric reads it as is read as it is: no
    conversion that cannot fail, no test for a whole number on an integer column."""

    def __init__(self, metric: Metric, prefix: str, types: Mapping[str, str] | None):
        self.prefix = prefix
        self.types = types
        self.where = _filter(metric.where)
        self.items: list[Aggregate] = []

    def number(self, column: str) -> Tree:
        """The column as DOUBLE; NULL for text that is no number."""
        if self.types is not None and is_numeric_type(self.types.get(column, "")):
            return lambda: sql.cast(sql.col(column), "DOUBLE")
        return lambda: sql.TryCast(this=sql.col(column), to=exp.DataType.build("DOUBLE"))

    def integral(self, column: str) -> bool:
        """Whether every value of the column is a whole number (or NULL)."""
        return self.types is not None and self.types.get(column, "") in INTEGER_TYPES

    def timestamp(self, column: str) -> Tree:
        """A duration's end point: the scan gives instants as UTC TIMESTAMP (NULL where unreadable)."""
        if self.types is not None:
            return lambda: sql.col(column)
        return lambda: sql.TryCast(this=sql.col(column), to=exp.DataType.build("TIMESTAMP"))

    def add(self, name: str, func: str, value: exp.Expression | None, condition: exp.Expression,
            fraction: float | None = None) -> None:
        self.items.append(Aggregate(self.prefix + name, func, value,
                                    and_(exp.Paren(this=self.where.copy()), exp.Paren(this=condition)), fraction))

    def count(self, name: str, condition: exp.Expression) -> None:
        self.add(name, "count", None, condition)


def _rating_aggregates(b: _Builder, metric: Metric) -> None:
    """n, missing, invalid for integer answers on the kind's scale; `x` is the answer as DOUBLE. An integer
    column is compared as it is; any other must hold a whole number."""
    sc = scale(metric)
    assert sc is not None
    column = metric.column or ""
    col, x = (lambda: sql.col(column)), b.number(column)
    if b.integral(column) and float(sc.min).is_integer() and float(sc.max).is_integer():
        v, num = col, int
        lo, hi = int(sc.min), int(sc.max)
        valid: Tree = lambda: _between(col(), lo, hi)  # noqa: E731
        invalid: Tree = lambda: exp.Not(this=_between(col(), lo, hi))  # noqa: E731
    else:
        v, num = x, float
        lo, hi = float(sc.min), float(sc.max)
        valid = lambda: and_(_not_null(x()), exp.EQ(this=x(), expression=exp.Floor(this=x())),  # noqa: E731
                             _between(x(), lo, hi))
        invalid = lambda: and_(_not_null(col()), exp.Not(this=_coalesce_false(valid())))  # noqa: E731
    b.add("n", "count", x(), valid())  # the count of the mean's values too: one partial for both
    b.count("missing", _is_null(col()))
    b.count("invalid", invalid())
    if metric.kind == "nps":
        b.count("promoters", and_(valid(), exp.GTE(this=v(), expression=sql.value(num(9)))))
        b.count("detractors", and_(valid(), exp.LTE(this=v(), expression=sql.value(num(6)))))
    elif metric.kind == "csat":
        b.count("top", and_(valid(), exp.GTE(this=v(), expression=sql.value(num(sc.max) - 1))))
        b.add("mean", "avg", x(), valid())
    else:  # ces
        b.count("easy", and_(valid(), exp.GTE(this=v(), expression=sql.value(num(sc.max) - 2))))
        b.add("mean", "avg", x(), valid())
        b.add("var", "var_samp", x(), valid())


def _mean_aggregates(b: _Builder, value: Tree, missing: Tree) -> None:
    """Any finite number: n, mean, sample variance; NULL inputs missing, non-numbers and infinities invalid."""
    valid: Tree = lambda: and_(_not_null(value()), sql.IsFinite(this=value()))  # noqa: E731
    b.add("n", "count", value(), valid())  # the count of the mean's and the variance's values too
    b.count("missing", missing())
    b.count("invalid", and_(_not(missing()), exp.Not(this=_coalesce_false(valid()))))
    b.add("mean", "avg", value(), valid())
    b.add("var", "var_samp", value(), valid())


def _duration(b: _Builder, metric: Metric, as_of_end: datetime) -> tuple[Tree, Tree, Tree]:
    """(start, end as known at as-of, duration) for a duration metric, as functions making fresh trees.

    An end after the as-of is not known yet at the as-of: the case counts as still open then.
    """
    d = metric.duration
    assert d is not None
    start, raw_end = b.timestamp(d.start), b.timestamp(d.end)
    end: Tree = lambda: exp.Paren(this=sql.case(  # noqa: E731
        (exp.LTE(this=raw_end(), expression=sql.value(as_of_end)), raw_end())))
    seconds = float(UNIT_SECONDS.get(d.unit, 3600))
    duration: Tree = lambda: exp.Paren(this=exp.Div(  # noqa: E731
        this=exp.Paren(this=exp.Sub(this=sql.EpochSeconds(this=end()), expression=sql.EpochSeconds(this=start()))),
        expression=sql.value(seconds), typed=False, safe=False))
    return start, end, duration


def _sla_aggregates(b: _Builder, metric: Metric, as_of_end: datetime) -> None:
    start, end, duration = _duration(b, metric, as_of_end)
    within = float(metric.within if metric.within is not None else 0)
    seconds = float(UNIT_SECONDS.get(metric.duration.unit, 3600)) if metric.duration else 3600.0
    open_age: Tree = lambda: exp.Paren(this=exp.Div(  # noqa: E731
        this=exp.Paren(this=exp.Sub(this=sql.EpochSeconds(this=sql.cast(sql.value(as_of_end), "TIMESTAMP")),
                                    expression=sql.EpochSeconds(this=start()))),
        expression=sql.value(seconds), typed=False, safe=False))
    closed: Tree = lambda: _not_null(end())  # noqa: E731
    still_open: Tree = lambda: and_(_not_null(start()), _is_null(end()))  # noqa: E731
    b.count("missing", _is_null(start()))
    b.count("invalid", and_(_not_null(start()), closed(), exp.LT(this=duration(), expression=sql.value(0.0))))
    b.count("met", and_(closed(), exp.GTE(this=duration(), expression=sql.value(0.0)),
                        exp.LTE(this=duration(), expression=sql.value(within))))
    b.count("breached_closed", and_(closed(), exp.GT(this=duration(), expression=sql.value(within))))
    b.count("breached_open", and_(still_open(), exp.GT(this=open_age(), expression=sql.value(within))))
    b.count("open_not_due", and_(still_open(), exp.LTE(this=open_age(), expression=sql.value(within))))


def aggregates(metric: Metric, source: Source, as_of_end: datetime, prefix: str,
               types: Mapping[str, str] | None = None) -> tuple[Aggregate, ...]:
    """The aggregates `metric` needs, named `prefix` + a short name; `as_of_end` is the as-of instant (the end of
    the as-of day), used by durations and SLAs to tell what was still open then. Durations are differences of
    their columns as given, so the scan gives them (and `as_of_end`) as UTC wall-clock time
    (`ScanRequest.instants`): elapsed time, also across a daylight-saving change. `types` (column -> DuckDB
    type of the source, when known) lets columns of the right type be read without conversion."""
    b = _Builder(metric, prefix, types)
    kind = metric.kind
    if kind in ("nps", "csat", "ces"):
        _rating_aggregates(b, metric)
    elif kind == "mean":
        column = metric.column or ""
        _mean_aggregates(b, b.number(column), lambda: _is_null(sql.col(column)))
    elif kind == "gap":
        e, p = metric.expectation or "", metric.perception or ""
        number_e, number_p = b.number(e), b.number(p)
        _mean_aggregates(b, lambda: exp.Paren(this=exp.Sub(this=number_p(), expression=number_e())),
                         lambda: _or(_is_null(sql.col(e)), _is_null(sql.col(p))))
    elif kind == "ratio":
        nulls = [c for c, values in metric.condition.terms if None not in values]
        missing: Tree = (lambda: _or(*[_is_null(sql.col(c)) for c in nulls])) if nulls else exp.false
        b.count("n", _not(missing()))
        b.count("missing", missing())
        b.count("k", and_(_not(missing()), _filter(metric.condition)))
    elif kind == "count":
        b.count("n", exp.true())
    elif kind == "percentile":
        q = (metric.percentile if metric.percentile is not None else 50) / 100
        if metric.duration is not None:
            start, end, duration = _duration(b, metric, as_of_end)
            b.count("missing", _or(_is_null(start()), _is_null(end())))
            b.count("invalid", exp.LT(this=duration(), expression=sql.value(0.0)))
            valid: Tree = lambda: exp.GTE(this=duration(), expression=sql.value(0.0))  # noqa: E731
            value = duration
        else:
            x, column = b.number(metric.column or ""), metric.column or ""
            b.count("missing", _is_null(sql.col(column)))
            valid = lambda: and_(_not_null(x()), sql.IsFinite(this=x()))  # noqa: E731
            b.count("invalid", and_(_not_null(sql.col(column)), exp.Not(this=_coalesce_false(valid()))))
            value = x
        b.count("n", valid())
        b.add("value", "quantile_cont", value(), valid(), fraction=q)
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
