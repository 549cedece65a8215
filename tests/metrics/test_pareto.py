"""The Pareto math of problems analyses: the key-driver gap's interval stays within what the score's scale allows."""

from __future__ import annotations

import math

import pytest

from cxgov.metrics import kinds, pareto
from cxgov.spec.model import Metric, Scale

Z = 1.959964


def _wilson_percent(k: int, n: int) -> tuple[float, float, float]:
    """(value, low, high) in percent, by DOMAIN.md's formula."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def _unclipped(a: tuple[float, float, float], b: tuple[float, float, float]) -> tuple[float, float, float]:
    se = math.sqrt(((a[2] - a[1]) / (2 * Z)) ** 2 + ((b[2] - b[1]) / (2 * Z)) ** 2)
    d = a[0] - b[0]
    return d, d - Z * se, d + Z * se


def test_the_fixture_case_of_few_rows_is_clipped_at_minus_100_points():
    # tests/engine/problem_fixtures.py: csat 0 of the 5 rows mentioning waiting, 6 of the 7 others
    with_, without = _wilson_percent(0, 5), _wilson_percent(6, 7)
    d, low, high = _unclipped(with_, without)
    assert low < -100  # about -118: a percentage cannot fall by more than 100 points
    got = pareto.gap(with_, without, feasible=(-100.0, 100.0))
    assert got[0] == pytest.approx(-600 / 7) and got[0] == pytest.approx(d)
    assert got[1] == -100.0 and got[2] == pytest.approx(high)
    assert pareto.gap(with_, without)[1] == pytest.approx(low)  # without a range: as computed


def test_a_difference_at_the_edge_of_the_scale_keeps_it_as_its_bound():
    with_, without = _wilson_percent(5, 5), _wilson_percent(0, 5)
    d, low, high = _unclipped(with_, without)
    assert d == 100.0 and high > 100
    assert pareto.gap(with_, without, feasible=(-100.0, 100.0)) == (100.0, pytest.approx(low), 100.0)


def test_a_mean_gap_on_a_ces_scale_is_clipped_to_its_width():
    # CES on 1-7: with 7, 7, 6 (mean 6.667, sd 0.577), without 1, 1, 2 (mean 1.333): the gap 5.333 cannot exceed 6
    half = Z * math.sqrt(1 / 3) / math.sqrt(3)
    with_, without = (20 / 3, 20 / 3 - half, 20 / 3 + half), (4 / 3, 4 / 3 - half, 4 / 3 + half)
    ces = Metric(id="effort", kind="ces", source="surveys", column="effort")
    assert kinds.difference_range(ces) == (-6.0, 6.0)
    d, low, high = pareto.gap(with_, without, feasible=kinds.difference_range(ces))
    assert d == pytest.approx(16 / 3) and high == 6.0 and low == pytest.approx(16 / 3 - half * math.sqrt(2))


@pytest.mark.parametrize("kind, fields, expected", [
    ("csat", {"column": "score"}, (-100.0, 100.0)),
    ("csat", {"column": "score", "scale": Scale(1, 7)}, (-100.0, 100.0)),
    ("nps", {"column": "score"}, (-200.0, 200.0)),
    ("ces", {"column": "effort", "scale": Scale(1, 5)}, (-4.0, 4.0)),
    ("ratio", {"condition": None}, (-100.0, 100.0)),
    ("count", {}, (-math.inf, math.inf)),
    ("mean", {"column": "seconds"}, None),
])
def test_the_difference_range_of_each_kind(kind, fields, expected):
    assert kinds.difference_range(Metric(id="m", kind=kind, source="s", **fields)) == expected


def test_an_unbounded_range_changes_nothing():
    args = ((50.0, 40.0, 60.0), (45.0, 40.0, 50.0))
    assert pareto.gap(*args, feasible=(-math.inf, math.inf)) == pareto.gap(*args)
