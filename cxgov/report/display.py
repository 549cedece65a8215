"""Display text for result records: rounded numbers, intervals, thresholds, scopes and status labels.

Values are computed and compared in full precision elsewhere; this module only rounds for display, one decimal,
half away from zero (DOMAIN.md). Plain strings: the HTML templates escape them.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

from cxgov import wording
from cxgov.engine.results import Result
from cxgov.metrics.stats import round_half_away
from cxgov.vocabulary import PERCENT, STATUS_ORDER

STATUS_LABELS = {"pass": "Pass", "warn": "Warn", "breach": "Breach", "insufficient": "Insufficient data",
                 "waived": "Waived", "error": "Error"}
# Shown next to the label, so that status never depends on colour alone.
STATUS_ICONS = {"pass": "✓", "warn": "!", "breach": "✗", "insufficient": "…", "waived": "⊘", "error": "⚠"}
# The order status counts are listed in on tiles and summaries.
STATUS_DISPLAY_ORDER = tuple(STATUS_ORDER)
DASH = "—"


def number(x: float | None, places: int = 1) -> str:
    """One decimal, half away from zero (metrics.stats.round_half_away); an em dash for no value; never "-0.0"."""
    if x is None:
        return DASH
    if not math.isfinite(x):
        return str(x)
    return _fixed(round_half_away(x, places), places)


def _fixed(rounded: float, places: int) -> str:
    """An already rounded value written with `places` decimals, without a minus sign on zero."""
    text = f"{rounded:.{places}f}"
    return text if text[0] != "-" or text.strip("-0.") else text[1:]


def signed(x: float | None) -> str:
    """A change with its sign: "+1.5", "-3.0", "0.0"."""
    if x is None:
        return DASH
    text = number(x)
    return text if text.startswith("-") or text == number(0.0) else f"+{text}"


def exact(x: float | None) -> str:
    """A number written in a spec (a threshold): shown as written, 90 not 90.0."""
    return DASH if x is None else wording.number(x)


def value_text(value: float | None, unit: str | None, metric_kind: str = "",
               against: tuple[float | None, ...] = ()) -> str:
    """A result value with its unit: "87.5%", "20.0 points", "1234" for counts.

    `against` are the thresholds the value was compared with: where one decimal would show a breached value equal
    to its threshold (89.96 against 90), more decimals are shown, up to four.
    """
    if value is None:
        return DASH
    places = 0 if metric_kind == "count" else 1
    rounded = round_half_away(value, places)
    while places < 4 and _reads_as_a_bound(value, rounded, places, against):
        places += 1
        rounded = round_half_away(value, places)
    text = _fixed(rounded, places) if math.isfinite(value) else str(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit == PERCENT else f"{text} {unit}"


def _reads_as_a_bound(value: float, rounded: float, places: int, against: tuple[float | None, ...]) -> bool:
    """Whether a bound other than the value itself is written the same as `rounded` at `places` decimals."""
    step = 10.0 ** -places  # a bound further away than this cannot round onto `rounded`
    for bound in against:
        if bound is not None and bound != value and abs(bound - rounded) <= step \
                and round_half_away(bound, places) == rounded:
            return True
    return False


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return DASH
    return f"{number(low)} to {number(high)}"


def stage_label(stage: str) -> str:
    """A stage id as a heading: "make-a-claim" -> "Make a claim"."""
    return stage.replace("-", " ").replace("_", " ").capitalize()


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "?")


def worst_status(statuses: Iterable[str]) -> str | None:
    """The most pressing of `statuses` (breach first, pass last), None for none."""
    return min(statuses, key=STATUS_ORDER.__getitem__, default=None)


def status_counts(results: Iterable[Result]) -> dict[str, int]:
    """Counts per status in STATUS_DISPLAY_ORDER, zeros left out."""
    counts = dict.fromkeys(STATUS_DISPLAY_ORDER, 0)
    for result in results:
        counts[result.status] += 1
    return {status: count for status, count in counts.items() if count}


def counts_text(counts: Mapping[str, int]) -> str:
    """"2 breach, 1 warn, 40 pass"."""
    return ", ".join(f"{count} {STATUS_LABELS[status].lower()}" for status, count in counts.items() if count)


def scope_pairs(result: Result) -> tuple[tuple[str, str], ...]:
    """The scope without the touchpoint key (shown separately for standards)."""
    return tuple((k, v) for k, v in result.scope if k != "touchpoint")
