"""The spec model: typed, immutable dataclasses built from validated YAML by spec.build.

Every entity keeps the Location of its mapping (`location`) and of each of its keys' values (`at(key)`), so a rule
can point at the exact field it is about. Raw dicts never leave the spec package.

The fields drive spec.build: a field is read from the YAML key of its name, one without a default is required, a
key not written keeps the default written here, and the field's type says how a value is converted. Where the type
does not say, the field's metadata does (WHOLE, FLOAT, NUMBER, NOT_WRITTEN, absent()).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping, TypeVar, cast

from cxgov.errors import Location
from cxgov.spec.confine import Roots
from cxgov.vocabulary import DEFAULT_CADENCE, DEFAULT_DURATION_UNIT, HIGHER_IS_BETTER

EMPTY: Mapping[str, Any] = MappingProxyType({})  # the empty default of every mapping field
E = TypeVar("E")

# Field metadata for spec.build, where a field's type does not say how its YAML value is read:
WHOLE: Mapping[str, object] = MappingProxyType({"yaml": "whole"})  # 5 or 5.0, kept an int
FLOAT: Mapping[str, object] = MappingProxyType({"yaml": "float"})  # any number, kept a float
NUMBER: Mapping[str, object] = MappingProxyType({"yaml": "number"})  # a number (not true/false), as written
NOT_WRITTEN: Mapping[str, object] = MappingProxyType({"yaml": None})  # set by build, never read from YAML


def absent(value: object) -> Mapping[str, object]:
    """A field the model constructor requires, that YAML may leave out (it is then `value`)."""
    return MappingProxyType({"absent": value})


@dataclass(frozen=True)
class Entity:
    """Common to every spec entity: where it is written, and where each of its keys' values is."""

    location: Location = field(default=Location("<memory>"), compare=False, repr=False, kw_only=True)
    locations: Mapping[str, Location] = field(default_factory=lambda: EMPTY, compare=False, repr=False,
                                              hash=False, kw_only=True)

    def at(self, key: str) -> Location:
        """Location of the value of `key` (a dotted path such as "threshold.warn"), else of the entity."""
        while key:
            if key in self.locations:
                return self.locations[key]
            key = key.rpartition(".")[0]
        return self.location


class Labelled:
    """An entity shown by its name, else by its id (metrics, standards, KPIs, themes, problems analyses)."""

    id: str
    name: str | None

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Principle(Entity):
    """A principle of the experience intent: what the experience should feel like."""

    id: str
    name: str
    description: str | None = None


@dataclass(frozen=True)
class Intent(Entity):
    """The experience intent: the statement of the experience promised, and its principles."""

    statement: str
    principles: tuple[Principle, ...] = ()


@dataclass(frozen=True)
class Review(Entity):
    """How often the program is reviewed, and when it last was."""

    cadence: str = DEFAULT_CADENCE  # one of vocabulary.CADENCES
    last_reviewed: date | None = None


@dataclass(frozen=True)
class Defaults(Entity):
    """Program-wide defaults: minimum sample, waiver horizon, accountability limit."""

    min_sample: int = 30
    max_waiver_days: int = 180
    max_accountable: int = 8


@dataclass(frozen=True)
class Program(Entity):
    """The CX program: the one `program` section of a spec."""

    id: str
    name: str
    timezone: str = "UTC"
    owner: str | None = None
    sponsor: str | None = None
    intent: Intent | None = None
    review: Review | None = None
    defaults: Defaults = field(default_factory=Defaults)
    description: str | None = None


@dataclass(frozen=True)
class Owner(Entity):
    """A team, person, role or committee that can own, do or be told about things."""

    id: str
    name: str
    kind: str = "team"  # team|person|role|committee
    email: str | None = None
    title: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment(Entity):
    """A group of customers."""

    id: str
    name: str
    basis: str | None = None  # geographic|demographic|behavioral|lifecycle
    description: str | None = None


@dataclass(frozen=True)
class Journey(Entity):
    """A customer journey and its ordered stages."""

    id: str
    name: str
    owner: str | None = None
    segments: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Touchpoint(Entity):
    """A place where a customer meets the company: on a journey's stage, through a channel, with an owner."""

    id: str
    name: str
    journey: str
    stage: str
    channel: str
    owner: str
    responsible: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()
    principles: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    moment_of_truth: bool = False
    status: str = "active"
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY, hash=False)
    description: str | None = None

    @property
    def evaluated(self) -> bool:
        return self.status != "retired"


@dataclass(frozen=True)
class Source(Entity):
    """Where metric data lives: a table in the metrics database, or files."""

    id: str
    timestamp: str
    touchpoint: str | None = None
    segment: str | None = None
    table: str | None = None
    path: str | None = None  # glob, relative to base_dir
    base_dir: Path | None = field(default=None, compare=False, metadata=NOT_WRITTEN)  # folder of its spec file
    # where `path` may read (None: base_dir's)
    roots: Roots | None = field(default=None, compare=False, repr=False, metadata=NOT_WRITTEN)
    description: str | None = None
    key: str | None = None  # optional column that identifies a row (e.g. a case or response id)


@dataclass(frozen=True)
class Filter:
    """`where` / `condition`: column -> allowed values (several columns AND, several values IN)."""

    terms: tuple[tuple[str, tuple[object, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)

    def columns(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.terms)


@dataclass(frozen=True)
class Scale:
    """The range of answers a survey question allows."""

    min: float = field(metadata=WHOLE)
    max: float = field(metadata=WHOLE)


@dataclass(frozen=True)
class Duration:
    """The time between two timestamp columns, in a unit."""

    start: str
    end: str
    unit: str = DEFAULT_DURATION_UNIT  # one of vocabulary.DURATION_UNITS


@dataclass(frozen=True)
class Metric(Labelled, Entity):
    """What is measured and how: a kind (DOMAIN.md), a source, and the fields the kind needs."""

    id: str
    kind: str  # one of METRIC_KINDS
    source: str
    name: str | None = None
    column: str | None = None  # nps csat ces mean percentile(column form)
    scale: Scale | None = None  # csat (default 1-5), ces (default 1-7)
    where: Filter = Filter()
    condition: Filter = Filter()  # ratio
    duration: Duration | None = None  # sla, percentile (duration form)
    within: float | None = None  # sla, in the duration's unit
    percentile: float | None = None  # 0 < p < 100
    expectation: str | None = None  # gap
    perception: str | None = None  # gap
    unit: str | None = None  # display unit (e.g. "s", "h"); derived when absent
    description: str | None = None


@dataclass(frozen=True)
class Threshold(Entity):
    """When a value breaches (fail) or warns, under an operator."""

    op: str  # one of vocabulary.OPS
    fail: float = field(metadata=NUMBER)
    warn: float | None = field(default=None, metadata=NUMBER)

    def passes(self, value: float, bound: float) -> bool:
        """True when `value` meets `bound` under op (exact comparison, never rounded)."""
        if self.op == ">=":
            return value >= bound
        if self.op == ">":
            return value > bound
        if self.op == "<=":
            return value <= bound
        return value < bound

    @property
    def higher_is_better(self) -> bool:
        return self.op in HIGHER_IS_BETTER


@dataclass(frozen=True)
class Window:
    """`28d`/`4w` rolling (days set) or `month`/`quarter`/`year`, the last complete one (period set)."""

    text: str
    days: int | None = None
    period: str | None = None

    @property
    def rolling(self) -> bool:
        return self.days is not None


@dataclass(frozen=True)
class Selector(Entity):
    """`applies_to`: explicit touchpoints, or attribute filters (keys AND, list items OR)."""

    touchpoints: tuple[str, ...] = ()
    journey: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    moment_of_truth: bool | None = None
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY, hash=False)

    def matches(self, tp: Touchpoint) -> bool:
        if self.touchpoints and tp.id not in self.touchpoints:
            return False
        if self.journey and tp.journey not in self.journey:
            return False
        if self.stage and tp.stage not in self.stage:
            return False
        if self.channel and tp.channel not in self.channel:
            return False
        if self.status and tp.status not in self.status:
            return False
        if self.segment and set(self.segment).isdisjoint(tp.segments):
            return False
        if self.moment_of_truth is not None and tp.moment_of_truth != self.moment_of_truth:
            return False
        return not self.labels or all(tp.labels.get(k) in values for k, values in self.labels.items())


@dataclass(frozen=True)
class Standard(Labelled, Entity):
    """A quality standard: a threshold on a metric, evaluated once per touchpoint it applies to."""

    id: str
    metric: str
    threshold: Threshold
    window: Window
    applies_to: Selector = field(default_factory=Selector)
    name: str | None = None
    min_sample: int | None = None  # None: the program default
    severity: str = "medium"
    owner: str | None = None  # None: each touchpoint's owner
    principle: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Scope:
    """A KPI scope: the program, or one journey / stage / segment / channel."""

    kind: str = "program"  # one of vocabulary.SCOPE_KINDS
    value: str | None = None


@dataclass(frozen=True)
class Trend:
    """A KPI's allowed drop against the previous window."""

    max_drop: float


@dataclass(frozen=True)
class Kpi(Labelled, Entity):
    """A program-level indicator: a threshold on a metric, evaluated per scope (and `by` value)."""

    id: str
    metric: str
    threshold: Threshold
    window: Window
    scope: Scope = Scope()
    by: str | None = None  # segment|journey|stage|channel
    name: str | None = None
    trend: Trend | None = None
    min_sample: int | None = None
    severity: str = "high"
    owner: str | None = None
    principle: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Waiver(Entity):
    """An accepted, time-boxed exception to a standard or KPI."""

    id: str
    standard: str = field(metadata=absent(""))  # a standard or KPI id
    justification: str
    approved_by: str
    expires: date
    touchpoints: tuple[str, ...] = ()  # empty: everything the rule covers
    granted: date | None = None  # when it was written; the horizon is counted from here
    problem: str | None = None  # in place of `standard` ("" then): a problems analysis
    root_causes: tuple[str, ...] = ()  # with `problem`: only these causes; empty: all of them

    @property
    def rule(self) -> str:
        """The id of what it waives: a standard, KPI or problems analysis."""
        return self.problem or self.standard

    def active_on(self, day: date) -> bool:
        """In force on `day`: granted by then (when a grant date is written) and not expired."""
        return self.expires >= day and (self.granted is None or self.granted <= day)


@dataclass(frozen=True)
class Action(Entity):
    """What is being done about a gap: an owner, a due date and a status."""

    id: str
    standard: str = field(metadata=absent(""))  # a standard or KPI id
    owner: str
    due: date
    status: str = "open"  # one of vocabulary.ACTION_STATUSES
    touchpoint: str | None = None
    description: str | None = None
    root_cause: str | None = None  # in place of `standard` ("" then): the root cause it removes

    @property
    def target(self) -> str:
        """What it is about: a standard or KPI id, or `root cause ID`."""
        return self.standard or f"root cause {self.root_cause}"


@dataclass(frozen=True)
class RootCause(Entity):
    """Why problems happen: what a problems analysis groups its categories and themes under."""

    id: str
    name: str
    owner: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Theme(Labelled, Entity):
    """Words or phrases that, found in a free text, mean a root cause is mentioned."""

    id: str
    root_cause: str
    patterns: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True)
class Problem(Labelled, Entity):
    """A Pareto analysis of problems: rows counted by category (`category`, `causes`) or by themes found in a
    free text (`text`, `themes`), grouped by root cause (DOMAIN.md "Problems: Pareto of root causes")."""

    id: str
    source: str
    window: Window
    name: str | None = None
    category: str | None = None
    causes: tuple[tuple[str, str], ...] = ()  # (category value, root cause id), in spec order
    text: str | None = None
    themes: tuple[Theme, ...] = ()
    where: Filter = Filter()
    score: str | None = None  # a metric id on the same source
    scope: Scope = Scope()
    by: str | None = None
    vital_share: float = field(default=80.0, metadata=FLOAT)
    max_share: float | None = None
    min_sample: int | None = None
    severity: str = "medium"
    owner: str | None = None
    description: str | None = None

    @property
    def cause_ids(self) -> tuple[str, ...]:
        """The root causes it names, in the order first named."""
        named = (c for _, c in self.causes) if self.category else (t.root_cause for t in self.themes)
        return tuple(dict.fromkeys(named))


@dataclass(frozen=True)
class Approval(Entity):
    """A recorded approval of a change that loosens governance: who approved what, why and when.

    `change` names what was changed: a standard or KPI id, `program`, or `<section>/<id>` (e.g.
    `waivers/w-branch-queue`, `touchpoints/web-chat`); `field` narrows it to one field (e.g. `threshold`,
    `window`). `cxgov diff` counts an approval for the loosenings of the change that adds it (docs/audit.md).
    """

    id: str
    change: str
    approved_by: str
    reason: str
    date: date
    field: str | None = None


@dataclass(frozen=True)
class RaciActivity(Entity):
    """A governance activity of the CX cycle and who is responsible, accountable, consulted, informed."""

    id: str
    name: str
    cycle_step: str
    assignments: tuple[tuple[str, str], ...]  # (owner id, letters such as "A", "AR")
    description: str | None = None

    def holders(self, letter: str) -> tuple[str, ...]:
        return tuple(owner for owner, letters in self.assignments if letter in letters)


@dataclass(frozen=True)
class Spec:
    """A whole spec folder, merged across files."""

    root: Path
    files: tuple[Path, ...]
    digest: str  # "sha256:..." over the files' paths and bytes
    program: Program
    owners: tuple[Owner, ...] = ()
    segments: tuple[Segment, ...] = ()
    channels: tuple[str, ...] = ()
    journeys: tuple[Journey, ...] = ()
    touchpoints: tuple[Touchpoint, ...] = ()
    sources: tuple[Source, ...] = ()
    metrics: tuple[Metric, ...] = ()
    standards: tuple[Standard, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    actions: tuple[Action, ...] = ()
    raci: tuple[RaciActivity, ...] = ()
    approvals: tuple[Approval, ...] = ()
    root_causes: tuple[RootCause, ...] = ()
    problems: tuple[Problem, ...] = ()

    @cached_property
    def _index(self) -> dict[str, dict[str, object]]:
        """section name -> id -> entity; the typed lookups below read it (`cast`: a section's entities are all of
        its one type)."""
        sections = ("owners", "segments", "journeys", "touchpoints", "sources", "metrics", "standards", "kpis",
                    "waivers", "actions", "raci", "approvals", "root_causes", "problems")
        return {s: {e.id: e for e in getattr(self, s)} for s in sections}

    @cached_property
    def by_id(self) -> Mapping[str, Mapping[str, object]]:
        """section name -> id -> entity, for lookups: spec.by_id["owners"]["cx-office"]."""
        return MappingProxyType({s: MappingProxyType(ids) for s, ids in self._index.items()})

    @cached_property
    def touchpoint_dimensions(self) -> Mapping[str, Mapping[str, str]]:
        """touchpoint id -> its journey, stage and channel: what a scan groups a touchpoint's rows under."""
        return MappingProxyType({tp.id: MappingProxyType({"journey": tp.journey, "stage": tp.stage,
                                                          "channel": tp.channel}) for tp in self.touchpoints})

    @cached_property
    def coverage(self) -> Mapping[str, tuple[Touchpoint, ...]]:
        """standard id -> the non-retired touchpoints it applies to, in spec order (see covered_touchpoints)."""
        live = [tp for tp in self.touchpoints if tp.evaluated]
        index: dict[tuple[str, object], list[int]] = {}  # (attribute, value) -> positions in `live`
        for i, tp in enumerate(live):
            for attr in _INDEXED:
                index.setdefault((attr, getattr(tp, attr)), []).append(i)
            for segment in tp.segments:
                index.setdefault(("segment", segment), []).append(i)
        coverage = {}
        for s in self.standards:
            sel = s.applies_to
            named = (("id", sel.touchpoints), ("journey", sel.journey), ("stage", sel.stage), ("channel", sel.channel),
                     ("status", sel.status), ("segment", sel.segment),
                     ("moment_of_truth", () if sel.moment_of_truth is None else (sel.moment_of_truth,)))
            narrowed: set[int] | None = None  # the touchpoints with one of the values of each attribute named
            for attr, wanted in named:
                if wanted:
                    having = {i for w in wanted for i in index.get((attr, w), ())}
                    narrowed = having if narrowed is None else narrowed & having
            candidates: Iterable[int] = range(len(live)) if narrowed is None else sorted(narrowed)
            coverage[s.id] = tuple(live[i] for i in candidates if sel.matches(live[i]))  # matches() has the say
        return MappingProxyType(coverage)

    @cached_property
    def waivers_by_rule(self) -> Mapping[str, tuple[Waiver, ...]]:
        """rule id -> the waivers that name it, in spec order."""
        return _group((w.rule, w) for w in self.waivers)

    @cached_property
    def actions_by_rule(self) -> Mapping[str, tuple[Action, ...]]:
        """rule id -> the actions that name it, in spec order."""
        return _group((a.standard, a) for a in self.actions if a.standard)

    @cached_property
    def actions_by_root_cause(self) -> Mapping[str, tuple[Action, ...]]:
        """root cause id -> the actions that name it, in spec order."""
        return _group((a.root_cause, a) for a in self.actions if a.root_cause)

    @cached_property
    def _rules(self) -> dict[str, Standard | Kpi]:
        """standard or KPI id -> the rule; the standard where both use an id (CX101 reports it)."""
        return cast("dict[str, Standard | Kpi]", {**self._index["kpis"], **self._index["standards"]})

    @property
    def rules(self) -> tuple[Standard | Kpi, ...]:
        """The standards, then the KPIs, in spec order."""
        return (*self.standards, *self.kpis)

    def owner(self, owner_id: str) -> Owner | None:
        return cast("Owner | None", self._index["owners"].get(owner_id))

    def segment(self, segment_id: str) -> Segment | None:
        return cast("Segment | None", self._index["segments"].get(segment_id))

    def journey(self, journey_id: str) -> Journey | None:
        return cast("Journey | None", self._index["journeys"].get(journey_id))

    def metric(self, metric_id: str) -> Metric:
        return cast(Metric, self._index["metrics"][metric_id])

    def source(self, source_id: str) -> Source:
        return cast(Source, self._index["sources"][source_id])

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        return cast(Touchpoint, self._index["touchpoints"][touchpoint_id])

    def min_sample(self, rule: Standard | Kpi | Problem) -> int:
        """The rows a rule's result needs in its window: the rule's own minimum, else the program default."""
        return rule.min_sample if rule.min_sample is not None else self.program.defaults.min_sample

    def problem(self, problem_id: str) -> Problem | None:
        return cast("Problem | None", self._index["problems"].get(problem_id))

    def root_cause(self, cause_id: str) -> RootCause | None:
        return cast("RootCause | None", self._index["root_causes"].get(cause_id))

    def rule(self, rule_id: str) -> Standard | Kpi | None:
        return self._rules.get(rule_id)

    def covered_touchpoints(self, standard: Standard) -> tuple[Touchpoint, ...]:
        """Non-retired touchpoints a standard applies to, in spec order (computed once per spec)."""
        if self._index["standards"].get(standard.id) is standard:
            return self.coverage[standard.id]
        return tuple(tp for tp in self.touchpoints if tp.evaluated and standard.applies_to.matches(tp))


_INDEXED = ("id", "journey", "stage", "channel", "status", "moment_of_truth")  # what Spec.coverage indexes


def _group(pairs: Iterable[tuple[str, E]]) -> Mapping[str, tuple[E, ...]]:
    grouped: dict[str, list[E]] = {}
    for key, item in pairs:
        grouped.setdefault(key, []).append(item)
    return MappingProxyType({k: tuple(v) for k, v in grouped.items()})
