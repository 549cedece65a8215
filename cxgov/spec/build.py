"""Plain spec data (from the loader, checked by the schema) -> the typed model, with every reference resolved.

Reports, as Diagnostics: a missing or repeated `program` (CX100), ids used twice in a section (CX101), values the
schema cannot judge (real dates and their range, window lengths, time zones: CX013), a source `path:` that leads
outside the spec's repository (CX007), references that do not resolve (CX104) and touchpoints on a stage their
journey does not have (CX105).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping, TypedDict, TypeVar

from cxgov.errors import Diagnostic, Location
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


class Where(TypedDict):
    """An entity's `location` and `locations`, passed to its model class as keywords."""

    location: Location
    locations: Mapping[str, Location]


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

    def where(self) -> Where:
        return {"location": self.location, "locations": LocationMap(self.doc, self.path)}

    def sub(self, key: str) -> Where:
        path = self.path + (key,)
        return {"location": self.doc.at(path), "locations": LocationMap(self.doc, path)}


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

    def section(self, name: str, make: Callable[[Item], E | None]) -> tuple[E, ...]:
        """The entities of section `name`, each built by `make` (see convert)."""
        return self.convert(self.items(name), make, name)

    def date(self, item: Item, what: str, key: str, value: Any) -> date | None:
        if value is None:
            return None
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            if item.doc.name in self.tolerant and not _DATE_SHAPE.fullmatch(str(value)):
                return None  # the schema has already reported it is not written YYYY-MM-DD
            self.error("CX013", f"{what}, key '{key}': '{value}' is not a real date", item.at(key),
                       "write dates as YYYY-MM-DD")
            return None
        problem = date_problem(day)
        if problem:
            self.error("CX013", f"{what}, key '{key}': {day.isoformat()} {problem}", item.at(key),
                       f"write a date from {DATE_RANGE}")
            return None
        return day

    def window(self, item: Item, what: str) -> m.Window:
        """The rule's `window`; CX013 when a rolling one is longer than MAX_WINDOW_DAYS."""
        window = parse_window(item.data["window"])
        problem = window_problem(window.days) if window.days is not None else None
        if problem:
            self.error("CX013", f"{what}: window '{window.text}' {problem}", item.at("window"),
                       f"use `year`, or a rolling window of at most {MAX_WINDOW_DAYS}d ({MAX_WINDOW_DAYS // 7}w)")
        return window

    # -- entities ---------------------------------------------------------------------------------------------

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
        d = item.data
        try:
            return self._program(item, d)
        except (TypeError, ValueError, KeyError, AttributeError):
            if item.doc.name in self.tolerant:
                return None
            raise

    def _program(self, item: Item, d: dict[str, Any]) -> m.Program:
        intent = None
        if isinstance(d.get("intent"), dict):
            i = d["intent"]
            base = self.item(item.doc, item.path + ("intent",), i)
            principles = self.convert(self.sub_items(base, "principles"), self.principle, "principles")
            intent = m.Intent(statement=i["statement"], principles=principles, **item.sub("intent"))
        review = None
        if isinstance(d.get("review"), dict):
            r = d["review"]
            review = m.Review(cadence=r.get("cadence", "quarterly"),
                              last_reviewed=self.date(item, "program", "review.last_reviewed",
                                                      r.get("last_reviewed")),
                              **item.sub("review"))
        defaults = m.make(m.Defaults, **{k: _whole(v) for k, v in (d.get("defaults") or {}).items()},
                          **item.sub("defaults"))
        timezone = d.get("timezone", "UTC")
        self.check_timezone(item, timezone)
        return m.Program(id=d["id"], name=d["name"], timezone=timezone, owner=d.get("owner"),
                         sponsor=d.get("sponsor"), intent=intent, review=review, defaults=defaults,
                         description=d.get("description"), **item.where())

    def sub_items(self, parent: Item, key: str) -> list[Item]:
        values = parent.data.get(key)
        if not isinstance(values, list):
            return []
        return [self.item(parent.doc, parent.path + (key, i), v) for i, v in enumerate(values) if isinstance(v, dict)]

    def check_timezone(self, item: Item, name: str) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.error("CX013", f"program: unknown time zone '{name}'", item.at("timezone"),
                       did_you_mean(name, available_timezones()) or "use an IANA name such as Europe/London")

    @staticmethod
    def principle(item: Item) -> m.Principle:
        d = item.data
        return m.Principle(id=d["id"], name=d["name"], description=d.get("description"), **item.where())

    @staticmethod
    def owner(item: Item) -> m.Owner:
        d = item.data
        return m.Owner(id=d["id"], name=d["name"], kind=d.get("kind", "team"), email=d.get("email"),
                       title=d.get("title"), members=_tuple(d.get("members")), **item.where())

    @staticmethod
    def segment(item: Item) -> m.Segment:
        d = item.data
        return m.Segment(id=d["id"], name=d["name"], basis=d.get("basis"), description=d.get("description"),
                         **item.where())

    @staticmethod
    def journey(item: Item) -> m.Journey:
        d = item.data
        return m.Journey(id=d["id"], name=d["name"], owner=d.get("owner"), segments=_tuple(d.get("segments")),
                         stages=_tuple(d.get("stages")), description=d.get("description"), **item.where())

    @staticmethod
    def touchpoint(item: Item) -> m.Touchpoint:
        d = item.data
        labels = {str(k): _label(v) for k, v in (d.get("labels") or {}).items()}
        return m.make(
            m.Touchpoint, id=d["id"], name=d["name"], journey=d["journey"], stage=d["stage"], channel=d["channel"],
            owner=d["owner"], responsible=_tuple(d.get("responsible")), consulted=_tuple(d.get("consulted")),
            informed=_tuple(d.get("informed")), systems=_tuple(d.get("systems")),
            processes=_tuple(d.get("processes")), principles=_tuple(d.get("principles")),
            segments=_tuple(d.get("segments")), moment_of_truth=bool(d.get("moment_of_truth", False)),
            status=d.get("status", "active"), labels=labels, description=d.get("description"), **item.where())

    def source(self, item: Item) -> m.Source:
        d = item.data
        extra = {"key": d["key"]} if "key" in d else {}
        base_dir = item.doc.path.parent.resolve()
        if self.roots is not None and isinstance(d.get("path"), str):
            self.confined(item, d["path"], base_dir, self.roots)
        return m.Source(id=d["id"], timestamp=d["timestamp"], touchpoint=d.get("touchpoint"),
                        segment=d.get("segment"), table=d.get("table"), path=d.get("path"), base_dir=base_dir,
                        roots=self.roots, description=d.get("description"), **extra, **item.where())

    def confined(self, item: Item, path: str, base_dir: Path, roots: confine.Roots) -> None:
        """CX007 at the `path:` of a source that would read outside the spec's repository and the allowed roots.

        A URI with a scheme other than file:// is the business of the engine that reads it."""
        if confine.scheme(path) in (None, "file"):
            refusal = confine.resolve(path, base_dir, roots).refusal
            if refusal is not None:
                self.error("CX007", f"source '{item.data.get('id')}': {refusal.message}", item.at("path"), refusal.hint)

    @staticmethod
    def metric(item: Item) -> m.Metric:
        d = item.data
        scale = m.Scale(_whole(d["scale"]["min"]), _whole(d["scale"]["max"])) if isinstance(d.get("scale"), dict) \
            else None
        duration = None
        if isinstance(d.get("duration"), dict):
            du = d["duration"]
            duration = m.Duration(du["start"], du["end"], du.get("unit", "hours"))
        return m.Metric(id=d["id"], kind=d["kind"], source=d["source"], name=d.get("name"), column=d.get("column"),
                        scale=scale, where=_filter(d.get("where")), condition=_filter(d.get("condition")),
                        duration=duration, within=d.get("within"), percentile=d.get("percentile"),
                        expectation=d.get("expectation"), perception=d.get("perception"), unit=d.get("unit"),
                        description=d.get("description"), **item.where())

    @staticmethod
    def threshold(item: Item) -> m.Threshold:
        t = item.data["threshold"]
        for key in ("fail", "warn"):
            if key in t and (isinstance(t[key], bool) or not isinstance(t[key], (int, float))):
                raise TypeError(f"threshold {key} is not a number")  # the schema reports it
        return m.Threshold(op=t["op"], fail=t["fail"], warn=t.get("warn"), **item.sub("threshold"))

    def standard(self, item: Item) -> m.Standard:
        d = item.data
        selector = m.Selector(**item.sub("applies_to"))
        if isinstance(d.get("applies_to"), dict):
            a = d["applies_to"]
            fields = {k: _tuple(a[k]) for k in ("touchpoints", "journey", "stage", "channel", "segment", "status")
                      if k in a}
            labels = {str(k): tuple(_label(x) for x in _tuple(v)) for k, v in (a.get("labels") or {}).items()}
            selector = m.make(m.Selector, **fields, moment_of_truth=a.get("moment_of_truth"), labels=labels,
                              **item.sub("applies_to"))
        return m.Standard(id=d["id"], metric=d["metric"], threshold=self.threshold(item),
                          window=self.window(item, f"standard '{d['id']}'"), applies_to=selector,
                          name=d.get("name"), min_sample=d.get("min_sample"), severity=d.get("severity", "medium"),
                          owner=d.get("owner"), principle=d.get("principle"), description=d.get("description"),
                          **item.where())

    def kpi(self, item: Item) -> m.Kpi:
        d = item.data
        scope = m.Scope()
        if isinstance(d.get("scope"), dict):
            ((kind, value),) = d["scope"].items()
            scope = m.Scope(kind, value)
        trend = m.Trend(d["trend"]["max_drop"]) if isinstance(d.get("trend"), dict) else None
        return m.Kpi(id=d["id"], metric=d["metric"], threshold=self.threshold(item),
                     window=self.window(item, f"KPI '{d['id']}'"), scope=scope, by=d.get("by"), name=d.get("name"),
                     trend=trend, min_sample=d.get("min_sample"),
                     severity=d.get("severity", "high"), owner=d.get("owner"), principle=d.get("principle"),
                     description=d.get("description"), **item.where())

    def waiver(self, item: Item) -> m.Waiver | None:
        d = item.data
        expires = self.date(item, f"waiver '{d['id']}'", "expires", d["expires"])
        granted = self.date(item, f"waiver '{d['id']}'", "granted", d.get("granted"))
        if expires is None:
            return None
        return m.Waiver(id=d["id"], standard=d.get("standard") or "", justification=d["justification"],
                        approved_by=d["approved_by"], expires=expires, touchpoints=_tuple(d.get("touchpoints")),
                        granted=granted, problem=d.get("problem"), root_causes=_tuple(d.get("root_causes")),
                        **item.where())

    def action(self, item: Item) -> m.Action | None:
        d = item.data
        due = self.date(item, f"action '{d['id']}'", "due", d["due"])
        if due is None:
            return None
        return m.Action(id=d["id"], standard=d.get("standard") or "", owner=d["owner"], due=due,
                        status=d.get("status", "open"), touchpoint=d.get("touchpoint"),
                        description=d.get("description"), root_cause=d.get("root_cause"), **item.where())

    @staticmethod
    def root_cause(item: Item) -> m.RootCause:
        d = item.data
        return m.RootCause(id=d["id"], name=d["name"], owner=d.get("owner"), description=d.get("description"),
                           **item.where())

    def problem(self, item: Item) -> m.Problem:
        d = item.data
        what = f"problems '{d['id']}'"
        scope = m.Scope()
        if isinstance(d.get("scope"), dict):
            ((kind, value),) = d["scope"].items()
            scope = m.Scope(kind, value)
        themes = self.convert(self.sub_items(item, "themes"), self.theme, "themes")
        for i, theme in enumerate(themes):
            for j, pattern in enumerate(theme.patterns):
                problem = pattern_problem(pattern)
                if problem:
                    self.error("CX111", f"{what}, theme '{theme.id}': pattern {pattern!r} cannot be matched: {problem}",
                               theme.at(f"patterns.{j}"), "write whole words, e.g. `wait*` or `took ages`")
        causes = tuple((str(k), v) for k, v in (d.get("causes") or {}).items())
        return m.Problem(id=d["id"], source=d["source"], window=self.window(item, what), name=d.get("name"),
                         category=d.get("category"), causes=causes, text=d.get("text"), themes=themes,
                         where=_filter(d.get("where")), score=d.get("score"), scope=scope, by=d.get("by"),
                         vital_share=float(d.get("vital_share", 80.0)), max_share=d.get("max_share"),
                         min_sample=d.get("min_sample"), severity=d.get("severity", "medium"), owner=d.get("owner"),
                         description=d.get("description"), **item.where())

    @staticmethod
    def theme(item: Item) -> m.Theme:
        d = item.data
        return m.Theme(id=d["id"], root_cause=d["root_cause"], patterns=tuple(str(p) for p in d["patterns"]),
                       name=d.get("name"), **item.where())

    @staticmethod
    def raci(item: Item) -> m.RaciActivity:
        d = item.data
        return m.RaciActivity(id=d["id"], name=d["name"], cycle_step=d["cycle_step"],
                              assignments=tuple((str(k), v) for k, v in d["assignments"].items()),
                              description=d.get("description"), **item.where())

    def approval(self, item: Item) -> m.Approval | None:
        d = item.data
        when = self.date(item, f"approval '{d['id']}'", "date", d["date"])
        if when is None:
            return None
        return m.Approval(id=d["id"], change=d["change"], field=d.get("field"), approved_by=d["approved_by"],
                          reason=d["reason"], date=when, **item.where())

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
        s = self.section
        owners, segments, journeys = s("owners", self.owner), s("segments", self.segment), s("journeys", self.journey)
        touchpoints, sources = s("touchpoints", self.touchpoint), s("sources", self.source)
        metrics, standards, kpis = s("metrics", self.metric), s("standards", self.standard), s("kpis", self.kpi)
        waivers, actions, raci = s("waivers", self.waiver), s("actions", self.action), s("raci", self.raci)
        approvals, root_causes = s("approvals", self.approval), s("root_causes", self.root_cause)
        problems = s("problems", self.problem)
        self.shared_rule_ids(standards, kpis, problems)
        channels = self.channels()
        if program is None:
            return None
        spec = m.Spec(root=self.root, files=tuple(d.path for d in self.documents), digest=digest(self.documents),
                      program=program, channels=channels, owners=owners, segments=segments, journeys=journeys,
                      touchpoints=touchpoints, sources=sources, metrics=metrics, standards=standards, kpis=kpis,
                      waivers=waivers, actions=actions, raci=raci, approvals=approvals, root_causes=root_causes,
                      problems=problems)
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
