"""Window spans as of a date: rolling days, and the last complete month, quarter or year."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cxgov.engine import windows
from cxgov.engine.results import Span
from engine_fixtures import parse_window


@pytest.mark.parametrize("text, as_of, current, previous", [
    ("28d", date(2026, 11, 20), (date(2026, 10, 24), date(2026, 11, 20)), (date(2026, 9, 26), date(2026, 10, 23))),
    ("4w", date(2026, 11, 20), (date(2026, 10, 24), date(2026, 11, 20)), (date(2026, 9, 26), date(2026, 10, 23))),
    ("1d", date(2026, 3, 1), (date(2026, 3, 1), date(2026, 3, 1)), (date(2026, 2, 28), date(2026, 2, 28))),
    ("7d", date(2026, 1, 3), (date(2025, 12, 28), date(2026, 1, 3)), (date(2025, 12, 21), date(2025, 12, 27))),
])
def test_rolling_window_is_the_n_days_ending_with_the_as_of_date(text, as_of, current, previous):
    window = parse_window(text)
    assert windows.span(window, as_of) == Span(*current)
    assert windows.previous(window, as_of) == Span(*previous)


@pytest.mark.parametrize("text, as_of, current, previous", [
    # mid-month: the month before is the last complete one
    ("month", date(2026, 11, 20), (date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 9, 1), date(2026, 9, 30))),
    # the last day of a month completes it
    ("month", date(2026, 11, 30), (date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31))),
    ("month", date(2026, 12, 1), (date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 10, 31))),
    ("month", date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31)), (date(2025, 11, 1), date(2025, 11, 30))),
    ("month", date(2024, 3, 5), (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 1), date(2024, 1, 31))),
    ("quarter", date(2026, 11, 20), (date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30))),
    ("quarter", date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 4, 1), date(2026, 6, 30))),
    ("quarter", date(2026, 2, 1), (date(2025, 10, 1), date(2025, 12, 31)), (date(2025, 7, 1), date(2025, 9, 30))),
    ("year", date(2026, 11, 20), (date(2025, 1, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))),
    ("year", date(2026, 12, 31), (date(2026, 1, 1), date(2026, 12, 31)), (date(2025, 1, 1), date(2025, 12, 31))),
])
def test_calendar_window_is_the_last_complete_period(text, as_of, current, previous):
    window = parse_window(text)
    assert windows.span(window, as_of) == Span(*current)
    assert windows.previous(window, as_of) == Span(*previous)


def test_bounds_are_local_midnights_with_an_exclusive_end():
    start, end = windows.bounds(Span(date(2026, 10, 24), date(2026, 11, 20)))
    assert (start, end) == (datetime(2026, 10, 24), datetime(2026, 11, 21))
    assert start.tzinfo is None and end.tzinfo is None
    assert windows.end_of_day(date(2026, 11, 20)) == datetime(2026, 11, 21)


def test_today_is_taken_in_the_program_timezone():
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same calendar day.
    assert windows.today("Pacific/Kiritimati") != windows.today("Pacific/Pago_Pago")
