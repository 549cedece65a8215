"""Data health: what an evaluation could not use of each source's rows, and when that fails the check.

A scan counts, besides its aggregates, the rows of its whole time span per touchpoint id and the rows without a
readable timestamp (`ScanRequest.health`). From those rows: rows whose touchpoint id names no touchpoint of the
spec (the most frequent ids, with the touchpoint they likely mean), rows with no touchpoint id, and per metric
the rows with no value or a value off its scale. A source whose rows cannot be attributed to touchpoints (all of
them, or more than `max_unattributed` percent), or whose timestamps cannot be read, is a data finding: never a
quiet "no data".
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Collection, Iterable, Mapping

from cxgov.data.scan import ROWS, SPAN, UNTIMED
from cxgov.engine.results import MetricHealth, SourceHealth, Span, UnmatchedId
from cxgov.errors import printable
from cxgov.metrics.measurement import Row

if TYPE_CHECKING:
    from cxgov.engine.plan import Scan
from cxgov.spec.model import Spec

MAX_UNATTRIBUTED = 5.0  # percent of a source's rows in the span that may belong to no touchpoint
SHOWN_IDS = 5  # the most frequent unmatched ids a health record names


def source_health(spec: Spec, scan: Scan, rows: Iterable[Row], max_unattributed: float = MAX_UNATTRIBUTED) \
        -> SourceHealth:
    """The health of `scan`'s source from the health rows among `rows` (grouping None)."""
    request = scan.request
    source = request.source
    by_touchpoint = "touchpoint" in (request.health or ())
    known = spec.by_id["touchpoints"]
    span_rows = untimed = no_touchpoint = 0
    unmatched: dict[str, int] = {}
    missing: dict[str, int] = {}
    invalid: dict[str, int] = {}
    for row in rows:
        if row.get("grouping") is not None:
            continue
        count = int(row.get(ROWS) or 0)
        if row["period"] == UNTIMED:
            untimed += count
            continue
        if row["period"] != SPAN:
            continue
        span_rows += count
        for metric_id, prefix in scan.metrics:
            missing[metric_id] = missing.get(metric_id, 0) + int(row.get(prefix + "missing") or 0)
            invalid[metric_id] = invalid.get(metric_id, 0) + int(row.get(prefix + "invalid") or 0)
        if by_touchpoint:
            tp = row.get("touchpoint")
            if tp is None or str(tp).strip() == "":
                no_touchpoint += count
            elif str(tp) not in known:
                unmatched[str(tp)] = unmatched.get(str(tp), 0) + count
    unattributed = no_touchpoint + sum(unmatched.values())
    # ids come from the data: written printable (a terminal escape in a CSV value stays text)
    shown = tuple(UnmatchedId(printable(tp), n, suggestion(tp, known)) for tp, n in
                  sorted(unmatched.items(), key=lambda item: (-item[1], item[0]))[:SHOWN_IDS])
    start = min(f.previous.start for f in scan.frames)
    end = max(f.current.end for f in scan.frames)
    health = SourceHealth(
        source=source.id, span=Span(start, end), rows=span_rows, untimed=untimed, attributable=by_touchpoint,
        unattributed=unattributed if by_touchpoint else 0, no_touchpoint=no_touchpoint, unmatched=shown,
        unmatched_ids=len(unmatched),
        metrics=tuple(MetricHealth(m, missing.get(m, 0), invalid.get(m, 0)) for m, _ in scan.metrics),
        location=source.location)
    finding = _finding(health, max_unattributed)
    return health if finding is None else _with_finding(health, finding)


def _with_finding(health: SourceHealth, finding: str) -> SourceHealth:
    return replace(health, finding=finding)


def _canonical(text: str) -> str:
    return re.sub(r"[\s_.]+", "-", text.strip().lower())


def suggestion(tp: str, known: Collection[str]) -> str | None:
    """The id of `known` (the spec's touchpoints, a mapping's categories) a value from the data likely means: the
    same but for case, spaces or separators, else a close spelling."""
    wanted = _canonical(tp)
    for candidate in known:
        if _canonical(candidate) == wanted:
            return candidate
    close = difflib.get_close_matches(wanted, list(known), n=1, cutoff=0.8)
    return close[0] if close else None


def _finding(h: SourceHealth, max_unattributed: float) -> str | None:
    """Why the source's data fails the check, or None."""
    days = f"{h.span.start.isoformat()} to {h.span.end.isoformat()}"
    problems = []
    if h.attributable and h.rows and h.unattributed:
        share = 100.0 * h.unattributed / h.rows
        if h.unattributed == h.rows or share > max_unattributed:
            amount = (f"none of its {h.rows:,} rows" if h.unattributed == h.rows
                      else f"{h.unattributed:,} of its {h.rows:,} rows ({share:.1f}%, more than the "
                           f"{max_unattributed:g}% allowed)")
            ids = ", ".join(f"'{u.id}' ({u.rows:,})" + (f", did you mean '{u.suggestion}'?" if u.suggestion else "")
                            for u in h.unmatched)
            more = f" and {h.unmatched_ids - len(h.unmatched)} more" if h.unmatched_ids > len(h.unmatched) else ""
            if h.unattributed == h.rows:
                problems.append(f"{amount} from {days} can be attributed to a touchpoint of the spec")
            else:
                problems.append(f"{amount} from {days} belong to no touchpoint of the spec")
            if ids:
                problems[-1] += f"; ids that match none: {ids}{more}"
            if h.no_touchpoint:
                problems[-1] += f"; {h.no_touchpoint:,} rows have no touchpoint id"
    if h.untimed and (not h.rows or 100.0 * h.untimed / (h.rows + h.untimed) > max_unattributed):
        problems.append(f"{h.untimed:,} rows have no readable timestamp"
                        + ("" if h.rows else f" and none has one from {days}"))
    return "; ".join(problems) or None
