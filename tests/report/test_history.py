"""`cxgov history`'s text and JSON, from runs recorded into a real history."""

from __future__ import annotations

import json
from datetime import date

from cxgov.audit import history
from cxgov.report.history import render_rule_history, render_runs
from support.history_runs import clock as at, make_result, make_run  # noqa: F401  (fixtures)


def test_history_text_and_json(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    history.record(make_run(date(2026, 11, 19), [make_result(value=91.04, status="warn")]), path, clock=at(5, 19))
    history.record(make_run(date(2026, 11, 20), [make_result(value=88.05, status="breach")], commit=None), path,
                   clock=at(5))
    records = history.runs(path)
    text = render_runs(records, "text", path, history.SCHEMA_VERSION)
    lines = text.splitlines()
    assert lines[0].endswith("2 runs")
    assert lines[1].split() == ["run", "recorded", "at", "(UTC)", "as-of", "spec", "commit", "pass", "warn",
                                "breach", "insufficient", "waived", "error"]
    assert lines[2].split() == ["1", "2026-11-19", "05:00:00", "2026-11-19", "a1b2c3d4e5f6", "0", "1", "0", "0",
                                "0", "0"]
    assert lines[3].split()[4] == "-"
    doc = json.loads(render_runs(records, "json", path, history.SCHEMA_VERSION))
    assert doc["schema_version"] == 1
    assert doc["runs"][1]["recorded_at"] == "2026-11-20T05:00:00Z"
    assert doc["runs"][1]["summary"]["breach"] == 1 and doc["runs"][1]["spec"]["git_commit"] is None

    points = history.rule_history(path, "complaints-resolved-24h")
    text = render_rule_history("complaints-resolved-24h", None, points, "text")
    assert "scope touchpoint=phone-complaints" in text
    assert "91.0" in text and "88.1" in text  # one decimal, half away from zero
    assert text.rstrip().endswith("breached since 2026-11-20")
    doc = json.loads(render_rule_history("complaints-resolved-24h", None, points, "json"))
    assert [p["value"] for p in doc["points"]] == [91.04, 88.05]
    assert doc["points"][0]["scope"] == {"touchpoint": "phone-complaints"}
