"""`cxgov history`: listing runs, one rule across runs, formats and exit codes."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

from click.testing import CliRunner

from cxgov.audit import history
from cxgov.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def seed(path, make_run, make_result):
    for day, value, status in [(18, 93.0, "pass"), (19, 89.0, "breach"), (20, 88.0, "breach")]:
        results = [make_result(value=value, status=status),
                   make_result(rule="relationship-nps", touchpoint=None, scope={"segment": "retail"}, value=31.0,
                               status="warn")]
        history.record(make_run(date(2026, 11, day), results), path,
                       clock=lambda day=day: datetime(2026, 11, day, 7, tzinfo=timezone.utc))


def test_history_lists_runs(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    seed(path, make_run, make_result)
    out = invoke("history", str(path))
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert len(lines) == 5
    assert lines[4].split() == ["3", "2026-11-20", "07:00:00", "2026-11-20", "a1b2c3d4e5f6", "0", "1", "1", "0", "0",
                                "0"]
    doc = json.loads(invoke("history", str(path), "--format", "json").output)
    assert [r["as_of"] for r in doc["runs"]] == ["2026-11-18", "2026-11-19", "2026-11-20"]


def test_history_of_one_rule_and_scope(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    seed(path, make_run, make_result)
    out = invoke("history", str(path), "--rule", "complaints-resolved-24h", "--scope", "touchpoint=phone-complaints")
    assert out.exit_code == 0, out.output
    assert "scope touchpoint=phone-complaints" in out.output
    assert "breached since 2026-11-19" in out.output
    doc = json.loads(invoke("history", str(path), "--rule", "relationship-nps", "--scope", "segment=retail",
                            "--format", "json").output)
    assert doc["scope"] == {"segment": "retail"}
    assert [(p["as_of"], p["value"], p["status"]) for p in doc["points"]] == [
        ("2026-11-18", 31.0, "warn"), ("2026-11-19", 31.0, "warn"), ("2026-11-20", 31.0, "warn")]
    none = invoke("history", str(path), "--rule", "relationship-nps", "--scope", "segment=business")
    assert none.exit_code == 0 and "no recorded results with scope segment=business" in none.output


def test_history_errors_exit_2(tmp_path):
    missing = invoke("history", str(tmp_path / "none.duckdb"))
    assert missing.exit_code == 2 and "no run history at" in missing.output
    bad_scope = invoke("history", str(tmp_path / "none.duckdb"), "--rule", "x", "--scope", "web")
    assert bad_scope.exit_code == 2 and "is not KEY=VALUE" in bad_scope.output
    scope_alone = invoke("history", str(tmp_path / "none.duckdb"), "--scope", "a=b")
    assert scope_alone.exit_code == 2 and "--scope needs --rule" in scope_alone.output
