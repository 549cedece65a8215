"""Group rules into as few scans as possible: one ScanRequest per source.

Every standard and KPI whose metric reads the same source shares one scan, whatever its window. The scan groups by
the union of the grouping sets its rules need (("touchpoint",) for standards, () for program KPIs, (kind,) for a
journey/stage/segment/channel scope, (kind, by) with `by`), over the current and the previous period of every
window its rules use, and computes each metric's aggregates once, however many rules use it. Each Target says
which rows a result reads: its grouping set, its key, and the periods of its window (its Frame).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from datetime import date
from typing import Collection, Iterable, Iterator, Mapping

from cxgov.data.scan import ROWS, TOUCHPOINT_DIMENSIONS, Aggregate, Period, ScanRequest
from cxgov.engine import windows
from cxgov.engine.results import Span
from cxgov.errors import UsageError
from cxgov.metrics import kinds
from cxgov.metrics import problems as problem_aggregates
from cxgov.metrics.measurement import Row
from cxgov.spec.model import Kpi, Problem, Source, Spec, Standard, Touchpoint, Window
from cxgov.speed import assemble

CURRENT, PREVIOUS = "current", "previous"
Order = tuple[int, int, str]  # where a result is listed: by rule (spec order), scope, then a found value


@dataclass(frozen=True)
class Frame:
    """A window as of the as-of date: the days of its current and previous period, and their labels in a scan."""

    window: Window
    current: Span
    previous: Span
    name: str  # the window written canonically: "28d", "quarter"

    @property
    def labels(self) -> tuple[str, str]:
        """The labels of the current and the previous period."""
        return f"{self.name} {CURRENT}", f"{self.name} {PREVIOUS}"

    def periods(self) -> tuple[Period, Period]:
        current, previous = self.labels
        return Period(current, *windows.bounds(self.current)), Period(previous, *windows.bounds(self.previous))


@dataclass(frozen=True)
class Target:
    """One result to produce: a rule for one scope, read from the rows of one grouping set in its window."""

    rule: Standard | Kpi
    kind: str  # "standard" | "kpi"
    scope: tuple[tuple[str, str], ...]
    grouping: int  # index into the request's grouping_sets
    key: tuple[str | None, ...]  # the row's value for each dimension of that grouping set
    prefix: str  # names of the metric's aggregates start with it
    order: Order  # (rule position in the spec, scope position, data-found value)
    frame: Frame
    touchpoint: Touchpoint | None = None


@dataclass(frozen=True)
class ByRule:
    """A KPI with `by`: its declared values are Targets; values found only in the data are added per run."""

    rule: Kpi
    grouping: int
    scope: tuple[tuple[str, str], ...]  # the fixed part: () for the program, else ((kind, value),)
    dimension: str
    declared: frozenset[str]
    prefix: str
    position: int
    frame: Frame


@dataclass(frozen=True)
class ProblemTarget:
    """A problems analysis read from a scan: its grouping set (the scope, `by` and, by category, `category`), the
    prefix of its aggregates and its window."""

    problem: Problem
    grouping: int
    fixed: tuple[tuple[str, str], ...]  # the scope: () for the program, else ((kind, value),)
    prefix: str
    frame: Frame
    position: int  # after every rule of the spec
    score_grouping: int | None = None  # the grouping set the score is read from (the scope and `by` alone)


@dataclass(frozen=True)
class Scan:
    """One ScanRequest and every result it feeds."""

    request: ScanRequest
    frames: tuple[Frame, ...]  # the windows of its rules, in spec order
    metrics: tuple[tuple[str, str], ...]  # (metric id, aggregate prefix)
    targets: tuple[Target, ...]
    by_rules: tuple[ByRule, ...] = ()
    problems: tuple[ProblemTarget, ...] = ()

    def without_problems(self, problem_ids: Collection[str]) -> Scan:
        """This scan minus the problems analyses `problem_ids` and their aggregates."""
        drop = {t.prefix for t in self.problems if t.problem.id in problem_ids}
        scan = replace(self, request=replace(self.request, aggregates=tuple(
            a for a in self.request.aggregates if not any(a.name.startswith(p) for p in drop))),
            problems=tuple(t for t in self.problems if t.prefix not in drop))
        if any(t.problem.category for t in scan.problems):
            return scan
        scan = replace(scan, request=replace(scan.request, category=None))
        return scan.without_groupings({i for i, s in enumerate(scan.request.grouping_sets) if "category" in s})

    def without(self, metric_ids: Collection[str]) -> Scan:
        """This scan minus the metrics `metric_ids` and every target reading them."""
        drop = {prefix for metric_id, prefix in self.metrics if metric_id in metric_ids}
        return replace(
            self,
            request=replace(self.request, aggregates=tuple(a for a in self.request.aggregates
                                                           if not any(a.name.startswith(p) for p in drop))),
            metrics=tuple((m, p) for m, p in self.metrics if p not in drop),
            targets=tuple(t for t in self.targets if t.prefix not in drop),
            by_rules=tuple(b for b in self.by_rules if b.prefix not in drop),
        )

    def without_groupings(self, indices: Collection[int]) -> Scan:
        """This scan minus the grouping sets `indices` and every target reading them."""
        keep = [i for i in range(len(self.request.grouping_sets)) if i not in indices]
        new = {old: position for position, old in enumerate(keep)}
        aggregates = []
        for a in self.request.aggregates:
            if a.sets is None:
                aggregates.append(a)
            elif any(i in new for i in a.sets):  # others feed no target any more
                aggregates.append(replace(a, sets=tuple(new[i] for i in a.sets if i in new)))
        return replace(
            self,
            request=replace(self.request, grouping_sets=tuple(self.request.grouping_sets[i] for i in keep),
                            aggregates=tuple(aggregates)),
            targets=tuple(replace(t, grouping=new[t.grouping]) for t in self.targets if t.grouping in new),
            by_rules=tuple(replace(b, grouping=new[b.grouping]) for b in self.by_rules if b.grouping in new),
            problems=tuple(replace(p, grouping=new[p.grouping], score_grouping=new.get(p.score_grouping)
                                   if p.score_grouping is not None else None)
                           for p in self.problems if p.grouping in new),
        )

    def expand(self, rows: Iterable[Row]) -> tuple[Target, ...]:
        """The planned targets plus one per `by` value present in the rows but not declared in the spec."""
        return self.targets + self.discovered(rows)

    def discovered(self, rows: Iterable[Row]) -> tuple[Target, ...]:
        """One target per `by` value present in the rows but not declared in the spec."""
        found: list[Target] = []
        for by in self.by_rules:
            dims = self.request.grouping_sets[by.grouping]
            fixed = tuple(value for _, value in by.scope)
            periods = by.frame.labels
            values = {row.get(by.dimension) for row in rows if row.get("grouping") == by.grouping
                      and row.get("period") in periods and tuple(row.get(d) for d in dims[:len(fixed)]) == fixed}
            for value in sorted(v for v in values if v is not None and str(v) not in by.declared):
                found.append(Target(by.rule, "kpi", (*by.scope, (by.dimension, str(value))), by.grouping,
                                    (*fixed, value), by.prefix, (by.position, 1 << 30, str(value)), by.frame))
        return tuple(found)


def rule_ids(spec: Spec) -> tuple[str, ...]:
    return tuple(r.id for r in spec.standards) + tuple(k.id for k in spec.kpis) + tuple(p.id for p in spec.problems)


def select_rules(spec: Spec, only: Collection[str] | None) -> tuple[Standard | Kpi, ...]:
    """The spec's rules in spec order (standards, then KPIs), restricted to `only` when given."""
    rules: tuple[Standard | Kpi, ...] = (*spec.standards, *spec.kpis)
    if not only:
        return rules
    # an id of a problems analysis selects it (select_problems), and no rule
    unknown = sorted(set(only) - set(rule_ids(spec)))
    if unknown:
        close = [m for u in unknown for m in difflib.get_close_matches(u, rule_ids(spec), n=1, cutoff=0.6)]
        guess = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise UsageError(f"no standard or KPI with id {', '.join(repr(u) for u in unknown)}",
                         hint=f"{guess}rules in this spec: {', '.join(rule_ids(spec)) or 'none'}")
    return tuple(r for r in rules if r.id in only)


def plan(spec: Spec, as_of: date, only: Collection[str] | None = None,
         types: Mapping[str, Mapping[str, str]] | None = None) -> tuple[Scan, ...]:
    """One Scan per source covering every selected rule, in a deterministic order. `types` (source id -> its
    column types, where known) lets the aggregates read columns of the right type without conversion."""
    return tuple(scans(spec, as_of, only, types))


def scans(spec: Spec, as_of: date, only: Collection[str] | None = None,
          types: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[Scan]:
    """The scans of `plan`, each made when it is asked for: the engine can run the first while the next are
    planned."""
    groups: dict[str, list[tuple[int, Standard | Kpi]]] = {}
    for position, rule in enumerate(select_rules(spec, only)):
        groups.setdefault(spec.metric(rule.metric).source, []).append((position, rule))
    analyses: dict[str, list[tuple[int, Problem]]] = {}
    for position, problem in enumerate(select_problems(spec, only), start=len(rule_ids(spec))):
        groups.setdefault(problem.source, [])
        analyses.setdefault(problem.source, []).append((position, problem))
    for source_id, members in groups.items():
        known = (types or {}).get(source_id)
        yield _with_problems(spec, as_of, _scan(spec, as_of, spec.source(source_id), members,
                                                spec.touchpoint_dimensions, known), analyses.get(source_id, []), known)


def select_problems(spec: Spec, only: Collection[str] | None) -> tuple[Problem, ...]:
    """The spec's problems analyses, restricted to `only` when given (select_rules has checked the ids)."""
    return tuple(p for p in spec.problems if not only or p.id in only)


def _with_problems(spec: Spec, as_of: date, scan: Scan, members: list[tuple[int, Problem]],
                   types: Mapping[str, str] | None) -> Scan:
    """`scan` also computing the aggregates of the problems analyses `members` (of its source)."""
    if not members:
        return scan
    frames = {f.name: f for f in scan.frames}
    sets = list(scan.request.grouping_sets)
    aggregates = list(scan.request.aggregates)
    source = scan.request.source
    as_of_end = windows.in_utc(windows.end_of_day(as_of), spec.program.timezone)
    targets = []
    category = None
    for i, (position, problem) in enumerate(members):
        f = frame(problem.window, as_of)
        f = frames.setdefault(f.name, f)
        fixed = () if problem.scope.kind == "program" else ((problem.scope.kind, problem.scope.value or ""),)
        wanted = (*(k for k, _ in fixed), *((problem.by,) if problem.by else ()),
                  *(("category",) if problem.category else ()))
        score = spec.metric(problem.score) if problem.score and problem.score in spec.by_id["metrics"] else None
        unsplit = wanted[:-1] if problem.category else wanted
        for needed in (wanted, unsplit) if score is not None else (wanted,):
            if needed not in sets:
                sets.append(needed)
        index = sets.index(wanted)
        score_index = sets.index(unsplit) if score is not None else index
        category = category or problem.category
        prefix = f"q{i}_"
        counts, scored = problem_aggregates.aggregates(problem, source, prefix, score, as_of_end, types)
        aggregates += [replace(a, sets=(index,)) for a in counts]
        aggregates += [replace(a, sets=(score_index,)) for a in scored]
        targets.append(ProblemTarget(problem, index, fixed, prefix, f, position,
                                     score_index if score is not None else None))
    request = replace(scan.request, periods=tuple(p for f in frames.values() for p in f.periods()),
                      grouping_sets=tuple(sets), aggregates=tuple(aggregates), category=category)
    return replace(scan, request=request, frames=tuple(frames.values()), problems=tuple(targets))


def frame(window: Window, as_of: date) -> Frame:
    """The spans of `window` as of `as_of`; windows of the same length share a name (4w and 28d: "28d")."""
    name = f"{window.days}d" if window.rolling else str(window.period)
    return Frame(window, windows.span(window, as_of), windows.previous(window, as_of), name)


def _scan(spec: Spec, as_of: date, source: Source, members: list[tuple[int, Standard | Kpi]],
          dimensions: Mapping[str, Mapping[str, str]], types: Mapping[str, str] | None) -> Scan:
    frames: dict[str, Frame] = {}
    rule_frames = []
    for _, rule in members:
        f = frame(rule.window, as_of)
        rule_frames.append(frames.setdefault(f.name, f))
    prefixes: dict[str, str] = {}
    for _, rule in members:
        prefixes.setdefault(rule.metric, f"m{len(prefixes)}_")
    sets = sorted({_grouping_set(rule) for _, rule in members}, key=lambda s: (len(s), s))
    targets: list[Target] = []
    by_rules: list[ByRule] = []
    metric_sets: dict[str, set[int]] = {}
    for (position, rule), rule_frame in zip(members, rule_frames):
        index, prefix = sets.index(_grouping_set(rule)), prefixes[rule.metric]
        metric_sets.setdefault(prefix, set()).add(index)
        if isinstance(rule, Standard):
            # a standard's targets, one per touchpoint, made as dicts: thousands per standard in a large program
            targets.extend(assemble(Target, {
                "rule": rule, "kind": "standard", "scope": (("touchpoint", tp.id),), "grouping": index,
                "key": (tp.id,), "prefix": prefix, "order": (position, i, ""), "frame": rule_frame, "touchpoint": tp})
                for i, tp in enumerate(spec.covered_touchpoints(rule)))
            continue
        fixed = () if rule.scope.kind == "program" else ((rule.scope.kind, rule.scope.value or ""),)
        if rule.by is None:
            scope = fixed or (("program", spec.program.id),)
            targets.append(Target(rule, "kpi", scope, index, tuple(v for _, v in fixed), prefix, (position, 0, ""),
                                  rule_frame))
            continue
        declared = declared_values(spec, rule)
        targets.extend(Target(rule, "kpi", (*fixed, (rule.by, value)), index, (*(v for _, v in fixed), value),
                              prefix, (position, i, ""), rule_frame)
                       for i, value in enumerate(declared))
        by_rules.append(ByRule(rule, index, fixed, rule.by, frozenset(declared), prefix, position, rule_frame))
    as_of_end = windows.in_utc(windows.end_of_day(as_of), spec.program.timezone)  # the clock of durations
    aggregates = tuple(replace(aggregate, sets=tuple(sorted(metric_sets[prefix])))
                       for metric_id, prefix in prefixes.items()
                       for aggregate in kinds.aggregates(spec.metric(metric_id), source, as_of_end, prefix, types))
    durations = (spec.metric(metric_id).duration for metric_id in prefixes)
    instants = tuple(sorted({column for d in durations if d is not None for column in (d.start, d.end)}))
    request = ScanRequest(
        source=source,
        timezone=spec.program.timezone,
        periods=tuple(period for f in frames.values() for period in f.periods()),
        dimensions=dimensions,
        grouping_sets=tuple(sets),
        aggregates=aggregates + (Aggregate(ROWS, sets=tuple(range(len(sets)))),),
        instants=instants,
        health=("touchpoint",) if source.touchpoint else (),
    )
    return Scan(request, tuple(frames.values()), tuple(prefixes.items()), tuple(targets), tuple(by_rules))


def _grouping_set(rule: Standard | Kpi) -> tuple[str, ...]:
    if isinstance(rule, Standard):
        return ("touchpoint",)
    head = () if rule.scope.kind == "program" else (rule.scope.kind,)
    return (*head, rule.by) if rule.by else head


def declared_values(spec: Spec, kpi: Kpi) -> tuple[str, ...]:
    """The `by` values a KPI reports even without data: what the spec declares within the KPI's scope."""
    if kpi.by == "segment":
        if kpi.scope.kind == "journey":
            journey = spec.journey(kpi.scope.value or "")
            if journey is not None and journey.segments:
                return tuple(journey.segments)
        return tuple(s.id for s in spec.segments)
    values: list[str] = []
    for tp in spec.touchpoints:
        if tp.evaluated and _in_scope(spec, tp, kpi) and getattr(tp, kpi.by or "") not in values:
            values.append(getattr(tp, kpi.by or ""))
    return tuple(values)


def _in_scope(spec: Spec, tp: Touchpoint, kpi: Kpi) -> bool:
    kind, value = kpi.scope.kind, kpi.scope.value
    if kind == "program":
        return True
    if kind in TOUCHPOINT_DIMENSIONS:
        dimension: str = getattr(tp, kind)  # the touchpoint's journey, stage or channel
        return dimension == value
    journey = spec.journey(tp.journey)
    segments = tp.segments or (journey.segments if journey is not None else ())
    return not segments or value in segments

