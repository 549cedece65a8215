"""Volume: `count`, the number of rows in the window."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING


from cxgov import lazy
from cxgov.metrics.measurement import Measurement, Row, count, measured
from cxgov.metrics.registry import Kind, own_unit, register
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


def _count_aggregates(b: Builder, metric: Metric, _: datetime) -> None:
    b.count("n", exp.true())


def _count(metric: Metric, row: Row, p: str, interval: bool) -> Measurement:
    n = count(row, p + "n")
    return measured(float(n) if n else None, n, 0, 0, None, None, unit=own_unit(metric))


register(
    Kind("count", "Number of rows in the window (volume). No interval.", _count_aggregates, _count, own_unit,
         bounds=lambda metric: (0.0, math.inf, "a count is never negative")),
)
