"""Metric kinds, as the rest of cxgov uses them: each kind is declared once in its family's module
(cxgov.metrics.registry lists them); this module asks the kind of a metric.

`aggregates` gives the aggregates a metric needs (expression trees, `FILTER (WHERE ...)` aggregates, so many
metrics share one scan); `finalize` turns one scan row into a Measurement (value, n, missing, invalid, interval,
sufficient statistics); `trend` compares two Measurements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from cxgov.data.scan import Aggregate
from cxgov.data.engines.types import is_numeric_type, is_timestamp_type
from cxgov.errors import DataError
from cxgov.metrics.measurement import Measurement, Row  # noqa: F401 (the type evaluation works with)
from cxgov.metrics.query import Builder
from cxgov.metrics.ratings import answer_scale
from cxgov.metrics.registry import KINDS, kind_of
from cxgov.spec.model import Metric, Scale, Source


def scale(metric: Metric) -> Scale | None:
    """The answer scale of a rating kind: the metric's own, else the kind's default; None for other kinds."""
    return answer_scale(metric) if kind_of(metric).scale is not None else None


def unit(metric: Metric) -> str | None:
    """Display unit: points for NPS, % for shares, else the metric's own (durations: their unit's symbol)."""
    return kind_of(metric).unit(metric)


def required_columns(metric: Metric) -> tuple[tuple[str, str], ...]:
    """(column, spec key) for every column of its source the metric reads, `where` and `condition` included."""
    cols = list(kind_of(metric).reads(metric)) + [(c, f"where.{c}") for c in metric.where.columns()]
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


def aggregates(metric: Metric, source: Source, as_of_end: datetime, prefix: str,
               types: Mapping[str, str] | None = None) -> tuple[Aggregate, ...]:
    """The aggregates `metric` needs, named `prefix` + a short name; `as_of_end` is the as-of instant (the end of
    the as-of day), used by durations and SLAs to tell what was still open then. Durations are differences of
    their columns as given, so the scan gives them (and `as_of_end`) as UTC wall-clock time
    (`ScanRequest.instants`): elapsed time, also across a daylight-saving change. `types` (column -> DuckDB
    type of the source, when known) lets columns of the right type be read without conversion."""
    b = Builder(metric, prefix, types)
    kind_of(metric).aggregates(b, metric, as_of_end)
    return tuple(b.items)


def finalize(metric: Metric, row: Row, prefix: str, interval: bool = True) -> Measurement:
    """The Measurement of `metric` from one scan row (a missing row, e.g. no data at all, is n = 0); without
    `interval`, no confidence interval (a previous window's, which only trends read, and they need none)."""
    return kind_of(metric).finalize(metric, row, prefix, interval)


def difference_range(metric: Metric) -> tuple[float, float] | None:
    """What the difference of two of the metric's values can be: (low - high, high - low) of the values its kind
    can take (a percentage: -100..100; NPS: -200..200; CES on 1-7: -6..6); None when the kind bounds nothing."""
    bounds = kind_of(metric).bounds(metric)
    if bounds is None:
        return None
    low, high, _ = bounds
    return low - high, high - low


def trend(metric: Metric, current: Measurement, previous: Measurement) \
        -> tuple[float | None, float | None, float | None]:
    """(change, z, p): current - previous in the value's units, and the two-sided test of that change at the
    kind's scale (NPS on -1..1, proportions pooled, means Welch). Kinds without a test give z = p = None."""
    if current.value is None or previous.value is None or not current.n or not previous.n:
        return None, None, None
    change = current.value - previous.value
    test = kind_of(metric).trend
    if test is None:
        return change, None, None
    z, p = test(current, previous)
    return change, z, p


__all__ = ["KINDS", "Measurement", "aggregates", "check_columns", "difference_range", "finalize", "kind_of",
           "required_columns", "scale", "trend", "unit"]
