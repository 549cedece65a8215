"""Display text and inline charts for the HTML reports."""

from __future__ import annotations

import re

import pytest

from cxgov.report import display, svg


@pytest.mark.parametrize("value, text", [
    (0.05, "0.1"), (0.15, "0.2"), (0.25, "0.3"), (2.675, "2.7"), (-0.25, "-0.3"), (-2.25, "-2.3"),
    (-0.04, "0.0"), (-0.05, "-0.1"), (87.45, "87.5"), (64.95, "65.0"), (20.0, "20.0"), (None, "—"),
    (-34.032, "-34.0"), (74.032, "74.0"),
])
def test_numbers_round_half_away_from_zero(value, text):
    assert display.number(value) == text


def test_values_carry_their_unit_and_counts_show_whole_numbers():
    assert display.value_text(87.45, "%") == "87.5%"
    assert display.value_text(20.0, "points", "nps") == "20.0 points"
    assert display.value_text(5.18, None, "ces") == "5.2"
    assert display.value_text(1234.5, None, "count") == "1235"
    assert display.value_text(None, "%") == "—"


def test_a_value_that_rounds_onto_its_threshold_shows_the_decimals_that_tell_them_apart():
    assert display.value_text(89.96, "%", "csat", (90, 95)) == "89.96%"
    assert display.value_text(-1.2003, None, "gap", (-1.2, -0.8)) == "-1.2003"
    assert display.value_text(90.0, "%", "csat", (90, 95)) == "90.0%"  # exactly on it: nothing to tell apart
    assert display.value_text(87.45, "%", "csat", (90, None)) == "87.5%"
    assert display.value_text(3999.6, None, "count", (4000,)) == "3999.6"


def test_changes_are_signed():
    assert [display.signed(x) for x in (1.46, -13.0, 0.0, -0.04, None)] == ["+1.5", "-13.0", "0.0", "0.0", "—"]


def test_worst_status_and_counts_follow_the_pressing_order():
    assert display.worst_status(["pass", "insufficient", "warn"]) == "warn"
    assert display.worst_status(["waived", "error", "breach"]) == "breach"
    assert display.worst_status([]) is None
    assert display.counts_text({"breach": 2, "pass": 40}) == "2 breach, 40 pass"
    assert display.stage_label("make-a-claim") == "Make a claim"


def test_the_status_bar_has_one_segment_per_status_in_proportion():
    bar = str(svg.status_bar({"breach": 1, "pass": 3}))
    widths = dict(re.findall(r'class="f-(\w+)" x="[\d.]+" y="0" width="([\d.]+)"', bar))
    assert widths == {"breach": "250.00", "pass": "750.00"}
    assert 'role="img"' in bar and "Results by status: 1 breach, 3 pass" in bar
    assert "no results" in str(svg.status_bar({}))


def test_the_interval_plot_draws_zones_interval_and_previous_and_describes_them():
    plot = str(svg.interval_plot(87.5, 82.7, 91.1, ">=", 90, 95, previous=91.0))
    assert plot.count("<rect") == 3 and 'class="ci"' in plot and 'class="prev"' in plot
    assert "Value 87.5; 95% interval 82.7 to 91.1; previous window 91.0; breach below 90; warn below 95" in plot
    lower = str(svg.interval_plot(100.0, None, None, "<=", 120))
    assert lower.count("<rect") == 2 and 'class="ci"' not in lower  # no warn zone, no interval
    assert str(svg.interval_plot(None, None, None, ">=", 1)) == ""


def test_text_in_svg_is_escaped():
    bar = str(svg.status_bar({"pass": 1}, label='<script>"x"</script>'))
    assert "<script>" not in bar and "&lt;script&gt;" in bar
