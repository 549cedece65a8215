"""The command line as a new user meets it: bad options give a short message that says what to write, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cxgov.cli import main


@pytest.mark.parametrize("args", [
    ["check", "--as-of"], ["explain", "some-rule", "--as-of"], ["validate", "--today"],
    ["report", "scorecard", "--out", "-", "--as-of"], ["data", "generate", "--db", "x.duckdb", "--as-of"],
    ["demo", "--as-of"],
])
@pytest.mark.parametrize("value, problem", [("20/11/2026", "is not a date"), ("2026-13-01", "is not a real date")])
def test_a_date_option_says_how_to_write_a_date(tmp_path, monkeypatch, args, value, problem):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*args, value])
    assert result.exit_code == 2, result.output
    assert f"'{value}' {problem}: write it YYYY-MM-DD, e.g. 2026-11-20" in result.output
    assert "%Y" not in result.output and "Traceback" not in result.output
