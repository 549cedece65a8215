"""Approved changes to governance, as the scorecard shows them: what each approval approves, who agreed and why.

Approvals are the spec's `approvals:` section (docs/audit.md). The scorecard lists every one, newest first, and
highlights those dated within the program's last review cycle before the as-of date (`recent_since`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from cxgov.report.names import Names
from cxgov.spec.dates import add_months
from cxgov.spec.model import Approval, Spec
from cxgov.vocabulary import CADENCE_MONTHS, DEFAULT_CADENCE, RULE_SECTIONS
from cxgov.vocabulary import SECTION_NOUNS as NOUNS


@dataclass(frozen=True)
class ApprovalView:
    """One approval, display-ready."""

    id: str
    change: str  # as written in the spec: "digital-csat", "program", "waivers/w-1"
    subject: str  # what it approves, in words: "Standard: Digital touchpoints satisfy customers"
    rule: str | None  # the standard or KPI it names, when that rule is in the spec
    field: str  # "threshold.warn"; "" when it covers every field
    approver: str
    approver_title: str
    reason: str
    date: str
    recent: bool  # dated within the last review cycle up to the as-of date
    after_as_of: bool
    location: str


def named_rule(spec: Spec, approval: Approval) -> str | None:
    """The standard or KPI an approval names (`digital-csat`, `standards/digital-csat`), if the spec has it."""
    section, _, entity = approval.change.rpartition("/")
    if section and section not in RULE_SECTIONS:
        return None
    if section:
        return entity if entity in spec.by_id[section] else None
    return entity if spec.rule(entity) is not None else None


def recent_since(spec: Spec, as_of: date) -> date:
    """The first day of the review cycle that ends on the as-of date (quarterly when the program has no review)."""
    review = spec.program.review
    months = CADENCE_MONTHS.get(review.cadence if review else DEFAULT_CADENCE, 3)
    return add_months(as_of, -months)


def _subject(spec: Spec, names: Names, approval: Approval, rule: str | None) -> str:
    if rule is not None:
        kind = "Standard" if rule in spec.by_id["standards"] else "KPI"
        return f"{kind}: {names.rule(rule)}"
    if approval.change == "program":
        return "Program settings"
    section, _, entity = approval.change.rpartition("/")
    if not section:
        return "Standard or KPI not in the spec (removed by the change)"
    noun = NOUNS.get(section, section)
    noun = noun[0].upper() + noun[1:]
    found: object
    if section == "channels":
        found = entity if entity in spec.channels else None
    else:
        found = spec.by_id[section].get(entity) if section in spec.by_id else None
    if found is None:
        return f"{noun} not in the spec (removed by the change)"
    name = getattr(found, "name", None)
    return f"{noun}: {name}" if name else f"{noun} {entity}"


def views(spec: Spec, as_of: date, names: Names | None = None) -> tuple[ApprovalView, ...]:
    """Every approval in the spec, newest first, then by id."""
    names = names or Names(spec)
    since = recent_since(spec, as_of)
    out = []
    for a in sorted(spec.approvals, key=lambda a: a.id):
        rule = named_rule(spec, a)
        owner = spec.owner(a.approved_by)
        out.append(ApprovalView(
            id=a.id, change=a.change, subject=_subject(spec, names, a, rule), rule=rule, field=a.field or "",
            approver=names.owner(a.approved_by), approver_title=(owner.title or "") if owner else "",
            reason=a.reason, date=a.date.isoformat(), recent=since < a.date <= as_of, after_as_of=a.date > as_of,
            location=str(a.location)))
    out.sort(key=lambda v: v.date, reverse=True)  # stable: ids stay ascending within a date
    return tuple(out)


def by_rule(approvals: tuple[ApprovalView, ...]) -> Mapping[str, tuple[ApprovalView, ...]]:
    """rule id -> the approvals naming it, newest first."""
    out: dict[str, list[ApprovalView]] = {}
    for view in approvals:
        if view.rule is not None:
            out.setdefault(view.rule, []).append(view)
    return {rule: tuple(found) for rule, found in out.items()}
