"""Every worked example of DOMAIN.md, computed in SQL through the real Store on a DuckDB file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cxgov.metrics import kinds, stats
from cxgov.spec.model import Duration, Filter, Metric, Scale

from metric_rows import AS_OF_END, WINDOW_START

NPS = Metric(id="nps", kind="nps", source="facts", column="score")
CSAT = Metric(id="csat", kind="csat", source="facts", column="score", scale=Scale(1, 5))
CES = Metric(id="ces", kind="ces", source="facts", column="score", scale=Scale(1, 7))
HOURS = Duration(start="opened", end="resolved", unit="hours")


def scores(counts: dict[int, int]) -> list[tuple[int]]:
    return [(score,) for score, count in counts.items() for _ in range(count)]


def test_nps_ten_answers(measure):
    m = measure(NPS, {"score": "INTEGER"}, [(s,) for s in [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]])
    assert m.n == 10 and m.value == pytest.approx(20.0)
    assert m.stats["var"] == pytest.approx(0.76)
    assert 100 * (m.stats["var"] / m.n) ** 0.5 == pytest.approx(27.568, abs=5e-4)
    assert m.ci_low == pytest.approx(-34.032, abs=5e-4)
    assert m.ci_high == pytest.approx(74.032, abs=5e-4)
    assert m.unit == "points"


def test_nps_200_and_250_and_their_trend(measure, tmp_path):
    previous = measure(NPS, {"score": "INTEGER"}, scores({10: 100, 8: 50, 2: 50}))
    assert previous.n == 200 and previous.value == pytest.approx(25.0)
    se = 100 * (previous.stats["var"] / previous.n) ** 0.5
    assert se == pytest.approx(5.8630, abs=5e-5)
    assert (previous.ci_low, previous.ci_high) == (pytest.approx(13.509, abs=5e-4), pytest.approx(36.491, abs=5e-4))

    current = measure(NPS, {"score": "INTEGER"}, scores({9: 110, 7: 60, 0: 80}))
    assert current.n == 250 and current.value == pytest.approx(12.0)
    assert (current.ci_low, current.ci_high) == (pytest.approx(1.296, abs=5e-4), pytest.approx(22.704, abs=5e-4))

    change, z, p = kinds.trend(NPS, current, previous)
    assert change == pytest.approx(-13.0)
    se_change = 100 * (previous.stats["var"] / 200 + current.stats["var"] / 250) ** 0.5
    assert se_change == pytest.approx(8.0124, abs=5e-5)
    assert z == pytest.approx(-1.6225, abs=5e-5)
    assert p == pytest.approx(0.1047, abs=5e-5)
    assert p > 0.05  # not a significant drop


def test_csat(measure):
    m = measure(CSAT, {"score": "INTEGER"}, scores({5: 42, 4: 32, 3: 10, 2: 9, 1: 14}))
    assert m.n == 107
    assert m.value == pytest.approx(69.159, abs=5e-4)
    assert m.extra["mean"] == pytest.approx(3.7383, abs=5e-5)
    assert m.ci_low == pytest.approx(59.8715, abs=5e-5)
    assert m.ci_high == pytest.approx(77.1183, abs=5e-5)
    assert m.unit == "%"


@pytest.mark.parametrize("k, low, high", [(0, 0.0, 27.7533), (10, 72.2467, 100.0)])
def test_wilson_edges(measure, k, low, high):
    ratio = Metric(id="r", kind="ratio", source="facts", condition=Filter((("ok", (True,)),)))
    m = measure(ratio, {"ok": "BOOLEAN"}, [(i < k,) for i in range(10)])
    assert m.n == 10 and m.value == pytest.approx(10.0 * k)
    assert m.ci_low == pytest.approx(low, abs=5e-5)
    assert m.ci_high == pytest.approx(high, abs=5e-5)
    assert stats.wilson(k, 10) == (pytest.approx(low / 100, abs=5e-7), pytest.approx(high / 100, abs=5e-7))


def test_ces(measure):
    m = measure(CES, {"score": "INTEGER"}, scores({7: 30, 6: 25, 5: 15, 4: 10, 3: 8, 2: 7, 1: 5}))
    assert m.n == 100
    assert m.value == pytest.approx(5.18)
    assert m.extra["easy"] == pytest.approx(70.0)
    assert m.ci_low < 5.18 < m.ci_high


@pytest.mark.parametrize("p, expected", [(50, 5.5), (90, 11.1)])
def test_percentile_of_hours(measure, p, expected):
    metric = Metric(id="p", kind="percentile", source="facts", percentile=p, duration=HOURS)
    rows = [(WINDOW_START, WINDOW_START + timedelta(hours=h)) for h in [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]]
    m = measure(metric, {"opened": "TIMESTAMP", "resolved": "TIMESTAMP"}, rows)
    assert m.n == 10
    assert m.value == pytest.approx(expected, abs=1e-9)
    assert m.ci_low is None and m.unit == "h"


def test_percentile_of_column(measure):
    metric = Metric(id="p", kind="percentile", source="facts", percentile=90, column="hours")
    m = measure(metric, {"hours": "DOUBLE"}, [(h,) for h in [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]] + [(None,)])
    assert (m.n, m.missing) == (10, 1)
    assert m.value == pytest.approx(11.1, abs=1e-9)


def test_sla_24h(measure):
    metric = Metric(id="sla", kind="sla", source="facts", duration=HOURS, within=24)
    as_of = AS_OF_END
    rows = [(as_of - timedelta(hours=100), as_of - timedelta(hours=100 - h)) for h in (10, 24, 30, 50)]
    rows += [(as_of - timedelta(hours=40), None), (as_of - timedelta(hours=5), None)]
    m = measure(metric, {"opened": "TIMESTAMP", "resolved": "TIMESTAMP"}, rows, as_of_end=as_of)
    assert m.extra["met"] == 2 and m.extra["breached"] == 3 and m.extra["open_not_due"] == 1
    assert m.n == 5
    assert m.value == pytest.approx(40.0)
    assert m.ci_low == pytest.approx(100 * stats.wilson(2, 5)[0])


def test_display_rounding_half_away_from_zero():
    assert stats.round_half_away(2.25) == 2.3
    assert stats.round_half_away(-2.25) == -2.3
    assert stats.round_half_away(69.15887850467289) == 69.2
    assert stats.round_half_away(0.05) == 0.1
    assert stats.round_half_away(None) is None
