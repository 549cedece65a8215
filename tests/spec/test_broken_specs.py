"""A corpus of broken specs: each gives the right code at the right file:line, exit 1, and never a traceback."""

from __future__ import annotations

import pytest

from spec_fixtures import appended, patched, run_validate, write_spec

P, A = patched, appended


def case(id_: str, files: dict, code: str, where: str, exit_code: int = 1, text: str | None = None):
    return pytest.param(files, code, where, exit_code, text, id=id_)


BOMB = "version: 1\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(10))

CASES = [
    # reading files (CX00x)
    case("yaml-syntax", {"extra.yaml": "version: 1\nowners: [{id: x, name: y}\n"}, "CX002", "specs/extra.yaml:3:1"),
    case("tabs", {"extra.yaml": "version: 1\nowners:\n\t- {id: x, name: y}\n"}, "CX002", "specs/extra.yaml:3:1",
         text="tabs for indentation"),
    case("duplicate-key", P("journeys.yaml", "    stage: report\n", "    stage: report\n    stage: resolve\n"),
         "CX003", "specs/journeys.yaml:13:5", text="duplicate key 'stage' (lines 12 and 13)"),
    case("python-tag", {"extra.yaml": "version: 1\nx: !!python/object:os.system {}\n"}, "CX004",
         "specs/extra.yaml:2:4", text="tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
    case("custom-tag", P("owners.yaml", "name: Ana,", "name: !upper Ana,"), "CX004", "specs/owners.yaml:5:21"),
    case("binary-tag", {"extra.yaml": "version: 1\nx: !!binary aGVsbG8=\n"}, "CX004", "specs/extra.yaml:2:4"),
    case("alias-bomb", {"bomb.yaml": BOMB}, "CX005", "specs/bomb.yaml:"),
    case("recursive-alias", {"extra.yaml": "version: 1\nx: &a [*a]\n"}, "CX005", "specs/extra.yaml:2:4"),
    case("recursive-merge", {"extra.yaml": "version: 1\nx: &a {y: {<<: *a}}\n"}, "CX005", "specs/extra.yaml:2:4",
         text="merges a mapping that contains it"),
    case("nested-too-deep", {"extra.yaml": "version: 1\nx: " + "[" * 70 + "]" * 70 + "\n"}, "CX002",
         "specs/extra.yaml:2:68", text="nested more than 64 levels deep"),
    case("control-character", {"extra.yaml": "version: 1\nowners: [{id: x, name: \"a\x08b\"}]\n"}, "CX002",
         "specs/extra.yaml:2:26", text="character U+0008 is not allowed"),
    case("empty-file", {"empty.yaml": ""}, "CX001", "specs/empty.yaml:1:1", text="file is empty"),
    case("comments-only", {"empty.yml": "# nothing yet\n"}, "CX001", "specs/empty.yml:1:1"),
    case("binary-file", {"logo.yaml": b"version: 1\n\x89PNG\x00\x00\x01"}, "CX001", "specs/logo.yaml:1:1",
         text="file is not UTF-8 text (found byte 0x89 at line 2, column 1; it does not look like text at all)"),
    case("nul-byte", {"extra.yaml": b"version: 1\nowners: []  # \x00\n"}, "CX001", "specs/extra.yaml:2:15",
         text="NUL byte"),
    case("oversized", {"huge.yaml": "version: 1\n" + "# padding\n" * 220_000}, "CX001", "specs/huge.yaml",
         text="2 MiB limit"),
    case("invalid-utf8", {"latin1.yaml": "version: 1\nowners:\n  - {id: jose, name: Jos\xe9}\n".encode("latin-1")},
         "CX001", "specs/latin1.yaml:1:1",
         text="file is not UTF-8 text (found byte 0xE9 at line 3, column 25, as in Windows-1252 or Latin-1 text)"),
    case("two-documents", {"extra.yaml": "version: 1\n---\nversion: 1\n"}, "CX002", "specs/extra.yaml:2:1"),
    # schema (CX01x)
    case("unknown-key", P("journeys.yaml", "    owner: digital-team", "    ownr: digital-team"), "CX010",
         "specs/journeys.yaml:14:5", text="did you mean 'owner'?"),
    case("unknown-section", {"extra.yaml": "version: 1\ntouchpoint: []\n"}, "CX010", "specs/extra.yaml:2:1",
         text="did you mean 'touchpoints'?"),
    case("wrong-type-bool", P("journeys.yaml", "moment_of_truth: true", "moment_of_truth: sometimes"), "CX011",
         "specs/journeys.yaml:21:22", text="expected true or false, got text"),
    case("wrong-type-list", P("journeys.yaml", "stages: [report, resolve]", "stages: report"), "CX011",
         "specs/journeys.yaml:7:13"),
    case("top-level-list", {"extra.yaml": "- version: 1\n"}, "CX011", "specs/extra.yaml:1:1"),
    case("missing-required", P("journeys.yaml", "    owner: digital-team\n", ""), "CX012", "specs/journeys.yaml:9:5",
         text="missing the required key 'owner'"),
    case("missing-version", P("owners.yaml", "version: 1\n", ""), "CX012", "specs/owners.yaml:1:1"),
    case("bad-version", P("owners.yaml", "version: 1", "version: 2"), "CX013", "specs/owners.yaml:1:10",
         text="unsupported spec version"),
    case("bad-id", P("owners.yaml", "{id: ana,", "{id: Ana Lopez,"), "CX013", "specs/owners.yaml:5:10",
         text="an id is lower-case"),
    case("bad-enum", P("journeys.yaml", "    moment_of_truth: true", "    status: activ"), "CX013",
         "specs/journeys.yaml:21:13", text="did you mean 'active'?"),
    case("bad-window", P("rules.yaml", "window: 28d", "window: 28 days"), "CX013", "specs/rules.yaml:7:13",
         text="a window is Nd or Nw"),
    case("bad-op", P("rules.yaml", 'op: ">=", fail: 75', 'op: "=>", fail: 75'), "CX013", "specs/rules.yaml:6:21"),
    case("bad-raci-letter", P("raci.yaml", "{ana: A, cx-office: R}", "{ana: A, cx-office: X}"), "CX013",
         "specs/raci.yaml:3:81", text="a RACI letter"),
    case("table-and-path", P("data.yaml", "table: survey_responses,", "table: t, path: x.csv,"), "CX013",
         "specs/data.yaml:3:5", text="either a `table` or a `path`"),
    case("bad-column-name", P("data.yaml", "column: score}\n  - {id: nps", "column: \"score; drop\"}\n  - {id: nps"),
         "CX013", "specs/data.yaml:5:53", text="a column name"),
    case("invalid-date", P("program.yaml", "last_reviewed: 2026-10-01", "last_reviewed: 2026-02-30"), "CX013",
         "specs/program.yaml:11:47", text="not a real date"),
    case("date-wrong-type", P("program.yaml", "last_reviewed: 2026-10-01", "last_reviewed: 20261001"), "CX011",
         "specs/program.yaml:11:47", text="YYYY-MM-DD"),
    case("unknown-timezone", P("program.yaml", "Europe/London", "Europe/Londn"), "CX013", "specs/program.yaml:5:13",
         text="did you mean 'Europe/London'?"),
    case("kpi-scope-two-keys", P("rules.yaml", "    metric: nps\n", "    metric: nps\n    scope: {journey: get-help, "
         "segment: retail}\n"), "CX013", "specs/rules.yaml:11:12", text="exactly one of"),
    case("negative-min-sample", P("rules.yaml", "window: 28d", "window: 28d\n    min_sample: 0"), "CX013",
         "specs/rules.yaml:8:17", text="at least 1"),
    # the spec as a whole (CX10x)
    case("no-program", {"program.yaml": None}, "CX100", "specs/data.yaml:1:1"),
    case("two-programs", {"program2.yaml": "version: 1\nprogram: {id: other, name: Other}\n"}, "CX100",
         "specs/program2.yaml:2:1", text="first at specs/program.yaml:3:3"),
    case("duplicate-id", {"z-more.yaml": "version: 1\nowners:\n  - {id: ana, name: Ana again}\n"}, "CX101",
         "specs/z-more.yaml:3:10", text="first at specs/owners.yaml:5:10"),
    case("kpi-with-a-standards-id", P("rules.yaml", "  - id: rel-nps", "  - id: help-csat"), "CX101",
         "specs/rules.yaml:9:9", text="also the id of a standard (at specs/rules.yaml:3:9)"),
    case("stage-not-in-journey", P("journeys.yaml", "stage: report", "stage: reprot"), "CX105",
         "specs/journeys.yaml:12:12", text="did you mean 'report'?"),
]

# A dangling reference of every kind (CX104): (id, patch, location)
REFERENCES = [
    ("touchpoint-owner", P("journeys.yaml", "owner: digital-team", "owner: digtal-team"), "specs/journeys.yaml:14:12",
     "touchpoint 'web-form' names owner 'digtal-team', which is not defined (did you mean 'digital-team'?)"),
    ("touchpoint-journey", P("journeys.yaml", "journey: get-help", "journey: get-hepl"), "specs/journeys.yaml:11:14",
     "did you mean 'get-help'?"),
    ("touchpoint-channel", P("journeys.yaml", "channel: web", "channel: webb"), "specs/journeys.yaml:13:14",
     "which is not in `channels`"),
    ("touchpoint-responsible", P("journeys.yaml", "    owner: digital-team\n",
                                 "    owner: digital-team\n    responsible: [cx-office, nobody]\n"),
     "specs/journeys.yaml:15:30", "owner 'nobody'"),
    ("touchpoint-principle", P("journeys.yaml", "    owner: digital-team\n",
                               "    owner: digital-team\n    principles: [efortless]\n"),
     "specs/journeys.yaml:15:18", "did you mean 'effortless'?"),
    ("touchpoint-segment", P("journeys.yaml", "    owner: digital-team\n",
                             "    owner: digital-team\n    segments: [retial]\n"), "specs/journeys.yaml:15:16",
     "segment 'retial'"),
    ("journey-owner", P("journeys.yaml", "    owner: cx-office\n    segments", "    owner: cx-ofice\n    segments"),
     "specs/journeys.yaml:5:12", "journey 'get-help' names owner 'cx-ofice'"),
    ("journey-segment", P("journeys.yaml", "segments: [retail]", "segments: [premier]"), "specs/journeys.yaml:6:16",
     "segment 'premier'"),
    ("team-member", P("owners.yaml", "members: [ana]", "members: [anna]"), "specs/owners.yaml:3:60",
     "owner 'cx-office' names owner 'anna'"),
    ("program-owner", P("program.yaml", "owner: cx-office", "owner: cx"), "specs/program.yaml:6:10",
     "program names owner 'cx'"),
    ("program-sponsor", P("program.yaml", "owner: cx-office", "owner: cx-office\n  sponsor: coo"),
     "specs/program.yaml:7:12", "owner 'coo'"),
    ("metric-source", P("data.yaml", "kind: nps, source: surveys", "kind: nps, source: survey"),
     "specs/data.yaml:6:34", "source 'survey'"),
    ("standard-metric", P("rules.yaml", "metric: csat", "metric: cast"), "specs/rules.yaml:4:13", "metric 'cast'"),
    ("standard-owner", P("rules.yaml", "window: 28d", "window: 28d\n    owner: bob"), "specs/rules.yaml:8:12",
     "standard 'help-csat' names owner 'bob'"),
    ("standard-principle", P("rules.yaml", "window: 28d", "window: 28d\n    principle: fair"),
     "specs/rules.yaml:8:16", "principle 'fair'"),
    ("selector-touchpoint", P("rules.yaml", "{journey: [get-help]}", "{touchpoints: [web-from]}"),
     "specs/rules.yaml:5:32", "did you mean 'web-form'?"),
    ("selector-journey", P("rules.yaml", "{journey: [get-help]}", "{journey: [get-halp]}"), "specs/rules.yaml:5:28",
     "journey 'get-halp'"),
    ("selector-stage", P("rules.yaml", "{journey: [get-help]}", "{stage: resolved}"), "specs/rules.yaml:5:25",
     "stage 'resolved', which is not a stage of any journey"),
    ("selector-channel", P("rules.yaml", "{journey: [get-help]}", "{channel: [web, fax]}"),
     "specs/rules.yaml:5:33", "channel 'fax'"),
    ("selector-segment", P("rules.yaml", "{journey: [get-help]}", "{segment: [smb]}"), "specs/rules.yaml:5:28",
     "segment 'smb'"),
    ("kpi-metric", P("rules.yaml", "metric: nps", "metric: nsp"), "specs/rules.yaml:10:13", "metric 'nsp'"),
    ("kpi-scope-journey", P("rules.yaml", "    metric: nps\n", "    metric: nps\n    scope: {journey: help}\n"),
     "specs/rules.yaml:11:22", "journey 'help'"),
    ("kpi-scope-segment", P("rules.yaml", "    metric: nps\n", "    metric: nps\n    scope: {segment: vip}\n"),
     "specs/rules.yaml:11:22", "segment 'vip'"),
    ("kpi-scope-stage", P("rules.yaml", "    metric: nps\n", "    metric: nps\n    scope: {stage: pay}\n"),
     "specs/rules.yaml:11:20", "stage 'pay'"),
    ("kpi-scope-channel", P("rules.yaml", "    metric: nps\n", "    metric: nps\n    scope: {channel: fax}\n"),
     "specs/rules.yaml:11:22", "channel 'fax'"),
    ("kpi-owner", P("rules.yaml", "owner: ana", "owner: anna"), "specs/rules.yaml:13:12", "KPI 'rel-nps'"),
    ("waiver-standard", {"w.yaml": "version: 1\nwaivers:\n  - {id: w1, standard: help-cast, justification: x, "
                                   "approved_by: ana, expires: 2026-12-31}\n"}, "specs/w.yaml:3:24",
     "standard or KPI 'help-cast'"),
    ("waiver-touchpoint", {"w.yaml": "version: 1\nwaivers:\n  - {id: w1, standard: help-csat, touchpoints: [web],"
                                     " justification: x, approved_by: ana, expires: 2026-12-31}\n"},
     "specs/w.yaml:3:49", "touchpoint 'web'"),
    ("waiver-approver", {"w.yaml": "version: 1\nwaivers:\n  - {id: w1, standard: help-csat, justification: x, "
                                   "approved_by: coo, expires: 2026-12-31}\n"}, "specs/w.yaml:3:66", "owner 'coo'"),
    ("action-standard", {"a.yaml": "version: 1\nactions:\n  - {id: a1, standard: nope, owner: ana, due: 2026-12-31}\n"},
     "specs/a.yaml:3:24", "standard or KPI 'nope'"),
    ("action-touchpoint", {"a.yaml": "version: 1\nactions:\n  - {id: a1, standard: rel-nps, touchpoint: wb-form, "
                                     "owner: ana, due: 2026-12-31}\n"}, "specs/a.yaml:3:45", "touchpoint 'wb-form'"),
    ("action-owner", {"a.yaml": "version: 1\nactions:\n  - {id: a1, standard: rel-nps, owner: bob, due: 2026-12-31}\n"},
     "specs/a.yaml:3:40", "owner 'bob'"),
    ("raci-owner", P("raci.yaml", "{ana: A, cx-office: R}", "{ana: A, cx-offce: R}"), "specs/raci.yaml:3:80",
     "RACI activity 'a1' names owner 'cx-offce'"),
]

CASES += [case(f"reference-{name}", files, "CX104", where, text=text) for name, files, where, text in REFERENCES]


@pytest.mark.parametrize("files, code, where, exit_code, text", CASES)
def test_broken_spec(spec_dir, files, code, where, exit_code, text):
    run = run_validate(write_spec(spec_dir, files))
    assert run.exit_code == exit_code, run.output
    assert "Traceback" not in run.output
    hits = [line for line in run.lines if line.startswith(where) and f" {code} error: " in line]
    assert hits, f"expected {code} at {where}:\n{run.output}"
    if text:
        assert any(text in line for line in hits), f"expected {text!r}:\n{run.output}"
    assert run.lines[-1].startswith("specs: ") and " error" in run.lines[-1]


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.values[1] for c in CASES}) >= 12


def test_every_problem_is_reported_at_once(spec_dir):
    files = {**P("journeys.yaml", "owner: digital-team", "owner: nobody"),
             **P("rules.yaml", "window: 28d", "window: 28days"), "bad.yaml": "version: 1\nowners: [\n"}
    run = run_validate(write_spec(spec_dir, files))
    assert run.codes() >= {"CX002", "CX013"}
    lines = [line for line in run.lines if ": CX" in line]
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))


def test_missing_folder_is_a_usage_error(tmp_path):
    run = run_validate(tmp_path / "nope")
    assert run.exit_code == 2
    assert "does not exist" in run.output and "Traceback" not in run.output


def test_empty_folder(spec_dir):
    spec_dir.mkdir()
    run = run_validate(spec_dir)
    assert run.exit_code == 1 and "CX006" in run.output
