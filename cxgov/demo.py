"""What `cxgov demo` says when it is done: where the reports are, and what the check found and would do in CI.

The demo itself succeeds when every step ran. The bundled example breaches standards and has a rule whose data
feed is not delivered yet, on purpose (specs/README.md), so its check exits 2; the demo says so and what that
code means in CI, rather than passing it on (`cxgov demo --exit-code` passes it on, as a CI job would).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxgov.engine.results import Run

CI_MEANING = {0: "In CI the job would pass (exit 0).",
              1: "In CI the job would fail: exit 1, an unwaived breach.",
              2: "In CI the job would stop: exit 2, a rule could not be evaluated (which wins over 1, a breach)."}
BEFORE_CHECK = ("(the example breaches standards, and one rule reads a data feed that is not delivered yet, on "
                "purpose: the errors below are expected)")


def outcome(run: Run, code: int, bundled: bool) -> list[str]:
    """The closing lines: what the check's `run` found and what its exit `code` means in CI."""
    summary = run.summary()
    unevaluable = sorted({r.rule for r in run.results if r.status == "error"})
    found = [f"{summary['breach']} unwaived breach{'es' * (summary['breach'] != 1)}"] if summary["breach"] else []
    if unevaluable:
        found.append(f"{summary['error']} result{'s' * (summary['error'] != 1)} that could not be evaluated "
                     f"({', '.join(unevaluable)})")
    lines = [f"The check found {' and '.join(found) or 'nothing that fails'}"
             + (", on purpose: the example shows each path (specs/README.md)." if bundled and found else "."),
             CI_MEANING[code]]
    if code:
        lines.append("`cxgov demo --exit-code` ends with that code, as a CI job would; docs/ci.md sets up the job.")
    return lines
