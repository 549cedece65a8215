"""Hostile values `cxgov validate` must refuse, or `cxgov check` must survive, at runtime: each case runs the real
CLI and asserts the exit code, where the problem is reported, the message and the hint, and that no traceback or
internal error appears. The numbers and dates a spec may hold are bounded by cxgov.spec.bounds."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest

from hostile_fixtures import AS_OF, assert_reports, check_with_reports, cli, patched, surveys_csv, write_spec


@dataclass(frozen=True)
class Case:
    id: str
    files: dict
    where: str  # the start of the line that reports it: file:line[:column]
    message: str
    hint: str | None = None
    command: str = "validate"  # "validate", or "check" (which refuses an invalid spec with exit 2)
    args: tuple[str, ...] = ()
    exit_code: int = 1
    code: str | None = None  # the rule code, for validate
    also: tuple[str, ...] = field(default=())  # more text the output holds


P = patched
RULES = "specs/rules.yaml"
DATA = "specs/data.yaml"
PROGRAM = "specs/program.yaml"
NAN = ".nan (not a number) is not a usable number"
INF = ".inf (infinity, or a number too large to hold) is not a usable number"
FINITE = "write a finite number"

SPEC_CASES = [
    Case("threshold-fail-nan", P("rules.yaml", "fail: 60, warn: 70", "fail: .nan, warn: 70"), f"{RULES}:6:33",
         f"standard 'help-csat', key 'threshold.fail': {NAN}", FINITE, code="CX013"),
    Case("threshold-warn-inf", P("rules.yaml", "fail: 60, warn: 70", "fail: 60, warn: .inf"), f"{RULES}:6:43",
         f"standard 'help-csat', key 'threshold.warn': {INF}", FINITE, code="CX013"),
    Case("threshold-fail-overflow", P("rules.yaml", "fail: 60, warn: 70", "fail: 1.0e+400, warn: 70"),
         f"{RULES}:6:33", INF, FINITE, code="CX013"),
    Case("threshold-exponent-without-sign", P("rules.yaml", "fail: 60, warn: 70", "fail: 6e1, warn: 70"),
         f"{RULES}:6:33", "key 'threshold.fail': expected a number, got text",
         "YAML reads '6e1' as text, not a number", code="CX011"),
    Case("threshold-text-overflow", P("rules.yaml", "fail: 60, warn: 70", "fail: 1e400, warn: 70"),
         f"{RULES}:6:33", "expected a number, got text", "a number in a spec is finite", code="CX011"),
    Case("threshold-huge-int", P("rules.yaml", "fail: 60, warn: 70", "fail: 1" + "0" * 40 + ", warn: 70"),
         f"{RULES}:6:33", "a number of 41 digits is too large: a number in a spec lies between -1e15 and 1e15",
         FINITE, code="CX013"),
    Case("max-drop-minus-inf", P("rules.yaml", "max_drop: 10", "max_drop: -.inf"), f"{RULES}:20:53",
         f"KPI 'rel-nps', key 'trend.max_drop': -{INF}", FINITE, code="CX013"),
    Case("within-inf", P("data.yaml", "within: 1}", "within: .inf}"), f"{DATA}:13:28",
         f"metric 'answered-1h', key 'within': {INF}", FINITE, code="CX013"),
    Case("within-zero", P("data.yaml", "within: 1}", "within: 0}"), f"{DATA}:13:28",
         "metric 'answered-1h', key 'within': 0 must be greater than 0", code="CX013"),
    Case("within-negative", P("data.yaml", "within: 1}", "within: -4}"), f"{DATA}:13:28",
         "-4 must be greater than 0", code="CX013"),
    Case("percentile-100", P("data.yaml", "percentile: 90", "percentile: 100"), f"{DATA}:11:50",
         "metric 'wait-p90', key 'percentile': 100 must be less than 100", code="CX013"),
    Case("percentile-zero", P("data.yaml", "percentile: 90", "percentile: 0"), f"{DATA}:11:50",
         "0 must be greater than 0", code="CX013"),
    Case("percentile-nan", P("data.yaml", "percentile: 90", "percentile: .nan"), f"{DATA}:11:50",
         f"metric 'wait-p90', key 'percentile': {NAN}", FINITE, code="CX013"),
    Case("min-sample-huge", P("rules.yaml", "min_sample: 3", "min_sample: 1" + "0" * 30), f"{RULES}:8:17",
         "standard 'help-csat', key 'min_sample': a number of 31 digits is too large", FINITE, code="CX013"),
    Case("min-sample-boolean", P("rules.yaml", "min_sample: 3", "min_sample: true"), f"{RULES}:8:17",
         "standard 'help-csat', key 'min_sample': expected a whole number, got true or false", code="CX011"),
    Case("threshold-boolean", P("rules.yaml", "fail: 60, warn: 70", "fail: yes, warn: 70"), f"{RULES}:6:33",
         "key 'threshold.fail': expected a number, got true or false", code="CX011"),
    Case("defaults-inf", P("program.yaml", "max_waiver_days: 180", "max_waiver_days: .inf"), f"{PROGRAM}:12:46",
         f"program, key 'defaults.max_waiver_days': {INF}", FINITE, code="CX013"),
    Case("scale-min-nan", P("data.yaml", "scale: {min: 1, max: 5}", "scale: {min: .nan, max: 5}"),
         f"{DATA}:6:73", f"metric 'csat', key 'scale.min': {NAN}", FINITE, code="CX013"),
    Case("scale-min-text", P("data.yaml", "scale: {min: 1, max: 5}", "scale: {min: '1', max: 5}"),
         f"{DATA}:6:73", "key 'scale.min': expected a whole number, got text", "write 1, a plain number",
         code="CX011"),
    Case("scale-min-above-max", P("data.yaml", "scale: {min: 1, max: 5}", "scale: {min: 5, max: 5}"),
         f"{DATA}:6:67", "metric 'csat' of kind csat: scale min 5 must be below max 5", code="CX110"),
    Case("filter-value-nan", P("data.yaml", "condition: {resolved_first: true}", "condition: {resolved_first: .nan}"),
         f"{DATA}:10:73", f"metric 'fcr', key 'condition.resolved_first': {NAN}", FINITE, code="CX013"),
    Case("window-too-long", P("rules.yaml", "window: 28d", "window: 99999999d"), f"{RULES}:7:13",
         "standard 'help-csat': window '99999999d' spans 99999999 days, more than the 3660 (ten years) a window "
         "may span", "use `year`, or a rolling window of at most 3660d (522w)", code="CX013"),
    Case("window-weeks-too-long", P("rules.yaml", "window: 4w}", "window: 523w}"), f"{RULES}:11:14",
         "standard 'help-ces': window '523w' spans 3661 days", "at most 3660d (522w)", code="CX013"),
    Case("window-zero", P("rules.yaml", "window: 28d", "window: 0d"), f"{RULES}:7:13",
         "'0d' is not valid: a window is Nd or Nw (rolling days or weeks, e.g. 28d; at most 3660d or 522w)",
         code="CX013"),
    Case("window-thousands-of-digits", P("rules.yaml", "window: 28d", "window: " + "9" * 5000 + "d"),
         f"{RULES}:7:13", "is not valid: a window is Nd or Nw", code="CX013"),
    Case("waiver-expires-9999", P("rules.yaml", "expires: 2026-12-31", "expires: 9999-12-31"), f"{RULES}:27:54",
         "waiver 'w1', key 'expires': 9999-12-31 is outside the dates cxgov works with (1900-01-01 to 9997-12-31)",
         "write a date from 1900-01-01 to 9997-12-31", code="CX013"),
    Case("last-reviewed-year-1", P("program.yaml", "last_reviewed: 2026-10-01", "last_reviewed: 0001-01-01"),
         f"{PROGRAM}:11:47", "program, key 'review.last_reviewed': 0001-01-01 is outside the dates cxgov works with",
         "write a date from 1900-01-01", code="CX013"),
    Case("action-due-1899", P("rules.yaml", "due: 2026-12-15", "due: 1899-12-31"), f"{RULES}:29:52",
         "action 'a1', key 'due': 1899-12-31 is outside the dates", code="CX013"),
    Case("approval-date-9998", P("rules.yaml", "date: 2026-10-01", "date: 9998-01-01"), f"{RULES}:31:97",
         "approval 'ap1', key 'date': 9998-01-01 is outside the dates", code="CX013"),
    # check refuses the same spec: exit 2, the diagnostic listed
    Case("check-refuses-nan", P("rules.yaml", "fail: 60, warn: 70", "fail: .nan, warn: 70"), f"  {RULES}:6:33",
         f"CX013 error: standard 'help-csat', key 'threshold.fail': {NAN}", "run `cxgov validate",
         command="check", exit_code=2, also=("the spec in", "has 1 error")),
    Case("check-refuses-long-window", P("rules.yaml", "window: quarter}", "window: 5000w}"), f"  {RULES}:14:57",
         "window '5000w' spans 35000 days", "run `cxgov validate", command="check", exit_code=2),
]

OPTION_CASES = [
    Case("as-of-year-1", {}, "Error: Invalid value for '--as-of'",
         "'0001-01-01' is outside the dates cxgov works with (1900-01-01 to 9997-12-31)", command="check",
         args=("--as-of", "0001-01-01"), exit_code=2),
    Case("as-of-year-9999", {}, "Error: Invalid value for '--as-of'", "'9999-12-31' is outside the dates",
         command="check", args=("--as-of", "9999-12-31"), exit_code=2),
    Case("as-of-year-0", {}, "Error: Invalid value for '--as-of'", "'0000-01-01' is not a real date",
         "write it YYYY-MM-DD", command="check", args=("--as-of", "0000-01-01"), exit_code=2),
    Case("today-year-9999", {}, "Error: Invalid value for '--today'", "'9999-01-01' is outside the dates",
         command="validate", args=("--today", "9999-01-01"), exit_code=2),
    Case("report-as-of-year-1", {}, "Error: Invalid value for '--as-of'", "'0001-01-01' is outside the dates",
         command="report", args=("scorecard", "--as-of", "0001-01-01", "--out", "x.html"), exit_code=2),
    Case("generate-as-of-9999", {}, "Error: Invalid value for '--as-of'", "'9999-12-31' is outside the dates",
         command="data", args=("generate", "--db", "x.duckdb", "--as-of", "9999-12-31"), exit_code=2),
]


def _run(case: Case, spec) -> str:
    if case.command == "validate":
        args = ("--today", AS_OF) if "--today" not in case.args else ()
        ran = cli("validate", spec, *args, *case.args)
    elif case.command == "check":
        ran = cli("check", spec, *(("--as-of", AS_OF) if "--as-of" not in case.args else ()), *case.args)
    elif case.command == "report":
        ran = cli("report", case.args[0], spec, *case.args[1:])
    else:
        ran = cli(case.command, *case.args, "--spec", spec)
    assert ran.clean, ran.output
    assert ran.exit_code == case.exit_code, ran.output
    return ran.output


@pytest.mark.parametrize("case", SPEC_CASES + OPTION_CASES, ids=lambda c: c.id)
def test_hostile_value(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "specs", case.files)
    output = _run(case, "specs")
    lines = [line for line in output.splitlines() if line.startswith(case.where)]
    assert lines, f"nothing reported at {case.where}:\n{output}"
    line = next((line for line in lines if case.message in line), None)
    assert line is not None, f"expected {case.message!r} at {case.where}:\n{output}"
    if case.code:
        assert f": {case.code} error: " in line, line
    if case.hint:
        assert case.hint in output, output
    for text in case.also:
        assert text in output, output
    assert spec.is_dir()


def test_spec_cases_are_reported_once(tmp_path, monkeypatch):
    """A NaN is reported plainly once, not also as a failed comparison of the schema ("NaN must be ...")."""
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path / "specs", P("data.yaml", "percentile: 90", "percentile: .nan"))
    output = cli("validate", "specs", "--today", AS_OF).output
    assert output.count(f"{DATA}:11:50") == 1, output
    assert "NaN" not in output


@pytest.mark.parametrize("window", ["3660d", "522w", "1d", "year"])
@pytest.mark.parametrize("as_of", ["1900-01-01", "9997-12-31"])
def test_longest_windows_at_the_edges_of_time(tmp_path, monkeypatch, window, as_of):
    """The longest window the spec may hold, evaluated as of the first and the last day allowed: every report is
    written and well-formed, and the run is recorded."""
    monkeypatch.chdir(tmp_path)
    every = re.sub(r"window: \w+", f"window: {window}", P("rules.yaml", "", "")["rules.yaml"])
    spec = write_spec(tmp_path / "specs", {"rules.yaml": every})
    ran = check_with_reports(spec, tmp_path / "out", "--as-of", as_of, "--record", tmp_path / "h.duckdb")
    assert ran.clean, ran.output
    assert ran.exit_code in (0, 1), ran.output  # no data that long ago or that far ahead: insufficient, not error
    assert_reports(tmp_path / "out")
    assert "recorded as run 1" in ran.output


# -- history files that are not (whole) cxgov histories ---------------------------------------------------------

def _sql(path, *statements):
    import duckdb  # only to damage files in the ways other programs do

    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _altered(path, good, *statements):
    """A copy of the history `good` at `path`, with `statements` run on it."""
    path.write_bytes(good.read_bytes())
    _sql(path, *statements)


VERSION = "UPDATE cxgov_meta SET value = '{}' WHERE key = 'schema_version'"
HISTORIES = {
    # kind: (make(path, good history), the cause the message names, the hint)
    "truncated": (lambda path, good: path.write_bytes(good.read_bytes()[:20_000]),
                  "is truncated or damaged (IO Error: Could not read enough bytes", "restore it from a backup"),
    "cut-short": (lambda path, good: path.write_bytes(good.read_bytes()[:int(good.stat().st_size * 0.9)]),
                  "is truncated or damaged", "record into a new history file"),
    "random-bytes": (lambda path, good: path.write_bytes(bytes(range(256)) * 64),
                     "it is not a DuckDB file", "a run history is the DuckDB file `cxgov check --record` writes"),
    "csv": (lambda path, good: path.write_text("run,as_of\n1,2026-11-20\n"),
            "it is not a DuckDB file but text (a CSV or other export?)", "give a new file name"),
    "empty": (lambda path, good: path.write_bytes(b""), "is an empty file (0 bytes), not a run history",
              "delete it and `check --record` creates the history there"),
    "other-program": (lambda path, good: _sql(path, "CREATE TABLE runs (x INTEGER)", "CREATE TABLE t (y VARCHAR)"),
                      "is not a cxgov run history: it has 2 tables, none of them cxgov_meta",
                      "a file written by `cxgov check --record`"),
    "newer-schema": (lambda path, good: _altered(path, good, VERSION.format("7")),
                     "has schema version 7, written by a newer cxgov; this cxgov reads version 1", "upgrade cxgov"),
    "garbled-version": (lambda path, good: _altered(path, good, VERSION.format("v1")),
                        "has no readable schema version", "record into a new history file"),
    "table-dropped": (lambda path, good: _altered(path, good, "DROP TABLE results"),
                      "is incomplete: it lacks table results", "restore it from a backup"),
    "column-dropped": (lambda path, good: _altered(path, good, "ALTER TABLE runs DROP COLUMN program"),
                       "is incomplete: it lacks column program of table runs", "changed outside cxgov"),
}
HISTORY_COMMANDS = {
    "check-record": lambda spec, h: ("check", spec, "--as-of", AS_OF, "--record", h),
    "history": lambda spec, h: ("history", h),
    "history-rule": lambda spec, h: ("history", h, "--rule", "help-csat", "--format", "json"),
    "scorecard": lambda spec, h: ("report", "scorecard", spec, "--as-of", AS_OF, "--out", "s.html", "--history", h),
}


@pytest.fixture(scope="module")
def good_history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    spec = write_spec(folder / "specs")
    for day in ("2026-10-20", "2026-11-20"):
        ran = cli("check", spec, "--as-of", day, "--record", folder / "history.duckdb")
        assert ran.clean and "recorded as run" in ran.output, ran.output
    return folder / "history.duckdb"


@pytest.mark.parametrize("command", list(HISTORY_COMMANDS))
@pytest.mark.parametrize("kind", list(HISTORIES))
def test_history_file_that_is_not_a_whole_history(tmp_path, monkeypatch, good_history, kind, command):
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "specs")
    make, cause, hint = HISTORIES[kind]
    path = tmp_path / "h.duckdb"
    make(path, good_history)
    before = path.read_bytes()
    ran = cli(*HISTORY_COMMANDS[command]("specs", "h.duckdb"))
    assert ran.clean, ran.output
    assert ran.exit_code == 2, ran.output
    error = next(line for line in ran.output.splitlines() if line.startswith("cxgov: error:"))
    assert "h.duckdb" in error and cause in error, ran.output
    assert "hint: " in ran.output and hint in ran.output, ran.output
    assert path.read_bytes() == before, "the file is left as it is"
    assert not (tmp_path / "s.html").exists()
    assert spec.is_dir()


# -- metrics databases whose source table is a view DuckDB cannot compute, and driver errors ----------------------

TABLE_SOURCE = P("data.yaml", "path: data/surveys.csv", "table: surveys")


def _metrics_db(folder, *statements):
    """A metrics database with table `surveys` loaded from the spec's CSV, then `statements` run on it."""
    db = folder / "metrics.duckdb"
    csv = folder / "surveys.csv"
    csv.write_text(surveys_csv(), encoding="utf-8")
    _sql(db, f"CREATE TABLE surveys AS SELECT * FROM read_csv('{csv.as_posix()}')", *statements)
    return db


DATA_CASES = {
    # id: (spec overrides, make the data (folder) -> --data path or None, message, hint)
    "view-over-dropped-table": (
        TABLE_SOURCE,
        lambda f: _metrics_db(f, "ALTER TABLE surveys RENAME TO surveys_base",
                              "CREATE VIEW surveys AS SELECT * FROM surveys_base", "DROP TABLE surveys_base"),
        "source 'surveys': table 'surveys' is a view over 'surveys_base', which does not exist in the metrics "
        "database metrics.duckdb", "restore table surveys_base (load it again), or redefine the view surveys"),
    "view-with-type-error": (
        TABLE_SOURCE,
        lambda f: _metrics_db(f, "ALTER TABLE surveys RENAME TO surveys_base",
                              "CREATE VIEW surveys AS SELECT * REPLACE (CAST(CASE WHEN score = 5 THEN 'abc' ELSE "
                              "score::VARCHAR END AS INTEGER) AS score) FROM surveys_base"),
        "source 'surveys': table 'surveys' is a view DuckDB cannot compute: Conversion Error: Could not convert "
        "string 'abc' to INT32", "fix the view's definition or the rows it reads"),
    "view-over-dropped-column": (
        TABLE_SOURCE,
        lambda f: _metrics_db(f, "ALTER TABLE surveys RENAME TO surveys_base",
                              "CREATE VIEW surveys AS SELECT responded_at, closed_at, touchpoint_id, segment, score, "
                              "recommend, effort, resolved_first, wait_minutes, expected, perceived FROM surveys_base",
                              "ALTER TABLE surveys_base DROP COLUMN expected"),
        "source 'surveys': table 'surveys' is a view DuckDB cannot compute: Binder Error: Referenced column "
        "\"expected\" not found", "`SELECT * FROM surveys` in DuckDB shows the same error"),
    "csv-value-past-the-sniffed-rows": (
        {},
        None,
        "source 'surveys': cannot read specs/data/surveys.csv, line 40002: a value in column 'score' cannot be read "
        "as BIGINT, the type its first rows have", "correct the value on that line"),
}


def _csv_with_a_late_bad_value(spec):
    """The spec's CSV made 40,000 rows long, its last row's score a word: DuckDB's sniffer sees only numbers."""
    header, *rows = surveys_csv().splitlines()
    rows = (rows * (40_000 // len(rows) + 1))[:40_000]
    last = rows[-1].split(",")
    last[4] = "not-a-score PRIVATE-TEXT-THAT-GOES-ON-AND-ON-AND-ON-AND-ON-AND-ON"
    last[0] = "2026-11-19 12:00:00"
    (spec / "data" / "surveys.csv").write_text("\n".join([header, *rows, ",".join(last)]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("kind", list(DATA_CASES))
def test_data_that_cannot_be_read(tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    overrides, make, message, hint = DATA_CASES[kind]
    spec = write_spec(tmp_path / "specs", overrides)
    args = ()
    if make is not None:
        db = make(tmp_path)
        args = ("--data", db.name)
    else:
        _csv_with_a_late_bad_value(spec)
    ran = check_with_reports(spec, tmp_path / "out", *args)
    assert ran.clean, ran.output
    assert ran.exit_code == 2, ran.output
    errors = [line for line in ran.output.splitlines() if line.startswith("cxgov: error: ")]
    assert errors and all(message in line for line in errors), ran.output
    # the rule's own line, then the source's line in the spec
    assert errors[0].startswith("cxgov: error: specs/rules.yaml:3: help-csat could not be evaluated"), errors[0]
    assert ": specs/data.yaml:3:" in errors[0], errors[0]
    assert "Original Line" not in ran.output and "PRIVATE-TEXT-THAT-GOES-ON-AND-ON-AND-ON" not in ran.output
    assert "LINE 1:" not in ran.output and "Possible solutions" not in ran.output
    assert_reports(tmp_path / "out")
    results = json.loads((tmp_path / "out" / "out.json").read_text(encoding="utf-8"))["results"]
    failed = [r for r in results if r["status"] == "error"]
    assert failed and all(message in r["notes"][0] and hint in r["notes"][1] for r in failed), failed[0]


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_metrics_database(tmp_path, monkeypatch, keep):
    """Cut short, a metrics database fails when opened or when a scan reaches the missing part: either way each
    message says the file is truncated, with DuckDB's words, and what to do."""
    monkeypatch.chdir(tmp_path)
    spec = write_spec(tmp_path / "specs", TABLE_SOURCE)
    db = _metrics_db(tmp_path)
    db.write_bytes(db.read_bytes()[:int(db.stat().st_size * keep)])
    ran = cli("check", spec, "--as-of", AS_OF, "--data", db.name)
    assert ran.clean, ran.output
    assert ran.exit_code == 2, ran.output
    errors = [line for line in ran.output.splitlines() if line.startswith("cxgov: error: ")]
    assert errors and all("metrics.duckdb" in line and "is truncated or damaged (IO Error: Could not read enough "
                          "bytes" in line for line in errors), ran.output
    assert "hint: restore it from a backup" in ran.output


def test_control_characters_in_a_name_are_refused_before_any_report_is_written(tmp_path, monkeypatch):
    """A standard's name holding characters XML 1.0 cannot hold (written as YAML escapes) is CX009 where the first
    one is written: `check` refuses the spec (exit 2), shows the characters as escapes and writes no report. (The
    JUnit renderer escapes such characters from other text, e.g. data: tests/report/test_junit.py.)"""
    monkeypatch.chdir(tmp_path)
    name = r'"Bell\a, escape \x1b[31m, NUL \x00, \uFFFE"'
    named = P("rules.yaml", "  - id: help-csat\n", f"  - id: help-csat\n    name: {name}\n")
    spec = write_spec(tmp_path / "specs", named)
    ran = check_with_reports(spec, tmp_path / "out")
    assert ran.clean and ran.exit_code == 2, ran.output
    assert "specs/rules.yaml:4:16: CX009 error: the value 'Bell\\x07, escape \\x1b[31m, NUL \\x00, \\ufffe' holds " \
           "control character U+0007 (bell)" in ran.output, ran.output
    assert not re.search("[\x00-\x08\x1b\ufffe]", ran.output)
    assert list((tmp_path / "out").iterdir()) == []
