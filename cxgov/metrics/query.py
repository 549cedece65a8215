"""Building blocks of the aggregates metric kinds declare: their filters and predicates as expression trees.

Values go in as `sql.value` nodes (bound parameters), columns through `sql.col` (validated, quoted).
"""

from __future__ import annotations

from typing import Callable, Mapping

from sqlglot import exp

from cxgov.data import sql
from cxgov.data.scan import Aggregate
from cxgov.data.sql import and_, is_null
from cxgov.data.engines.types import INTEGER_TYPES, is_numeric_type
from cxgov.spec.model import Filter, Metric



def where_filter(flt: Filter, types: Mapping[str, str] | None = None) -> exp.Expr:
    """`where`/`condition` as an expression: columns AND, values IN; None matches NULL.

    Booleans and numbers compare with the column read as one (a try-cast), so `{wave: 2}` also picks "2" from a
    text column and a text that is no number is simply not equal, instead of failing the whole scan. With the
    source's column `types`, a column already of that type is compared as it is (a conversion that cannot fail
    costs PostgreSQL a pattern match per row)."""
    parts = []
    for column, values in flt.terms:
        ors: list[exp.Expr] = []
        for kind, sql_type in ((str, None), (bool, "BOOLEAN"), (float, "DOUBLE")):
            present = [v for v in values if _value_kind(v) is kind]
            if not present:
                continue
            lhs = _read_as(column, sql_type, (types or {}).get(column))
            bound = [sql.value(float(v) if kind is float and isinstance(v, (int, float)) else v) for v in present]
            ors.append(exp.EQ(this=lhs, expression=bound[0]) if len(bound) == 1
                       else exp.In(this=lhs, expressions=bound))
        if None in values:
            ors.append(is_null(sql.col(column)))
        parts.append(ors[0] if len(ors) == 1 else exp.Paren(this=exp.or_(*ors)))
    return and_(*parts)


def _read_as(column: str, sql_type: str | None, type_: str | None) -> exp.Expr:
    """The column as `sql_type` (None: as it is) for comparing with a value of that type."""
    if sql_type is None or type_ == sql_type:
        return sql.col(column)
    if sql_type == "DOUBLE" and type_ is not None and is_numeric_type(type_):
        return sql.cast(sql.col(column), "DOUBLE")
    return sql.TryCast(this=sql.col(column), to=exp.DataType.build(sql_type))


def _value_kind(value: object) -> type | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return bool
    return float if isinstance(value, (int, float)) else str


def negate(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=e))


def any_of(*conditions: exp.Expr) -> exp.Expr:
    return exp.Paren(this=exp.or_(*conditions)) if len(conditions) > 1 else conditions[0]


def between(e: exp.Expr, low: float, high: float) -> exp.Expr:
    return exp.Between(this=e, low=sql.value(low), high=sql.value(high))


def or_false(e: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=exp.Paren(this=e), expressions=[exp.false()])


Tree = Callable[[], exp.Expr]  # makes a fresh tree each call: a node has one parent


class Builder:
    """Collects the aggregates of one metric, each filtered by the metric's `where` and an extra condition.

    With the source's column `types`, a column already of the type a metric reads it as is read as it is: no
    conversion that cannot fail, no test for a whole number on an integer column."""

    def __init__(self, metric: Metric, prefix: str, types: Mapping[str, str] | None):
        self.prefix = prefix
        self.types = types
        self.where = where_filter(metric.where, types)
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

    def add(self, name: str, func: str, value: exp.Expr | None, condition: exp.Expr,
            fraction: float | None = None) -> None:
        self.items.append(Aggregate(self.prefix + name, func, value,
                                    and_(exp.Paren(this=self.where.copy()), exp.Paren(this=condition)), fraction))

    def count(self, name: str, condition: exp.Expr) -> None:
        self.add(name, "count", None, condition)
