"""A governance diff (cxgov.audit.diff) as text (a terminal or CI log), Markdown (a pull-request comment) or JSON."""

from __future__ import annotations

import json
import re

from cxgov.audit.compare import LOOSENS, NEUTRAL, TIGHTENS, Change, SpecDiff
from cxgov.spec import model as m
from cxgov.vocabulary import SECTION_NOUNS as NOUNS
from cxgov.wording import counted

HEADINGS = {LOOSENS: "Loosens governance", TIGHTENS: "Tightens governance", NEUTRAL: "Other changes"}


def headline(d: SpecDiff) -> str:
    """"2 changes loosen governance (1 not approved), 1 tightens it, 3 other changes"."""
    s = d.summary()
    if not d.changes:
        return "no governance changes"
    loosen = f"{counted(s[LOOSENS], 'change loosens', 'changes loosen')} governance"
    if s[LOOSENS]:
        loosen += f" ({s['unapproved']} not approved)" if s["unapproved"] else " (all approved)"
    return f"{loosen}, {counted(s[TIGHTENS], 'change tightens', 'changes tighten')} it, " \
           f"{counted(s[NEUTRAL], 'other change')}"


def approval_text(a: m.Approval) -> str:
    field = f" ({a.field})" if a.field else ""
    return f"{a.id}: {a.change}{field} approved by {a.approved_by} on {a.date.isoformat()}: {a.reason}"


def _approval_note(c: Change) -> str:
    if c.effect != LOOSENS:
        return ""
    if c.approval is None:
        return "NOT APPROVED"
    return f"approved by {c.approval.approved_by} on {c.approval.date.isoformat()} ({c.approval.id})"


def text(d: SpecDiff) -> str:
    lines = [f"Governance diff: {d.base} -> {d.head}", headline(d) + "."]
    for effect in (LOOSENS, TIGHTENS, NEUTRAL):
        changes = d.of(effect)
        if not changes:
            continue
        lines += ["", f"{HEADINGS[effect]} ({len(changes)}):"]
        for c in changes:
            note = _approval_note(c)
            lines.append(f"  {c.subject}: {c.message}" + (f"  [{note}]" if note else ""))
            if c.location is not None:
                lines.append(f"      at {c.location}")
    if d.approvals:
        lines += ["", f"Approvals added ({len(d.approvals)}):"]
        unused = {a.id for a in d.unused_approvals}
        for a in d.approvals:
            lines.append(f"  {approval_text(a)}" + ("  [approves nothing in this diff]" if a.id in unused else ""))
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def md(value: object) -> str:
    """Text safe inside a Markdown table cell: special characters escaped, no line breaks."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def code(value: object) -> str:
    """A Markdown code span for a table cell (backslashes show literally inside one, so only `|` is escaped)."""
    return "`" + " ".join(str(value).replace("`", "'").split()).replace("|", "\\|") + "`"


def markdown(d: SpecDiff) -> str:
    s = d.summary()
    icon = "❌" if s["unapproved"] else "⚠️" if s[LOOSENS] else "✅"
    out = [f"### {icon} cxgov governance diff", "",
           f"{code(d.base)} → {code(d.head)}: **{md(headline(d))}**."]
    for effect in (LOOSENS, TIGHTENS, NEUTRAL):
        changes = d.of(effect)
        if not changes:
            continue
        out += ["", f"#### {HEADINGS[effect]} ({len(changes)})", ""]
        if effect == LOOSENS:
            out += ["| | What | Change | Approval | Where |", "|---|---|---|---|---|"]
        else:
            out += ["| What | Change | Where |", "|---|---|---|"]
        for c in changes:
            where = code(c.location) if c.location else ""
            subject = f"{NOUNS.get(c.section, c.section)} {code(c.id)}" if c.section != "program" else "program"
            if effect == LOOSENS:
                mark = "❌" if c.approval is None else "✔️"
                note = "**not approved**" if c.approval is None else md(_approval_note(c)) + (
                    f": {md(c.approval.reason)}")
                out.append(f"| {mark} | {subject} | {md(c.message)} | {note} | {where} |")
            else:
                out.append(f"| {subject} | {md(c.message)} | {where} |")
    if d.approvals:
        unused = {a.id for a in d.unused_approvals}
        out += ["", f"#### Approvals added ({len(d.approvals)})", ""]
        for a in d.approvals:
            out.append(f"- {md(approval_text(a))}" + (" — *approves nothing in this diff*" if a.id in unused else ""))
    if s["unapproved"]:
        out += ["", f"> {counted(s['unapproved'], 'loosening change needs', 'loosening changes need')} an "
                "approval: add an entry to `approvals:` naming the change, "
                "who approved it, why and when."]
    return "\n".join(out) + "\n"


def as_json(d: SpecDiff) -> str:
    return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": text, "markdown": markdown, "json": as_json}
