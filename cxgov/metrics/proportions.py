"""Proportion kinds: `ratio`, the share of rows meeting a condition."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING


from cxgov import lazy
from cxgov.metrics.measurement import Measurement, Row, basics, count, proportion, proportion_trend
from cxgov.metrics.registry import Kind, percent, percent_bounds, register
from cxgov.spec.model import Metric
from cxgov.vocabulary import PERCENT

if TYPE_CHECKING:  # mypy reads the modules themselves; at run time they load when first used
    from sqlglot import exp

    from cxgov.data import sql
    from cxgov.metrics import query
    from cxgov.metrics.query import Builder, Tree
else:
    sql = lazy.module("cxgov.data.sql")
    exp = lazy.Attribute(sql, "exp")
    query = lazy.module("cxgov.metrics.query")


def _ratio_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    # a row without a value in a condition column that the condition does not ask to be NULL is missing
    nulls = [c for c, values in metric.condition.terms if None not in values]
    missing: Tree = (lambda: query.any_of(*[sql.is_null(sql.col(c)) for c in nulls])) if nulls else exp.false
    b.count("n", query.negate(missing()))
    b.count("missing", missing())
    b.count("k", sql.and_(query.negate(missing()), query.where_filter(metric.condition, b.types)))


def _ratio(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    return proportion(count(row, p + "k"), n, missing, invalid, {}, interval, PERCENT)


register(
    Kind("ratio", "100 × rows meeting the condition / n. Wilson score interval.", _ratio_aggregates, _ratio,
         percent, lambda metric: [(c, f"condition.{c}") for c in metric.condition.columns()],
         needs=("condition",), bounds=percent_bounds, trend=proportion_trend, generated=(70.0, 15.0), step=5.0),
)
