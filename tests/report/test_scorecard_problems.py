"""The scorecard's "Problems and root causes": a Pareto chart per analysis with the same numbers as a table, and
the vital few with their owners and actions (DOMAIN.md's worked example)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from cxgov.engine.results import Run
from cxgov.report import html, pareto_chart
from report_samples import (GENERATED_AT, PAYLOAD, SAMPLE_SQL, problem_results, sample_run, sample_spec, section,
                            with_problems)


def _page(text=lambda s: s) -> tuple[str, Run]:
    spec = with_problems(sample_spec(text), text)
    base = sample_run(spec, text)
    run = replace(base, results=(*base.results, *problem_results(spec)))
    return html.scorecard(replace(run, evidence=SAMPLE_SQL), spec, GENERATED_AT), run


@pytest.fixture(scope="module")
def problems() -> str:
    return section(_page()[0], "problems")


def test_one_chart_per_analysis_with_bars_cumulative_line_and_vital_share(problems):
    (svg,) = re.findall(r'<svg class="pareto".*?</svg>', problems, flags=re.S)
    assert 'role="img"' in svg
    bars = re.findall(r'<rect class="p-(vital|trivial)"[^>]*height="([\d.]+)"', svg)
    assert [kind for kind, _ in bars] == ["vital", "vital", "vital", "trivial", "trivial"]
    heights = [float(h) for _, h in bars]
    assert heights == sorted(heights, reverse=True) and heights[0] / heights[-1] == pytest.approx(50 / 5, rel=0.01)
    (line,) = re.findall(r'<path class="cumulative"[^>]*d="([^"]+)"', svg)
    ys = [float(p.split()[1]) for p in line[1:].split("L")]
    assert len(ys) == 5 and ys == sorted(ys, reverse=True)  # rising to 100%
    top, bottom = pareto_chart.TOP, pareto_chart.HEIGHT - pareto_chart.BOTTOM
    assert ys[-1] == pytest.approx(top) and ys[0] == pytest.approx(bottom - (bottom - top) * 0.40, abs=0.1)
    (vital,) = re.findall(r'<path class="vital-line"[^>]*d="M[\d.]+ ([\d.]+)H', svg)
    assert float(vital) == pytest.approx(bottom - (bottom - top) * 0.80, abs=0.1)
    alt = re.search(r'aria-label="([^"]+)"', svg).group(1)
    assert "1. Lack of training of customer service staff: 50 (40.0%), cumulative 40.0%, vital" in alt
    assert "5. parking: 5 (4.0%), cumulative 100.0%" in alt


def test_the_same_numbers_in_a_table(problems):
    rows = re.findall(r"<tr[^>]*><td class=\"num\">(\d)</td><th scope=\"row\">([^<]+)<.*?</tr>", problems, re.S)
    assert [(int(rank), name) for rank, name in rows] == [
        (1, "Lack of training of customer service staff"), (2, "Billing system errors"),
        (3, "Website hard to use"), (4, "Late card delivery"), (5, "parking")]
    table = problems[problems.index("<table"):]
    for numbers in ("<td class=\"num\">50</td><td class=\"num\">40.0</td>", "31.8 to 48.8",
                    "<td class=\"num\">88.0</td><td>vital</td>", "<td class=\"num\">100.0</td><td>no</td>"):
        assert numbers in table
    assert "mapped to no root cause" in table and "calls-not-answered 30, impolite-agent 20" in table


def test_the_vital_few_with_owners_and_actions_and_those_nobody_works_on(problems):
    callout = problems[problems.index('class="callout"'):problems.index("</p>", problems.index('class="callout"'))]
    assert "2 vital causes have no open action" in callout
    assert "Billing system errors (owner Web Platform)" in callout and "Website hard to use" in callout
    assert "Lack of training" not in callout
    assert "act-31 (open, due 2027-01-31, owner Contact Centre)" in problems
    assert problems.count('<strong class="alarm">no open action</strong>') == 2


def test_problem_results_are_not_placed_among_the_standards():
    page, run = _page()
    assert "Touchpoints not in any journey stage" not in page
    assert "5 for causes in problems analyses" in section(page, "summary")
    assert '<a href="#problems">Problems and root causes</a>' in page and 'id="rule-complaint-causes"' in page


def test_spec_text_in_the_chart_and_table_is_escaped():
    page, _ = _page(lambda s: s + PAYLOAD)
    problems = section(page, "problems")
    assert "<script>" not in problems and "<img" not in problems
    svg = problems[problems.index('<svg class="pareto"'):problems.index("</svg>")]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in svg  # in the chart's text alternative
    assert problems.count("&lt;script&gt;window.__pwned=1") >= 3  # and in the table and the callout


def test_a_spec_without_problems_says_so():
    spec = sample_spec()
    assert "No problems analyses in this spec." in section(html.scorecard(sample_run(spec), spec, GENERATED_AT),
                                                            "problems")
