"""Every rule has a passing and a failing fixture; the rule reference in docs/rules.md is current."""

from __future__ import annotations

import os
import sys

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.spec import lint
from cxgov.spec.rules import RULES, markdown
from spec_fixtures import REPO, appended, patched, run_validate, write_spec
from support.spec_files import Link

from test_broken_specs import CASES

P, A = patched, appended

WAIVER = "version: 1\nwaivers:\n  - {{id: w1, standard: help-csat, justification: Queue system replaced, " \
         "approved_by: ana, {extra}}}\n"
ACTION = "version: 1\nactions:\n  - {{id: a1, standard: help-csat, owner: ana, {extra}}}\n"
# a problems analysis over the surveys source: a category form (line 5) and a theme form (line 9)
PROBLEMS = """version: 1
root_causes:
  - {{id: training, name: Training, owner: cx-office}}
  - {{id: capacity, name: Capacity}}
problems:
  - {{id: why, source: surveys, category: reason, window: quarter, {category}
     causes: {{late: capacity, rude: training{causes}}}}}
  - id: said
    source: surveys
    text: comment
    window: 28d{score}
    themes:
      - {{id: waiting, root_cause: capacity, patterns: [{patterns}]}}
      - {{id: manners, root_cause: training, patterns: [rude{more}]}}
"""


def problems(category: str = "", causes: str = "", score: str = "", patterns: str = "wait*, took ages",
             more: str = "", extra_causes: str = "") -> dict[str, str]:
    text = PROBLEMS.format(category=category, causes=causes, score=score, patterns=patterns, more=more)
    if extra_causes:
        text = text.replace("problems:\n", extra_causes + "problems:\n")
    return {"problems.yaml": text}


OUTSIDE_FILE = os.path.realpath(sys.executable)  # a file that exists, outside every test's spec folder


def source_path(path: str) -> dict[str, str]:
    """data.yaml with the surveys source reading `path` (written at specs/data.yaml:3:25)."""
    return patched("data.yaml", "table: survey_responses", f"path: {path}")


def owner_named(name: str) -> dict[str, str]:
    """owners.yaml with an owner `eve` named `name` (YAML text), written at specs/owners.yaml:6:21."""
    return appended("owners.yaml", f"  - {{id: eve, name: {name}}}\n")

# code -> (files that break the rule, the file:line it is reported at, text in the message)
FAILING = {
    "CX007": [(source_path("../elsewhere/*.csv"), "specs/data.yaml:3:25", "leads to elsewhere/*.csv, outside the "
               "spec's repository (specs)"),
              (source_path("/srv/data/x.csv"), "specs/data.yaml:3:25", "'/srv/data/x.csv' is an absolute path"),
              (source_path("file:///srv/x.csv"), "specs/data.yaml:3:25", "is an absolute path"),
              ({**source_path("data/*.csv"), "data/x.csv": Link(OUTSIDE_FILE)}, "specs/data.yaml:3:25",
               f"matches specs/data/x.csv, which leads to {OUTSIDE_FILE}, outside"),
              ({**source_path("data/**/*.csv"), "data/ext": Link("/")}, "specs/data.yaml:3:25",
               "walks through specs/data/ext, which leads to /, outside"),
              ({**source_path("data/*.csv"), "data/.x.csv": "a\n", "data/y.csv": Link(".x.csv")},
               "specs/data.yaml:3:25", "hidden '.x.csv'"),
              ({"linked.yaml": Link(OUTSIDE_FILE)}, "specs/linked.yaml", f"symbolic link to {OUTSIDE_FILE}, outside"),
              ({"shared": Link("/")}, "specs/shared", "symbolic link to /, outside the spec's repository")],
    "CX008": [({"old.yaml": Link("gone.yaml")}, "specs/old.yaml", "symbolic link to 'gone.yaml', which does not "
               "exist"),
              ({"sub/loop": Link("..")}, "specs/sub/loop", "symbolic link loop: the link leads back to specs"),
              ({"a.yaml": Link("b.yaml"), "b.yaml": Link("a.yaml")}, "specs/a.yaml", "symbolic link loop")],
    "CX009": [(owner_named('"Eve\\x1b[31m"'), "specs/owners.yaml:6:25", "holds control character U+001B (escape)"),
              (owner_named('"Eve\\u0085"'), "specs/owners.yaml:6:25", "control character U+0085"),
              (owner_named('"Eve\\r"'), "specs/owners.yaml:6:25", "U+000D (carriage return)"),
              (owner_named('"\\uFFFE"'), "specs/owners.yaml:6:22", "U+FFFE, which is not a character"),
              (owner_named('"Eve\\ud800"'), "specs/owners.yaml:6:25", "\\ud800 is half of a UTF-16 surrogate pair"),
              (owner_named('"\\ud83d\\ude00"'), "specs/owners.yaml:6:22", "writes U+1F600 as a UTF-16 surrogate"),
              (owner_named('"\\U00110000"'), "specs/owners.yaml:6:22", "Unicode ends at U+10FFFF"),
              (patched("owners.yaml", "{id: ana, name: Ana,", '{id: ana, "k\\b": x, name: Ana,'),
               "specs/owners.yaml:5:17", "the key 'k\\x08' holds control character U+0008")],
    "CX014": [(owner_named('"Eve \u202egnp.exe"'), "specs/owners.yaml:6:26", "bidirectional control U+202E "
               "(right-to-left override)")],
    "CX106": [(P("raci.yaml", "{ana: A, cx-office: R}", "{ana: R, cx-office: R}"), "specs/raci.yaml:3",
               "has no A"),
              (P("raci.yaml", "{ana: A, cx-office: R}", "{ana: AR, cx-office: A}"), "specs/raci.yaml:3",
               "2 accountable owners (ana, cx-office)")],
    "CX107": [(P("raci.yaml", "{ana: A, cx-office: R}", "{ana: A, cx-office: C}"), "specs/raci.yaml:3", "no R")],
    "CX108": [(P("rules.yaml", "fail: 75, warn: 85", "fail: 75, warn: 70"), "specs/rules.yaml:6",
               "warn 70 is not stricter than fail 75"),
              (P("rules.yaml", '{op: ">=", fail: 75, warn: 85}', '{op: "<=", fail: 75, warn: 85}'),
               "specs/rules.yaml:6", "with '<=', warn must be less than fail"),
              (P("rules.yaml", "fail: 75, warn: 85", "fail: 120"), "specs/rules.yaml:6",
               "threshold fail 120 can never be reached"),
              (P("rules.yaml", "fail: 20, warn: 30", "fail: -150, warn: 30"), "specs/rules.yaml:11",
               "NPS lies between -100 and 100")],
    "CX109": [({"w.yaml": WAIVER.format(extra="granted: 2026-11-01, expires: 2027-12-31")}, "specs/w.yaml:3",
               "425 days after granted 2026-11-01; the limit is 180 days"),
              ({"w.yaml": WAIVER.format(extra="expires: 2027-12-31")}, "specs/w.yaml:3", "after today, 2026-11-20"),
              ({"w.yaml": WAIVER.format(extra="granted: 2026-11-01, expires: 2026-10-01")}, "specs/w.yaml:3",
               "before it was granted")],
    "CX110": [(A("data.yaml", "  - {id: sla, kind: sla, source: surveys, duration: {start: a, end: b}}\n"),
               "specs/data.yaml:7", "needs `within`"),
              (A("data.yaml", "  - {id: fcr, kind: ratio, source: surveys}\n"), "specs/data.yaml:7",
               "needs `condition`"),
              (A("data.yaml", "  - {id: p90, kind: percentile, percentile: 90, source: surveys, column: x, "
                              "duration: {start: a, end: b}}\n"), "specs/data.yaml:7", "exactly one of"),
              (A("data.yaml", "  - {id: c5, kind: csat, source: surveys, column: x, scale: {min: 5, max: 1}}\n"),
               "specs/data.yaml:7", "scale min 5 must be below max 1"),
              (A("data.yaml", "  - {id: n2, kind: nps, source: surveys, column: x, within: 3}\n"),
               "specs/data.yaml:7", "does not use `within`"),
              (A("data.yaml", "  - {id: g, kind: gap, source: surveys, expectation: e}\n"), "specs/data.yaml:7",
               "needs `perception`")],
    "CX201": [(P("rules.yaml", "{journey: [get-help]}", "{channel: [phone]}"), "specs/journeys.yaml:9",
               "touchpoint 'web-form' has no standard (ungoverned)")],
    "CX202": [(P("rules.yaml", "{journey: [get-help]}", "{channel: [web]}"), "specs/journeys.yaml:21",
               "'phone-line' is a moment of truth with no standard")],
    "CX203": [(P("journeys.yaml", "stages: [report, resolve]", "stages: [report, resolve, follow-up]"),
               "specs/journeys.yaml:7", "stage 'follow-up' of journey 'get-help' has no touchpoint")],
    "CX204": [(P("raci.yaml", "  - {id: a8, name: Dashboard, cycle_step: dashboard, assignments: {cx-office: AR}}\n",
                 ""), "specs/program.yaml:3", "step 'dashboard'")],
    "CX205": [(A("owners.yaml", "  - {id: idle, name: Idle team}\n"), "specs/owners.yaml:6",
               "owner 'idle' has no assignment")],
    "CX111": [(problems(patterns="'!!'"), "specs/problems.yaml:13", "pattern '!!' cannot be matched: it has no word"),
              (problems(patterns="'50%'"), "specs/problems.yaml:13", "only letters, digits")],
    "CX112": [(problems(score="\n    score: other") | {"t.yaml": "version: 1\nsources:\n  - {id: tickets, table: t, "
                                                         "timestamp: at}\nmetrics:\n  - {id: other, kind: count, "
                                                         "source: tickets}\n"},
               "specs/problems.yaml:12", "its score metric 'other' reads 'tickets'"),
              (problems(category="") | {"more.yaml": "version: 1\nproblems:\n  - {id: why2, source: surveys, "
                                                     "category: topic, window: 28d, causes: {x: training}}\n"},
               "specs/problems.yaml:6", "reads categories from column 'reason' of source 'surveys', but problems "
               "'why2' reads them from 'topic'")],
    "CX213": [(problems(extra_causes="  - {id: idle-cause, name: Nobody uses it}\n"), "specs/problems.yaml:5",
               "root cause 'idle-cause' is used by no problems analysis")],
    "CX214": [(problems(causes=", Late: capacity"), "specs/problems.yaml:7", "maps category 'Late' and 'late'"),
              (problems(more=", took  AGES"), "specs/problems.yaml:14", "is also a pattern of theme 'waiting'")],
    "CX206": [(P("program.yaml", "max_accountable: 8", "max_accountable: 3"), "specs/owners.yaml:5",
               "person 'ana' is accountable for 5 items, more than max_accountable (3)")],
    "CX207": [(P("program.yaml", "last_reviewed: 2026-10-01", "last_reviewed: 2026-08-01"), "specs/program.yaml:11",
               "last reviewed 2026-08-01, quarterly review due 2026-11-01")],
    "CX208": [({"w.yaml": WAIVER.format(extra="touchpoints: [phone-line], expires: 2026-12-31"),
                **P("rules.yaml", "{journey: [get-help]}", "{touchpoints: [web-form, phone-line]}")}, None, None),
              ({"w.yaml": WAIVER.format(extra="touchpoints: [phone-line], expires: 2026-12-31"),
                **P("rules.yaml", "{journey: [get-help]}", "{channel: [web]}")}, "specs/w.yaml:3",
               "names touchpoint 'phone-line', which standard 'help-csat' does not cover")],
    "CX209": [({"w.yaml": WAIVER.format(extra="granted: 2026-06-01, expires: 2026-11-01")}, "specs/w.yaml:3",
               "expired on 2026-11-01")],
    "CX210": [({"a.yaml": ACTION.format(extra="due: 2026-11-01, status: in_progress")}, "specs/a.yaml:3",
               "overdue: due 2026-11-01, status in_progress")],
    "CX211": [(P("owners.yaml", "{id: digital-team, name: Digital, kind: team}",
                 "{id: digital-team, name: Digital board, kind: committee}"), "specs/journeys.yaml:14",
               "committee 'digital-team' is accountable for touchpoint 'web-form'")],
    "CX212": [(P("rules.yaml", "{journey: [get-help]}", "{channel: [phone], stage: [report]}"),
               "specs/rules.yaml:5", "standard 'help-csat' applies to no touchpoint")],
}

# the near misses: fixtures close to the failing ones that must not trigger the rule
PASSING = {
    "CX007": [source_path("data/*.csv"), source_path("./data/../data/x.csv"), source_path("s3a://bucket/feed/*.parquet"),
              {**source_path("data/*.csv"), "data/x.csv": Link("../elsewhere.csv"), "elsewhere.csv": "a\n"}],
    "CX008": [{"alias.yaml": Link("owners.yaml")}, {".old.yaml": Link("gone.yaml")},
              {"more/x.yaml": "version: 1\n", "again": Link("more")}],
    "CX009": [owner_named('"Eve\\tEve"'), owner_named('"Ève \\U0001F600 😀 \\n"'), owner_named("'Eve\\x1b'")],
    "CX014": [owner_named("\"\u0639\u0644\u064a \u200fAli\""), owner_named('"\\u2067"x')],
    "CX106": [P("raci.yaml", "{ana: A, cx-office: R}", "{ana: AR, cx-office: R}")],
    "CX107": [P("raci.yaml", "{ana: A, cx-office: R}", "{ana: AR, cx-office: C}")],
    "CX108": [P("rules.yaml", '{op: ">=", fail: 75, warn: 85}', '{op: "<", fail: 100, warn: 0}'),
              P("rules.yaml", "fail: 75, warn: 85", "fail: 100")],
    "CX109": [{"w.yaml": WAIVER.format(extra="granted: 2026-11-01, expires: 2027-04-30")},
              {"w.yaml": WAIVER.format(extra="expires: 2027-05-19")}],
    "CX110": [A("data.yaml", "  - {id: sla, kind: sla, source: surveys, duration: {start: a, end: b}, within: 4}\n"
                             "  - {id: p90, kind: percentile, percentile: 90, source: surveys, column: x}\n"
                             "  - {id: cnt, kind: count, source: surveys, where: {q: [1, 2]}}\n")],
    "CX201": [P("journeys.yaml", "    owner: digital-team\n", "    owner: digital-team\n    status: retired\n")],
    "CX111": [problems(patterns="wait*, took ages, e-mail, don't, Café, 24h")],
    "CX112": [problems(score="\n    score: csat"),
              problems() | {"more.yaml": "version: 1\nproblems:\n  - {id: why2, source: surveys, category: reason, "
                                         "window: 28d, causes: {x: training}}\n"}],
    "CX213": [problems()],
    "CX214": [problems(causes=", lateness: capacity"), problems(more=", rudeness")],
    "CX205": [{**A("owners.yaml", "  - {id: helper, name: Helper}\n"),
               **P("journeys.yaml", "    owner: digital-team\n", "    owner: digital-team\n    consulted: [helper]\n")}],
    "CX206": [P("program.yaml", "max_accountable: 8", "max_accountable: 5")],
    "CX207": [P("program.yaml", "last_reviewed: 2026-10-01", "last_reviewed: 2026-08-20")],
    "CX209": [{"w.yaml": WAIVER.format(extra="expires: 2026-11-20")}],
    "CX210": [{"a.yaml": ACTION.format(extra="due: 2026-11-01, status: done")},
              {"a.yaml": ACTION.format(extra="due: 2026-11-20")}],
    "CX211": [{**A("owners.yaml", "  - {id: board, name: Board, kind: committee}\n"),
               **P("journeys.yaml", "    owner: digital-team\n", "    owner: digital-team\n    informed: [board]\n")}],
}


def _failing_params():
    for code, cases in FAILING.items():
        for i, (files, where, text) in enumerate(cases):
            if where is not None:
                yield pytest.param(code, files, where, text, id=f"{code}-{i}")


@pytest.mark.parametrize("code, files, where, text", list(_failing_params()))
def test_rule_fails(spec_dir, code, files, where, text):
    run = run_validate(write_spec(spec_dir, files))
    severity = RULES[code].severity
    hits = [line for line in run.lines if line.startswith(where + ":") and f" {code} {severity}: " in line]
    assert hits, f"expected {code} at {where}:\n{run.output}"
    assert any(text in line for line in hits), f"expected {text!r}:\n{run.output}"
    assert run.exit_code == (1 if severity == "error" else 0), run.output
    assert "Traceback" not in run.output


def _passing_params():
    for code in RULES:
        yield pytest.param(code, {}, id=f"{code}-base")
        for i, files in enumerate(PASSING.get(code, [])):
            yield pytest.param(code, files, id=f"{code}-{i}")
        for i, (files, where, _) in enumerate(FAILING.get(code, [])):
            if where is None:
                yield pytest.param(code, files, id=f"{code}-covered-{i}")


@pytest.mark.parametrize("code, files", list(_passing_params()))
def test_rule_passes(spec_dir, code, files):
    run = run_validate(write_spec(spec_dir, files))
    assert code not in run.codes(), run.output


def test_strict_fails_on_warnings(spec_dir):
    folder = write_spec(spec_dir, FAILING["CX205"][0][0])
    assert run_validate(folder).exit_code == 0
    assert run_validate(folder, "--strict").exit_code == 1


def test_every_rule_has_a_failing_fixture():
    corpus = {c.values[1] for c in CASES}
    covered = corpus | {code for code, cases in FAILING.items() if any(w for _, w, _ in cases)}
    # CX006, an empty folder: tests/spec/test_broken_specs.py::test_empty_folder; the rules `cxgov check` reports
    # from the data (CX215): tests/engine/test_problems.py
    assert set(RULES) - covered == {"CX006"} | {code for code, rule in RULES.items() if rule.stage == "check"}


def test_every_lint_rule_has_a_check():
    assert set(lint.CHECKS) == {code for code, rule in RULES.items() if rule.stage == "lint"}


def test_rules_command_lists_every_rule():
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(RULES)
    assert "CX104  error    unknown reference" in result.output


def test_docs_rules_md_is_current():
    result = CliRunner().invoke(main, ["rules", "--markdown"])
    assert result.output == markdown()
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == markdown(), \
        "docs/rules.md is out of date: run `cxgov rules --markdown > docs/rules.md`"
