"""What needs attention in a scorecard: breaches, waived results and errors, grouped by rule, and the actions and
waivers that answer them, each described once and referred to by id from every result it covers.

A rule's label, target, severity and window head its group instead of being repeated on each result, and an
error message shared by many results is written once with the scopes it hit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from cxgov.engine.results import ActionInfo, Result, WaiverInfo
from cxgov.report import display
from cxgov.report.rows import Row, Rows


@dataclass(frozen=True)
class Ref:
    """An action or waiver as a result refers to it: a link to where it is described, and its state."""

    id: str
    anchor: str  # "action-act-17", "waiver-w-chat"
    state: str  # "in progress, due 2026-12-15", "expires 2026-12-31"; "" for an expired waiver
    alarm: str  # "overdue", "expired 2026-10-31" or ""


@dataclass(frozen=True)
class Item:
    """A breach or waived result, with what is being done about it."""

    row: Row
    refs: tuple[Ref, ...]  # its waiver first, then its actions by due date
    handled: bool  # an active waiver or an action not yet done
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RuleGroup:
    """One rule's items, with what they share stated once."""

    rule: str
    label: str
    target: str
    severity: str
    window: str
    items: tuple[Item, ...]
    unhandled: int


@dataclass(frozen=True)
class Problem:
    """One error message (the notes of a failed evaluation) and every scope it was given for."""

    notes: tuple[str, ...]
    scopes: tuple[str, ...]
    owners: tuple[str, ...]


@dataclass(frozen=True)
class ErrorGroup:
    rule: str
    label: str
    count: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Remedy:
    """An action or a waiver, described once: who owns or approved it, what it says, which results it is on."""

    kind: str  # "action" | "waiver"
    ref: Ref
    owner: str  # the action's owner, the waiver's approver
    text: str  # the description or the justification
    on: tuple[str, ...]  # "Complaints resolved within 24 hours at Complaints line: breach"; or per rule, counts


def _action_ref(action: ActionInfo) -> Ref:
    return Ref(action.id, f"action-{action.id}", f"{action.status.replace('_', ' ')}, due {action.due.isoformat()}",
               "overdue" if action.overdue else "")


def _waiver_ref(waiver: WaiverInfo) -> Ref:
    expires = waiver.expires.isoformat()
    return Ref(waiver.id, f"waiver-{waiver.id}", f"expires {expires}" if waiver.active else "",
               "" if waiver.active else f"expired {expires}")


def item(result: Result, rows: Rows) -> Item:
    refs = [_waiver_ref(result.waiver)] if result.waiver else []
    refs.extend(_action_ref(a) for a in sorted(result.actions, key=lambda a: (a.due, a.id)))
    handled = bool(result.waiver and result.waiver.active) or any(a.status != "done" for a in result.actions)
    return Item(rows(result), tuple(refs), handled, tuple(result.notes))


def by_rule(results: Iterable[Result], rows: Rows) -> tuple[RuleGroup, ...]:
    """Items grouped by rule, in the order of each rule's first result (pass them in Result.sort_key order)."""
    grouped: dict[str, list[Item]] = {}
    firsts: dict[str, Result] = {}
    for result in results:
        firsts.setdefault(result.rule, result)
        grouped.setdefault(result.rule, []).append(item(result, rows))
    groups = []
    for rule, items in grouped.items():
        first = firsts[rule]
        label, target = rows.rule_text(first)
        groups.append(RuleGroup(rule, label, target, first.severity, rows.window(first.window), tuple(items),
                                sum(not i.handled for i in items)))
    return tuple(groups)


def errors(results: Iterable[Result], rows: Rows) -> tuple[ErrorGroup, ...]:
    """Errors by rule; within a rule, each distinct message once with the scopes it was given for."""
    grouped: dict[str, dict[tuple[str, ...], list[Row]]] = {}
    for result in results:
        grouped.setdefault(result.rule, {}).setdefault(tuple(result.notes), []).append(rows(result))
    out = []
    for rule, problems in grouped.items():
        first = next(iter(problems.values()))[0]
        out.append(ErrorGroup(rule, first.rule_label, sum(len(r) for r in problems.values()), tuple(
            Problem(notes, tuple(r.scope for r in found), tuple(dict.fromkeys(r.owner for r in found)))
            for notes, found in problems.items())))
    return tuple(out)


def remedies(results: Iterable[Result], rows: Rows) -> tuple[Remedy, ...]:
    """Every action and waiver on a result of the run, once each: waivers by id, then actions by due date."""
    waivers: dict[str, tuple[WaiverInfo, list[Result]]] = {}
    actions: dict[str, tuple[ActionInfo, list[Result]]] = {}
    for result in results:
        if result.waiver:
            waivers.setdefault(result.waiver.id, (result.waiver, []))[1].append(result)
        for action in result.actions:
            actions.setdefault(action.id, (action, []))[1].append(result)
    out = [Remedy("waiver", _waiver_ref(w), rows.owner(w.approved_by), w.justification, _on(on, rows))
           for w, on in (waivers[i] for i in sorted(waivers))]
    out += [Remedy("action", _action_ref(a), rows.owner(a.owner), a.description or "", _on(on, rows))
            for a, on in sorted(actions.values(), key=lambda found: (found[0].due, found[0].id))]
    return tuple(out)


def _on(results: list[Result], rows: Rows) -> tuple[str, ...]:
    """Which results a remedy is on: the result itself when a rule has one, otherwise the counts by status."""
    per_rule: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        per_rule[result.rule].append(result)
    lines = []
    for rule_results in per_rule.values():
        first = rule_results[0]
        label = rows.rule_text(first)[0]
        if len(rule_results) == 1:
            lines.append(f"{label} at {rows(first).scope}: {display.status_label(first.status).lower()}")
        else:
            lines.append(f"{label}: {len(rule_results)} results, "
                         f"{display.counts_text(display.status_counts(rule_results))}")
    return tuple(lines)
