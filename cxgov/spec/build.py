"""Plain spec data (from the loader, checked by the schema) -> the typed model, with every reference resolved.

Reports, as Diagnostics: a missing or repeated `program` (CX100), ids used twice in a section (CX101), values the
schema cannot judge (real dates and their range, window lengths, time zones: CX013), a source `path:` that leads
outside the spec's repository (CX007), references that do not resolve (CX104) and touchpoints on a stage their
journey does not have (CX105).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping, TypeVar, get_args, get_origin, get_type_hints

from cxgov.errors import Diagnostic, Location
from cxgov.speed import assemble
from cxgov.spec import confine
from cxgov.spec import model as m
from cxgov.spec.bounds import DATE_RANGE, MAX_WINDOW_DAYS, date_problem, window_problem
from cxgov.spec.loader import Document, Path_
from cxgov.data.themes import pattern_problem
from cxgov.spec.schema import SINGULAR, did_you_mean
from cxgov.vocabulary import PERIOD_MONTHS, SECTIONS

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class LocationMap(Mapping[str, Location]):
    """An entity's `locations`: dotted key ("threshold.warn", "stages.2") -> where that value is written.

    Looked up lazily in the document's position table, so building thousands of entities stays cheap.
    """

    __slots__ = ("_doc", "_base")

    def __init__(self, doc: Document, base: Path_):
        self._doc = doc
        self._base = base

    def _path(self, key: str) -> Path_:
        return self._base + tuple(int(p) if p.isdigit() else p for p in key.split("."))

    def __getitem__(self, key: str) -> Location:
        pos = self._doc.positions.get(self._path(key))
        if pos is None:
            raise KeyError(key)
        return Location(self._doc.name, pos[0], pos[1])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._path(key) in self._doc.positions

    def __iter__(self) -> Iterator[str]:
        n = len(self._base)
        for path in self._doc.positions:
            if len(path) > n and path[:n] == self._base:
                yield ".".join(map(str, path[n:]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


E = TypeVar("E")


@dataclass(frozen=True)
class Item:
    """One raw entity: its data and where it is written."""

    doc: Document
    path: Path_
    data: dict[str, Any]

    @property
    def location(self) -> Location:
        return self.doc.at(self.path)

    @property
    def raw(self) -> Any:
        """The entity as written, including any keys left out of `data` because the schema found them at fault."""
        value = self.doc.data
        for step in self.path:
            value = value[step]
        return value

    def at(self, key: str) -> Location:
        return LocationMap(self.doc, self.path).get(key) or self.location


def digest(documents: tuple[Document, ...]) -> str:
    """sha256 over the files' paths (relative to the spec root, sorted) and bytes."""
    h = hashlib.sha256()
    for doc in sorted(documents, key=lambda d: d.relative):
        h.update(doc.relative.encode("utf-8") + b"\0")
        h.update(len(doc.raw).to_bytes(8, "big") + doc.raw)
    return "sha256:" + h.hexdigest()


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _whole(value: Any) -> int:
    """A whole number the schema has checked (5 or 5.0); TypeError for anything else (the schema reports it)."""
    if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, float) and value.is_integer()):
        raise TypeError(f"{value!r} is not a whole number")
    return int(value)


def _filter(value: Any) -> m.Filter:
    if not isinstance(value, dict):
        return m.Filter()
    return m.Filter(tuple((column, _tuple(v)) for column, v in value.items()))


def parse_window(text: str) -> m.Window:
    if text in PERIOD_MONTHS:
        return m.Window(text, period=text)
    count, unit = int(text[:-1]), text[-1]
    return m.Window(text, days=count * (7 if unit == "w" else 1))


def _fault_index(faults: Collection[Path_]) -> dict[Path_, set[str | int]]:
    """Paths at fault -> for every path above one of them, the keys (or indexes) below it that lead to a fault."""
    index: dict[Path_, set[str | int]] = {}
    for path in faults:
        for k in range(len(path)):
            index.setdefault(path[:k], set()).add(path[k])
    return index


# -- reading a model class from YAML, driven by its fields -----------------------------------------------------
#
# Each model class's fields say how its YAML mapping is read: the key is the field's name, a field without a
# default is required, and a key not written keeps the model's default. The field's type says how a value is
# converted (below), else its metadata does (model.WHOLE, FLOAT, NUMBER, NOT_WRITTEN, absent()). The Plan of each
# class is made once, at import; reading an entity is one pass over the keys written.

Simple = Callable[[Any], Any]  # a value as written -> the field's value
# (builder, the mapping's item, key, value, what the messages call the entity, the key's dotted prefix) -> value
Contextual = Callable[["Builder", Item, str, Any, str, str], Any]


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{value!r} is not a number")  # the schema reports it
    return value


def _pairs(value: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((str(k), v) for k, v in (value or {}).items())


def _labels(value: Any) -> dict[str, str]:
    return {str(k): _label(v) for k, v in (value or {}).items()}


def _label_lists(value: Any) -> dict[str, tuple[str, ...]]:
    return {str(k): tuple(_label(x) for x in _tuple(v)) for k, v in (value or {}).items()}


def _scope(value: Any) -> m.Scope:
    if not isinstance(value, dict):
        return m.Scope()
    ((kind, scoped),) = value.items()
    return m.Scope(kind, scoped)


_BY_METADATA: dict[str, Simple] = {"whole": _whole, "float": float, "number": _number}
# by type: the classes read from something other than a mapping of their fields
_BY_CLASS: dict[Any, Simple] = {m.Filter: _filter, m.Scope: _scope}
_BY_HINT: dict[Any, Simple] = {tuple[str, ...]: _tuple, tuple[tuple[str, str], ...]: _pairs,
                               Mapping[str, str]: _labels, Mapping[str, tuple[str, ...]]: _label_lists}


@dataclass(frozen=True)
class Plan:
    """How one model class is read: its fields by YAML key, and what is made for the keys not written."""

    cls: type
    start: dict[str, Any]  # every field with a default (a factory's value made once: the model's are immutable)
    by_key: dict[str, tuple[Simple | None, Contextual | None]]  # key (the field's name) -> how it is read
    required: frozenset[str]
    always: tuple[tuple[str, Contextual], ...]  # nested entities made even when not written (their location)
    skip_when_none: tuple[str, ...]  # required dates: the entity is left out when one is not a real date
    entity: bool  # an m.Entity: it gets its location and locations
    dated: bool  # has a date or a window, whose messages name the entity


PLANS: dict[type, Plan] = {}


def plan(cls: type) -> Plan:
    """The Plan of `cls` (made once per class)."""
    found = PLANS.get(cls)
    if found is None:
        found = PLANS[cls] = _plan(cls)
    return found


def _plan(cls: type) -> Plan:
    hints = get_type_hints(cls)
    start: dict[str, Any] = {}
    by_key: dict[str, tuple[Simple | None, Contextual | None]] = {}
    required, always, skip, dated = set(), [], [], False
    for f in fields(cls):
        if f.default is not MISSING:
            start[f.name] = f.default
        elif f.default_factory is not MISSING:
            start[f.name] = f.default_factory()
        elif "absent" in f.metadata:
            start[f.name] = f.metadata["absent"]
        else:
            required.add(f.name)
        if f.name in ("location", "locations") or f.metadata.get("yaml", "") is None:
            continue  # set by build, not written
        hint = hints[f.name]
        optional = type(None) in get_args(hint)
        inner = next((a for a in get_args(hint) if a is not type(None)), hint) if optional else hint
        simple, contextual = by_key[f.name] = _reader(f.metadata.get("yaml", ""), hint, inner, optional)
        if is_dataclass(inner) and not optional and f.name not in required and contextual is not None:
            always.append((f.name, contextual))
        if inner is date and f.name in required:
            skip.append(f.name)
        dated = dated or inner is date or inner is m.Window
    return Plan(cls, start, by_key, frozenset(required), tuple(always), tuple(skip), issubclass(cls, m.Entity),
                dated)


def _reader(how: str, hint: Any, inner: Any, optional: bool) -> tuple[Simple | None, Contextual | None]:
    """How a field of type `hint` (`inner` without its None) is read: by its metadata's `how`, else by its type."""
    if how:
        return _BY_METADATA[how], None
    if hint in _BY_HINT:
        return _BY_HINT[hint], None
    if inner in _BY_CLASS:
        return _BY_CLASS[inner], None
    if inner is int:
        return _whole, None
    if inner is date:
        return None, Builder.date
    if inner is m.Window:
        return None, Builder.window
    args = get_args(hint)
    if get_origin(hint) is tuple and len(args) == 2 and args[1] is Ellipsis and is_dataclass(args[0]):
        return None, _entities(args[0])
    if is_dataclass(inner):
        return None, _nested(inner, optional)
    return None, None  # as written


def _nested(cls: Any, optional: bool) -> Contextual:
    """A mapping read as an entity of `cls` (under the same `what`); not a mapping: None, else as if empty."""
    how = plan(cls)

    def read(builder: Builder, item: Item, key: str, value: Any, what: str, prefix: str) -> Any:
        if not isinstance(value, dict):
            if optional:
                return None
            value = {}
        return builder.entity(how, Item(item.doc, item.path + (key,), value), what, f"{prefix}{key}.")
    return read


def _entities(cls: Any) -> Contextual:
    """A list of entities of `cls` with ids (principles, themes): CX101 for an id used twice."""
    how = plan(cls)

    def read(builder: Builder, item: Item, key: str, value: Any, what: str, prefix: str) -> Any:
        return builder.convert(builder.sub_items(item, key), lambda sub: builder.entity(how, sub, what, ""), key)
    return read


CLASSES: dict[str, type] = {  # the model class of each of vocabulary.SECTIONS, in its order
    "owners": m.Owner, "segments": m.Segment, "journeys": m.Journey, "touchpoints": m.Touchpoint,
    "sources": m.Source, "metrics": m.Metric, "standards": m.Standard, "kpis": m.Kpi, "waivers": m.Waiver,
    "actions": m.Action, "raci": m.RaciActivity, "approvals": m.Approval, "root_causes": m.RootCause,
    "problems": m.Problem}
_WHAT = {**SINGULAR, "problems": "problems"}  # what messages call an entity of each section


class Builder:
    def __init__(self, documents: tuple[Document, ...], root: Path, tolerant: Mapping[str, Collection[Path_]],
                 complete: bool = True, roots: confine.Roots | None = None):
        self.documents = documents
        self.complete = complete
        self.root = root
        self.roots = roots  # where a source's `path:` may read; None: not checked (a diff reads no data)
        # documents with schema errors, and the paths of the values at fault: an entity is built without the keys
        # that lead to a fault (their values may be of any type), and skipped when it cannot be built without them
        self.tolerant = tolerant
        self._faults = {name: _fault_index(paths) for name, paths in tolerant.items() if paths}
        self.diagnostics: list[Diagnostic] = []
        self._items: dict[str, list[Item]] = {}

    def error(self, code: str, message: str, location: Location, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, "error", message, location, hint))

    # -- collecting -------------------------------------------------------------------------------------------

    def item(self, doc: Document, path: Path_, data: dict[str, Any]) -> Item:
        """The entity at `path`, without the keys the schema found at fault."""
        faults = self._faults.get(doc.name)
        bad = faults.get(path) if faults else None
        return Item(doc, path, {k: v for k, v in data.items() if k not in bad} if bad else data)

    def items(self, section: str) -> list[Item]:
        """The mappings listed in `section`, across all files (gathered once per section)."""
        found = self._items.get(section)
        if found is None:
            found = self._items[section] = []
            for doc in self.documents:
                values = doc.data.get(section) if isinstance(doc.data, dict) else None
                if isinstance(values, list):
                    found.extend(self.item(doc, (section, i), v) for i, v in enumerate(values) if isinstance(v, dict))
        return found

    def sub_items(self, parent: Item, key: str) -> list[Item]:
        values = parent.data.get(key)
        if not isinstance(values, list):
            return []
        return [self.item(parent.doc, parent.path + (key, i), v) for i, v in enumerate(values) if isinstance(v, dict)]

    def convert(self, items: list[Item], make: Callable[[Item], E | None], section: str) -> tuple[E, ...]:
        """Build each item (first definition of an id wins; later ones are CX101 errors)."""
        first: dict[str, Item] = {}
        built: list[E] = []
        for item in items:
            ident = item.raw.get("id")
            if isinstance(ident, str):
                if ident in first:
                    self.error("CX101", f"{SINGULAR.get(section, section)} id '{ident}' is defined twice "
                               f"(first at {first[ident].at('id')})", item.at("id"),
                               "ids are unique within a section across all files: rename or remove one")
                    continue
                first[ident] = item
            try:
                entity = make(item)
            except (TypeError, ValueError, KeyError, AttributeError):
                if item.doc.name in self.tolerant:
                    continue  # the schema has already reported what is wrong with it
                raise
            if entity is not None:
                built.append(entity)
        return tuple(built)

    def section(self, name: str) -> tuple[Any, ...]:
        """The entities of section `name` (see convert)."""
        how, label = plan(CLASSES[name]), _WHAT[name]
        if not how.dated:
            return self.convert(self.items(name), lambda item: self.entity(how, item, ""), name)
        return self.convert(self.items(name), lambda item: self.entity(how, item, f"{label} '{item.data['id']}'"),
                            name)

    # -- entities ---------------------------------------------------------------------------------------------

    def entity(self, how: Plan, item: Item, what: str, prefix: str = "") -> Any:
        """The model object `item` is read as (see Plan); None when a required date is not a real one.

        `what` and `prefix` name the entity and the key in messages (`waiver 'w-1'`, `review.`)."""
        d = item.data
        state = how.start.copy()
        by_key = how.by_key
        for key, value in d.items():
            read = by_key.get(key)
            if read is not None:
                simple, contextual = read
                if simple is not None:
                    value = simple(value)
                elif contextual is not None:
                    value = contextual(self, item, key, value, what, prefix)
                state[key] = value
        if not how.required <= d.keys():
            raise KeyError(sorted(how.required - d.keys()))  # the schema reports it
        for name, read_nested in how.always:
            if name not in d:
                state[name] = read_nested(self, item, name, None, what, prefix)
        for name in how.skip_when_none:
            if state[name] is None:
                return None
        if how.entity:
            state["location"] = item.location
            state["locations"] = LocationMap(item.doc, item.path)
        finish = _FINISH.get(how.cls)
        if finish is not None:
            finish(self, item, state, what)
        return assemble(how.cls, state)

    def date(self, item: Item, key: str, value: Any, what: str, prefix: str = "") -> date | None:
        if value is None:
            return None
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            if item.doc.name in self.tolerant and not _DATE_SHAPE.fullmatch(str(value)):
                return None  # the schema has already reported it is not written YYYY-MM-DD
            self.error("CX013", f"{what}, key '{prefix}{key}': '{value}' is not a real date", item.at(key),
                       "write dates as YYYY-MM-DD")
            return None
        problem = date_problem(day)
        if problem:
            self.error("CX013", f"{what}, key '{prefix}{key}': {day.isoformat()} {problem}", item.at(key),
                       f"write a date from {DATE_RANGE}")
            return None
        return day

    def window(self, item: Item, key: str, value: Any, what: str, prefix: str = "") -> m.Window:
        """A rule's `window`; CX013 when a rolling one is longer than MAX_WINDOW_DAYS."""
        window = parse_window(value)
        problem = window_problem(window.days) if window.days is not None else None
        if problem:
            self.error("CX013", f"{what}: window '{window.text}' {problem}", item.at(key),
                       f"use `year`, or a rolling window of at most {MAX_WINDOW_DAYS}d ({MAX_WINDOW_DAYS // 7}w)")
        return window

    # what is checked or added once an entity's fields are read

    def _program(self, item: Item, state: dict[str, Any], what: str) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

        name = state["timezone"]
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.error("CX013", f"program: unknown time zone '{name}'", item.at("timezone"),
                       did_you_mean(name, available_timezones()) or "use an IANA name such as Europe/London")

    def _source(self, item: Item, state: dict[str, Any], what: str) -> None:
        """The folder its `path:` is relative to; CX007 at a `path:` that would read outside the spec's repository
        and the allowed roots (a URI with a scheme other than file:// is the business of the engine that reads it).
        """
        state["base_dir"] = base_dir = item.doc.path.parent.resolve()
        state["roots"] = self.roots
        path = state["path"]
        if self.roots is not None and isinstance(path, str) and confine.scheme(path) in (None, "file"):
            refusal = confine.resolve(path, base_dir, self.roots).refusal
            if refusal is not None:
                self.error("CX007", f"source '{state['id']}': {refusal.message}", item.at("path"), refusal.hint)

    def _problem(self, item: Item, state: dict[str, Any], what: str) -> None:
        """CX111 for a theme pattern that cannot be matched."""
        for theme in state["themes"]:
            for j, pattern in enumerate(theme.patterns):
                problem = pattern_problem(pattern)
                if problem:
                    self.error("CX111", f"{what}, theme '{theme.id}': pattern {pattern!r} cannot be matched: {problem}",
                               theme.at(f"patterns.{j}"), "write whole words, e.g. `wait*` or `took ages`")

    def program(self) -> m.Program | None:
        found = []
        for doc in self.documents:
            if isinstance(doc.data, dict) and isinstance(doc.data.get("program"), dict):
                found.append(self.item(doc, ("program",), doc.data["program"]))
        if not found:
            where = self.documents[0].at(()) if self.documents else Location(self.root.as_posix())
            self.error("CX100", "the spec has no `program` section", where,
                       "add `program: {id: ..., name: ...}` to one file (`cxgov init DIR` writes an example)")
            return None
        for extra in found[1:]:
            self.error("CX100", f"`program` is defined more than once (first at {found[0].location})",
                       extra.doc.key_at(("program",)), "keep exactly one `program` section in the whole spec")
        item = found[0]
        try:
            program: m.Program = self.entity(plan(m.Program), item, "program")
            return program
        except (TypeError, ValueError, KeyError, AttributeError):
            if item.doc.name in self.tolerant:
                return None
            raise

    def channels(self) -> tuple[str, ...]:
        seen: dict[str, Location] = {}
        for doc in self.documents:
            values = doc.data.get("channels") if isinstance(doc.data, dict) else None
            if not isinstance(values, list):
                continue
            for i, name in enumerate(values):
                if not isinstance(name, str):
                    continue
                where = doc.at(("channels", i))
                if name in seen:
                    if seen[name].file != where.file:  # within one file the schema reports it
                        self.error("CX101", f"channel '{name}' is listed twice (first at {seen[name]})", where,
                                   "list each channel once")
                    continue
                seen[name] = where
        return tuple(seen)

    # -- the whole spec ---------------------------------------------------------------------------------------

    def build(self) -> m.Spec | None:
        program = self.program()
        sections = {name: self.section(name) for name in SECTIONS}
        self.shared_rule_ids(sections["standards"], sections["kpis"], sections["problems"])
        channels = self.channels()
        if program is None:
            return None
        spec = m.Spec(root=self.root, files=tuple(d.path for d in self.documents), digest=digest(self.documents),
                      program=program, channels=channels, **sections)
        if self.complete:  # with a file unreadable, its ids are unknown: references would only mislead
            self.diagnostics.extend(References(spec, self.known_ids()).check())
        return spec

    def shared_rule_ids(self, standards: tuple[m.Standard, ...], kpis: tuple[m.Kpi, ...],
                        problems: tuple[m.Problem, ...] = ()) -> None:
        """Standards, KPIs and problems analyses share one set of ids: waivers, results, approvals and `--rule`
        name rules by id."""
        standard_at = {s.id: s.at("id") for s in standards}
        for kpi in kpis:
            if kpi.id in standard_at:
                self.error("CX101", f"KPI id '{kpi.id}' is also the id of a standard (at {standard_at[kpi.id]})",
                           kpi.at("id"), "waivers, actions and --rule name rules by id: rename one of them")
        rule_at = {**{k.id: k.at("id") for k in kpis}, **standard_at}
        for problem in problems:
            if problem.id in rule_at:
                self.error("CX101", f"problems id '{problem.id}' is also the id of a standard or KPI (at "
                           f"{rule_at[problem.id]})", problem.at("id"),
                           "waivers and --rule name rules by id: rename one of them")

    def known_ids(self) -> dict[str, set[str]]:
        """Every id written in each section, including entities that could not be built (no follow-on errors)."""
        known: dict[str, set[str]] = {}
        for section in SECTIONS:
            known[section] = {i.raw["id"] for i in self.items(section) if isinstance(i.raw.get("id"), str)}
        return known


_FINISH: dict[type, Callable[[Builder, Item, dict[str, Any], str], None]] = {
    m.Program: Builder._program, m.Source: Builder._source, m.Problem: Builder._problem}
for _cls in (m.Program, *CLASSES.values()):
    plan(_cls)  # every table made at import, not on the first spec


class References:
    """CX104 (unknown reference) and CX105 (stage not in the touchpoint's journey)."""

    def __init__(self, spec: m.Spec, known: dict[str, set[str]]):
        self.spec = spec
        self.known = known
        self.rules = known["standards"] | known["kpis"]
        self.principles = {p.id for p in spec.program.intent.principles} if spec.program.intent else set()
        self.stages = {s for j in spec.journeys for s in j.stages}
        self.channels = set(spec.channels)
        self.diagnostics: list[Diagnostic] = []

    def ref(self, entity: m.Entity, what: str, key: str, value: str | None, pool: set[str], kind: str,
            defined_in: str | None = None) -> None:
        if value is None or value in pool:
            return
        message = f"{what} names {kind} '{value}', which is " + (f"not {defined_in}" if defined_in else
                                                                   "not defined")
        self.diagnostics.append(Diagnostic("CX104", "error", message, entity.at(key), did_you_mean(value, pool)))

    def refs(self, entity: m.Entity, what: str, key: str, values: tuple[str, ...], pool: set[str], kind: str,
             defined_in: str | None = None) -> None:
        if pool.issuperset(values):
            return
        for i, value in enumerate(values):
            self.ref(entity, what, f"{key}.{i}", value, pool, kind, defined_in)

    def check(self) -> list[Diagnostic]:
        spec, known = self.spec, self.known
        owners, segments, journeys = known["owners"], known["segments"], known["journeys"]
        program = spec.program
        self.ref(program, "program", "owner", program.owner, owners, "owner")
        self.ref(program, "program", "sponsor", program.sponsor, owners, "owner")
        for o in spec.owners:
            self.refs(o, f"owner '{o.id}'", "members", o.members, owners, "owner")
        for j in spec.journeys:
            what = f"journey '{j.id}'"
            self.ref(j, what, "owner", j.owner, owners, "owner")
            self.refs(j, what, "segments", j.segments, segments, "segment")
        journey_by_id = {j.id: j for j in spec.journeys}
        for tp in spec.touchpoints:
            what = f"touchpoint '{tp.id}'"
            self.ref(tp, what, "journey", tp.journey, journeys, "journey")
            journey = journey_by_id.get(tp.journey)
            if journey is not None and tp.stage not in journey.stages:
                self.diagnostics.append(Diagnostic(
                    "CX105", "error", f"{what} is on stage '{tp.stage}', which is not a stage of journey "
                    f"'{journey.id}' ({', '.join(journey.stages)})", tp.at("stage"),
                    did_you_mean(tp.stage, journey.stages) or "use one of the journey's stages, or add the stage "
                    "to the journey"))
            if self.channels:
                self.ref(tp, what, "channel", tp.channel, self.channels, "channel", "in `channels`")
            self.ref(tp, what, "owner", tp.owner, owners, "owner")
            for key in ("responsible", "consulted", "informed"):
                self.refs(tp, what, key, getattr(tp, key), owners, "owner")
            self.refs(tp, what, "principles", tp.principles, self.principles, "principle",
                      "a principle of the program's intent")
            self.refs(tp, what, "segments", tp.segments, segments, "segment")
        for metric in spec.metrics:
            self.ref(metric, f"metric '{metric.id}'", "source", metric.source, known["sources"], "source")
        for rule, kind in [(s, "standard") for s in spec.standards] + [(k, "KPI") for k in spec.kpis]:
            what = f"{kind} '{rule.id}'"
            self.ref(rule, what, "metric", rule.metric, known["metrics"], "metric")
            self.ref(rule, what, "owner", rule.owner, owners, "owner")
            self.ref(rule, what, "principle", rule.principle, self.principles, "principle",
                     "a principle of the program's intent")
        for s in spec.standards:
            self.selector(s)
        for k in spec.kpis:
            self.scope(k)
        causes = known["root_causes"]
        for c in spec.root_causes:
            self.ref(c, f"root cause '{c.id}'", "owner", c.owner, owners, "owner")
        for p in spec.problems:
            self.problem(p, causes)
        for w in spec.waivers:
            what = f"waiver '{w.id}'"
            if w.problem is not None:
                self.ref(w, what, "problem", w.problem, known["problems"], "problems analysis")
                self.refs(w, what, "root_causes", w.root_causes, causes, "root cause")
            else:
                self.ref(w, what, "standard", w.standard, self.rules, "standard or KPI")
            self.refs(w, what, "touchpoints", w.touchpoints, known["touchpoints"], "touchpoint")
            self.ref(w, what, "approved_by", w.approved_by, owners, "owner")
        for a in spec.actions:
            what = f"action '{a.id}'"
            if a.root_cause is not None:
                self.ref(a, what, "root_cause", a.root_cause, known["root_causes"], "root cause")
            else:
                self.ref(a, what, "standard", a.standard, self.rules, "standard or KPI")
            self.ref(a, what, "touchpoint", a.touchpoint, known["touchpoints"], "touchpoint")
            self.ref(a, what, "owner", a.owner, owners, "owner")
        for r in spec.raci:
            for owner, _ in r.assignments:
                self.ref(r, f"RACI activity '{r.id}'", f"assignments.{owner}", owner, owners, "owner")
        for approval in spec.approvals:  # `change` may name what the change removed, so it need not resolve
            self.ref(approval, f"approval '{approval.id}'", "approved_by", approval.approved_by, owners, "owner")
        return self.diagnostics

    def problem(self, p: m.Problem, causes: set[str]) -> None:
        what = f"problems '{p.id}'"
        self.ref(p, what, "source", p.source, self.known["sources"], "source")
        self.ref(p, what, "score", p.score, self.known["metrics"], "metric")
        self.ref(p, what, "owner", p.owner, self.known["owners"], "owner")
        for value, cause in p.causes:
            self.ref(p, what, f"causes.{value}", cause, causes, "root cause")
        for theme in p.themes:
            self.ref(theme, f"{what}, theme '{theme.id}'", "root_cause", theme.root_cause, causes, "root cause")
        self.scope(p)

    def selector(self, s: m.Standard) -> None:
        sel, what = s.applies_to, f"standard '{s.id}'"
        self.refs(s, what, "applies_to.touchpoints", sel.touchpoints, self.known["touchpoints"], "touchpoint")
        self.refs(s, what, "applies_to.journey", sel.journey, self.known["journeys"], "journey")
        self.refs(s, what, "applies_to.stage", sel.stage, self.stages, "stage", "a stage of any journey")
        self.refs(s, what, "applies_to.segment", sel.segment, self.known["segments"], "segment")
        if self.channels:
            self.refs(s, what, "applies_to.channel", sel.channel, self.channels, "channel", "in `channels`")

    def scope(self, k: m.Kpi | m.Problem) -> None:
        scope, what = k.scope, (f"KPI '{k.id}'" if isinstance(k, m.Kpi) else f"problems '{k.id}'")
        key = f"scope.{scope.kind}"
        if scope.kind == "journey":
            self.ref(k, what, key, scope.value, self.known["journeys"], "journey")
        elif scope.kind == "segment":
            self.ref(k, what, key, scope.value, self.known["segments"], "segment")
        elif scope.kind == "stage":
            self.ref(k, what, key, scope.value, self.stages, "stage", "a stage of any journey")
        elif scope.kind == "channel" and self.channels:
            self.ref(k, what, key, scope.value, self.channels, "channel", "in `channels`")


def build(documents: tuple[Document, ...], root: Path | None = None,
          tolerant: Mapping[str, Collection[Path_]] | Collection[str] = frozenset(),
          roots: confine.Roots | None = None) -> tuple[m.Spec | None, list[Diagnostic]]:
    """The merged, typed Spec (None when it has no program) and the diagnostics found while building it.

    `tolerant` names documents with schema errors, mapped to the paths of the values at fault (schema.check's
    `faults`): their entities are built without the keys at fault, and skipped when they cannot be built. With
    `roots`, every source's `path:` must stay inside them (CX007).
    """
    if not isinstance(tolerant, Mapping):
        tolerant = {name: () for name in tolerant}
    readable = tuple(d for d in documents if d.data is not None)
    builder = Builder(readable, Path(root or "."), tolerant, complete=len(readable) == len(documents), roots=roots)
    spec = builder.build()
    return spec, builder.diagnostics
