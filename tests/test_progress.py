"""The progress line: on a terminal only, redrawn in place, cleared before anything else is written; the long
commands show it on a real pseudo-terminal and never in a pipe or a CI job."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxgov import progress
from cxgov.progress import CLEAR, Progress

REPO = Path(__file__).resolve().parents[1]
CXGOV = Path(sys.executable).with_name("cxgov")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, env, shown", [
    (Terminal(), {"TERM": "xterm"}, True),
    (Terminal(), {}, True),
    (io.StringIO(), {"TERM": "xterm"}, False),  # a file or a pipe
    (Terminal(), {"TERM": "dumb"}, False),
    (Terminal(), {"CI": "true"}, False),  # a CI runner that gives jobs a terminal
    (Terminal(), {"CI": "1"}, False),
    (Terminal(), {"CI": "false"}, True),
])
def test_the_line_belongs_on_a_terminal_outside_ci(stream, env, shown):
    assert progress.wanted(stream, env) is shown


def test_each_step_redraws_one_line_and_close_erases_it(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    now = [100.0]
    stream = Terminal()
    line = Progress(stream, enabled=True, clock=lambda: now[0], interval=0)
    line("reading the spec")
    now[0] += 12.4
    line("tickets: generating 30,576 rows (table 2 of 3)")
    line.close()
    line("after the end")
    assert stream.getvalue() == (f"{CLEAR}⠋ 0s  reading the spec"
                                 f"{CLEAR}⠋ 12s  tickets: generating 30,576 rows (table 2 of 3)"
                                 f"{CLEAR}")
    assert "\n" not in stream.getvalue()


def test_a_long_message_is_cut_to_the_terminal_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    line = Progress(Terminal(), enabled=True, interval=0)
    line("x" * 100)
    assert len(line.line()) == 29 and line.line().endswith("…")


def test_off_a_terminal_nothing_is_written():
    stream = io.StringIO()
    line = Progress(stream)
    line("evaluating")
    line.close()
    assert stream.getvalue() == "" and not line.enabled


def test_an_error_message_clears_the_lines_first():
    stream = Terminal()
    line = Progress(stream, enabled=True, interval=0)
    line("evaluating")
    progress.close_all()
    assert stream.getvalue().endswith(CLEAR) and not line.enabled and progress._open == []


def test_the_spinner_turns_while_a_step_runs():
    stream = Terminal()
    with Progress(stream, enabled=True, interval=0.01) as line:
        line("one long statement")
        for _ in range(1000):  # the thread redraws every 10 ms; give up after ten seconds
            if stream.getvalue().count(CLEAR) >= 4:
                break
            time.sleep(0.01)
    assert "⠙" in stream.getvalue() and stream.getvalue().endswith(CLEAR)


def test_counting_passes_results_on_and_counts_rules():
    class R:
        def __init__(self, rule):
            self.rule = rule

    seen, stream = [], Terminal()
    line = Progress(stream, enabled=True, interval=0)
    on_results = progress.counting(line, 3, seen.append)
    on_results([R("a"), R("a"), R("b")])
    on_results([R("c")])
    assert len(seen) == 2 and stream.getvalue().endswith("evaluating: 3 of 3 rules, 4 results")


def _run(args: list[str], terminal: bool, **env: str) -> tuple[int, str, str]:
    """Run the cxgov command line with stderr on a pseudo-terminal (or a pipe): exit code, stdout, stderr."""
    environment = {k: v for k, v in os.environ.items() if k != "CI"} | {"TERM": "xterm", "COLUMNS": "400", **env}
    if not terminal:
        done = subprocess.run([str(CXGOV), *args], capture_output=True, text=True, env=environment, cwd=REPO)
        return done.returncode, done.stdout, done.stderr
    import pty

    master, slave = pty.openpty()
    running = subprocess.Popen([str(CXGOV), *args], stdout=subprocess.PIPE, stderr=slave, env=environment,
                               cwd=REPO)
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the command ended and closed its side
                break
            if not chunk:
                break
            err += chunk
        elif running.poll() is not None:
            break
    os.close(master)
    out = running.stdout.read().decode() if running.stdout else ""
    return running.wait(), out, err.decode()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("progress") / "example.duckdb"


def test_data_generate_shows_progress_on_a_terminal_only(generated):
    args = ["data", "generate", "--db", str(generated), "--spec", "specs", "--rows", "30000", "--as-of", "2026-11-20"]
    code, out, err = _run(args, terminal=True)
    assert code == 0 and "wrote 30,000 rows" in out
    assert "survey_responses: generating" in err and "(table 1 of 3)" in err and err.endswith(CLEAR)
    for terminal, env in ((False, {}), (True, {"CI": "true"})):
        code, out, err = _run(args, terminal=terminal, **env)
        assert code == 0 and "wrote 30,000 rows" in out
        assert "generating" not in err and "\r" not in err, err


def test_check_shows_what_it_evaluates_and_leaves_its_output_clean(generated, tmp_path):
    args = ["check", "specs", "--data", str(generated), "--as-of", "2026-11-20", "--json", str(tmp_path / "r.json")]
    code, out, err = _run(args, terminal=True)
    assert code == 2  # the example's rule with no data (specs/README.md)
    assert "evaluating: " in err and " rules, " in err and f"writing {tmp_path / 'r.json'}" in err
    errors = err[err.rindex(CLEAR) + len(CLEAR):]  # what is left on screen after the line is erased
    assert errors.startswith("cxgov: error: specs/standards.yaml:") and "\r" not in out
    piped = _run(args, terminal=False)
    assert piped[1] == out and "\r" not in piped[2] and "evaluating" not in piped[2]
