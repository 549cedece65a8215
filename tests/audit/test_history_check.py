"""`cxgov check --record` end to end: a spec with a CSV source, checked as of several dates into one history."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.audit import history
from cxgov.cli import main
from support.spec_files import write_files

SPEC = """\
version: 1
program:
  id: acme
  name: Acme
  owner: cx-office
  defaults: {min_sample: 5}
owners:
  - {id: cx-office, name: CX office, kind: team}
channels: [web, phone]
journeys:
  - {id: buy, name: Buy, owner: cx-office, stages: [purchase]}
touchpoints:
  - {id: web-form, name: Web form, journey: buy, stage: purchase, channel: web, owner: cx-office}
  - {id: phone-line, name: Phone line, journey: buy, stage: purchase, channel: phone, owner: cx-office}
sources:
  - {id: surveys, path: surveys.csv, timestamp: responded_at, touchpoint: touchpoint_id}
metrics:
  - {id: csat, kind: csat, source: surveys, column: score}
standards:
  - id: buy-csat
    metric: csat
    applies_to: {journey: [buy]}
    threshold: {op: ">=", fail: 70, warn: 80}
    window: 7d
    severity: high
"""


def write_data(folder: Path) -> None:
    """Web: satisfied in the first week of November, unhappy after; phone: always satisfied."""
    rows = ["touchpoint_id,responded_at,score"]
    for offset in range(28):
        day = date(2026, 11, 1) + timedelta(days=offset)
        web = 5 if day < date(2026, 11, 8) else 2
        rows += [f"web-form,{day}T10:00:00,{web}", f"phone-line,{day}T11:00:00,4"]
    (folder / "surveys.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """specs/ with the spec and its CSV data, under a temporary cwd."""
    monkeypatch.chdir(tmp_path)
    specs = write_files(tmp_path / "specs", {"spec.yaml": SPEC})
    write_data(specs)
    return specs


def test_check_records_each_run(tmp_path, project):
    runner = CliRunner()
    codes = []
    for as_of in ("2026-11-07", "2026-11-14", "2026-11-21"):
        out = runner.invoke(main, ["check", "specs", "--as-of", as_of, "--record", "history.duckdb"])
        assert "recorded as run" in out.output, out.output
        codes.append(out.exit_code)
    assert codes == [0, 1, 1]  # the web form breaches from the second week on

    records = history.runs(tmp_path / "history.duckdb")
    assert [(r.as_of.isoformat(), r.result_count, dict(r.counts)) for r in records] == [
        ("2026-11-07", 2, {"pass": 2}), ("2026-11-14", 2, {"pass": 1, "breach": 1}),
        ("2026-11-21", 2, {"pass": 1, "breach": 1})]
    assert records[0].program == "acme" and records[0].spec_digest.startswith("sha256:")
    assert records[0].data_digest.startswith("sha256:")

    out = runner.invoke(main, ["history", "history.duckdb", "--rule", "buy-csat", "--scope", "touchpoint=web-form",
                               "--format", "json"])
    assert out.exit_code == 0, out.output
    points = json.loads(out.output)["points"]
    assert [(p["as_of"], p["value"], p["n"], p["status"]) for p in points] == [
        ("2026-11-07", 100.0, 7, "pass"), ("2026-11-14", 0.0, 7, "breach"), ("2026-11-21", 0.0, 7, "breach")]
    assert points[0]["threshold"] == {"op": ">=", "fail": 70.0, "warn": 80.0}
    text = runner.invoke(main, ["history", "history.duckdb", "--rule", "buy-csat"]).output
    assert "scope touchpoint=web-form" in text and "scope touchpoint=phone-line" in text
    assert "breached since 2026-11-14" in text


def test_record_into_a_file_that_is_not_a_history_exits_2(tmp_path, project):
    (tmp_path / "notes.txt").write_text("hello\n")
    out = CliRunner().invoke(main, ["check", "specs", "--as-of", "2026-11-07", "--record", "notes.txt"])
    assert out.exit_code == 2
    assert "cannot open run history notes.txt" in out.output


def test_scorecard_shows_trends_from_the_history(tmp_path, project):
    runner = CliRunner()
    for as_of in ("2026-11-07", "2026-11-14"):
        runner.invoke(main, ["check", "specs", "--as-of", as_of, "--record", "history.duckdb"])
    args = ["report", "scorecard", "specs", "--as-of", "2026-11-21", "--generated-at", "2026-11-21T08:00:00Z"]
    out = runner.invoke(main, [*args, "--out", "with.html", "--history", "history.duckdb"])
    assert out.exit_code == 0, out.output
    html = (tmp_path / "with.html").read_text()
    alt = ("buy-csat (touchpoint=web-form): last 3 runs: 2026-11-07 100.0 pass; 2026-11-14 0.0 breach; "
           "2026-11-21 0.0 breach; breached since 2026-11-14")
    assert f'<svg class="sparkline" role="img" aria-label="{alt}"' in html
    assert '<br><span class="sub">breached since 2026-11-14</span>' in html
    assert runner.invoke(main, [*args, "--out", "without.html"]).exit_code == 0
    assert "sparkline" not in (tmp_path / "without.html").read_text()
    # check --html with --record draws from the history it records into
    runner.invoke(main, ["check", "specs", "--as-of", "2026-11-21", "--record", "history.duckdb", "--html",
                         "check.html"])
    assert alt in (tmp_path / "check.html").read_text()
    missing = runner.invoke(main, [*args, "--out", "x.html", "--history", "nothing.duckdb"])
    assert missing.exit_code == 2 and "no run history at nothing.duckdb" in missing.output
