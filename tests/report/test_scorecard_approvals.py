"""The scorecard's approved changes to governance: the section, the markers on rules, the evidence entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from cxgov.report import approvals, html
from cxgov.spec.api import validate
from cxgov.spec.model import Approval, Review
from report_samples import AS_OF, EXAMPLE_SPEC, GENERATED_AT, PAYLOAD, sample_run, sample_spec, section


def evidence_of(page: str, rule: str) -> str:
    start = page.index(f'<article class="rule" id="rule-{rule}"')
    return page[start:page.index("</article>", start)]


SPEC = sample_spec()  # models are frozen: shared by every test here
RUN = sample_run(SPEC)


@pytest.fixture(scope="module")
def spec():
    return SPEC


@pytest.fixture(scope="module")
def run():
    return RUN


@pytest.fixture(scope="module")
def page() -> str:
    return html.scorecard(RUN, SPEC, GENERATED_AT)


def test_every_approval_is_listed_with_what_who_why_and_when(page):
    listed = section(page, "approvals")
    assert "<h2 id=\"h-approvals\">Approved changes to governance</h2>" in listed
    complaints = listed[listed.index('id="approval-appr-complaints-warn"'):listed.index("</tr>",
                                                                                     listed.index("appr-complaints"))]
    for text in ("2026-11-02", "Standard: Complaints resolved within 24 hours", 'href="#rule-complaints-resolved-24h"',
                 "<code>threshold.warn</code>", "Daniel Okafor", "Chief Operating Officer",
                 "Carrier outage; the 95% warning level returns in January.", "specs/approvals.yaml:3:5"):
        assert text in complaints
    chat = listed[listed.index('id="approval-appr-chat-waiver"'):]
    for text in ("2026-06-01", "Waiver w-chat", "waivers/w-chat", "every field, removal included", "Ana Lopez",
                 "Chat platform migration slipped to December."):
        assert text in chat
    assert '<li><a href="#approvals">Approved changes</a></li>' in page


def test_approvals_are_newest_first_then_by_id(spec, run):
    same_day = Approval(id="appr-a-first", change="program", field="defaults.min_sample", approved_by="cx-office",
                        reason="Smaller survey panel.", date=date(2026, 11, 2))
    card = html.build(run, replace(spec, approvals=(*spec.approvals, same_day)), GENERATED_AT)
    assert [a.id for a in card.approvals] == ["appr-a-first", "appr-complaints-warn", "appr-chat-waiver"]
    assert card.approvals[0].subject == "Program settings" and card.approvals[0].rule is None


def test_approvals_in_the_last_review_cycle_are_marked_recent(page, spec, run):
    listed = section(page, "approvals")
    assert '<tr id="approval-appr-complaints-warn" class="is-recent">' in listed
    assert '<tr id="approval-appr-chat-waiver">' in listed  # June: before the quarter up to 2026-11-20
    assert listed.count('<span class="recent">recent</span>') == 2  # the legend and the one recent approval
    assert "within the last quarterly review cycle (after 2026-08-20, up to the as-of date)" in listed
    monthly = replace(spec, program=replace(spec.program, review=Review(cadence="monthly")))
    assert approvals.recent_since(monthly, AS_OF) == date(2026, 10, 20)
    assert approvals.recent_since(replace(spec, program=replace(spec.program, review=None)), AS_OF) == \
        date(2026, 8, 20)
    assert [a.recent for a in html.build(run, monthly, GENERATED_AT).approvals] == [True, False]
    annual = replace(spec, program=replace(spec.program, review=Review(cadence="annual")))
    assert [a.recent for a in html.build(run, annual, GENERATED_AT).approvals] == [True, True]


def test_an_approval_dated_after_the_as_of_date_says_so_and_is_not_recent(spec, run):
    later = Approval(id="appr-later", change="digital-csat", approved_by="ana-lopez", reason="Later.",
                     date=date(2026, 12, 1))
    card = html.build(run, replace(spec, approvals=(later,)), GENERATED_AT)
    assert not card.approvals[0].recent and card.approvals[0].after_as_of
    page = html.scorecard(run, replace(spec, approvals=(later,)), GENERATED_AT)
    assert "after the as-of date" in section(page, "approvals")


def test_the_evidence_of_an_approved_rule_lists_its_approvals(page):
    complaints = evidence_of(page, "complaints-resolved-24h")
    assert ('<dt>Approved changes</dt><dd><ul class="approved-list"><li>'
            '<a href="#approval-appr-complaints-warn">appr-complaints-warn</a>, 2026-11-02: '
            '<code>threshold.warn</code>, '
            'approved by Daniel Okafor. Carrier outage; the 95% warning level returns in January.</li></ul>'
            ) in complaints
    # the waiver approval names a waiver, not the rule the waiver is on
    assert "<dt>Approved changes</dt><dd>None recorded in the spec.</dd>" in evidence_of(page,
                                                                                        "first-contact-resolution")


def test_an_approved_rule_is_marked_in_the_standards_and_kpi_tables(spec, run, page):
    marker = '<a class="approved" href="#approval-appr-complaints-warn"'
    standards = section(page, "standards")
    assert standards.count(marker) == 2  # both touchpoints the standard checks
    assert standards.count('class="approved"') == 2
    assert 'class="approved"' not in section(page, "kpis")
    kpi_approval = Approval(id="appr-premier", change="kpis/premier-nps", field="trend", approved_by="daniel-okafor",
                            reason="New segment definition.", date=date(2026, 10, 1))
    with_kpi = html.scorecard(run, replace(spec, approvals=(*spec.approvals, kpi_approval)), GENERATED_AT)
    kpis = section(with_kpi, "kpis")
    assert kpis.count('<a class="approved" href="#approval-appr-premier" '
                      'title="trend: approved by Daniel Okafor on 2026-10-01">approved change</a>') == 1
    assert "appr-premier" in evidence_of(with_kpi, "premier-nps")


def test_the_marker_links_to_the_newest_approval_of_the_rule(spec, run):
    older = Approval(id="appr-old", change="standards/complaints-resolved-24h", approved_by="ana-lopez",
                     reason="Earlier.", date=date(2026, 3, 1))
    card = html.build(run, replace(spec, approvals=(*spec.approvals, older)), GENERATED_AT)
    assert card.approved["complaints-resolved-24h"].id == "appr-complaints-warn"
    evidence = next(e for e in card.evidence if e.rule == "complaints-resolved-24h")
    assert [a.id for a in evidence.approvals] == ["appr-complaints-warn", "appr-old"]


def test_an_approval_of_something_the_change_removed_is_still_listed(spec, run):
    gone = Approval(id="appr-gone", change="retired-standard", approved_by="ana-lopez", reason="Replaced.",
                    date=date(2026, 11, 1))
    gone_tp = replace(gone, id="appr-gone-tp", change="touchpoints/fax-line")
    card = html.build(run, replace(spec, approvals=(gone, gone_tp)), GENERATED_AT)
    subjects = {a.id: (a.subject, a.rule) for a in card.approvals}
    assert subjects == {"appr-gone": ("Standard or KPI not in the spec (removed by the change)", None),
                        "appr-gone-tp": ("Touchpoint not in the spec (removed by the change)", None)}
    assert not card.approved


def test_approval_text_is_escaped(run):
    spec = sample_spec(lambda s: s + PAYLOAD)
    page = html.scorecard(run, spec, GENERATED_AT)
    escaped = "&lt;script&gt;window.__pwned=1&lt;/script&gt;"
    listed = section(page, "approvals")
    assert "<script" not in page and "<img" not in page
    assert listed.count(escaped) == 7  # two reasons, approvers' names and titles, the approved standard's name
    assert escaped in evidence_of(page, "complaints-resolved-24h").split("Approved changes")[1]
    assert '<a class="approved" href="#approval-appr-complaints-warn">approved change</a>' in section(page, "standards")


def test_without_approvals_the_section_says_so(spec, run):
    page = html.scorecard(run, replace(spec, approvals=()), GENERATED_AT)
    assert '<p class="empty">No approvals recorded in the spec.</p>' in section(page, "approvals")
    assert 'class="approved"' not in page
    assert page.count("<dt>Approved changes</dt><dd>None recorded in the spec.</dd>") == len(spec.standards) + len(
        spec.kpis)


def test_the_example_program_records_its_approvals():
    example = validate(EXAMPLE_SPEC, AS_OF).spec
    shown = approvals.views(example, AS_OF)
    assert [a.id for a in shown] == ["appr-2026-10-application-effort-warn", "appr-2026-06-reopened-cases-sample"]
    effort, sample = shown
    assert (effort.rule, effort.field, effort.approver, effort.recent) == (
        "digital-application-effort", "threshold.warn", "Daniel Okafor", True)
    assert (sample.rule, sample.field, sample.approver, sample.recent) == (
        "reopened-cases", "min_sample", "Ana Lopez", False)
    assert example.rule("digital-application-effort").threshold.warn == 5.5  # the level the approval agreed to
    assert example.rule("reopened-cases").min_sample == 40
