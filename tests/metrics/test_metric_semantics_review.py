"""A review of each metric kind against DOMAIN.md: n, missing and invalid, the scales, boundaries and open cases,
computed in SQL through the real Store on a DuckDB file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cxgov.engine.evaluate import status_of
from cxgov.metrics import kinds
from cxgov.spec.model import Duration, Filter, Metric, Scale, Threshold

from metric_rows import AS_OF_END

HOURS = Duration(start="opened", end="resolved", unit="hours")
KINDS = [
    (Metric(id="nps", kind="nps", source="facts", column="score"), {"score": "INTEGER"}),
    (Metric(id="csat", kind="csat", source="facts", column="score"), {"score": "INTEGER"}),
    (Metric(id="ces", kind="ces", source="facts", column="score"), {"score": "INTEGER"}),
    (Metric(id="mean", kind="mean", source="facts", column="score"), {"score": "INTEGER"}),
    (Metric(id="gap", kind="gap", source="facts", expectation="e", perception="p"), {"e": "DOUBLE", "p": "DOUBLE"}),
    (Metric(id="ratio", kind="ratio", source="facts", condition=Filter((("ok", (True,)),))), {"ok": "BOOLEAN"}),
    (Metric(id="p90", kind="percentile", source="facts", column="score", percentile=90), {"score": "INTEGER"}),
    (Metric(id="sla", kind="sla", source="facts", duration=HOURS, within=24),
     {"opened": "TIMESTAMP", "resolved": "TIMESTAMP"}),
]


@pytest.mark.parametrize("metric, columns", KINDS, ids=[m.id for m, _ in KINDS])
def test_only_null_values_give_no_value_never_zero(measure, metric, columns):
    m = measure(metric, columns, [tuple(None for _ in columns)] * 3)
    assert (m.value, m.n, m.ci_low, m.ci_high) == (None, 0, None, None)
    assert m.missing == 3 and m.invalid == 0


def test_count_of_no_rows_is_no_value():
    m = kinds.finalize(Metric(id="count", kind="count", source="facts"), {}, "m_")
    assert (m.value, m.n) == (None, 0)


def test_nps_out_of_scale_and_non_integer_answers_are_invalid_and_nulls_missing(measure):
    metric = Metric(id="nps", kind="nps", source="facts", column="score")
    m = measure(metric, {"score": "DOUBLE"}, [(10,), (9,), (0,), (11,), (-1,), (9.5,), (None,), (float("nan"),)])
    assert (m.n, m.missing, m.invalid) == (3, 1, 4)
    assert m.value == pytest.approx(100 * (2 - 1) / 3)


@pytest.mark.parametrize("promoters, detractors, n, expected", [(6, 4, 10, 20.0), (7, 2, 10, 50.0), (1, 4, 10, -30.0)])
def test_an_nps_equal_to_its_threshold_is_exactly_that_value(measure, promoters, detractors, n, expected):
    """6 promoters and 4 detractors of 10 is an NPS of exactly 20, and meets `>= 20` (100 * (0.6 - 0.4) is
    19.999999999999996 in floating point: a breach by rounding error)."""
    metric = Metric(id="nps", kind="nps", source="facts", column="score")
    answers = [10] * promoters + [0] * detractors + [8] * (n - promoters - detractors)
    m = measure(metric, {"score": "INTEGER"}, [(a,) for a in answers])
    assert m.value == expected
    assert status_of(Threshold(op=">=", fail=expected), m, 1) == "pass"
    assert status_of(Threshold(op="<=", fail=expected), m, 1) == "pass"


def test_text_answers_that_are_no_number_are_invalid(measure):
    metric = Metric(id="csat", kind="csat", source="facts", column="score")
    m = measure(metric, {"score": "VARCHAR"}, [("5",), ("4",), ("1",), ("five",), (None,)])
    assert (m.n, m.missing, m.invalid) == (3, 1, 1)
    assert m.value == pytest.approx(200 / 3)


@pytest.mark.parametrize("scale, answers, top", [
    (Scale(1, 10), [10, 9, 8, 1, 0, 11], 2),  # top two boxes are 9 and 10; 0 and 11 are invalid
    (Scale(1, 7), [7, 6, 5, 1, 8, 0], 2),
    (Scale(0, 3), [3, 2, 1, 0, 4, -1], 2),
])
def test_csat_top_two_boxes_on_other_scales(measure, scale, answers, top):
    metric = Metric(id="csat", kind="csat", source="facts", column="score", scale=scale)
    m = measure(metric, {"score": "INTEGER"}, [(a,) for a in answers])
    assert (m.n, m.invalid) == (4, 2)
    assert m.value == pytest.approx(100 * top / 4)
    assert m.stats["k"] == top


def test_ces_easy_is_the_share_at_5_to_7_and_answers_off_the_scale_are_left_out(measure):
    metric = Metric(id="ces", kind="ces", source="facts", column="score")
    m = measure(metric, {"score": "DOUBLE"}, [(7,), (5,), (4,), (1,), (0,), (8,), (4.5,), (None,)])
    assert (m.n, m.missing, m.invalid) == (4, 1, 3)
    assert m.value == pytest.approx((7 + 5 + 4 + 1) / 4)
    assert m.extra["easy"] == pytest.approx(50.0)


def test_sla_boundaries_and_open_cases_against_the_as_of(measure):
    metric = Metric(id="sla", kind="sla", source="facts", duration=HOURS, within=24)
    end = AS_OF_END
    rows = [
        (end - timedelta(hours=48), end - timedelta(hours=24)),  # exactly 24 h: met
        (end - timedelta(hours=48), end - timedelta(hours=24) + timedelta(seconds=1)),  # 24 h 1 s: breached
        (end - timedelta(hours=24), None),  # open exactly 24 h at the as-of: not yet due
        (end - timedelta(hours=24, minutes=1), None),  # open 24 h 1 min: breached
        (end - timedelta(hours=30), end + timedelta(hours=1)),  # resolved after the as-of: open 30 h then, breached
        (end - timedelta(hours=2), end + timedelta(hours=40)),  # resolved after the as-of: open 2 h then, not due
        (end - timedelta(hours=10), end - timedelta(hours=11)),  # resolved before it opened: invalid
        (None, end - timedelta(hours=1)),  # no start: missing
    ]
    m = measure(metric, {"opened": "TIMESTAMP", "resolved": "TIMESTAMP"}, rows, as_of_end=end)
    assert (m.extra["met"], m.extra["breached"], m.extra["open_not_due"]) == (1, 3, 2)
    assert (m.n, m.missing, m.invalid) == (4, 1, 1)
    assert m.value == pytest.approx(25.0)


def test_percentile_interpolates_linearly(measure):
    """quantile_cont: p50 of 1..4 is 2.5 and p25 is 1.75; approx_quantile or a discrete quantile would not be."""
    for p, expected in ((50, 2.5), (25, 1.75), (90, 3.7)):
        metric = Metric(id="p", kind="percentile", source="facts", column="v", percentile=p)
        m = measure(metric, {"v": "DOUBLE"}, [(1,), (2,), (3,), (4,), (None,)])
        assert (m.n, m.missing) == (4, 1)
        assert m.value == pytest.approx(expected, abs=1e-12)
        assert m.ci_low is None


def test_gap_is_over_rows_with_both_values(measure):
    metric = Metric(id="gap", kind="gap", source="facts", expectation="e", perception="p")
    m = measure(metric, {"e": "DOUBLE", "p": "DOUBLE"}, [(5, 4), (6, 3), (4, None), (None, 7), (None, None)])
    assert (m.n, m.missing) == (2, 3)
    assert m.value == pytest.approx(-2.0)  # (4 - 5 + 3 - 6) / 2: a shortfall


def test_ratio_with_a_condition_on_a_null_column(measure):
    metric = Metric(id="fcr", kind="ratio", source="facts", condition=Filter((("ok", (True,)),)))
    m = measure(metric, {"ok": "BOOLEAN"}, [(True,), (False,), (None,), (True,)])
    assert (m.n, m.missing) == (3, 1)  # NULL: unknown, left out and counted
    assert m.value == pytest.approx(200 / 3)
    with_null = Metric(id="fcr", kind="ratio", source="facts", condition=Filter((("ok", (True, None)),)))
    m = measure(with_null, {"ok": "BOOLEAN"}, [(True,), (False,), (None,), (True,)])
    assert (m.n, m.missing) == (4, 0)  # the condition names NULL: it meets it
    assert m.value == pytest.approx(75.0)


def test_ratio_condition_on_several_columns_and_a_list(measure):
    metric = Metric(id="r", kind="ratio", source="facts",
                    condition=Filter((("reason", ("fee", "rate")), ("resolved", (True,)))))
    rows = [("fee", True), ("rate", True), ("fee", False), ("card", True), (None, True)]
    m = measure(metric, {"reason": "VARCHAR", "resolved": "BOOLEAN"}, rows)
    assert (m.n, m.missing) == (4, 1)
    assert m.value == pytest.approx(50.0)


def test_where_leaves_rows_out_of_n_missing_and_invalid(measure):
    metric = Metric(id="csat", kind="csat", source="facts", column="score",
                    where=Filter((("q", ("sat",)), ("wave", (1, 2)))))
    rows = [("sat", 1, 5), ("sat", 2, None), ("sat", 3, 5), ("other", 1, 9), ("sat", 2, 9)]
    m = measure(metric, {"q": "VARCHAR", "wave": "INTEGER", "score": "INTEGER"}, rows)
    assert (m.n, m.missing, m.invalid) == (1, 1, 1)
