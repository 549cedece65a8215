"""Calendar arithmetic on spec dates: a day some months away (a review's cadence in months is vocabulary).

Shared by the lint (CX207, a review overdue) and the scorecard (approvals within the last review cycle).
"""

from __future__ import annotations

from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` moved by `months` calendar months (back when negative), kept within the month: 31 Jan + 1 is 28/29 Feb."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    days_in = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31,
               30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, days_in))
