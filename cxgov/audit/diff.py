"""`cxgov diff`: what a change to the spec does to governance, in words, with the approvals that cover it.

`compare` compares two loaded specs; `sides` gets them from git refs, folders or the working tree;
cxgov.report.diff writes text, Markdown or JSON.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cxgov.audit.compare import SpecDiff, diff_specs
from cxgov.audit.sides import load, side


def run(base: str, head: str | None, spec_dir: Path) -> SpecDiff:
    """Diff the spec at `base` against `head` (default: the working tree). Each is a git ref of the repository
    holding `spec_dir` or a spec folder."""
    with side(base, spec_dir) as b, side(head, spec_dir) as h:
        result = diff_specs(load(b), load(h), b.label, h.label)

        # where each is written, as the user names the files (each side's temporary folder left out)
        changes = tuple(dataclasses.replace(c, location=h.show(b.show(c.location)),
                                            approval=c.approval and dataclasses.replace(
                                                c.approval, location=h.show(b.show(c.approval.location))))
                        for c in result.changes)
        approvals = tuple(dataclasses.replace(a, location=h.show(b.show(a.location))) for a in result.approvals)
        unused = {a.id for a in result.unused_approvals}
        return dataclasses.replace(result, changes=changes, approvals=approvals,
                                   unused_approvals=tuple(a for a in approvals if a.id in unused))
