"""Approvals of loosening changes: in the spec language (schema, build, references) and in `cxgov diff`."""

from __future__ import annotations

from datetime import date

from cxgov.audit import diff
from cxgov.report import diff as render
from cxgov.spec.api import validate
from diff_fixtures import edit

APPROVALS = """\
approvals:
  - id: appr-threshold
    change: resolved-24h
    field: threshold
    approved_by: coo
    reason: Carrier outage until the new contract starts
    date: 2026-11-02
  - id: appr-waiver
    change: waivers/w-chat
    approved_by: cx-office
    reason: Migration slipped by two months
    date: 2026-11-03
"""


def add_approvals(folder, text=APPROVALS):
    (folder / "approvals.yaml").write_text("version: 1\n" + text, encoding="utf-8")


def loosen(head):
    edit(head, "standards.yaml", 'threshold: {op: ">=", fail: 90, warn: 95}', 'threshold: {op: ">=", fail: 85}')
    edit(head, "standards.yaml", "window: 28d\n    min_sample: 30", "window: quarter\n    min_sample: 30")
    edit(head, "governance.yaml", "expires: 2026-12-31", "expires: 2027-02-28")


def test_approvals_are_part_of_the_spec(folders):
    _, head = folders
    add_approvals(head)
    result = validate(head, date(2026, 11, 20))
    assert result.errors == ()
    a, b = result.spec.approvals
    assert (a.id, a.change, a.field, a.approved_by, a.date) == (
        "appr-threshold", "resolved-24h", "threshold", "coo", date(2026, 11, 2))
    assert a.reason == "Carrier outage until the new contract starts"
    assert (b.change, b.field) == ("waivers/w-chat", None)
    assert str(a.location) == "head/approvals.yaml:3:5"
    assert not [d for d in result.warnings if d.code == "CX205" and "'coo'" in d.message]


def test_approval_errors_name_the_place(folders):
    _, head = folders
    add_approvals(head, APPROVALS.replace("approved_by: coo", "approved_by: ceo")
                  .replace("change: waivers/w-chat", "change: Waivers/w-chat")
                  .replace("date: 2026-11-03", "date: 2026-11-03\n    note: x"))
    found = sorted((d.code, str(d.location), d.message) for d in validate(head, date(2026, 11, 20)).errors)
    assert [(code, where) for code, where, _ in found] == [
        ("CX010", "head/approvals.yaml:14:5"),  # unknown key
        ("CX013", "head/approvals.yaml:10:13"),  # not a valid reference to a change
        ("CX104", "head/approvals.yaml:6:18"),  # the approver is not an owner
    ]
    assert "name the change as a standard or KPI id, `program`, or `<section>/<id>`" in found[1][2]


def test_unknown_approver_is_a_reference_error(folders):
    _, head = folders
    add_approvals(head, APPROVALS.replace("approved_by: coo", "approved_by: ceo"))
    (error,) = validate(head, date(2026, 11, 20)).errors
    assert (error.code, str(error.location)) == ("CX104", "head/approvals.yaml:6:18")
    assert error.message == "approval 'appr-threshold' names owner 'ceo', which is not defined"


def test_loosenings_without_approvals_are_unapproved(folders):
    base, head = folders
    loosen(head)
    result = diff.run(str(base), str(head), head)
    assert [(c.ref, c.field) for c in result.unapproved] == [
        ("standards/resolved-24h", "threshold.fail"), ("standards/resolved-24h", "threshold.warn"),
        ("standards/resolved-24h", "window"), ("waivers/w-chat", "expires")]


def test_approvals_cover_what_they_name(folders):
    base, head = folders
    loosen(head)
    add_approvals(head)
    result = diff.run(str(base), str(head), head)
    approved = {(c.ref, c.field): c.approval.id for c in result.changes if c.approval}
    assert approved == {("standards/resolved-24h", "threshold.fail"): "appr-threshold",
                        ("standards/resolved-24h", "threshold.warn"): "appr-threshold",
                        ("waivers/w-chat", "expires"): "appr-waiver"}
    # the approval names the threshold only: the longer window still needs one
    assert [(c.ref, c.field) for c in result.unapproved] == [("standards/resolved-24h", "window")]
    assert [a.id for a in result.approvals] == ["appr-threshold", "appr-waiver"]
    assert result.unused_approvals == ()
    assert str(result.approvals[0].location) == "head/approvals.yaml:3:5"


def test_an_approval_already_in_the_base_approves_nothing_new(folders):
    base, head = folders
    add_approvals(base)
    add_approvals(head)
    loosen(head)
    result = diff.run(str(base), str(head), head)
    assert result.approvals == ()
    assert len(result.unapproved) == 4


def test_an_approval_that_matches_nothing_is_reported(folders):
    base, head = folders
    add_approvals(head, APPROVALS.replace("change: resolved-24h", "change: help-csat"))
    loosen(head)
    result = diff.run(str(base), str(head), head)
    assert [a.id for a in result.unused_approvals] == ["appr-threshold"]
    assert "appr-threshold: help-csat (threshold) approved by coo on 2026-11-02: Carrier outage until the new " \
           "contract starts  [approves nothing in this diff]" in render.text(result)


def test_approving_a_removal(folders):
    base, head = folders
    text = (head / "standards.yaml").read_text()
    (head / "standards.yaml").write_text(text[:text.index("  - id: handle-time")])
    add_approvals(head, """\
approvals:
  - {id: appr-retire-handle-time, change: handle-time, approved_by: coo, reason: Replaced by a KPI,
     date: 2026-11-05}
""")
    result = diff.run(str(base), str(head), head)
    (change,) = result.changes
    assert (change.ref, change.what, change.approval.id) == ("standards/handle-time", "removed",
                                                             "appr-retire-handle-time")
    assert result.unapproved == ()


def test_removing_an_approval_is_reported(folders):
    base, head = folders
    add_approvals(base)
    add_approvals(head, APPROVALS[:APPROVALS.index("  - id: appr-waiver")])
    result = diff.run(str(base), str(head), head)
    (change,) = result.changes
    assert (change.ref, change.what, change.effect) == ("approvals/appr-waiver", "removed", "neutral")
    assert change.message == ("approval appr-waiver removed: it recorded that cx-office approved waivers/w-chat on "
                              "2026-11-03 (Migration slipped by two months)")
    assert str(change.location) == "base/approvals.yaml:9:5"
