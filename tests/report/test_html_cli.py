"""`cxgov report scorecard|raci|journeys` and `cxgov check --html` on the example program."""

from __future__ import annotations

import csv
import io
import re
import shutil

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from report_samples import AS_OF, EXAMPLE_SPEC, example_db

STAMP = "2026-11-21T08:30:00Z"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return example_db(tmp_path_factory.mktemp("data"))


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def scorecard_args(db, out):
    return ["report", "scorecard", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out", out,
            "--generated-at", STAMP]


def test_the_scorecard_is_written_and_reproducible(db, tmp_path):
    first, second = tmp_path / "a.html", tmp_path / "b" / "scorecard.html"
    result = invoke(*scorecard_args(db, first))
    assert result.exit_code == 0, result.output
    assert f"cxgov: wrote {first}" in result.output
    assert invoke(*scorecard_args(db, second)).exit_code == 0
    page = first.read_text(encoding="utf-8")
    assert page == second.read_text(encoding="utf-8")
    for text in ("Northwind Bank", "As of <strong>2026-11-20</strong>", "2026-11-21 08:30:00 UTC",
                 "Customers settle their money matters in one contact", "Evidence appendix",
                 'id="rule-complaints-resolved-24h"', "Relationship NPS by segment", "Data digest</dt><dd><code>sha256:"):
        assert text in page
    # the evidence carries each rule's own SQL statement, escaped
    assert page.count('<pre class="sql"') >= 20 and "FROM" in page and "&#34;" in page


def test_check_writes_the_scorecard_too(db, tmp_path):
    out = tmp_path / "check.html"
    result = invoke("check", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--html", out)
    # the example's app analytics feed is deliberately missing: check exits 2, and the scorecard shows why
    assert result.exit_code == 2 and "could not be evaluated" in result.output
    page = out.read_text(encoding="utf-8")
    assert "CX governance scorecard" in page and '<pre class="sql"' in page
    errors = page[page.index('<section id="errors"'):page.index('<section id="evidence"')]
    assert "app-sessions" in errors and "-- the statement could not be built" in page


def test_the_raci_report_takes_its_format_from_the_extension(tmp_path):
    for name in ("raci.html", "raci.csv", "raci.md"):
        result = invoke("report", "raci", EXAMPLE_SPEC, "--out", tmp_path / name, "--generated-at", STAMP)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "raci.html").read_text().startswith("<!DOCTYPE html>")
    rows = list(csv.reader(io.StringIO((tmp_path / "raci.csv").read_text())))
    assert rows[0][:4] == ["section", "id", "name", "group"] and "cx-office" in rows[0]
    assert any(row[1] == "maintain-intent" for row in rows)
    assert (tmp_path / "raci.md").read_text().startswith("# RACI: Northwind Bank")
    result = invoke("report", "raci", EXAMPLE_SPEC, "--out", "-", "--format", "md")
    assert result.exit_code == 0 and result.output.startswith("# RACI:")


def test_an_unknown_raci_extension_is_bad_usage(tmp_path):
    result = invoke("report", "raci", EXAMPLE_SPEC, "--out", tmp_path / "raci.txt")
    assert result.exit_code == 2
    assert "cannot tell the format" in result.output and "--format" in result.output
    assert not (tmp_path / "raci.txt").exists()


def test_the_journey_map_with_and_without_data(db, tmp_path):
    inventory, coloured = tmp_path / "inventory.html", tmp_path / "journeys.html"
    assert invoke("report", "journeys", EXAMPLE_SPEC, "--out", inventory).exit_code == 0
    result = invoke("report", "journeys", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out",
                    coloured, "--generated-at", STAMP)
    assert result.exit_code == 0, result.output
    plain, status = inventory.read_text(), coloured.read_text()
    assert "Open an account" in plain and "The touchpoint inventory without statuses" in plain
    assert 'class="tp b-inventory' in plain and 'class="tp b-pass' not in plain
    assert re.search(r'class="tp b-(pass|warn|breach|insufficient|waived|error)\b', status)
    assert "Data digest" in status and 'class="tp b-inventory' not in status


def test_bad_input_exits_2_with_a_clear_message(db, tmp_path):
    broken = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPEC, broken)
    (broken / "kpis.yaml").write_text("version: 1\nkpis:\n  - id: x\n    metric: nowhere\n")
    result = invoke("report", "scorecard", broken, "--data", db, "--out", tmp_path / "x.html")
    assert result.exit_code == 2 and "kpis.yaml:" in result.output
    result = invoke("report", "scorecard", EXAMPLE_SPEC, "--as-of", AS_OF.isoformat(), "--out", tmp_path / "x.html")
    assert result.exit_code == 2 and "--data is required" in result.output
    result = invoke(*scorecard_args(db, tmp_path / "x.html")[:-1], "last tuesday")
    assert result.exit_code == 2 and "not an ISO 8601 date and time" in result.output
    assert not (tmp_path / "x.html").exists()
