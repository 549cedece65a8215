"""Terminal output of `cxgov check`: per rule, most pressing first, its counts by status and its worst results
(every result with `verbose`), then the data health and the counts of the whole run. A problems analysis lists
every cause besides, in a table by rank (its Pareto: count, share and interval, cumulative share, vital, status).

A CI log of a large program stays readable: a rule with 700 breaches shows its counts and its SHOWN worst
results, and says how many more there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from cxgov import wording
from cxgov.engine.results import FailPolicy, Result, Run, Scope
from cxgov.report import format as fmt
from cxgov.report.display import STATUS_DISPLAY_ORDER, number
from cxgov.spec.model import Spec
from cxgov.speed import identity_memo
from cxgov.vocabulary import HIGHER_IS_BETTER, RESULT_STATUSES, SEVERITY_ORDER, STATUS_ORDER

LABELS = {"breach": "BREACH", "error": "ERROR", "warn": "WARN", "waived": "WAIVED", "insufficient": "LOW N",
          "pass": "PASS"}
WIDTH = len("NO DATA")  # the longest label
SHOWN = 5  # results listed per rule without --verbose


@dataclass(frozen=True)
class RuleGroup:
    """One rule's results, worst first."""

    results: tuple[Result, ...]

    @property
    def attention(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.status != "pass")

    def listed(self, verbose: bool) -> tuple[Result, ...]:
        return self.results if verbose else self.attention[:SHOWN]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUS_DISPLAY_ORDER, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts


def rule_groups(results: Iterable[Result]) -> list[RuleGroup]:
    """Results by rule: the rule with the most pressing result first (then severity and id), each worst first."""
    by_rule: dict[str, list[Result]] = {}
    for result in results:
        by_rule.setdefault(result.rule, []).append(result)
    groups = [RuleGroup(tuple(sorted(rs, key=_worst_first))) for rs in by_rule.values()]
    return sorted(groups, key=lambda g: (STATUS_ORDER[g.results[0].status],
                                         SEVERITY_ORDER.get(g.results[0].severity, 9), g.results[0].rule))


def _worst_first(result: Result) -> tuple[int, float, Scope]:
    """Status first; within a status, furthest past the failing bound first (fewest cases for no data)."""
    if result.status == "insufficient":
        beyond = -float(result.n)
    elif result.value is None:
        beyond = float("-inf")
    else:
        over = result.value - result.threshold.fail
        beyond = -over if result.threshold.op in HIGHER_IS_BETTER else over
    return (STATUS_ORDER[result.status], -beyond, result.scope)


def render(run: Run, spec: Spec | None = None, *, verbose: bool = False, policy: FailPolicy = FailPolicy()) -> str:
    """Per rule its counts and worst results (all of them with `verbose`), then the summary."""
    shared: dict[object, str] = {}  # the text that every result of a rule (or owner) shares, written once
    lines = [f"cxgov check: {run.program or run.spec_path} as of {run.as_of.isoformat()}", ""]
    for group in rule_groups(run.results):
        listed = group.listed(verbose)
        lines.append(_heading(group, spec))
        table = pareto_lines(group.results)
        lines.extend(table)
        for result in listed:
            lines.extend(_block(result, spec, policy, shared))
        rest = {s: n for s, n in _status_counts(group.attention[len(listed):]).items() if n}
        if rest and not verbose:
            lines.append(f"{INDENT}... and {sum(rest.values()):,} more ({_counted(rest)}): --verbose lists every "
                         "result")
        if listed or table:
            lines.append("")
    if lines[-1]:
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


def _heading(group: RuleGroup, spec: Spec | None) -> str:
    first = group.results[0]
    name = f" ({first.rule_name})" if first.rule_name else ""
    return f"{'RULE':<{WIDTH}}  {first.rule}{name} [{first.severity}]: {_counted(group.counts())}"


def _status_counts(results: Iterable[Result]) -> dict[str, int]:
    return RuleGroup(tuple(results)).counts()


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {status}" for status, n in counts.items() if n)


def problems(run: Run, policy: FailPolicy = FailPolicy()) -> list[str]:
    """The messages for standard error, after the report: each rule that could not be evaluated (its results with
    the same note counted together), each data finding (an error or a warning, by `policy.data_findings`) and each
    validator warning that needed the data."""
    errors: dict[tuple[str, str, str], int] = {}
    for result in run.results:
        if result.status == "error":
            key = (f"{result.location.file}:{result.location.line}", result.rule, result.notes[0])
            errors[key] = errors.get(key, 0) + 1
    lines = [f"cxgov: error: {where}: {rule} could not be evaluated ({count} result{'s' * (count != 1)}): {note}"
             for (where, rule, note), count in errors.items()]
    level = "error" if policy.data_findings == "error" else "warning"
    lines += [f"cxgov: {level}: {h.location}: source '{h.source}': {h.finding}\n"
              f"  hint: make the source's touchpoint ids and timestamps match the spec (see the data health in "
              f"the report); --max-unattributed sets the share tolerated" for h in run.findings]
    lines += [f"cxgov: {d.severity}: {d.location}: {d.code} {d.message}" + (f"\n  hint: {d.hint}" if d.hint else "")
              for d in run.diagnostics]
    return lines


def summary(run: Run) -> str:
    counts = run.summary()
    parts = ", ".join(f"{counts[status]} {status}" for status in RESULT_STATUSES)
    return f"{len(run.results)} results: {parts}"


INDENT = " " * (WIDTH + 2)


PARETO_COLUMNS = ("rank", "cause", "count", "share", "95% CI", "cumulative", "vital", "status")
_RIGHT = frozenset({"rank", "count", "share", "cumulative"})  # numbers: aligned on the right


def pareto_lines(results: Sequence[Result]) -> list[str]:
    """Every cause of each problems analysis among `results` (one rule's), by rank: a line on the analysis (its
    `by` value, total, missing, window) and a table; nothing for results of other kinds, or errors."""
    analyses: dict[Scope, list[Result]] = {}
    for r in results:
        if r.problem is not None:
            analyses.setdefault(r.scope[:-1], []).append(r)
    lines = []
    for key in sorted(analyses, key=lambda k: tuple(map(str, k))):
        bars = sorted(analyses[key], key=lambda r: r.problem.rank if r.problem else 0)  # each has a problem
        first, info = bars[0], bars[0].problem
        assert info is not None
        where = f" @ {', '.join(f'{k} {v}' for k, v in key)}" if key else ""
        extra = f" · {first.missing:,} missing" if first.missing else ""
        if info.by == "theme" and info.unmatched:
            extra += f" · {info.unmatched:,} matching no theme"
        lines.append(f"{INDENT}Pareto{where}: {info.total:,} problems · vital share {info.vital_share:g}% · window "
                     f"{wording.span(first.window)}{extra}")
        score = next((r.problem.score.metric for r in bars if r.problem and r.problem.score), None)
        columns = PARETO_COLUMNS + ((f"{score} gap (95% CI)",) if score else ())
        rows = [columns] + [_pareto_row(r, score is not None) for r in bars]
        widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
        for row in rows:
            cells = [cell.rjust(w) if name in _RIGHT else cell.ljust(w) for cell, w, name in zip(row, widths, columns)]
            lines.append(f"{INDENT}  {'  '.join(cells).rstrip()}")
    return lines


def _pareto_row(result: Result, scored: bool) -> tuple[str, ...]:
    info = result.problem
    assert info is not None
    cause = dict(result.scope).get("category", "") + " (unmapped)" if info.unmapped else info.root_cause or ""
    row = (str(info.rank), cause, f"{result.n:,}", fmt.in_units(result.value, result), fmt.bounds(result) or "—",
           fmt.in_units(info.cumulative, result), "yes" if info.vital else "no", _label(result))
    if not scored:
        return row
    gap = info.score
    if gap is None or gap.difference is None:
        return (*row, "—")
    within = fmt.span_text(gap.ci_low, gap.ci_high)
    return (*row, f"{number(gap.difference)}" + (f" ({within})" if within else ""))


def _label(result: Result) -> str:
    return "NO DATA" if result.status == "insufficient" and result.n == 0 else LABELS[result.status]


def _block(result: Result, spec: Spec | None, policy: FailPolicy, shared: dict[object, str]) -> list[str]:
    label = _label(result)
    indent = INDENT
    lines = [f"{label:<{WIDTH}}  {result.rule} @ {fmt.scope(result)} [{result.severity}]"]
    if result.problem is not None and result.status != "error":
        lines.append(f"{indent}{fmt.measured(result)} of {result.problem.total:,} problems, {fmt.pareto_place(result)}")
    elif result.status != "error":
        target = shared.get(result.threshold) or shared.setdefault(result.threshold,
                                                                    wording.threshold(result.threshold))
        lines.append(f"{indent}{fmt.measured(result)} against {target}"
                     + (f", previous {fmt.in_units(result.previous.value, result)} (n {result.previous.n})"
                        if result.previous and result.previous.n else ""))
    key = (result.owner, result.window, result.location)
    where = shared.get(key)
    if where is None:
        owner = result.owner or "no owner"
        named = spec.owner(result.owner) if spec is not None and result.owner else None
        if named is not None:
            owner = f"{result.owner} ({named.name})"
        where = shared[key] = f"{indent}owner {owner} · window {wording.span(result.window)} · {fmt.location(result)}"
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
