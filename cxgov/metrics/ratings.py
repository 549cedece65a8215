"""Rating kinds: answers on an integer scale. NPS (0..10), CSAT (top two boxes), CES (mean effort)."""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable


from cxgov import lazy
from cxgov.metrics import stats
from cxgov.metrics.measurement import (Measurement, Row, Trend, basics, count, mean, mean_trend, measured, proportion,
                                       proportion_trend, real)
from cxgov.metrics.registry import Kind, column_read, own_unit, percent, percent_bounds, register
from cxgov.spec.model import Metric, Scale
from cxgov.vocabulary import PERCENT, POINTS

if TYPE_CHECKING:  # mypy reads the modules themselves; at run time they load when first used
    from sqlglot import exp

    from cxgov.data import sql
    from cxgov.metrics import query
    from cxgov.metrics.query import Builder, Tree
else:
    sql = lazy.module("cxgov.data.sql")
    exp = lazy.Attribute(sql, "exp")
    query = lazy.module("cxgov.metrics.query")


def answer_scale(metric: Metric) -> Scale:
    """The metric's own scale, else its kind's default (NPS is always 0..10)."""
    from cxgov.metrics.registry import kind_of

    kind = kind_of(metric)
    return (metric.scale if kind.own_scale and metric.scale else kind.scale) or Scale(0, 10)


def _answers(b: Builder, metric: Metric) -> tuple[Tree, Tree, Callable[[float], float]]:
    """(valid, the answer, its number type) after declaring n, missing and invalid: integer answers on the
    scale. An integer column is compared as it is; any other must hold a whole number."""
    sc = answer_scale(metric)
    column = metric.column or ""
    col: Tree = lambda: sql.col(column)  # noqa: E731
    x = b.number(column)
    num: Callable[[float], float]
    if b.integral(column) and float(sc.min).is_integer() and float(sc.max).is_integer():
        lo, hi = int(sc.min), int(sc.max)
        valid: Tree = lambda: query.between(col(), lo, hi)  # noqa: E731
        invalid: Tree = lambda: exp.Not(this=query.between(col(), lo, hi))  # noqa: E731
        v, num = col, int
    else:
        flo, fhi = float(sc.min), float(sc.max)
        valid = lambda: sql.and_(sql.not_null(x()), exp.EQ(this=x(), expression=exp.Floor(this=x())),  # noqa: E731
                             query.between(x(), flo, fhi))
        invalid = lambda: sql.and_(sql.not_null(col()), exp.Not(this=query.or_false(valid())))  # noqa: E731
        v, num = x, float
    b.add("n", "count", x(), valid())  # the count of the mean's values too: one partial for both
    b.count("missing", sql.is_null(col()))
    b.count("invalid", invalid())
    return valid, v, num


def _at_least(b: Builder, name: str, valid: Tree, v: Tree, bound: float) -> None:
    b.count(name, sql.and_(valid(), exp.GTE(this=v(), expression=sql.value(bound))))


def _nps_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    valid, v, num = _answers(b, metric)
    _at_least(b, "promoters", valid, v, num(9))
    b.count("detractors", sql.and_(valid(), exp.LTE(this=v(), expression=sql.value(num(6)))))


def _nps(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    promoters, detractors = count(row, p + "promoters"), count(row, p + "detractors")
    if not n:
        return measured(None, 0, missing, invalid, None, None, unit=POINTS)
    pp, pd = promoters / n, detractors / n
    low, high = (stats.nps_interval(pp, pd, n) if interval else None) or (None, None)
    # from the counts: 100 * (pp - pd) can miss an exact value (19.999999999999996 for 6 - 4 of 10)
    return measured(100 * (promoters - detractors) / n, n, missing, invalid, low, high,
                    MappingProxyType({"promoters": 100 * promoters / n, "detractors": 100 * detractors / n}),
                    MappingProxyType({"p_promoters": pp, "p_detractors": pd, "var": stats.nps_variance(pp, pd)}),
                    POINTS)


def _nps_trend(cur: Measurement, prev: Measurement) -> Trend:
    return stats.nps_trend((prev.stats["p_promoters"], prev.stats["p_detractors"]), prev.n,
                           (cur.stats["p_promoters"], cur.stats["p_detractors"]), cur.n)


def _csat_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    valid, v, num = _answers(b, metric)
    _at_least(b, "top", valid, v, num(answer_scale(metric).max) - 1)
    b.add("mean", "avg", b.number(metric.column or "")(), valid())


def _csat(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    return proportion(count(row, p + "top"), n, missing, invalid, {"mean": real(row, p + "mean") if n else None},
                      interval, PERCENT)


def _ces_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    valid, v, num = _answers(b, metric)
    _at_least(b, "easy", valid, v, num(answer_scale(metric).max) - 2)
    x = b.number(metric.column or "")
    b.add("mean", "avg", x(), valid())
    b.add("var", "var_samp", x(), valid())


def _ces(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n, missing, invalid = basics(row, p)
    easy = count(row, p + "easy")
    return mean(row, p, n, missing, invalid, {"easy": 100 * easy / n if n else None}, interval, metric.unit)


def _ces_bounds(metric: Metric) -> tuple[float, float, str]:
    sc = answer_scale(metric)
    return (float(sc.min), float(sc.max), f"this CES lies on its scale {sc.min}..{sc.max}")


register(
    Kind("nps", "100 × (promoters − detractors) / n; promoters answer 9–10, detractors 0–6, on integers 0–10. "
                "Interval: NPS ± 1.96 × 100 × √(Var/n), Var = pP + pD − (pP − pD)².",
         _nps_aggregates, _nps, lambda metric: POINTS, column_read, needs=("column",), scale=Scale(0, 10),
         own_scale=False, bounds=lambda metric: (-100.0, 100.0, "NPS lies between -100 and 100"),
         trend=_nps_trend, generated=(25.0, 35.0), step=10.0),
    Kind("csat", "100 × answers in the top two boxes of the scale / n. Wilson score interval.",
         _csat_aggregates, _csat, percent, column_read, needs=("column",), may=("scale",), scale=Scale(1, 5),
         bounds=percent_bounds, trend=proportion_trend, generated=(78.0, 14.0), step=5.0),
    Kind("ces", "Mean answer on the effort scale (higher is easier); the share answering 5–7 is reported as easy. "
                "Interval: mean ± 1.96 × s/√n.",
         _ces_aggregates, _ces, own_unit, column_read, needs=("column",), may=("scale",),
         scale=Scale(1, 7), bounds=_ces_bounds, trend=mean_trend, generated=(5.1, 0.8), step=0.3),
)
