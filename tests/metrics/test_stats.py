"""Pure statistics: intervals, tests, rounding."""

from __future__ import annotations

import math

import pytest

from cxgov.metrics import stats


def test_z95_is_the_normal_quantile():
    assert stats.p_two_sided(stats.Z95) == pytest.approx(0.05, abs=1e-6)
    assert stats.p_two_sided(0) == 1.0


def test_wilson_no_data_and_symmetry():
    assert stats.wilson(0, 0) is None
    low, high = stats.wilson(3, 10)
    low2, high2 = stats.wilson(7, 10)
    assert low == pytest.approx(1 - high2) and high == pytest.approx(1 - low2)


def test_nps_interval_is_clamped_to_the_scale():
    low, high = stats.nps_interval(0.9, 0.0, 2)
    assert high == 100.0 and low < 90
    assert stats.nps_interval(0.5, 0.1, 0) is None


def test_mean_interval_needs_two_answers():
    assert stats.mean_interval(3.0, None, 1) is None
    low, high = stats.mean_interval(5.0, 4.0, 100)
    assert (low, high) == (pytest.approx(5 - stats.Z95 * 0.2), pytest.approx(5 + stats.Z95 * 0.2))


def test_two_proportion_test():
    z, p = stats.two_proportion_trend(90, 100, 75, 100)  # 90% -> 75%
    pooled = 165 / 200
    assert z == pytest.approx(-0.15 / math.sqrt(pooled * (1 - pooled) * 0.02))
    assert p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert p < 0.05


def test_welch_test():
    z, p = stats.welch_trend(5.0, 1.0, 50, 4.5, 2.0, 60)
    assert z == pytest.approx(-0.5 / math.sqrt(1 / 50 + 2 / 60))
    assert stats.welch_trend(5.0, None, 1, 4.0, 1.0, 40) == (None, None)


def test_no_spread_in_either_window():
    assert stats.nps_trend((1.0, 0.0), 40, (1.0, 0.0), 40) == (None, None)
    assert stats.nps_trend((1.0, 0.0), 40, (0.0, 1.0), 40) == (None, 0.0)


@pytest.mark.parametrize("value, digits, expected", [(1.05, 1, 1.1), (-1.05, 1, -1.1), (1.04999, 1, 1.0),
                                                     (12.345, 2, 12.35), (0.0, 1, 0.0), (74.0315, 3, 74.032)])
def test_round_half_away_from_zero(value, digits, expected):
    assert stats.round_half_away(value, digits) == expected


@pytest.mark.parametrize("p, text", [(0.0360, "p = 0.036"), (0.1047, "p = 0.105"), (0.001, "p = 0.001"),
                                     (0.00099, "p < 0.001"), (3e-12, "p < 0.001"), (0.0, "p < 0.001"),
                                     (1.0, "p = 1.000")])
def test_p_values_are_written_to_three_decimals_and_tiny_ones_as_below_a_thousandth(p, text):
    assert stats.p_text(p) == text
