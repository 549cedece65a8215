"""Problems analyses: a scan's rows -> one `kind: problem` Result per root cause (and per unmapped category, and
per `by` value), with the Pareto numbers (DOMAIN.md), the change against the previous window, the key-driver gap
of the score, actions and waivers, and a status (DESIGN.md section 7).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from typing import Any, Iterable, Mapping

from cxgov import wording
from cxgov.data.themes import is_blank
from cxgov.engine.health import suggestion
from cxgov.engine.plan import Order, ProblemTarget, Scan
from cxgov.engine.results import (ActionInfo, PreviousInfo, ProblemInfo, Result, Scope, ScoreInfo, ThresholdInfo,
                                  WaiverInfo)
from cxgov.errors import DataError, Diagnostic, printable
from cxgov.metrics import kinds, pareto
from cxgov.metrics import problems as aggregates
from cxgov.metrics.measurement import Row
from cxgov.spec.model import Metric, Problem, Spec
from cxgov.vocabulary import LIVE_ACTION_STATUSES, PERCENT

UNMAPPED = " (unmapped)"  # added to an unmapped category's key when it equals a root cause id
UNMAPPED_CODE = "CX215"  # cxgov.spec.rules: a category in the data that `causes` maps to no root cause
SHOWN_CAUSES = 6  # root causes a CX215 hint offers when no mapped category resembles the unmapped one


def results(spec: Spec, scan: Scan, rows: Iterable[Row], as_of: date) -> list[tuple[Order, Result]]:
    """(order, result) for every problems analysis the scan feeds."""
    rows = list(rows)
    out: list[tuple[Order, Result]] = []
    for target in scan.problems:
        problem = target.problem
        dims = scan.request.grouping_sets[target.grouping]
        fixed = tuple(v for _, v in target.fixed)
        labels = target.frame.labels
        groups: dict[str | None, dict[str, list[Row]]] = defaultdict(lambda: {label: [] for label in labels})
        if problem.by is None:
            groups[None]  # an analysis without data still reports every cause (insufficient)
        scores: dict[tuple[object, str], Row] = {}
        for row in rows:
            if row["period"] not in labels or tuple(row.get(d) for d in dims[:len(fixed)]) != fixed:
                continue
            by_value = row.get(problem.by) if problem.by else None
            if problem.by and by_value is None:
                continue
            if row["grouping"] == target.grouping:
                groups[by_value][row["period"]].append(row)
            if row["grouping"] == target.score_grouping:
                scores[(by_value, row["period"])] = row
        for i, by_value in enumerate(sorted(groups, key=lambda v: (v is not None, str(v)))):
            scope = (*target.fixed, *(((problem.by, str(by_value)),) if problem.by else ()))
            current, previous = (groups[by_value][label] for label in labels)
            score_row = scores.get((by_value, labels[0]), {})
            for j, result in enumerate(analysis(spec, target, scope, current, previous, score_row, as_of)):
                out.append(((target.position, i, f"{j:06d}"), result))
    return out


def counts(problem: Problem, prefix: str, rows: list[Row]) -> tuple[dict[str, int], dict[str, dict[str, int]],
                                                                          set[str], int, int]:
    """(count per cause key, parts per cause key, the unmapped keys, missing, unmatched) from a period's rows."""
    by_cause: dict[str, int] = {c: 0 for c in problem.cause_ids}
    parts: dict[str, dict[str, int]] = {c: {} for c in problem.cause_ids}
    unmapped: set[str] = set()
    missing = unmatched = 0
    if problem.category:
        mapping = dict(problem.causes)
        for row in rows:
            n = int(row.get(prefix + aggregates.ROWS) or 0)
            value = row.get("category")
            if not n:
                continue
            if is_blank(value):
                missing += n
                continue
            value = str(value)
            key = mapping.get(value)
            if key is None:
                key = value + UNMAPPED if value in by_cause else value
                unmapped.add(key)
                parts.setdefault(key, {})
            by_cause[key] = by_cause.get(key, 0) + n
            parts[key][value] = parts[key].get(value, 0) + n
        for c in problem.cause_ids:  # in the order written, for ties in the chart
            for value, cause in problem.causes:
                if cause == c:
                    parts[c].setdefault(value, 0)
        return by_cause, parts, unmapped, missing, unmatched
    for row in rows:
        missing += int(row.get(prefix + aggregates.MISSING) or 0)
        unmatched += int(row.get(prefix + aggregates.NONE) or 0)
        for i, c in enumerate(problem.cause_ids):
            by_cause[c] += int(row.get(f"{prefix}c{i}") or 0)
        for j, theme in enumerate(problem.themes):
            parts[theme.root_cause][theme.id] = parts[theme.root_cause].get(theme.id, 0) + int(
                row.get(f"{prefix}t{j}") or 0)
    return by_cause, parts, unmapped, missing, unmatched


def analysis(spec: Spec, target: ProblemTarget, scope: Scope, current: list[Row], previous: list[Row],
             score_row: Row, as_of: date) -> list[Result]:
    problem = target.problem
    now, parts, unmapped, missing, unmatched = counts(problem, target.prefix, current)
    before, _, _, _, _ = counts(problem, target.prefix, previous)
    bars = pareto.pareto(now, problem.vital_share, before)
    total = sum(now.values())
    min_sample = spec.min_sample(problem)
    score = spec.metric(problem.score) if problem.score and problem.score in spec.by_id["metrics"] else None
    made = []
    for bar in bars:
        cause_id = None if bar.key in unmapped else bar.key
        cause = spec.root_cause(cause_id) if cause_id else None
        category = bar.key.removesuffix(UNMAPPED) if cause_id is None else None
        notes: list[str] = []
        actions = _actions(spec, cause_id, as_of)
        if total < min_sample:
            status = "insufficient"
            notes.append(f"{total} problems in the window, below the minimum sample of {min_sample}" if total
                         else "no problems in the window")
        elif cause_id is None:
            status = "pass"
            notes.append(f"category {category!r} is mapped to no root cause: add it to `causes` of problems "
                         f"'{problem.id}'")
        else:
            status = _status(problem, bar, actions, notes)
        if missing:
            notes.append(f"{missing} row(s) without {'text' if problem.text else 'a category'} counted as missing")
        if bar.significant and bar.change is not None:
            notes.append(f"share {'up' if bar.change > 0 else 'down'} {abs(bar.change):.1f} points against the "
                         f"previous window (p {bar.p_value:.4f})")
        underlying, waiver, waiver_note = _waiver(spec, problem, cause_id, status, as_of)
        if waiver_note:
            notes.append(waiver_note)
        info = ProblemInfo(
            root_cause=cause_id, name=cause.name if cause else str(category), rank=bar.rank,
            cumulative=bar.cumulative, vital=bar.vital, vital_share=problem.vital_share, total=total,
            parts=tuple(sorted(parts.get(bar.key, {}).items(), key=lambda kv: (-kv[1], kv[0]))),
            by="category" if problem.category else "theme", unmatched=unmatched, change=bar.change, z=bar.z,
            p_value=bar.p_value, significant=bar.significant,
            score=_score(score, target, problem.cause_ids.index(cause_id), score_row)
            if score is not None and cause_id is not None else None)
        owner = (cause.owner if cause and cause.owner else None) or problem.owner or spec.program.owner
        made.append(Result(
            rule=problem.id, kind="problem",
            scope=(*scope, ("root_cause", cause_id) if cause_id else ("category", str(category))),
            metric=problem.score or "", metric_kind="problem", status="waived" if underlying else status,
            window=target.frame.current,
            threshold=ThresholdInfo("<=", problem.max_share if problem.max_share is not None else 100.0),
            severity=problem.severity, location=problem.location, rule_name=problem.name, value=bar.share,
            n=bar.count, missing=missing, ci_low=bar.ci_low, ci_high=bar.ci_high, unit=PERCENT,
            underlying_status=underlying, owner=owner, waiver=waiver,
            previous=PreviousInfo(bar.previous_share, bar.previous_count, target.frame.previous),
            actions=actions, notes=tuple(notes), problem=info))
    return made


def _status(problem: Problem, bar: pareto.Bar, actions: tuple[ActionInfo, ...], notes: list[str]) -> str:
    status = "pass"
    if problem.max_share is not None and bar.share is not None and bar.share > problem.max_share:
        notes.append(f"share {bar.share:.1f}% is above the maximum of {problem.max_share:g}%")
        status = "breach"
    if bar.vital:
        live = [a for a in actions if a.status in LIVE_ACTION_STATUSES]
        if not live:
            notes.append("a vital cause with no open action: nobody is working on it")
            return "breach"
        if all(a.overdue for a in live) and status == "pass":
            notes.append("a vital cause whose every open action is overdue")
            return "warn"
    return status


def _actions(spec: Spec, cause_id: str | None, as_of: date) -> tuple[ActionInfo, ...]:
    named = spec.actions_by_root_cause.get(cause_id or "", ())
    return tuple(ActionInfo(a.id, a.owner, a.due, a.status, a.description, a.status != "done" and a.due < as_of)
                 for a in sorted(named, key=lambda a: (a.due, a.id)))


def _waiver(spec: Spec, problem: Problem, cause_id: str | None, status: str, as_of: date) \
        -> tuple[str | None, WaiverInfo | None, str]:
    matching = [w for w in spec.waivers_by_rule.get(problem.id, ())
                if w.problem == problem.id and (not w.root_causes or cause_id in w.root_causes)]
    active = [w for w in matching if w.active_on(as_of)]
    if active:
        chosen = max(active, key=lambda w: (w.expires, w.id))
        covers = status in ("warn", "breach")
        info = WaiverInfo(chosen.id, chosen.justification, chosen.approved_by, chosen.expires, True)
        return (status if covers else None, info,
                "" if covers else f"waiver {chosen.id} is active but not needed: the result is {status}")
    expired = [w for w in matching if w.expires < as_of]
    if expired:
        chosen = max(expired, key=lambda w: (w.expires, w.id))
        return None, WaiverInfo(chosen.id, chosen.justification, chosen.approved_by, chosen.expires, False), \
            f"waiver {chosen.id} expired on {chosen.expires.isoformat()}; evaluated without it"
    return None, None, ""


def _score(metric: Metric, target: ProblemTarget, index: int, row: Row) -> ScoreInfo:
    with_ = kinds.finalize(metric, row, aggregates.score_prefix(target.prefix, "w", index))
    without = kinds.finalize(metric, row, aggregates.score_prefix(target.prefix, "o", index))
    difference, low, high = pareto.gap((with_.value, with_.ci_low, with_.ci_high),
                                       (without.value, without.ci_low, without.ci_high),
                                       feasible=kinds.difference_range(metric))
    return ScoreInfo(metric.id, with_.value, with_.n, (with_.ci_low, with_.ci_high), without.value, without.n,
                     (without.ci_low, without.ci_high), difference, low, high)


def check_columns(problem: Problem, source_id: str, types: Mapping[str, str]) -> None:
    """DataError at the analysis's spec line when a column it reads is absent."""
    for column, key in aggregates.required_columns(problem):
        if column not in types:
            raise DataError(f"column not found (problems '{problem.id}' reads it; the source has: "
                            f"{', '.join(sorted(types)) or 'no columns'})", source=source_id, column=column,
                            location=problem.at(key), hint=f"correct `{key}` or add the column to the data")


def error_results(spec: Spec, target: ProblemTarget, exc: DataError) -> list[tuple[Order, Result]]:
    """One `error` result per root cause of an analysis that cannot be evaluated."""
    problem = target.problem
    located = DataError(exc.message, exc.source, exc.column, location=exc.location or problem.location)
    notes = (str(located),) + ((f"hint: {exc.hint}",) if exc.hint else ())
    return [((target.position, 0, f"{j:06d}"), Result(
        rule=problem.id, kind="problem", scope=(*target.fixed, ("root_cause", cause)),
        metric=problem.score or "", metric_kind="problem", status="error", window=target.frame.current,
        threshold=ThresholdInfo("<=", problem.max_share if problem.max_share is not None else 100.0),
        severity=problem.severity, location=problem.location, rule_name=problem.name, unit=PERCENT,
        owner=problem.owner or spec.program.owner, notes=notes))
        for j, cause in enumerate(problem.cause_ids)]


def unmapped_warnings(spec: Spec, results: Iterable[Result]) -> tuple[Diagnostic, ...]:
    """CX215 for every category the data holds that `causes` maps to no root cause: one per analysis and
    category (its rows in the window summed over the `by` values), at the analysis's `causes`."""
    found: dict[tuple[str, str], list[Any]] = {}  # (rule, category) -> [rows, window]
    for r in results:
        if r.kind == "problem" and r.problem is not None and r.problem.unmapped:
            entry = found.setdefault((r.rule, dict(r.scope)["category"]), [0, r.window])
            entry[0] += r.n
    out = []
    for (rule, category), (rows, window) in sorted(found.items()):
        problem = spec.problem(rule)
        if problem is None:
            continue
        shown = printable(repr(category))
        out.append(Diagnostic(
            UNMAPPED_CODE, "warning",
            f"problems '{rule}': category {shown} ({rows:,} row{'s' * (rows != 1)} in {wording.span(window)}) is mapped"
            " to no root cause: it is reported as its own bar, unmapped",
            problem.at("causes"), _mapping_hint(spec, problem, category)))
    return tuple(out)


def _mapping_hint(spec: Spec, problem: Problem, category: str) -> str:
    """What to write under `causes`: the root cause of a mapped category it resembles (another case or spelling),
    a root cause of its name, or the root causes to choose from."""
    key = category if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]*", category) else json.dumps(category)
    key = printable(key)
    mapped = dict(problem.causes)
    like = suggestion(category, mapped)
    if like is not None:
        return (f"map it to a root cause under `causes`, e.g. `{key}: {mapped[like]}` (did you mean '{like}', "
                f"mapped to {mapped[like]}?), or correct the category in the data")
    causes = [c.id for c in spec.root_causes]
    same = suggestion(category, causes)
    if same is not None:
        return f"map it to a root cause under `causes`, e.g. `{key}: {same}` (did you mean root cause '{same}'?)"
    offered = ", ".join(causes[:SHOWN_CAUSES]) + (f" and {len(causes) - SHOWN_CAUSES} more"
                                                  if len(causes) > SHOWN_CAUSES else "")
    return (f"map it to a root cause under `causes`, e.g. `{key}: ROOT-CAUSE`" +
            (f" with one of {offered}" if causes else "") + ", or add its root cause under `root_causes`")
