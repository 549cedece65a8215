"""Display rounding: the fast path of stats.round_half_away agrees with rounding the decimal written form."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from cxgov.metrics import stats


def reference(value: float, digits: int) -> float:
    """The definition: the shortest decimal that reads back as the value, rounded half away from zero."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def same(a: float, b: float) -> bool:
    return a == b and math.copysign(1, a) == math.copysign(1, b)  # -0.0 stays -0.0


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 6))
@example(2.675, 2)  # the float is below 2.675; its written form is not
@example(-0.04, 1)
@example(-0.0, 1)
@example(1e-300, 1)
def test_any_float_rounds_as_its_written_form(value, digits):
    assert same(stats.round_half_away(value, digits), reference(value, digits))


@given(st.integers(-10 ** 8, 10 ** 8), st.integers(0, 4))
def test_ties_written_in_decimal_round_away_from_zero(whole, digits):
    # k + 0.5 in the last place, e.g. 71.45 or -0.05: exactly half way in decimal, rarely in binary
    tie = Decimal(abs(whole)).scaleb(-digits) + Decimal(5).scaleb(-digits - 1)
    value = math.copysign(float(tie), whole)
    assert Decimal(repr(abs(value))) == tie
    assert same(stats.round_half_away(value, digits), reference(value, digits))
    assert abs(stats.round_half_away(value, digits)) >= abs(value)


def test_near_ties_and_large_values_keep_the_decimal_answer():
    for value in (71.45, 64.95, 84.25, 0.15, 0.25, 0.35, 1.005, 2.5e-7, 4503599627370495.5, 1e15 + 0.25):
        for digits in (0, 1, 2, 3):
            assert same(stats.round_half_away(value, digits), reference(value, digits))
    assert stats.round_half_away(1e20, 1) == 1e20
    assert stats.round_half_away(1234.5678, -2) == 1200.0  # negative digits: the Decimal path
    assert stats.round_half_away(float("inf")) == float("inf") and stats.round_half_away(None) is None
