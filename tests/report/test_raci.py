"""The RACI report: matrices, findings (the validator's own rules), owner load, and its three formats."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from cxgov.errors import UsageError
from cxgov.report import raci
from cxgov.spec import lint
from report_samples import GENERATED_AT, PAYLOAD, sample_spec, with_problems


@pytest.fixture(scope="module")
def report(spec):
    return raci.build(spec)


def test_the_activity_matrix_follows_the_cx_cycle_and_spec_owner_order(report):
    m = report.activities
    assert m.owners == ("cx-office", "digital-sales", "web-team", "ana-lopez", "daniel-okafor")
    assert [r.id for r in m.rows] == ["maintain-intent", "inventory", "redesign", "dashboard"]
    assert [g for g, _ in m.groups()] == ["Experience intent", "Touchpoint inventory", "Redesign", "CX dashboard"]
    cells = {r.id: dict(zip(m.owners, r.cells)) for r in m.rows}
    assert cells["maintain-intent"] == {"cx-office": "C", "digital-sales": "I", "web-team": "", "ana-lopez": "R",
                                        "daniel-okafor": "A"}
    assert cells["inventory"]["ana-lopez"] == "AR"


def test_the_touchpoint_matrix_has_the_owner_as_a_and_leaves_retired_ones_out(report):
    m = report.touchpoints
    ids = [r.id for r in m.rows]
    assert "paper-form" not in ids
    assert ids == ["web-compare", "web-form", "app-form", "app-onboarding", "web-help", "phone-complaints",
                   "chat-complaints", "resolution-call"]  # journey, then stage order
    web_form = dict(zip(m.owners, m.rows[1].cells))
    assert web_form == {"cx-office": "I", "digital-sales": "A", "web-team": "R", "contact-centre": "C",
                        "service-operations": ""}
    assert m.rows[1].group == "Open an account / Purchase"


def test_findings_are_the_validators_ownership_rules(spec, report):
    codes = [(f.code, f.message) for f in report.findings]
    assert ("CX106", "RACI activity 'dashboard' has no A (accountable)") in codes
    assert ("CX106", "RACI activity 'redesign' has 2 accountable owners (ana-lopez, daniel-okafor)") in codes
    assert ("CX107", "RACI activity 'dashboard' has no R (responsible)") in codes
    assert ("CX205", "owner 'idle-ian' has no assignment: nothing in the spec names it") in codes
    assert [f.severity for f in report.findings] == sorted((f.severity for f in report.findings),
                                                           key=lambda s: s != "error")
    expected = lint.lint(spec, GENERATED_AT.date(), codes=raci.FINDING_CODES)
    assert sorted(f.message for f in report.findings) == sorted(d.message for d in expected)


def test_the_load_counts_every_role_and_flags_overloaded_people(spec):
    tight = replace(spec, program=replace(spec.program, defaults=replace(spec.program.defaults, max_accountable=2)))
    loads = {load.id: load for load in raci.build(tight).loads}
    ana = loads["ana-lopez"]
    assert ana.raci == (2, 2, 0, 1) and ana.rules == 1 and ana.accountable == 3 and ana.overloaded
    digital = loads["digital-sales"]
    assert digital.touchpoints == (3, 0, 0, 0) and digital.journeys == 1 and digital.accountable == 4
    assert not digital.overloaded  # a team: only people are overloaded, as in `cxgov validate`
    assert loads["cx-office"].accountable == 2  # the program and a KPI
    assert loads["idle-ian"].accountable == 0
    overloaded = [f for f in raci.build(tight).findings if f.code == "CX206"]
    assert [f.message for f in overloaded] == ["person 'ana-lopez' is accountable for 3 items, more than "
                                               "max_accountable (2)"]
    order = [load.accountable for load in raci.build(tight).loads]
    assert order == sorted(order, reverse=True)


def test_csv_is_one_sheet_with_a_column_per_owner(spec):
    rows = list(csv.reader(io.StringIO(raci.csv(spec))))
    header = rows[0]
    assert header[:4] == ["section", "id", "name", "group"]
    assert header[4:] == [o.id for o in spec.owners if o.id != "idle-ian"]
    by_id = {row[1]: dict(zip(header, row)) for row in rows[1:]}
    assert by_id["redesign"]["section"] == "activity" and by_id["redesign"]["daniel-okafor"] == "A"
    assert by_id["web-form"]["section"] == "touchpoint" and by_id["web-form"]["web-team"] == "R"
    assert len(rows) == 1 + 4 + 8


def test_csv_text_cannot_become_a_formula(spec):
    sneaky = replace(spec, raci=(replace(spec.raci[0], name="=HYPERLINK(\"http://x\")"),))
    row = next(csv.reader(io.StringIO(raci.csv(sneaky).splitlines()[1])))
    assert row[2].startswith("'=")


def test_markdown_has_findings_matrices_and_load(spec):
    md = raci.markdown(spec)
    assert md.startswith("# RACI: Northwind Bank\n")
    assert "- **CX106** error: RACI activity 'dashboard' has no A (accountable)" in md
    assert "| Maintain the experience intent (maintain-intent) | C | I |  | R | A |" in md
    assert "| Ian Idle (idle-ian) | person | 0/0/0/0 | 0/0/0/0 | 0 | 0 | 0 |" in md


def test_html_shows_matrices_findings_and_load_with_table_semantics(spec):
    page = raci.html(spec, GENERATED_AT)
    assert '<html lang="en">' in page and "<caption>" in page and 'scope="col"' in page
    assert 'scope="rowgroup"' in page and "<script" not in page
    assert "CX106 error" in page and "Prioritise redesigns" in page and "Ian Idle" in page
    assert page.count('<td class="cell has-a">A</td>') >= 9
    assert raci.html(spec, GENERATED_AT) == page


def test_every_format_escapes_spec_text():
    spec = sample_spec(lambda s: s + PAYLOAD)
    page = raci.html(spec, GENERATED_AT)
    assert "<script" not in page and "<img" not in page and page.count("&lt;script&gt;") >= 10
    md = raci.markdown(spec)
    assert "<script" not in md and "&lt;script&gt;" in md


@pytest.mark.parametrize("path, explicit, fmt", [("out/raci.html", None, "html"), ("r.HTM", None, "html"),
                                                 ("r.csv", None, "csv"), ("r.md", None, "md"),
                                                 ("r.txt", "csv", "csv"), ("-", "md", "md")])
def test_the_format_comes_from_the_option_or_the_extension(path, explicit, fmt):
    assert raci.format_for(path, explicit) == fmt


def test_an_unknown_extension_asks_for_format():
    with pytest.raises(UsageError, match="cannot tell the format"):
        raci.format_for("raci.txt", None)


def test_root_causes_and_problems_analyses_count_in_the_owners_load(spec):
    tight = with_problems(replace(spec, program=replace(spec.program, defaults=replace(
        spec.program.defaults, max_accountable=2))))
    before = {load.id: load for load in raci.build(replace(tight, root_causes=(), problems=())).loads}
    loads = {load.id: load for load in raci.build(tight).loads}
    # web-team owns billing-errors and website-usability; contact-centre staff-training and late-delivery
    assert (loads["web-team"].root_causes, loads["contact-centre"].root_causes) == (2, 2)
    assert loads["web-team"].accountable == before["web-team"].accountable + 2
    assert loads["cx-office"].problems == 1 and loads["cx-office"].accountable == before["cx-office"].accountable + 1
    assert loads["ana-lopez"].root_causes == 0
    # the report and the validator count alike (CX206 names the same people with the same counts)
    messages = [f.message for f in raci.build(tight).findings if f.code == "CX206"]
    assert messages == [f"person '{o.id}' is accountable for {o.accountable} items, more than max_accountable (2)"
                        for o in sorted(loads.values(), key=lambda o: o.id) if o.overloaded]
    md = raci.markdown(tight)
    assert "| Problems analyses | Root causes | Accountable |" in md
    (web,) = [line for line in md.splitlines() if "(web-team) |" in line]
    assert web.endswith(f"| {loads['web-team'].problems} | 2 | {loads['web-team'].accountable} |")
    assert "<th scope=\"col\" rowspan=\"2\" class=\"num\">Root causes</th>" in raci.html(tight, GENERATED_AT)
