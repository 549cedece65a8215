"""How thresholds, spans, windows and selectors are put into words: one function per concept, one wording, used
by every output (text, JUnit, SARIF, Markdown, HTML, OSCAL, history, diff, explain, lint).

Plain values in, plain strings out; the renderers escape them. Numbers written in a spec are shown as written.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxgov.spec.model import Selector, Window

SELECTOR_KEYS = ("touchpoints", "journey", "stage", "channel", "segment", "status")  # in the order they are named


class Bounds(Protocol):
    """A threshold: the spec's (spec.model.Threshold) or a result's (engine.results.ThresholdInfo)."""

    @property
    def op(self) -> str: ...
    @property
    def fail(self) -> float: ...
    @property
    def warn(self) -> float | None: ...


class Days(Protocol):
    """An inclusive range of days (engine.results.Span)."""

    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...


def counted(n: int, word: str, many: str | None = None) -> str:
    """"1 touchpoint", "3 touchpoints": `n` and `word`, or `many` (default: `word` + "s") when `n` is not 1."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def number(x: float) -> str:
    """A number as written in a spec (a threshold, a share): 90 not 90.0, 0.5, 89.95."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def threshold(t: Bounds) -> str:
    """">= 90 (warn 95)": the op, the fail level and the warn level, as the spec writes them; ">= 90" without a
    warn level."""
    text = f"{t.op} {number(t.fail)}"
    return f"{text} (warn {number(t.warn)})" if t.warn is not None else text


def span(days: Days) -> str:
    """The days a result covers, both included: "2026-10-24..2026-11-20"."""
    return f"{days.start.isoformat()}..{days.end.isoformat()}"


def window(w: Window) -> str:
    """What a window covers relative to the as-of date: "the 28 days ending with the as-of date", "the last
    complete quarter ending on or before the as-of date"."""
    if w.rolling:
        return f"the {w.days} days ending with the as-of date"
    return f"the last complete {w.period} ending on or before the as-of date"


def selector(s: Selector) -> str:
    """Which touchpoints a standard applies to: "touchpoints a, b", "journey claims; channel phone, chat; moments
    of truth; label tier gold"; "every touchpoint" for an empty selector (retired ones are never evaluated)."""
    parts = [f"{key} {', '.join(getattr(s, key))}" for key in SELECTOR_KEYS if getattr(s, key)]
    if s.moment_of_truth is not None:
        parts.append("moments of truth" if s.moment_of_truth else "not moments of truth")
    parts.extend(f"label {k} {', '.join(v)}" for k, v in sorted(s.labels.items()))
    return "; ".join(parts) or "every touchpoint"
