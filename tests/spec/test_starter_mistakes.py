"""Typical first edits of the `cxgov init` starter that go wrong: each is one clear diagnostic, exit 1."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cxgov.cli import main


def _starter(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    return Path("prog")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _validate(folder: Path):
    return CliRunner().invoke(main, ["validate", str(folder)])


def test_threshold_written_as_percent_text_is_a_schema_error_with_a_hint(tmp_path, monkeypatch):
    prog = _starter(tmp_path, monkeypatch)
    _edit(prog / "standards.yaml", "fail: 75, warn: 85", 'fail: "80%", warn: 85')
    _edit(prog / "standards.yaml", "fail: 90, warn: 95", "fail: 90, warn: 95%")
    result = _validate(prog)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output
    lines = [line for line in result.output.splitlines() if "CX011" in line]
    assert lines == [
        "prog/standards.yaml:10:33: CX011 error: standard 'help-csat', key 'threshold.fail': expected a number, "
        "got text (write 80, a plain number without quotes or %)",
        "prog/standards.yaml:18:43: CX011 error: standard 'resolved-within-24h', key 'threshold.warn': expected a "
        "number, got text (write 95, a plain number without quotes or %)",
    ]


def test_kpi_threshold_as_text_does_not_crash_validate(tmp_path, monkeypatch):
    prog = _starter(tmp_path, monkeypatch)
    _edit(prog / "standards.yaml", "fail: 20, warn: 30", 'fail: "twenty", warn: 30')
    result = _validate(prog)
    assert result.exit_code == 1, result.output
    assert "prog/standards.yaml:28:33: CX011 error: KPI 'relationship-nps'" in result.output


def test_day_first_date_is_reported_once(tmp_path, monkeypatch):
    prog = _starter(tmp_path, monkeypatch)
    text = (prog / "program.yaml").read_text(encoding="utf-8")
    start = text.index("last_reviewed: ") + len("last_reviewed: ")
    _edit(prog / "program.yaml", text[start:start + 10], "31/12/2026")
    result = _validate(prog)
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if "last_reviewed" in line]
    assert len(errors) == 1, result.output
    assert errors[0].startswith("prog/program.yaml:16:47: CX013 error") and "YYYY-MM-DD" in errors[0]


def test_impossible_date_in_the_right_shape_is_still_reported(tmp_path, monkeypatch):
    prog = _starter(tmp_path, monkeypatch)
    with (prog / "standards.yaml").open("a", encoding="utf-8") as handle:
        handle.write("waivers:\n  - {id: w-1, standard: help-csat, justification: Queue system replacement,\n"
                     "     approved_by: head-of-cx, expires: 2026-02-30}\n")
    result = _validate(prog)
    assert result.exit_code == 1, result.output
    assert "'2026-02-30' is not a real date" in result.output
