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
    assert "the check exited 2" in result.output


def test_demo_is_deterministic(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = CliRunner().invoke(main, ["demo", str(REPO / "specs"), "--out", str(out), "--as-of", "2026-11-20",
                                           "--rows", "20000"])
        assert result.exit_code == 0, result.output
        runs.append((out / "results.json").read_bytes())
    assert runs[0] == runs[1]
