"""Problems analyses from rows in a database: DOMAIN.md's worked example exactly, theme matching, statuses."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data.store import Store
from cxgov.engine.evaluate import evaluate
from cxgov.spec.api import load_spec
from cxgov.resources import schema_path
from problem_fixtures import AS_OF, WORKED, ticket_rows, write_case


def _run(tmp_path, **kwargs):
    spec_dir, db = write_case(tmp_path, **kwargs)
    spec = load_spec(spec_dir, AS_OF)
    with Store.open(db) as store:
        return evaluate(spec, store, AS_OF)


def _by_rule(run, rule):
    return [r for r in run.results if r.rule == rule]


def test_the_worked_example_exactly(tmp_path):
    results = _by_rule(_run(tmp_path), "complaint-causes")
    table = [(r.problem.rank, dict(r.scope).get("root_cause") or dict(r.scope)["category"], r.n,
              round(r.value, 4), round(r.ci_low, 4), round(r.ci_high, 4), round(r.problem.cumulative, 4),
              r.problem.vital) for r in results]
    assert table == [
        (1, "staff-training", 50, 40.0, 31.8338, 48.7625, 40.0, True),
        (2, "billing-errors", 45, 36.0, 28.1187, 44.7161, 76.0, True),
        (3, "website-usability", 15, 12.0, 7.4086, 18.8574, 88.0, True),
        (4, "late-delivery", 10, 8.0, 4.4033, 14.1012, 96.0, False),
        (5, "parking", 5, 4.0, 1.7205, 9.0226, 100.0, False),
    ]
    staff, billing = results[0], results[1]
    assert all(r.problem.total == 125 and r.missing == 2 for r in results)
    assert (staff.previous.n, staff.previous.value) == (30, 30.0)
    assert round(staff.problem.change, 4) == 10.0 and round(staff.problem.z, 4) == 1.5571
    assert round(staff.problem.p_value, 4) == 0.1194 and not staff.problem.significant
    assert round(billing.problem.change, 4) == -14.0 and round(billing.problem.z, 4) == -2.1127
    assert round(billing.problem.p_value, 4) == 0.0346 and billing.problem.significant
    assert staff.problem.parts == (("calls-not-answered", 30), ("impolite-agent", 20))
    parking = results[4]
    assert parking.problem.unmapped and parking.status == "pass"
    assert any("'parking' is mapped to no root cause" in n for n in parking.notes)


def test_statuses_close_the_loop(tmp_path):
    results = {r.scope[-1][1]: r for r in _by_rule(_run(tmp_path), "complaint-causes")}
    assert results["staff-training"].status == "pass"  # vital, an action in progress
    assert results["billing-errors"].status == "breach"  # vital, nobody working on it
    assert results["website-usability"].status == "breach"
    assert results["late-delivery"].status == "pass"  # not vital
    assert results["staff-training"].owner == "contact-centre"
    assert [a.id for a in results["staff-training"].actions] == ["act-1"]


def test_a_waiver_on_a_problem_and_an_overdue_action(tmp_path):
    more = ("  - {id: act-2, root_cause: website-usability, owner: cx-office, due: 2026-10-01}\n"  # overdue
            "waivers:\n  - {id: w1, problem: complaint-causes, root_causes: [billing-errors], justification: New "
            "billing system in January, approved_by: cx-office, expires: 2027-01-31}\n")
    results = {r.scope[-1][1]: r for r in _by_rule(_run(tmp_path, more=more), "complaint-causes")}
    assert results["billing-errors"].status == "waived"
    assert results["billing-errors"].underlying_status == "breach"
    assert results["website-usability"].status == "warn"  # its one open action is overdue


def test_below_the_minimum_sample_every_cause_is_insufficient(tmp_path):
    results = _by_rule(_run(tmp_path, tickets=[]), "complaint-causes")
    assert {r.status for r in results} == {"insufficient"}
    assert sorted(r.scope[-1][1] for r in results) == ["billing-errors", "late-delivery", "staff-training",
                                                       "website-usability"]


def test_themes_match_whole_words_case_and_accents(tmp_path):
    results = {r.scope[-1][1]: r for r in _by_rule(_run(tmp_path), "what-customers-write")}
    waiting = results["staff-capacity"]
    # Waited, the queue, TOOK   ages, slow, waiting: not "took many ages", "await", "unwaited"
    assert waiting.n == 5
    assert results["staff-training"].n == 2  # RUDE, impolite
    assert results["website-usability"].n == 1  # Café
    assert waiting.missing == 2  # "" and NULL
    assert waiting.problem.unmatched == 4  # took many ages, await, unwaited, All good
    assert dict(waiting.problem.parts) == {"waiting": 5}
    score = waiting.problem.score
    # csat (top two boxes of 1-5) among the 5 rows mentioning waiting (2, 1, 2, 1, 2): 0%; among the other 7
    # (4, 5, 4, 5, 3, 4, 5): 6 of 7
    assert (score.with_n, score.with_value) == (5, 0.0)
    assert score.without_n == 7 and score.without_value == pytest.approx(600 / 7)
    assert score.difference == pytest.approx(-600 / 7) and score.ci_low < score.difference < score.ci_high
    # the normal interval reaches about -118 points: clipped to the -100 a percentage can fall at most
    assert score.ci_low == -100.0 and score.ci_high == pytest.approx(-53.1, abs=0.05)


def test_a_missing_column_is_an_error_result_at_the_analysis(tmp_path):
    spec_dir, db = write_case(tmp_path)
    (spec_dir / "spec.yaml").write_text((spec_dir / "spec.yaml").read_text().replace("category: reason",
                                                                                     "category: reasn"))
    spec = load_spec(spec_dir, AS_OF)
    with Store.open(db) as store:
        run = evaluate(spec, store, AS_OF)
    errors = _by_rule(run, "complaint-causes")
    assert errors and {r.status for r in errors} == {"error"}
    assert "reasn" in errors[0].notes[0] and "spec.yaml:" in errors[0].notes[0]
    assert {r.status for r in _by_rule(run, "what-customers-write")} != {"error"}


def _check_cli(tmp_path, monkeypatch, *args, **kwargs):
    """`cxgov check` of the case from its folder: (exit code, stdout, stderr, spec text)."""
    spec_dir, db = write_case(tmp_path, **kwargs)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "specs", "--data", db.name, "--as-of", AS_OF.isoformat(), *args])
    return result.exit_code, result.stdout, result.stderr, (spec_dir / "spec.yaml").read_text()


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_an_unmapped_category_is_a_check_warning_at_causes(tmp_path, monkeypatch):
    code, out, err, text = _check_cli(tmp_path, monkeypatch, "--json", "-")
    causes = f"specs/spec.yaml:{_line_of(text, 'calls-not-answered: staff-training')}:7"
    assert code == 1  # billing-errors is a vital cause nobody works on; the warning does not add to it
    assert (f"cxgov: warning: {causes}: CX215 problems 'complaint-causes': category 'parking' (5 rows in "
            "2026-07-01..2026-09-30) is mapped to no root cause: it is reported as its own bar, unmapped\n"
            "  hint: map it to a root cause under `causes`, e.g. `parking: ROOT-CAUSE` with one of staff-training, "
            "billing-errors, website-usability, late-delivery, staff-capacity, or add its root cause under "
            "`root_causes`\n") in err
    assert err.count("CX215") == 1 and "Traceback" not in err
    document = json.loads(out)
    jsonschema.Draft202012Validator(json.loads(schema_path("cxgov-results-v1.json").read_text())).validate(document)
    [diagnostic] = document["diagnostics"]
    assert (diagnostic["code"], diagnostic["severity"], diagnostic["file"]) == ("CX215", "warning", "specs/spec.yaml")
    assert f"{diagnostic['file']}:{diagnostic['line']}:{diagnostic['column']}" == causes
    assert "'parking'" in diagnostic["message"] and "`parking: ROOT-CAUSE`" in diagnostic["hint"]


def test_the_unmapped_warning_never_fails_the_check(tmp_path, monkeypatch):
    more = "".join(f"  - {{id: act-{c}, root_cause: {c}, owner: cx-office, due: 2027-01-31}}\n"
                   for c in ("billing-errors", "website-usability", "staff-capacity"))
    code, out, err, _ = _check_cli(tmp_path, monkeypatch, "--fail-on", "warn", more=more)
    assert code == 0 and "CX215" in err and "category 'parking'" in err
    assert "8 results: 8 pass, 0 warn, 0 breach" in out


def test_the_hint_names_the_mapped_category_or_root_cause_it_resembles(tmp_path, monkeypatch):
    counts = {**WORKED, "Wrong Bill": (4, 0), "staff-capacity": (3, 0)}
    code, out, err, _ = _check_cli(tmp_path, monkeypatch, tickets=ticket_rows(counts))
    assert ("category 'Wrong Bill' (4 rows" in err and "e.g. `Wrong Bill: billing-errors` (did you mean "
            "'wrong-bill', mapped to billing-errors?), or correct the category in the data") in err
    assert "e.g. `staff-capacity: staff-capacity` (did you mean root cause 'staff-capacity'?)" in err
    assert err.count("CX215") == 3  # parking too, each once


def test_a_mapped_category_gives_no_warning(tmp_path, monkeypatch):
    counts = {k: v for k, v in WORKED.items() if k != "parking"}
    code, out, err, _ = _check_cli(tmp_path, monkeypatch, "--json", "-", tickets=ticket_rows(counts))
    assert "CX215" not in err and json.loads(out)["diagnostics"] == []
