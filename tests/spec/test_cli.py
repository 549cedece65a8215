"""`cxgov validate`, `schema` and `init` from the command line, including a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from cxgov.cli import main
from spec_fixtures import REPO, TODAY, patched, run_validate, write_spec

CXGOV = Path(sys.executable).parent / "cxgov"


def _cxgov(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CXGOV), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_subprocess_reports_a_dangling_owner(spec_dir):
    write_spec(spec_dir, patched("journeys.yaml", "owner: digital-team", "owner: digtal-team"))
    proc = _cxgov("validate", "specs", "--today", TODAY, cwd=spec_dir.parent)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "specs/journeys.yaml:14:12: CX104 error: touchpoint 'web-form' names owner 'digtal-team', which is not "
        "defined (did you mean 'digital-team'?)",
        "specs: 1 error, 0 warnings in 6 files (2 touchpoints, 1 standard, 1 KPI)"]
    assert "Traceback" not in proc.stderr


def test_subprocess_refuses_unsafe_yaml_without_running_it(spec_dir, tmp_path):
    marker = tmp_path / "pwned"
    write_spec(spec_dir, {"evil.yaml": f"version: 1\nx: !!python/object/apply:os.system ['touch {marker}']\n"})
    proc = _cxgov("validate", "specs", "--today", TODAY, cwd=spec_dir.parent)
    assert proc.returncode == 1 and "CX004" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert not marker.exists()


def test_subprocess_missing_folder_exits_2(tmp_path):
    proc = _cxgov("validate", "no-such-folder", cwd=tmp_path)
    assert proc.returncode == 2
    assert "spec folder 'no-such-folder' does not exist" in proc.stderr


def test_default_spec_folder_is_specs(spec_dir):
    write_spec(spec_dir)
    result = CliRunner().invoke(main, ["validate", "--today", TODAY])
    assert result.exit_code == 0 and result.output.startswith("specs: 0 errors")


def test_json_format(spec_dir):
    write_spec(spec_dir, patched("rules.yaml", "window: 28d", "window: 28 days"))
    result = CliRunner().invoke(main, ["validate", "specs", "--today", TODAY, "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False and report["errors"] == 1 and report["today"] == TODAY
    (diag,) = report["diagnostics"]
    assert (diag["code"], diag["file"], diag["line"], diag["column"]) == ("CX013", "specs/rules.yaml", 7, 13)


def test_bad_today_is_a_usage_error(spec_dir):
    write_spec(spec_dir)
    assert run_validate(spec_dir, "--today", "20-11-2026").exit_code == 2


def test_schema_command_prints_the_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert result.output == (REPO / "schemas" / "cxgov-spec-v1.json").read_text(encoding="utf-8")


def test_init_writes_a_spec_with_no_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "my-cx"])
    assert result.exit_code == 0, result.output
    assert "next: cxgov validate my-cx" in result.output
    check = CliRunner().invoke(main, ["validate", "my-cx"])  # today's date: the starter is dated today
    assert check.exit_code == 0 and check.output.startswith("my-cx: 0 errors, 0 warnings in 6 files"), check.output
    assert CliRunner().invoke(main, ["validate", "my-cx", "--strict"]).exit_code == 0


def test_init_files_name_the_schema_written_beside_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "my-cx"]).exit_code == 0
    schema_file = tmp_path / "my-cx" / "cxgov-spec-v1.json"
    assert schema_file.read_text(encoding="utf-8") == (REPO / "schemas" / "cxgov-spec-v1.json").read_text("utf-8")
    files = sorted((tmp_path / "my-cx").rglob("*.yaml"))
    assert len(files) == 6
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        assert (path.parent / first.split("=", 1)[1]).resolve() == schema_file.resolve(), first
    assert (tmp_path / "my-cx" / "journeys" / "get-help.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../cxgov-spec-v1.json\n")


def test_init_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-cx").mkdir()
    (tmp_path / "my-cx" / "raci.yaml").write_text("mine\n")
    result = CliRunner().invoke(main, ["init", "my-cx"])
    assert result.exit_code == 2
    assert "will not overwrite existing file: my-cx/raci.yaml" in result.output
    assert (tmp_path / "my-cx" / "raci.yaml").read_text() == "mine\n"
    assert not (tmp_path / "my-cx" / "program.yaml").exists()


def test_pre_commit_hook_definition():
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "cxgov-validate" and hook["entry"] == "cxgov validate"
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["files"] == r"\.ya?ml$"
