"""`cxgov check` and `cxgov explain` end to end: a YAML spec and a DuckDB file in tmp_path, through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from junitparser import JUnitXml

from cxgov.cli import main
from engine_fixtures import SURVEY_COLUMNS, csat_scores, write_table
from support.spec_files import write_files

PROGRAM = """\
version: 1
program:
  id: acme
  name: Acme
  timezone: Europe/Berlin
  owner: cx-office
  defaults: {min_sample: 5}
owners:
  - {id: cx-office, name: CX office, kind: team}
  - {id: web-team, name: Web team, kind: team}
  - {id: ana, name: Ana, kind: person}
channels: [web, phone]
segments:
  - {id: retail, name: Retail}
journeys:
  - {id: buy, name: Buy, owner: cx-office, stages: [purchase]}
touchpoints:
  - {id: web-form, name: Web form, journey: buy, stage: purchase, channel: web, owner: web-team}
  - {id: phone-line, name: Phone line, journey: buy, stage: purchase, channel: phone, owner: web-team}
sources:
  - {id: surveys, table: survey_responses, timestamp: responded_at, touchpoint: touchpoint_id, segment: segment}
metrics:
  - {id: csat, name: Satisfaction, kind: csat, source: surveys, column: score, where: {question: satisfaction}}
"""

STANDARDS = """\
version: 1
standards:
  - id: web-csat
    name: Web visitors are satisfied
    metric: csat
    applies_to: {channel: [web]}
    threshold: {op: ">=", fail: 70, warn: 80}
    window: 28d
    severity: high
  - id: phone-csat
    metric: csat
    applies_to: {channel: [phone]}
    threshold: {op: ">=", fail: 50}
    window: 28d
    severity: low
"""

AS_OF = "2026-11-20"


def rows(web_top: int, phone_top: int = 10) -> list[tuple]:
    at = datetime(2026, 11, 10, 12)
    return ([(at, "web-form", "retail", "satisfaction", s) for s in csat_scores(web_top, 10)]
            + [(at, "phone-line", "retail", "satisfaction", s) for s in csat_scores(phone_top, 10)])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A spec folder and a metrics database in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "specs", {"program.yaml": PROGRAM, "standards.yaml": STANDARDS})

    def data(web_top: int, phone_top: int = 10, columns=SURVEY_COLUMNS, name="metrics.duckdb") -> str:
        write_table(tmp_path / name, "survey_responses", columns, rows(web_top, phone_top))
        return name
    return data


def check(*args: str):
    return CliRunner().invoke(main, ["check", "specs", "--as-of", AS_OF, *args])


def test_a_breach_exits_1_naming_rule_touchpoint_value_threshold_owner_and_location(project):
    result = check("--data", project(6))
    assert result.exit_code == 1, result.output
    assert "BREACH   web-csat @ web-form [high]" in result.output
    assert "60.0% (n 10, 95% CI 31.3–83.2) against >= 70 (warn 80)" in result.output
    assert "owner web-team (Web team) · window 2026-10-24..2026-11-20 · specs/standards.yaml:3" in result.output
    assert result.output.rstrip().endswith("2 results: 1 pass, 0 warn, 1 breach, 0 insufficient, 0 waived, 0 error")


@pytest.mark.parametrize("web_top, phone_top, options, code", [
    (9, 10, [], 0),
    (7, 10, [], 0),  # a warn does not fail by default ...
    (7, 10, ["--fail-on", "warn"], 1),  # ... unless asked
    (6, 10, ["--fail-on", "never"], 0),
    (9, 4, [], 1),  # a low-severity breach fails by default ...
    (9, 4, ["--min-severity", "medium"], 0),  # ... but not from medium up
    (6, 10, ["--min-severity", "high"], 1),
    (6, 10, ["--rule", "phone-csat"], 0),  # only the rule asked for is evaluated
])
def test_exit_codes_follow_fail_on_min_severity_and_rule(project, web_top, phone_top, options, code):
    result = check("--data", project(web_top, phone_top), *options)
    assert result.exit_code == code, result.output


def test_a_waived_breach_does_not_fail(project):
    Path("specs/waivers.yaml").write_text(
        "version: 1\nwaivers:\n  - id: w-web\n    standard: web-csat\n    justification: Form rebuild\n"
        "    approved_by: ana\n    granted: 2026-11-01\n    expires: 2026-12-31\n")
    result = check("--data", project(6))
    assert result.exit_code == 0, result.output
    assert "WAIVED   web-csat @ web-form" in result.output and "waived by w-web until 2026-12-31" in result.output


def test_every_report_is_written_and_the_json_is_byte_identical(project):
    db = project(6)
    outputs = ["--json", "out/r.json", "--junit", "out/r.xml", "--sarif", "out/r.sarif", "--markdown", "out/r.md"]
    assert check("--data", db, *outputs).exit_code == 1
    first = Path("out/r.json").read_bytes()
    assert check("--data", db, *outputs).exit_code == 1
    assert Path("out/r.json").read_bytes() == first
    document = json.loads(first)
    assert document["as_of"] == AS_OF and document["summary"]["breach"] == 1
    assert document["results"][0]["location"] == {"file": "specs/standards.yaml", "line": 3}
    assert JUnitXml.fromfile("out/r.xml").failures == 1
    assert json.loads(Path("out/r.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "web-csat"
    assert Path("out/r.md").read_text().startswith("## cxgov check: Acme, as of 2026-11-20")


def test_a_report_on_stdout_replaces_the_text_output(project):
    result = check("--data", project(9), "--json", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["program"] == "acme"
    assert check("--data", project(9), "--json", "-", "--sarif", "-").exit_code == 2


def test_an_invalid_spec_exits_2_with_its_location_and_no_traceback(project):
    Path("specs/standards.yaml").write_text(STANDARDS.replace("metric: csat\n    applies_to: {channel: [web]}",
                                                              "metric: nps\n    applies_to: {channel: [web]}"))
    result = check("--data", project(9))
    assert result.exit_code == 2
    assert "specs/standards.yaml:5" in result.stderr and "Traceback" not in result.output + result.stderr


def test_unreadable_data_exits_2(project):
    result = check("--data", "missing.duckdb")
    assert result.exit_code == 2 and "missing.duckdb does not exist" in result.stderr
    Path("garbage.duckdb").write_text("not a database")
    result = check("--data", "garbage.duckdb")
    assert result.exit_code == 2 and "cannot open metrics database" in result.stderr
    result = check()
    assert result.exit_code == 2 and "--data is required" in result.stderr and "specs/program.yaml" in result.stderr


def test_a_missing_column_exits_2_naming_source_column_and_spec_line_after_writing_the_reports(project):
    columns = dict(SURVEY_COLUMNS)
    columns["answer"] = columns.pop("score")
    result = check("--data", project(9, columns=columns), "--json", "out/r.json")
    assert result.exit_code == 2
    assert "source 'surveys', column 'score'" in result.stderr
    assert "specs/standards.yaml:3: web-csat could not be evaluated" in result.stderr
    assert "specs/program.yaml:23" in result.stderr  # the metric's `column`
    assert "Traceback" not in result.stderr
    assert json.loads(Path("out/r.json").read_text())["summary"]["error"] == 2


def test_timestamptz_data_is_placed_in_the_program_timezone(project):
    columns = dict(SURVEY_COLUMNS, responded_at="TIMESTAMPTZ")
    late = datetime(2026, 11, 20, 23, 30)  # UTC: already the 21st in Berlin, after the as-of date
    data = ([(f"{late:%Y-%m-%d %H:%M}+00", "web-form", "retail", "satisfaction", 1)] * 10
            + [(f"{late - timedelta(hours=2):%Y-%m-%d %H:%M}+00", "web-form", "retail", "satisfaction", 5)] * 5)
    write_table(Path("tz.duckdb"), "survey_responses", columns, data)
    result = check("--data", "tz.duckdb", "--rule", "web-csat", "--json", "-")
    (record,) = json.loads(result.stdout)["results"]
    assert (record["n"], record["value"], record["status"]) == (5, 100.0, "pass")


def test_unknown_rule_is_a_usage_error(project):
    result = check("--data", project(9), "--rule", "web-cast")
    assert result.exit_code == 2 and "no standard or KPI with id 'web-cast'" in result.stderr


def test_explain_shows_the_windows_and_sql_and_with_data_the_plan(project):
    result = CliRunner().invoke(main, ["explain", "web-csat", "specs", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "standard web-csat: Web visitors are satisfied" in result.output
    assert "current   2026-10-24..2026-11-20" in result.output
    assert "previous  2026-09-26..2026-10-23" in result.output
    assert "also serves: phone-csat" in result.output
    assert "  applies to 1 touchpoint: web-form" in result.output
    assert 'COUNT(CASE WHEN ("question" = \'satisfaction\')' in result.output
    result = CliRunner().invoke(main, ["explain", "web-csat", "specs", "--as-of", AS_OF, "--data", project(9)])
    assert result.exit_code == 0, result.output
    assert "GROUP BY GROUPING SETS" in result.output and "-- DuckDB plan" in result.output
    assert "'satisfaction'" in result.output
