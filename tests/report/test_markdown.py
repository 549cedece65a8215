"""Markdown summary for CI step summaries and pull-request comments."""

from __future__ import annotations

import re
from dataclasses import replace

from cxgov.engine.results import FailPolicy
from cxgov.report import markdown
from run_fixtures import BREACH, PASS, sample_run


def table_rows(out: str) -> list[list[str]]:
    """Cells of each body row, split on unescaped pipes."""
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| Status")]


def test_headline_counts_and_what_needs_attention_first():
    out = markdown.render(sample_run())
    assert out.startswith("## cxgov check: northwind-bank, as of 2026-11-20\n")
    assert "**2 result(s) fail the check** (fail on breach, from severity low)." in out
    assert "🔴 2 breach" in out and "🟢 1 pass" in out
    rows = [r for r in table_rows(out) if r[0]]
    assert [r[0] for r in rows] == ["🔴 breach", "🔴 breach", "⛔ error", "🟠 warn", "🟠 warn", "⚪ waived (breach)",
                                    "❔ insufficient", "🟢 pass"]
    assert rows[1][2:] == ["Complaints resolved within 24 hours (complaints-resolved-24h)", "phone-complaints",
                           "87.5%", "&gt;= 90 (warn 95)", "240", "service-operations", "specs/standards.yaml:12"]
    assert out.index("### Needs attention") < out.index("<summary>Not enough data (1)</summary>") \
        < out.index("<summary>Passing (1)</summary>")


def test_every_row_has_as_many_cells_as_the_header_and_text_is_escaped():
    out = markdown.render(sample_run())
    assert all(len(row) == 9 for row in table_rows(out))
    assert "Retrain \\| escalate &lt;fast&gt;" in out
    assert "w-branch-queue until 2026-12-31: Queue system replacement" in out


def test_all_clear_and_policy_wording():
    out = markdown.render(sample_run([PASS]), policy=FailPolicy("warn", "high"))
    assert "**No result fails the check** (fail on warn, from severity high)." in out
    assert "### Needs attention" not in out
    assert "1 result(s) fail" in markdown.render(sample_run([BREACH, PASS]))


def test_long_tables_are_cut_with_a_pointer_to_the_full_reports():
    many = [replace(BREACH, scope=(("touchpoint", f"tp-{i:03}"),), touchpoint=f"tp-{i:03}") for i in range(130)]
    out = markdown.render(sample_run(many))
    assert "tp-099" in out and "tp-100" not in out
    assert "… and 30 more (the JSON, JUnit and SARIF reports list every result)." in out
