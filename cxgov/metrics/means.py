"""Mean kinds: the mean of any finite number (`mean`), and SERVQUAL's gap, perception minus expectation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING


from cxgov import lazy
from cxgov.metrics.measurement import Measurement, Row, basics, mean, mean_trend
from cxgov.metrics.registry import Kind, column_read, own_unit, register
from cxgov.spec.model import Metric

if TYPE_CHECKING:  # mypy reads the modules themselves; at run time they load when first used
    from sqlglot import exp

    from cxgov.data import sql
    from cxgov.metrics import query
    from cxgov.metrics.query import Builder, Tree
else:
    sql = lazy.module("cxgov.data.sql")
    exp = lazy.Attribute(sql, "exp")
    query = lazy.module("cxgov.metrics.query")


def mean_aggregates(b: Builder, value: Tree, missing: Tree) -> None:
    """Any finite number: n, mean, sample variance; NULL inputs missing, non-numbers and infinities invalid."""
    valid: Tree = lambda: sql.and_(sql.not_null(value()), sql.IsFinite(this=value()))  # noqa: E731
    b.add("n", "count", value(), valid())  # the count of the mean's and the variance's values too
    b.count("missing", missing())
    b.count("invalid", sql.and_(query.negate(missing()), exp.Not(this=query.or_false(valid()))))
    b.add("mean", "avg", value(), valid())
    b.add("var", "var_samp", value(), valid())


def _mean_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    column = metric.column or ""
    mean_aggregates(b, b.number(column), lambda: sql.is_null(sql.col(column)))


def _gap_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    e, p = metric.expectation or "", metric.perception or ""
    number_e, number_p = b.number(e), b.number(p)
    mean_aggregates(b, lambda: exp.Paren(this=exp.Sub(this=number_p(), expression=number_e())),
                    lambda: query.any_of(sql.is_null(sql.col(e)), sql.is_null(sql.col(p))))


def _mean(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    return mean(row, p, n, missing, invalid, {}, interval, own_unit(metric))


register(
    Kind("mean", "Arithmetic mean of the column. Interval: mean ± 1.96 × s/√n.", _mean_aggregates, _mean, own_unit,
         column_read, needs=("column",), trend=mean_trend, generated=(100.0, 25.0)),
    Kind("gap", "Mean of perception − expectation over rows with both (below zero: a shortfall). "
                "Interval: mean ± 1.96 × s/√n.",
         _gap_aggregates, _mean, own_unit,
         lambda metric: [(metric.expectation or "", "expectation"), (metric.perception or "", "perception")],
         needs=("expectation", "perception"), trend=mean_trend, generated=(-0.6, 0.7), step=0.3),
)
