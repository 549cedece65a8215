"""The rules that go beyond the schema and references: RACI, thresholds, waivers, metric kinds (errors), and the
governance findings (warnings). Each check is a pure function of the Spec and the validation date.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from cxgov import wording
from cxgov.errors import Diagnostic, Location
from cxgov.metrics.registry import kind_of
from cxgov.spec import model as m
from cxgov.spec.dates import add_months
from cxgov.spec.rules import RULES
from cxgov.vocabulary import CADENCE_MONTHS, CYCLE_STEPS

# Fields each metric kind needs / may have, beyond id, name, kind, source, where, unit, description.
_OPTIONAL_METRIC_FIELDS = ("column", "scale", "condition", "percentile", "duration", "within", "expectation",
                           "perception")


@dataclass(frozen=True)
class Context:
    """What every check sees: the spec and the day it is validated on."""

    spec: m.Spec
    today: date

    @property
    def coverage(self) -> Mapping[str, tuple[m.Touchpoint, ...]]:
        """standard id -> the non-retired touchpoints it applies to."""
        return self.spec.coverage

    @cached_property
    def governed(self) -> set[str]:
        return {tp.id for tps in self.coverage.values() for tp in tps}

    @cached_property
    def owners(self) -> dict[str, m.Owner]:
        return {o.id: o for o in self.spec.owners}

    @cached_property
    def metrics(self) -> dict[str, m.Metric]:
        return {x.id: x for x in self.spec.metrics}


Finding = tuple[str, Location, str | None]  # (message, where, hint)
Check = Callable[[Context], Iterable[Finding]]
CHECKS: dict[str, Check] = {}


def check(code: str) -> Callable[[Check], Check]:
    """Register the check for rule `code`; it yields (message, location, hint)."""
    if code not in RULES or RULES[code].stage != "lint":
        raise ValueError(f"{code} is not a lint rule in cxgov.spec.rules")

    def register(fn: Check) -> Check:
        CHECKS[code] = fn
        return fn

    return register


def lint(spec: m.Spec, today: date, codes: Iterable[str] | None = None) -> list[Diagnostic]:
    """Diagnostics from every lint rule (or the `codes` given) for `spec` as of `today`."""
    ctx = Context(spec, today)
    found = []
    for code in (codes if codes is not None else CHECKS):
        severity = RULES[code].severity
        for message, location, hint in CHECKS[code](ctx):
            found.append(Diagnostic(code, severity, message, location, hint))
    return found


# -- errors --------------------------------------------------------------------------------------------------


@check("CX106")
def one_accountable(ctx: Context) -> Iterator[Finding]:
    for r in ctx.spec.raci:
        holders = r.holders("A")
        if not holders:
            yield (f"RACI activity '{r.id}' has no A (accountable)", r.at("assignments"),
                   "give exactly one owner the letter A (or AR)")
        elif len(holders) > 1:
            yield (f"RACI activity '{r.id}' has {len(holders)} accountable owners ({', '.join(holders)})",
                   r.at(f"assignments.{holders[1]}"), "keep one A; make the others R, C or I")


@check("CX107")
def responsible(ctx: Context) -> Iterator[Finding]:
    for r in ctx.spec.raci:
        if not r.holders("R"):
            yield (f"RACI activity '{r.id}' has no R (responsible)", r.at("assignments"),
                   "name who does the work with R (or AR)")


def _bounds(metric: m.Metric | None) -> tuple[float, float, str] | None:
    """The values a metric can take, when its kind limits them."""
    return kind_of(metric).bounds(metric) if metric is not None else None


@check("CX108")
def thresholds(ctx: Context) -> Iterator[Finding]:
    rules: list[m.Standard | m.Kpi] = [*ctx.spec.standards, *ctx.spec.kpis]
    for rule in rules:
        t = rule.threshold
        what = f"{'standard' if isinstance(rule, m.Standard) else 'KPI'} '{rule.id}'"
        # a threshold that is not finite is CX013, reported by cxgov.spec.schema
        if t.warn is not None and math.isfinite(t.warn) and math.isfinite(t.fail):
            higher = t.higher_is_better
            if (higher and t.warn <= t.fail) or (not higher and t.warn >= t.fail):
                need = "greater" if higher else "less"
                yield (f"{what}: warn {wording.number(t.warn)} is not stricter than fail {wording.number(t.fail)} "
                       f"for op '{t.op}'",
                       rule.at("threshold.warn"), f"with '{t.op}', warn must be {need} than fail")
        bounds = _bounds(ctx.metrics.get(rule.metric))
        if bounds:
            low, high, why = bounds
            for key in ("fail", "warn"):
                value = getattr(t, key)
                if value is not None and math.isfinite(value) and not low <= value <= high:
                    yield (f"{what}: threshold {key} {wording.number(value)} can never be reached by metric "
                           f"'{rule.metric}'",
                           rule.at(f"threshold.{key}"), why)


@check("CX109")
def waiver_horizon(ctx: Context) -> Iterator[Finding]:
    limit = ctx.spec.program.defaults.max_waiver_days
    for w in ctx.spec.waivers:
        start = w.granted or ctx.today
        if w.granted and w.expires < w.granted:
            yield (f"waiver '{w.id}' expires ({w.expires}) before it was granted ({w.granted})", w.at("expires"),
                   None)
        elif (w.expires - start).days > limit:
            since = f"granted {w.granted}" if w.granted else f"today, {ctx.today}"
            yield (f"waiver '{w.id}' expires {w.expires}, {(w.expires - start).days} days after {since}; the "
                   f"limit is {limit} days", w.at("expires"),
                   "shorten the waiver, or renew it with a new decision when it runs out")


@check("CX110")
def metric_fields(ctx: Context) -> Iterator[Finding]:
    for metric in ctx.spec.metrics:
        needs, may = kind_of(metric).needs, kind_of(metric).may
        what = f"metric '{metric.id}' of kind {metric.kind}"
        present = {f for f in _OPTIONAL_METRIC_FIELDS if getattr(metric, f) not in (None, m.Filter())}
        for field_name in needs:
            if field_name not in present:
                yield f"{what} needs `{field_name}`", metric.location, _kind_hint(metric.kind)
        for field_name in sorted(present - set(needs) - set(may)):
            yield (f"{what} does not use `{field_name}`", metric.at(field_name),
                   f"remove it, or change the kind ({_kind_hint(metric.kind)})")
        if metric.kind == "percentile" and ("column" in present) == ("duration" in present):
            yield (f"{what} needs exactly one of `column` or `duration`", metric.location,
                   "the percentile of a column's values, or of the time between two timestamps")
        if metric.scale is not None and metric.scale.min >= metric.scale.max:
            yield (f"{what}: scale min {metric.scale.min} must be below max {metric.scale.max}",
                   metric.at("scale"), None)
        if metric.duration is not None and metric.duration.start == metric.duration.end:
            yield f"{what}: duration start and end are the same column", metric.at("duration"), None


def _kind_hint(kind: str) -> str:
    needs, may = kind_of(kind).needs, kind_of(kind).may
    parts = [f"`{f}`" for f in needs] + [f"optional `{f}`" for f in may]
    if kind == "percentile":
        parts = ["`percentile`", "`column` or `duration`"]
    return f"{kind} takes {', '.join(parts)}" if parts else f"{kind} takes no extra fields"


# -- warnings ------------------------------------------------------------------------------------------------


@check("CX201")
def ungoverned(ctx: Context) -> Iterator[Finding]:
    for tp in ctx.spec.touchpoints:
        if tp.evaluated and not tp.moment_of_truth and tp.id not in ctx.governed:
            yield (f"touchpoint '{tp.id}' has no standard (ungoverned)", tp.location,
                   "add a standard whose applies_to covers it")


@check("CX202")
def moment_of_truth(ctx: Context) -> Iterator[Finding]:
    for tp in ctx.spec.touchpoints:
        if tp.evaluated and tp.moment_of_truth and tp.id not in ctx.governed:
            yield (f"touchpoint '{tp.id}' is a moment of truth with no standard", tp.at("moment_of_truth"),
                   "add a standard whose applies_to covers it")


@check("CX203")
def empty_stage(ctx: Context) -> Iterator[Finding]:
    used = {(tp.journey, tp.stage) for tp in ctx.spec.touchpoints if tp.evaluated}
    for j in ctx.spec.journeys:
        for i, stage in enumerate(j.stages):
            if (j.id, stage) not in used:
                yield (f"stage '{stage}' of journey '{j.id}' has no touchpoint", j.at(f"stages.{i}"),
                       "add the touchpoints customers meet at this stage, or remove the stage")


@check("CX204")
def cycle_step(ctx: Context) -> Iterator[Finding]:
    covered = {r.cycle_step for r in ctx.spec.raci if r.holders("A")}
    for step in CYCLE_STEPS:
        if step not in covered:
            yield (f"CX-cycle step '{step}' has no RACI activity with an accountable owner",
                   ctx.spec.program.location, f"add a `raci` activity with cycle_step: {step} and an A")


def _named_owners(spec: m.Spec) -> set[str | None]:
    named: set[str | None] = {spec.program.owner, spec.program.sponsor}
    for o in spec.owners:
        named.update(o.members)
    for j in spec.journeys:
        named.add(j.owner)
    for tp in spec.touchpoints:
        named.update((tp.owner, *tp.responsible, *tp.consulted, *tp.informed))
    rules: tuple[m.Standard | m.Kpi | m.Problem | m.RootCause, ...] = (*spec.standards, *spec.kpis, *spec.problems,
                                                                        *spec.root_causes)
    for rule in rules:
        named.add(rule.owner)
    named.update(w.approved_by for w in spec.waivers)
    named.update(a.approved_by for a in spec.approvals)
    named.update(a.owner for a in spec.actions)
    for r in spec.raci:
        named.update(owner for owner, _ in r.assignments)
    return named


@check("CX205")
def unassigned_owner(ctx: Context) -> Iterator[Finding]:
    named = _named_owners(ctx.spec)
    for o in ctx.spec.owners:
        if o.id not in named:
            yield (f"owner '{o.id}' has no assignment: nothing in the spec names it", o.location,
                   "assign it (owner, RACI, team member) or remove it")


_Owned = m.Journey | m.Touchpoint | m.Standard | m.Kpi | m.Problem | m.RootCause  # what has an accountable owner


def accountable_roles(spec: m.Spec) -> Iterator[tuple[str, Callable[[], tuple[str, Location]]]]:
    """(owner id, what it is accountable for and where that is written) for every accountable role; the second
    is computed on demand, as few owners are ever reported."""
    if spec.program.owner:
        yield spec.program.owner, lambda: ("the program", spec.program.at("owner"))
    owned: tuple[tuple[str, Sequence[_Owned]], ...] = (
        ("journey", spec.journeys), ("touchpoint", [tp for tp in spec.touchpoints if tp.evaluated]),
        ("standard", spec.standards), ("KPI", spec.kpis), ("problems analysis", spec.problems),
        ("root cause", spec.root_causes))
    for noun, items in owned:
        for item in items:
            if item.owner:
                yield item.owner, partial(_role, noun, item, "owner")
    for r in spec.raci:
        for owner in r.holders("A"):
            yield owner, partial(_role, "RACI activity", r, f"assignments.{owner}")


def _role(noun: str, entity: _Owned | m.RaciActivity, key: str) -> tuple[str, Location]:
    return f"{noun} '{entity.id}'", entity.at(key)


@check("CX206")
def overloaded(ctx: Context) -> Iterator[Finding]:
    limit = ctx.spec.program.defaults.max_accountable
    counts = Counter(owner for owner, _ in accountable_roles(ctx.spec))
    for o in ctx.spec.owners:
        if o.kind == "person" and counts[o.id] > limit:
            yield (f"person '{o.id}' is accountable for {counts[o.id]} items, more than max_accountable "
                   f"({limit})", o.location, "share the accountability out, or raise defaults.max_accountable")


@check("CX207")
def review_overdue(ctx: Context) -> Iterator[Finding]:
    review = ctx.spec.program.review
    if review is None or review.last_reviewed is None:
        return
    due = add_months(review.last_reviewed, CADENCE_MONTHS.get(review.cadence, 3))
    if ctx.today > due:
        yield (f"program review is overdue: last reviewed {review.last_reviewed}, {review.cadence} review due {due}",
               review.at("last_reviewed"), "review the program and update last_reviewed")


@check("CX208")
def waiver_matches_nothing(ctx: Context) -> Iterator[Finding]:
    standards = {s.id for s in ctx.spec.standards}
    kpis = {k.id for k in ctx.spec.kpis}
    for w in ctx.spec.waivers:
        if w.standard in kpis:
            if w.touchpoints:
                yield (f"waiver '{w.id}' names touchpoints, but KPI '{w.standard}' is not evaluated per touchpoint",
                       w.at("touchpoints"), "remove `touchpoints` to waive the KPI")
            continue
        if w.standard not in standards:
            continue  # CX104
        covered = {tp.id for tp in ctx.coverage[w.standard]}
        if not w.touchpoints and not covered:
            yield (f"waiver '{w.id}' matches nothing: standard '{w.standard}' applies to no touchpoint",
                   w.at("standard"), "remove the waiver")
        defined = ctx.spec.by_id["touchpoints"]
        for i, tp in enumerate(w.touchpoints):
            if tp in defined and tp not in covered:  # an undefined one is CX104
                yield (f"waiver '{w.id}' names touchpoint '{tp}', which standard '{w.standard}' does not cover",
                       w.at(f"touchpoints.{i}"), "remove it from the waiver")


@check("CX209")
def waiver_expired(ctx: Context) -> Iterator[Finding]:
    for w in ctx.spec.waivers:
        if w.expires < ctx.today:
            yield (f"waiver '{w.id}' expired on {w.expires}", w.at("expires"),
                   "renew it with a new decision, or delete it")


@check("CX210")
def action_overdue(ctx: Context) -> Iterator[Finding]:
    for a in ctx.spec.actions:
        if a.status != "done" and a.due < ctx.today:
            yield (f"action '{a.id}' is overdue: due {a.due}, status {a.status}", a.at("due"),
                   "finish it and set status: done, or agree a new due date")


@check("CX211")
def committee_accountable(ctx: Context) -> Iterator[Finding]:
    for owner_id, described in accountable_roles(ctx.spec):
        owner = ctx.owners.get(owner_id)
        if owner is not None and owner.kind == "committee":
            what, where = described()
            yield (f"committee '{owner_id}' is accountable for {what}", where,
                   "name one person or team as accountable; a committee can be consulted or informed")


@check("CX212")
def standard_covers_nothing(ctx: Context) -> Iterator[Finding]:
    for s in ctx.spec.standards:
        if not ctx.coverage[s.id]:
            yield (f"standard '{s.id}' applies to no touchpoint", s.at("applies_to"),
                   "check its applies_to: no active touchpoint matches it")


# -- problems and root causes ----------------------------------------------------------------------------------


@check("CX112")
def problem_reads_two_sources(ctx: Context) -> Iterator[Finding]:
    category_of: dict[str, m.Problem] = {}
    for p in ctx.spec.problems:
        score = ctx.metrics.get(p.score or "")
        if score is not None and score.source != p.source:
            yield (f"problems '{p.id}' reads source '{p.source}', but its score metric '{score.id}' reads "
                   f"'{score.source}'", p.at("score"), "name a metric on the same source, or remove `score`")
        if p.category:
            first = category_of.setdefault(p.source, p)
            if first.category != p.category:
                yield (f"problems '{p.id}' reads categories from column '{p.category}' of source '{p.source}', "
                       f"but problems '{first.id}' reads them from '{first.category}' (one scan per source groups by "
                       f"one category column)", p.at("category"),
                       "use one category column per source, or declare a second source over the same table")


@check("CX213")
def root_cause_unused(ctx: Context) -> Iterator[Finding]:
    used = {c for p in ctx.spec.problems for c in p.cause_ids}
    for c in ctx.spec.root_causes:
        if c.id not in used:
            yield (f"root cause '{c.id}' is used by no problems analysis: no category or theme counts for it",
                   c.at("id"), "map a category or a theme to it, or remove it")


@check("CX214")
def category_mapped_twice(ctx: Context) -> Iterator[Finding]:
    from cxgov.data.themes import fold

    for p in ctx.spec.problems:
        seen: dict[str, str] = {}
        for value, _ in p.causes:
            key = " ".join(value.split()).casefold()
            if key in seen:
                yield (f"problems '{p.id}' maps category {value!r} and {seen[key]!r}, which differ only in case or "
                       f"spaces", p.at(f"causes.{value}"), "map each category once, written as the data has it")
            else:
                seen[key] = value
        patterns: dict[str, str] = {}
        for theme in p.themes:
            for j, pattern in enumerate(theme.patterns):
                key = " ".join(fold(pattern).split())
                other = patterns.setdefault(key, theme.id)
                if other != theme.id:
                    yield (f"problems '{p.id}': pattern {pattern!r} of theme '{theme.id}' is also a pattern of theme "
                           f"'{other}'", theme.at(f"patterns.{j}"), "keep each pattern in one theme")


@check("CX208")
def waiver_matches_nothing_problem(ctx: Context) -> Iterator[Finding]:
    yield from waiver_matches_nothing(ctx)
    for w in ctx.spec.waivers:
        problem = ctx.spec.problem(w.problem) if w.problem else None
        if problem is None:
            continue
        for i, cause in enumerate(w.root_causes):
            if ctx.spec.root_cause(cause) is not None and cause not in problem.cause_ids:
                yield (f"waiver '{w.id}' names root cause '{cause}', which problems '{problem.id}' does not count",
                       w.at(f"root_causes.{i}"), "remove it from the waiver")
