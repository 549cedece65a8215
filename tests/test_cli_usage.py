"""The command line as a new user meets it: bad options give a short message that says what to write, exit 2."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cxgov.cli import main


@pytest.mark.parametrize("args", [
    ["check", "--as-of"], ["explain", "some-rule", "--as-of"], ["validate", "--today"],
    ["report", "scorecard", "--out", "-", "--as-of"], ["data", "generate", "--db", "x.duckdb", "--as-of"],
    ["demo", "--as-of"],
])
@pytest.mark.parametrize("value, problem", [("20/11/2026", "is not a date"), ("2026-13-01", "is not a real date")])
def test_a_date_option_says_how_to_write_a_date(tmp_path, monkeypatch, args, value, problem):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*args, value])
    assert result.exit_code == 2, result.output
    assert f"'{value}' {problem}: write it YYYY-MM-DD, e.g. 2026-11-20" in result.output
    assert "%Y" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args, option", [
    (["check", "--max-unattributed"], "--max-unattributed"), (["check", "--lock-timeout"], "--lock-timeout"),
    (["history", "h.duckdb", "--lock-timeout"], "--lock-timeout"),
])
@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_a_number_option_refuses_nan(tmp_path, monkeypatch, args, option, value):
    """NaN passes every range check (each comparison with a bound is false), so it is refused by name."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*args, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}': '{value}' is not a number" in result.output


@pytest.mark.parametrize("args", [["data", "generate", "--db", "x.duckdb", "--rows"], ["demo", "--rows"]])
def test_generated_rows_are_bounded(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*args, str(10**20)])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--rows': 100000000000000000000 is not in the range 1<=x<=1000000000000." in \
        result.output
    assert not (tmp_path / "x.duckdb").exists()


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_command_lists_are_not_cut_off_at_80_columns():
    runner = CliRunner()
    for args in (["--help"], ["report", "--help"], ["data", "--help"]):
        listing = runner.invoke(main, args, terminal_width=80).output.split("Commands:")[1]
        assert "..." not in listing, listing


def test_every_option_of_every_command_has_help_and_no_raw_type_metavar():
    runner = CliRunner()
    for path, command in _commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert param.help, f"cxgov {' '.join(path)} {param.opts[0]} has no help text"
        text = runner.invoke(main, [*path, "--help"], terminal_width=100).output
        assert "INTEGER RANGE" not in text and "%Y" not in text, (path, text)


def test_help_names_options_that_exist():
    runner = CliRunner()
    assert "of the --spec folder" in runner.invoke(main, ["data", "generate", "--help"]).output
    demo = runner.invoke(main, ["demo", "--help"], terminal_width=100).output
    assert "to the --out folder" in demo and "bundled" not in demo


def test_a_report_written_to_a_folder_says_it_is_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    (tmp_path / "out").mkdir()
    result = CliRunner().invoke(main, ["report", "raci", "prog", "--out", "out", "--format", "md"])
    assert result.exit_code == 2
    assert "cannot write out: it is a folder" in result.output and "out/<name>" in result.output


def test_a_reader_that_goes_away_stops_cxgov_quietly(tmp_path):
    """`cxgov demo | head -1`: no traceback, no 'internal error', the shell's exit code for a broken pipe."""
    import subprocess
    import sys
    from pathlib import Path

    cxgov = Path(sys.executable).with_name("cxgov")
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([str(cxgov), "demo", str(repo / "specs"), "--out", str(tmp_path / "out"), "--rows",
                             "20000", "--as-of", "2026-11-20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


def test_python_dash_m_cxgov_is_the_same_command_line(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "cxgov", "check", "--as-of", "soon"], capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert done.returncode == 2 and "Usage: cxgov check" in done.stderr and "is not a date" in done.stderr


def test_the_program_ends_with_its_exit_code_and_every_byte_written(tmp_path):
    """`cxgov` ends without the interpreter's teardown (speed.exit_now): its output, piped, is still whole."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    specs = Path(__file__).resolve().parents[1] / "specs"
    done = subprocess.run([sys.executable, "-m", "cxgov", "validate", str(specs), "--format", "json"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["valid"] is True
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "program.yaml").write_text("version: 1\nprogram: {id: x}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cxgov", "validate", str(broken)], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 1 and done.stdout.rstrip().endswith(")") and "error" in done.stdout
