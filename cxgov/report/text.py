"""Terminal output of `cxgov check`: what needs attention first (breaches), then the counts by status."""

from __future__ import annotations

from typing import Iterable

from cxgov.engine.results import STATUSES, FailPolicy, Result, Run
from cxgov.report import format as fmt
from cxgov.spec.model import Spec

LABELS = {"breach": "BREACH", "error": "ERROR", "warn": "WARN", "waived": "WAIVED", "insufficient": "LOW N",
          "pass": "PASS"}
WIDTH = len("NO DATA")  # the longest label


class Blocks:
    """The lines of each result the report shows, made as results become known and kept for `render`: `cxgov
    check` makes them for the results of one scan while DuckDB still runs the next."""

    def __init__(self, spec: Spec | None = None, *, verbose: bool = False, policy: FailPolicy = FailPolicy()):
        self.spec, self.verbose, self.policy = spec, verbose, policy
        self._shared: dict = {}  # the text that every result of a rule (or owner) shares, written once
        self._made: dict[int, list[str]] = {}  # id of a result (alive as long as its Run) -> its lines

    def shows(self, result: Result) -> bool:
        return self.verbose or result.status != "pass"

    def add(self, results: Iterable[Result]) -> None:
        for result in results:
            if self.shows(result) and id(result) not in self._made:
                self._made[id(result)] = _block(result, self.spec, self.policy, self._shared)

    def of(self, result: Result) -> list[str]:
        made = self._made.get(id(result))
        return made if made is not None else _block(result, self.spec, self.policy, self._shared)


def render(run: Run, spec: Spec | None = None, *, verbose: bool = False, policy: FailPolicy = FailPolicy(),
           blocks: Blocks | None = None) -> str:
    """Every result that is not a pass (all of them with `verbose`), most pressing first, then the summary.
    `blocks`, made with the same spec, verbose and policy, may hold the lines of results already."""
    blocks = blocks or Blocks(spec, verbose=verbose, policy=policy)
    lines = [f"cxgov check: {run.program or run.spec_path} as of {run.as_of.isoformat()}", ""]
    shown = sorted((r for r in run.results if blocks.shows(r)), key=Result.sort_key)
    for result in shown:
        lines.extend(blocks.of(result))
    if shown:
        lines.append("")
    for h in run.health:
        label = "DATA!" if h.finding else "DATA"
        lines.append(f"{label:<{WIDTH}}  source {h.source}: {fmt.health(h)}")
        if h.finding:
            lines.append(f"{INDENT}finding: {h.finding}")
    if run.health:
        lines.append("")
    lines.append(summary(run))
    return "\n".join(lines) + "\n"


def summary(run: Run) -> str:
    counts = run.summary()
    parts = ", ".join(f"{counts[status]} {status}" for status in STATUSES)
    return f"{len(run.results)} results: {parts}"


INDENT = " " * (WIDTH + 2)


def _block(result: Result, spec: Spec | None, policy: FailPolicy, shared: dict) -> list[str]:
    label = "NO DATA" if result.status == "insufficient" and result.n == 0 else LABELS[result.status]
    indent = INDENT
    lines = [f"{label:<{WIDTH}}  {result.rule} @ {fmt.scope(result)} [{result.severity}]"]
    if result.status != "error":
        target = shared.get(result.threshold) or shared.setdefault(result.threshold, fmt.threshold(result.threshold))
        lines.append(f"{indent}{fmt.measured(result)} against {target}"
                     + (f", previous {fmt.in_units(result.previous.value, result)} (n {result.previous.n})"
                        if result.previous and result.previous.n else ""))
    key = (result.owner, result.window, result.location)
    where = shared.get(key)
    if where is None:
        owner = result.owner or "no owner"
        if spec is not None and result.owner and spec.owner(result.owner) is not None:
            owner = f"{result.owner} ({spec.owner(result.owner).name})"  # type: ignore[union-attr]
        where = shared[key] = f"{indent}owner {owner} · window {fmt.days(result.window)} · {fmt.location(result)}"
    lines.append(where)
    if result.waiver is not None and result.waiver.active:
        lines.append(f"{indent}waived by {result.waiver.id} until {result.waiver.expires.isoformat()} "
                     f"(approved by {result.waiver.approved_by}): {result.waiver.justification}")
    for action in result.actions:
        due = f"due {action.due.isoformat()}" + (", OVERDUE" if action.overdue else "")
        lines.append(f"{indent}action {action.id} ({action.status}, {due}, owner {action.owner})"
                     + (f": {action.description}" if action.description else ""))
    for note in result.notes:
        lines.append(f"{indent}{note}" if note.startswith("hint: ") else f"{indent}note: {note}")
    counted = result.status == "breach" or (result.status == "warn" and policy.fail_on == "warn")
    if counted and not policy.fails(result):
        lines.append(f"{indent}(does not fail the check: --fail-on {policy.fail_on}, "
                     f"--min-severity {policy.min_severity})")
    return lines
