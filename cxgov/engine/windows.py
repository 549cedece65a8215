"""Evaluation windows: which calendar days a rule's `window` covers as of a date.

A rolling window (`28d`, `4w`) is the N days ending with the as-of date, inclusive. A calendar window
(`month`, `quarter`, `year`) is the last complete period ending on or before the as-of date: on the last day of
a month that month is complete. The previous window is the one of the same length just before.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cxgov.engine.results import Span
from cxgov.spec.dates import add_months
from cxgov.spec.model import Window
from cxgov.vocabulary import PERIOD_MONTHS


def span(window: Window, as_of: date) -> Span:
    """The days `window` covers as of `as_of`."""
    if window.rolling:
        return Span(as_of - timedelta(days=_days(window) - 1), as_of)
    months = _months(window)
    start = _month_start(as_of, months)
    end = add_months(start, months) - timedelta(days=1)
    if end == as_of:
        return Span(start, end)
    start = add_months(start, -months)
    return Span(start, add_months(start, months) - timedelta(days=1))


def previous(window: Window, as_of: date) -> Span:
    """The window of the same length just before `span(window, as_of)`."""
    current = span(window, as_of)
    if window.rolling:
        return _shift(current, _days(window))
    return span(window, current.start - timedelta(days=1))


def bounds(days: Span) -> tuple[datetime, datetime]:
    """Local (program timezone, naive) timestamps [first day 00:00, day after the last 00:00)."""
    return datetime.combine(days.start, time()), datetime.combine(days.end + timedelta(days=1), time())


def end_of_day(as_of: date) -> datetime:
    """The local moment the as-of date ends: what "as of" means for open cases (SLA)."""
    return datetime.combine(as_of + timedelta(days=1), time())


def in_utc(local: datetime, timezone: str) -> datetime:
    """A local (program timezone, naive) time as naive UTC wall-clock time, the clock durations are measured on."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def today(timezone: str) -> date:
    """Today's date in the program timezone (the default as-of date)."""
    return datetime.now(ZoneInfo(timezone)).date()


def _days(window: Window) -> int:
    if not window.days or window.days < 1:
        raise ValueError(f"window {window.text!r} has no positive number of days")
    return window.days


def _months(window: Window) -> int:
    try:
        return PERIOD_MONTHS[window.period or ""]
    except KeyError:
        raise ValueError(f"window {window.text!r} is neither rolling nor one of {', '.join(PERIOD_MONTHS)}") \
            from None


def _shift(days: Span, by: int) -> Span:
    return Span(days.start - timedelta(days=by), days.end - timedelta(days=by))


def _month_start(day: date, months: int) -> date:
    """First day of the calendar period of `months` months (1, 3 or 12) that contains `day`."""
    return date(day.year, (day.month - 1) // months * months + 1, 1)
