"""The numbers, dates and windows a spec (and the command line) may name: what Python dates, DuckDB timestamps and
doubles hold, with room left for the windows evaluated before a date (a trend compares with the previous window).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9997, 12, 31)  # scans look a year and more past the as-of date (zone offsets): still dates
MAX_WINDOW_DAYS = 3660  # ten years: 3660d or 522w
MAX_NUMBER = 10**15  # doubles hold every integer up to 2**53 exactly; DuckDB binds 128-bit integers at most

DATE_RANGE = f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"


def number_problem(value: Any) -> str | None:
    """Why a number of a spec is unusable (NaN, an infinity, a magnitude past MAX_NUMBER), or None.

    Values that are not numbers (booleans included) are the schema's business: None.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return ".nan (not a number) is not a usable number"
    if isinstance(value, float) and math.isinf(value):
        return f"{'-' if value < 0 else ''}.inf (infinity, or a number too large to hold) is not a usable number"
    if abs(value) > MAX_NUMBER:
        shown = f"{value:g}" if isinstance(value, float) or value.bit_length() <= 64 else \
            f"a number of {len(str(abs(value))) if value.bit_length() < 10_000 else 'thousands of'} digits"
        return f"{shown} is too large: a number in a spec lies between -1e15 and 1e15"
    return None


def date_problem(day: date) -> str | None:
    """Why `day` is outside the dates cxgov evaluates (DATE_RANGE), or None."""
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return f"is outside the dates cxgov works with ({DATE_RANGE})"


def window_problem(days: int) -> str | None:
    """Why a rolling window of `days` days is too long, or None."""
    if days <= MAX_WINDOW_DAYS:
        return None
    return f"spans {days} days, more than the {MAX_WINDOW_DAYS} (ten years) a window may span"
