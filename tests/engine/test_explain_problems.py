"""`cxgov explain` for a problems analysis of the example program: its mapping or theme patterns, windows, the
scan it shares, and with data the statement and plan."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data import themes
from cxgov.data.generate import generate
from cxgov.spec.api import load_spec

SPECS = Path(__file__).resolve().parents[2] / "specs"
AS_OF = "2026-11-20"


def explain(*args: str):
    return CliRunner().invoke(main, ["explain", *args, str(SPECS), "--as-of", AS_OF])


def test_a_category_analysis_lists_its_mapping_windows_and_the_scan_it_shares():
    result = explain("complaint-reasons")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("problems complaint-reasons: Why customers complain\n  defined at specs/problems.yaml:")
    assert "    unclear-fees: unexpected-fee, fee-not-refunded\n" in out
    assert "by its category in column reason" in out and "vital_share 80%" in out
    assert "current   2026-07-01..2026-09-30" in out and "previous  2026-04-01..2026-06-30" in out
    assert "grouping sets (period, category)" in out
    assert re.search(r"also serves: .*complaints-resolved-24h", out)
    assert "--rule complaint-reasons" in out


def test_a_theme_analysis_shows_the_regular_expression_and_words_each_theme_is_matched_with():
    result = explain("what-customers-write")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    spec = load_spec(SPECS)
    problem = spec.problem("what-customers-write")
    at = lines.index("    staff-training:")
    for offset, theme in enumerate(t for t in problem.themes if t.root_cause == "staff-training"):
        line, words = lines[at + 1 + 2 * offset], lines[at + 2 + 2 * offset]
        assert line == f"      {theme.id}: " + themes.regex(theme.patterns).encode("unicode_escape").decode()
        assert words.split() == ["words:", *themes.literals(theme.patterns)]
    line = lines[at + 1]
    assert "\t" not in line and "score csat" in result.output
    assert "rows where question in (satisfaction)" in result.output


@pytest.fixture(scope="module")
def example_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("explain") / "example.duckdb"
    generate(load_spec(SPECS), db, rows=20_000, seed=3, as_of=date(2026, 11, 20))
    return db


def test_with_data_the_statement_reads_the_category_and_the_engine_plans_it(example_db):
    result = CliRunner().invoke(main, ["explain", "complaint-reasons", str(SPECS), "--as-of", AS_OF,
                                       "--data", str(example_db)])
    assert result.exit_code == 0, result.output
    sql = result.output.split("-- SQL", 1)[1]
    assert '"reason"' in sql and "GROUPING SETS" in sql and "plan" in sql
