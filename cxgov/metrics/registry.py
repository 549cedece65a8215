"""The metric kinds: one `Kind` per kind, declared once in the module of its family, looked up by name.

A Kind says everything cxgov needs to know of a kind: the spec fields it needs and may have, its answer scale,
the values it can take (for lint), what it means (for the scorecard), its unit, the columns it reads, the
aggregates it asks the scan for (as expression trees), how their values become a Measurement, the test of a
change against the previous window, and where the example data generator puts its values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable, Mapping

from cxgov.spec.model import Metric, Scale
from cxgov.vocabulary import PERCENT, UNIT_SYMBOLS

if TYPE_CHECKING:
    from cxgov.metrics.measurement import Measurement, Row, Trend
    from cxgov.metrics.query import Builder

Columns = Callable[[Metric], list[tuple[str, str]]]


@dataclass(frozen=True)
class Kind:
    name: str
    definition: str  # how the value is computed, in words (the scorecard's evidence)
    aggregates: Callable[[Builder, Metric, datetime], None]  # declares the aggregates on the builder
    finalize: Callable[[Metric, Row, str, bool], Measurement]  # (metric, scan row, prefix, interval)
    unit: Callable[[Metric], str | None]
    reads: Columns = lambda metric: []  # (column, spec key) it reads besides `where`
    needs: tuple[str, ...] = ()  # spec fields the kind needs
    may: tuple[str, ...] = ()  # optional spec fields
    scale: Scale | None = None  # the default answer scale of a rating kind
    own_scale: bool = True  # False: the scale is fixed (NPS is 0..10 whatever the spec says)
    bounds: Callable[[Metric], tuple[float, float, str] | None] = lambda metric: None  # values it can take
    trend: Callable[[Measurement, Measurement], Trend] | None = None  # None: no test of a change
    generated: tuple[float, float] = (1.0, 0.0)  # example data: value at quality 0 and per unit of quality
    step: float | None = None  # example data: the usual gap between a warn and a fail line


KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        KINDS[kind.name] = kind


def kind_of(metric: Metric | str) -> Kind:
    name = metric if isinstance(metric, str) else metric.kind
    found = KINDS.get(name)
    if found is None:
        raise ValueError(f"unknown metric kind {name!r}; expected one of {', '.join(KINDS)}")
    return found


def percent(_: Metric) -> str:
    return PERCENT


def percent_bounds(metric: Metric) -> tuple[float, float, str]:
    return (0.0, 100.0, f"a {metric.kind} is a percentage between 0 and 100")


def column_read(metric: Metric) -> list[tuple[str, str]]:
    return [(metric.column, "column")] if metric.column else []


def own_unit(metric: Metric) -> str | None:
    """The metric's declared unit, else a duration's unit symbol."""
    if metric.unit:
        return metric.unit
    if metric.duration is not None:
        return UNIT_SYMBOLS.get(metric.duration.unit, metric.duration.unit)
    return None



# the families declare their kinds when imported
from cxgov.metrics import durations, means, proportions, ratings, volume  # noqa: E402,F401
