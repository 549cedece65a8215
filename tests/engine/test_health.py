"""Data health at check time: the rows an evaluation could not use are counted, shown, and fail the check when a
source's rows cannot be attributed to touchpoints or their timestamps cannot be read."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cxgov.cli import main
from engine_fixtures import SURVEY_COLUMNS, write_table
from support.spec_files import write_files
from test_check_command import PROGRAM, STANDARDS

AS_OF = "2026-11-20"
AT = datetime(2026, 11, 10, 12)
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "cxgov-results-v1.json").read_text())
TEXT_COLUMNS = {**SURVEY_COLUMNS, "responded_at": "VARCHAR"}


def answers(touchpoint: str | None, count: int, score: int | None = 5, at: object = AT) -> list[tuple]:
    return [(at, touchpoint, "retail", "satisfaction", score)] * count


@pytest.fixture
def check(tmp_path, monkeypatch):
    """Run `cxgov check` on the spec of test_check_command over the given rows; (exit code, output, JSON)."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "specs", {"program.yaml": PROGRAM, "standards.yaml": STANDARDS})

    def run(rows: list[tuple], *options: str, columns=SURVEY_COLUMNS):
        write_table(tmp_path / "metrics.duckdb", "survey_responses", columns, rows)
        out = tmp_path / "out"
        result = CliRunner().invoke(main, ["check", "specs", "--data", "metrics.duckdb", "--as-of", AS_OF,
                                           "--json", str(out / "r.json"), "--markdown", str(out / "r.md"),
                                           "--html", str(out / "r.html"), *options])
        assert "Traceback" not in result.output
        document = json.loads((out / "r.json").read_text()) if (out / "r.json").exists() else None
        if document is not None:
            jsonschema.validate(document, SCHEMA)
        return result.exit_code, result.output, document, out
    return run


def health_of(document: dict, source: str = "surveys") -> dict:
    (found,) = [h for h in document["data"]["sources"] if h["source"] == source]
    return found


def test_mismatched_touchpoint_ids_fail_the_check_naming_the_ids(check):
    rows = answers("WEB-FORM", 40) + answers("Phone Line", 25) + answers("web-form", 5)
    code, output, document, out = check(rows)
    assert code == 2, output
    health = health_of(document)
    assert (health["rows"], health["unattributed"], health["unmatched_ids"]) == (70, 65, 2)
    assert [(u["id"], u["rows"], u["suggestion"]) for u in health["unmatched"]] == \
        [("WEB-FORM", 40, "web-form"), ("Phone Line", 25, "phone-line")]
    assert "source 'surveys'" in output and "specs/program.yaml:" in output
    assert "'WEB-FORM' (40), did you mean 'web-form'?" in output
    assert "65 of its 70 rows (92.9%" in health["finding"]
    # every output shows it
    markdown = (out / "r.md").read_text()
    assert "**Data finding** in source `surveys`" in markdown and "**finding:** 65 of its 70 rows" in markdown
    assert "WEB-FORM" in (out / "r.html").read_text()
    assert "DATA!" in output


def test_no_row_attributable_is_a_finding_not_a_quiet_no_data(check):
    code, output, document, _ = check(answers("nowhere", 30))
    assert code == 2
    assert all(r["status"] == "insufficient" for r in document["results"])  # the results alone would pass CI
    assert "none of its 30 rows" in health_of(document)["finding"]


def test_a_small_unattributed_share_is_reported_but_passes(check):
    rows = answers("web-form", 60) + answers("phone-line", 37) + answers("typo", 2) + answers(None, 1)
    code, output, document, _ = check(rows)
    assert code == 0, output
    health = health_of(document)
    assert (health["unattributed"], health["no_touchpoint"], health["finding"]) == (3, 1, None)
    assert "3 (3.0%) belong to no touchpoint: 'typo' 2; 1 have no touchpoint id" in output


def test_the_share_and_the_level_are_configurable(check):
    rows = answers("web-form", 80) + answers("phone-line", 10) + answers("x", 10)
    assert check(rows)[0] == 2
    assert check(rows, "--max-unattributed", "10")[0] == 0
    assert check(rows, "--data-findings", "breach")[0] == 1
    assert check(rows, "--data-findings", "breach", "--fail-on", "never")[0] == 0
    assert check(rows, "--data-findings", "warn")[0] == 0
    assert check(rows, "--data-findings", "warn", "--fail-on", "warn")[0] == 1


def test_unreadable_timestamps_are_counted_and_fail_when_nothing_can_be_placed(check):
    good = answers("web-form", 50, at="2026-11-10 12:00:00") + answers("phone-line", 50, at="2026-11-10 12:00:00")
    bad = answers("web-form", 3, at="10/11/2026 noon") + answers("web-form", 1, at=None)
    code, output, document, _ = check(good + bad, columns=TEXT_COLUMNS)
    assert code == 0, output
    assert health_of(document)["untimed"] == 4
    assert "4 without a readable timestamp" in output
    code, output, document, _ = check(bad, columns=TEXT_COLUMNS)
    assert code == 2
    assert "4 rows have no readable timestamp and none has one" in health_of(document)["finding"]


def test_rows_outside_the_window_are_not_counted(check):
    old = answers("elsewhere", 500, at=AT - timedelta(days=400))
    code, output, document, _ = check(answers("web-form", 40) + old)
    assert code == 0, output
    assert (health_of(document)["rows"], health_of(document)["unattributed"]) == (40, 0)


def test_missing_and_off_scale_values_agree_with_a_count_of_the_rows(check):
    scores = [5, 4, None, 0, 7, 3, None, 1, 2, 5, 6, None] * 10
    tps = ["web-form", "phone-line", "ghost"]
    rows = [(AT, tps[i % 3], "retail", "satisfaction", s) for i, s in enumerate(scores)]
    rows += [(AT, "web-form", "retail", "other-question", None)] * 7  # not selected by the metric's where
    _, _, document, _ = check(rows, "--max-unattributed", "50")
    (metric,) = health_of(document)["metrics"]
    counts = Counter("missing" if s is None else "invalid" if not 1 <= s <= 5 else "valid" for s in scores)
    assert (metric["missing"], metric["invalid"]) == (counts["missing"], counts["invalid"])
    assert health_of(document)["rows"] == len(rows)


def test_health_is_in_the_json_of_every_source_read(check):
    _, _, document, _ = check(answers("web-form", 10))
    health = health_of(document)
    assert health["window"] == {"start": "2026-09-26", "end": "2026-11-20"}  # 28d and its previous window
    assert health["attributable"] is True and health["location"]["file"] == "specs/program.yaml"


def test_ids_from_the_data_are_shown_printable(check):
    code, output, document, out = check(answers("\x1b[31mred", 20) + answers("web-form", 1))
    assert code == 2
    assert "\x1b" not in output and "\\x1b[31mred" in output
    assert health_of(document)["unmatched"][0]["id"] == "\\x1b[31mred"
    assert "\x1b" not in (out / "r.md").read_text() + (out / "r.html").read_text()
