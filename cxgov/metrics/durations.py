"""Duration kinds: `sla` (the share of cases closed within a limit) and `percentile` (of a column, or of the time
between two timestamps). Durations are differences of UTC wall-clock times (the scan gives `duration` columns
as such), so they are elapsed time, also across a daylight-saving change."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING


from cxgov import lazy
from cxgov.metrics.measurement import Measurement, Row, basics, count, measured, proportion, proportion_trend, real
from cxgov.metrics.registry import Kind, own_unit, percent, percent_bounds, register
from cxgov.spec.model import Metric
from cxgov.vocabulary import PERCENT, UNIT_SECONDS

if TYPE_CHECKING:  # mypy reads the modules themselves; at run time they load when first used
    from sqlglot import exp

    from cxgov.data import sql
    from cxgov.metrics import query
    from cxgov.metrics.query import Builder, Tree
else:
    sql = lazy.module("cxgov.data.sql")
    exp = lazy.Attribute(sql, "exp")
    query = lazy.module("cxgov.metrics.query")


def _seconds(metric: Metric) -> float:
    return float(UNIT_SECONDS.get(metric.duration.unit, 3600)) if metric.duration else 3600.0


def _per_unit(seconds: Tree, metric: Metric) -> exp.Expr:
    return exp.Paren(this=exp.Div(this=exp.Paren(this=seconds()), expression=sql.value(_seconds(metric)),
                                  typed=False, safe=False))


def duration(b: Builder, metric: Metric, as_of_end: datetime) -> tuple[Tree, Tree, Tree]:
    """(start, end as known at as-of, duration in the metric's unit), as functions making fresh trees.

    An end after the as-of is not known yet at the as-of: the case counts as still open then."""
    d = metric.duration
    assert d is not None
    start, raw_end = b.timestamp(d.start), b.timestamp(d.end)
    end: Tree = lambda: exp.Paren(this=sql.case(  # noqa: E731
        (exp.LTE(this=raw_end(), expression=sql.value(as_of_end)), raw_end())))
    elapsed: Tree = lambda: exp.Sub(this=sql.EpochSeconds(this=end()),  # noqa: E731
                                    expression=sql.EpochSeconds(this=start()))
    return start, end, lambda: _per_unit(elapsed, metric)


def _sla_aggregates(b: Builder, metric: Metric, as_of_end: datetime) -> None:
    start, end, length = duration(b, metric, as_of_end)
    within = float(metric.within if metric.within is not None else 0)
    age: Tree = lambda: _per_unit(lambda: exp.Sub(  # noqa: E731
        this=sql.EpochSeconds(this=sql.cast(sql.value(as_of_end), "TIMESTAMP")),
        expression=sql.EpochSeconds(this=start())), metric)
    closed: Tree = lambda: sql.not_null(end())  # noqa: E731
    still_open: Tree = lambda: sql.and_(sql.not_null(start()), sql.is_null(end()))  # noqa: E731
    b.count("missing", sql.is_null(start()))
    b.count("invalid", sql.and_(sql.not_null(start()), closed(), exp.LT(this=length(), expression=sql.value(0.0))))
    b.count("met", sql.and_(closed(), exp.GTE(this=length(), expression=sql.value(0.0)),
                        exp.LTE(this=length(), expression=sql.value(within))))
    b.count("breached_closed", sql.and_(closed(), exp.GT(this=length(), expression=sql.value(within))))
    b.count("breached_open", sql.and_(still_open(), exp.GT(this=age(), expression=sql.value(within))))
    b.count("open_not_due", sql.and_(still_open(), exp.LTE(this=age(), expression=sql.value(within))))


def _sla(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    _, missing, invalid = basics(row, p)
    met = count(row, p + "met")
    breached = count(row, p + "breached_closed") + count(row, p + "breached_open")
    extra = {"met": met, "breached": breached, "breached_open": count(row, p + "breached_open"),
             "open_not_due": count(row, p + "open_not_due")}
    return proportion(met, met + breached, missing, invalid, extra, interval, PERCENT)


def _percentile_aggregates(b: Builder, metric: Metric, as_of_end: datetime) -> None:
    q = (metric.percentile if metric.percentile is not None else 50) / 100
    if metric.duration is not None:
        start, end, value = duration(b, metric, as_of_end)
        b.count("missing", query.any_of(sql.is_null(start()), sql.is_null(end())))
        b.count("invalid", exp.LT(this=value(), expression=sql.value(0.0)))
        valid: Tree = lambda: exp.GTE(this=value(), expression=sql.value(0.0))  # noqa: E731
    else:
        value, column = b.number(metric.column or ""), metric.column or ""
        b.count("missing", sql.is_null(sql.col(column)))
        valid = lambda: sql.and_(sql.not_null(value()), sql.IsFinite(this=value()))  # noqa: E731
        b.count("invalid", sql.and_(sql.not_null(sql.col(column)), exp.Not(this=query.or_false(valid()))))
    b.count("n", valid())
    b.add("value", "quantile_cont", value(), valid(), fraction=q)


def _percentile(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    return measured(real(row, p + "value") if n else None, n, missing, invalid, None, None, unit=own_unit(metric))


def _duration_columns(metric: Metric) -> list[tuple[str, str]]:
    d = metric.duration
    return [(d.start, "duration.start"), (d.end, "duration.end")] if d is not None else []


register(
    Kind("sla", "100 × met / (met + breached). Met: end − start within the limit; breached: longer, or still open "
                "and already past the limit at the as-of date; open and not yet due: left out. Wilson score "
                "interval.",
         _sla_aggregates, _sla, percent, _duration_columns, needs=("duration", "within"), bounds=percent_bounds,
         trend=proportion_trend, generated=(88.0, 8.0), step=5.0),
    Kind("percentile", "Exact percentile with linear interpolation (quantile_cont). No interval.",
         _percentile_aggregates, _percentile, own_unit,
         lambda metric: ([(metric.column, "column")] if metric.column else []) + _duration_columns(metric),
         needs=("percentile",), may=("column", "duration"), generated=(48.0, -30.0)),
)
