"""`cxgov demo`: the README's main job, end to end on the bundled example."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cxgov.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_demo_writes_every_report_and_shows_every_status(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", str(REPO / "specs"), "--out", str(out), "--as-of", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    written = {p.name for p in out.iterdir()}
    assert written >= {"example.duckdb", "results.json", "junit.xml", "cxgov.sarif", "summary.md", "scorecard.html",
                       "raci.html", "journeys.html"}
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert all(summary[status] > 0 for status in ("pass", "warn", "breach", "insufficient", "waived", "error")), summary
    # the demo succeeds; what the check found, and what its exit code would do in CI, is said, not passed on
    assert "== done: every step ran" in result.output
    assert ("The check found 26 unwaived breaches and 3 results that could not be evaluated (app-task-time), on "
            "purpose") in result.output
    assert "In CI the job would stop: exit 2" in result.output
    assert "the errors below are expected" in result.output.split("== cxgov check")[1].splitlines()[1]


def test_demo_exit_code_ends_as_a_ci_job_would(tmp_path):
    args = ["demo", str(REPO / "specs"), "--out", str(tmp_path / "out"), "--as-of", "2026-11-20", "--rows", "20000"]
    result = CliRunner().invoke(main, [*args, "--exit-code"])
    assert result.exit_code == 2, result.output
    assert "== done: every step ran" in result.output and (tmp_path / "out" / "scorecard.html").is_file()


def test_demo_is_deterministic(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = CliRunner().invoke(main, ["demo", str(REPO / "specs"), "--out", str(out), "--as-of", "2026-11-20",
                                           "--rows", "20000"])
        assert result.exit_code == 0, result.output
        runs.append((out / "results.json").read_bytes())
    assert runs[0] == runs[1]
