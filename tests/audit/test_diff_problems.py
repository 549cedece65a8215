"""`cxgov diff` on problems analyses: the vital share, the maximum share and the mapping of categories and themes to
root causes are governance changes; a lower vital share loosens and needs an approval."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cxgov.audit.compare import LOOSENS, NEUTRAL, TIGHTENS, diff_specs
from cxgov.spec.api import load_spec
from cxgov.spec.model import Approval

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(scope="module")
def base():
    return load_spec(SPECS)


def head_with(base, problem_id: str, **fields):
    problems = tuple(replace(p, **fields) if p.id == problem_id else p for p in base.problems)
    return replace(base, problems=problems)


def found(base, head) -> dict:
    return {(c.section, c.id, c.field): c for c in diff_specs(base, head).changes}


def test_a_lower_vital_share_loosens_and_a_higher_one_tightens(base):
    lower = found(base, head_with(base, "complaint-reasons", vital_share=70.0))
    change = lower["problems", "complaint-reasons", "vital_share"]
    assert change.effect == LOOSENS and change.needs_approval
    assert change.message == ("vital_share lowered from 80% to 70%: fewer causes are vital, so fewer need an open "
                              "action")
    assert (change.before, change.after) == (80.0, 70.0) and change.location.file.endswith("problems.yaml")
    higher = found(base, head_with(base, "complaint-reasons", vital_share=90.0))
    assert higher["problems", "complaint-reasons", "vital_share"].effect == TIGHTENS


@pytest.mark.parametrize("target", ["problems/complaint-reasons", "complaint-reasons"])
def test_an_approval_names_the_loosened_vital_share(base, target):
    head = head_with(base, "complaint-reasons", vital_share=70.0)
    approval = Approval(id="appr-vital", change=target, field="vital_share", approved_by="ana-lopez",
                        reason="Focus on the top causes this quarter", date=date(2026, 11, 1))
    change = found(base, replace(head, approvals=(*head.approvals, approval)))["problems", "complaint-reasons",
                                                                             "vital_share"]
    assert change.approval == approval and not change.needs_approval
    other = replace(approval, field="max_share")
    assert found(base, replace(head, approvals=(*head.approvals, other)))[
        "problems", "complaint-reasons", "vital_share"].needs_approval


def test_remapped_categories_and_themes_are_reported_cause_by_cause(base):
    reasons = base.problem("complaint-reasons")
    causes = tuple((v, "staff-training" if v == "call-dropped" else c) for v, c in reasons.causes
                   if v != "mortgage-documents-lost") + (("branch-closed", "case-handling"),)
    write = base.problem("what-customers-write")
    themes = tuple(replace(t, patterns=(*t.patterns, "on the phone forever")) if t.id == "waiting" else
                   replace(t, root_cause="unclear-fees") if t.id == "payments" else t
                   for t in write.themes if t.id != "login")
    head = replace(base, problems=tuple(replace(p, themes=themes) if p.id == "what-customers-write" else
                                        replace(p, causes=causes) if p.id == "complaint-reasons" else p
                                        for p in base.problems))
    changes = found(base, head)
    mapping = changes["problems", "complaint-reasons", "causes"]
    assert mapping.effect == NEUTRAL
    assert mapping.message == ("categories mapped to other root causes: branch-closed unmapped -> case-handling; "
                               "call-dropped contact-centre-capacity -> staff-training; mortgage-documents-lost "
                               "mortgage-documents -> unmapped")
    theme = changes["problems", "what-customers-write", "themes"]
    assert theme.message == ("themes mapped to root causes changed: theme waiting patterns +on the phone forever; "
                             "theme payments payment-platform -> unclear-fees; theme login removed")


def test_an_analysis_added_tightens_and_removed_loosens(base):
    without = replace(base, problems=base.problems[1:])
    added = found(without, base)["problems", "complaint-reasons", None]
    assert added.effect == TIGHTENS and added.what == "added" and "vital share 80%" in added.message
    removed = found(base, without)["problems", "complaint-reasons", None]
    assert removed.effect == LOOSENS and removed.what == "removed"


def test_a_max_share_removed_loosens(base):
    capped = head_with(base, "complaint-reasons", max_share=40.0)
    assert found(base, capped)["problems", "complaint-reasons", "max_share"].effect == TIGHTENS
    change = found(capped, base)["problems", "complaint-reasons", "max_share"]
    assert change.effect == LOOSENS and change.message == "max_share removed (was 40%)"
