"""Compare two specs and say, in words a reviewer understands, what changed and which way it moves governance.

Every difference between the two models is reported. Changes with a direction are classed as loosening (fewer
results can fail: a lower bar, a longer window, a lower severity, less coverage, a new or longer waiver) or
tightening; the rest are neutral. A loosening counts as approved when the head spec adds an approval for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import AbstractSet, Any, Callable, Iterable, Protocol, Sequence

from cxgov import wording
from cxgov.errors import Location
from cxgov.spec import model as m
from cxgov.vocabulary import CADENCE_MONTHS, PERIOD_DAYS, SEVERITIES
from cxgov.vocabulary import SECTION_NOUNS as NOUNS
from cxgov.vocabulary import SECTIONS as SPEC_SECTIONS

LOOSENS, TIGHTENS, NEUTRAL = "loosens", "tightens", "neutral"
EFFECTS = (LOOSENS, TIGHTENS, NEUTRAL)
SECTIONS = tuple(s for s in SPEC_SECTIONS if s != "approvals")  # approvals are compared last, on their own
RACI_LISTS = (("responsible", "R"), ("consulted", "C"), ("informed", "I"))
_SKIP = {"location", "locations", "id", "base_dir", "roots"}


class _Identified(Protocol):
    """An entity with an id, whose fields' locations it knows (what `_Differ.changed` reports on)."""

    @property
    def id(self) -> str: ...

    def at(self, key: str) -> Location: ...


@dataclass(frozen=True)
class Change:
    """One difference between the base and head specs."""

    section: str  # "program", "channels" or a section name such as "standards"
    id: str
    field: str | None  # None: the whole entity was added or removed
    what: str  # "added" | "removed" | "changed"
    effect: str  # one of EFFECTS
    message: str  # what changed, in words
    location: Location | None = None  # where it is written in the head spec (the base for removals)
    before: Any = None
    after: Any = None
    approval: m.Approval | None = None

    @property
    def ref(self) -> str:
        return self.section if self.section == "program" else f"{self.section}/{self.id}"

    @property
    def subject(self) -> str:
        """What the change is about: "standard complaints-resolved-24h"."""
        return NOUNS.get(self.section, self.section) if self.section == "program" else \
            f"{NOUNS.get(self.section, self.section)} {self.id}"

    @property
    def needs_approval(self) -> bool:
        return self.effect == LOOSENS and self.approval is None

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "id": self.id, "ref": self.ref, "field": self.field, "what": self.what,
                "effect": self.effect, "subject": self.subject, "message": self.message,
                "before": _jsonable(self.before), "after": _jsonable(self.after),
                "location": _location_dict(self.location),
                "approval": approval_dict(self.approval) if self.approval else None}


@dataclass(frozen=True)
class SpecDiff:
    """Everything that changed from `base` to `head`, and the approvals the head adds."""

    base: str  # labels: "main (1a2b3c4d5e6f)", "working tree", a folder
    head: str
    changes: tuple[Change, ...]
    approvals: tuple[m.Approval, ...] = ()  # added or changed in head
    unused_approvals: tuple[m.Approval, ...] = ()  # of those, approving nothing in this diff

    def of(self, effect: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.effect == effect)

    @property
    def unapproved(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.needs_approval)

    def summary(self) -> dict[str, int]:
        return {LOOSENS: len(self.of(LOOSENS)), "unapproved": len(self.unapproved),
                TIGHTENS: len(self.of(TIGHTENS)), NEUTRAL: len(self.of(NEUTRAL))}

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": 1, "base": self.base, "head": self.head, "summary": self.summary(),
                "changes": [c.to_dict() for c in self.changes],
                "approvals": [approval_dict(a) for a in self.approvals],
                "unused_approvals": [a.id for a in self.unused_approvals]}


def approval_dict(a: m.Approval) -> dict[str, Any]:
    return {"id": a.id, "change": a.change, "field": a.field, "approved_by": a.approved_by, "reason": a.reason,
            "date": a.date.isoformat(), "location": _location_dict(a.location)}


def _location_dict(loc: Location | None) -> dict[str, str | int] | None:
    return {"file": loc.file, "line": loc.line} if loc else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return show(value)


# --- words -------------------------------------------------------------------------------------------------------

def num(x: float | int | None) -> str:
    """A number as written in a spec: 90, not 90.0."""
    return "none" if x is None else wording.number(x)


def show(value: Any) -> str:
    """Any model value in a short readable form."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, m.Window):
        return value.text
    if isinstance(value, m.Threshold):
        return wording.threshold(value)
    if isinstance(value, m.Filter):
        return " and ".join(f"{col} in ({', '.join(map(show, vals))})" for col, vals in value.terms) or "(none)"
    if isinstance(value, m.Selector):
        return wording.selector(value)
    if isinstance(value, m.Scope):
        return value.kind if value.value is None else f"{value.kind} {value.value}"
    if isinstance(value, m.Trend):
        return f"max_drop {num(value.max_drop)}"
    if isinstance(value, (tuple, list)):
        return ", ".join(show(v) for v in value) or "(none)"
    if isinstance(value, dict) or hasattr(value, "items"):
        return ", ".join(f"{k}: {show(v)}" for k, v in sorted(dict(value).items())) or "(none)"
    if dataclasses.is_dataclass(value):
        parts = [f"{f.name} {show(getattr(value, f.name))}" for f in dataclasses.fields(value)
                 if f.name not in _SKIP and getattr(value, f.name) not in (None, (), {})]
        return ", ".join(parts) or "(none)"
    return str(value)


def _ids(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


# --- the comparison ----------------------------------------------------------------------------------------------

class _Coverage:
    """Which touchpoints the standards of one spec check (non-retired ones), computed on demand: touchpoints that
    agree on every attribute a selector tests are matched once, as a group, so large inventories stay cheap."""

    def __init__(self, spec: m.Spec):
        self.spec = spec
        self.touchpoints = {t.id: t for t in spec.touchpoints}
        self.standards = {s.id: s for s in spec.standards}
        self._groups: list[list[m.Touchpoint]] | None = None
        self._of: dict[str, frozenset[str]] = {}

    def groups(self) -> list[list[m.Touchpoint]]:
        if self._groups is None:
            groups: dict[tuple[object, ...], list[m.Touchpoint]] = {}
            for tp in self.spec.touchpoints:
                if tp.evaluated:  # the key holds every attribute Selector.matches reads, except the id
                    key = (tp.journey, tp.stage, tp.channel, tp.status, tp.segments, tp.moment_of_truth,
                           tuple(sorted(tp.labels.items())))
                    groups.setdefault(key, []).append(tp)
            self._groups = list(groups.values())
        return self._groups

    def of(self, standard_id: str) -> frozenset[str]:
        """The ids of the touchpoints a standard checks."""
        if standard_id not in self._of:
            sel = self.standards[standard_id].applies_to
            if sel.touchpoints:
                tps = [self.touchpoints[t] for t in sel.touchpoints if t in self.touchpoints]
                ids = {tp.id for tp in tps if tp.evaluated and sel.matches(tp)}
            else:
                ids = {tp.id for group in self.groups() if sel.matches(group[0]) for tp in group}
            self._of[standard_id] = frozenset(ids)
        return self._of[standard_id]

    def checks(self, touchpoint_id: str) -> set[str]:
        """The ids of the standards that check a touchpoint."""
        tp = self.touchpoints.get(touchpoint_id)
        if tp is None or not tp.evaluated:
            return set()
        return {s.id for s in self.spec.standards if s.applies_to.matches(tp)}


class _Differ:
    def __init__(self, base: m.Spec, head: m.Spec):
        self.base, self.head = base, head
        self.changes: list[Change] = []
        self.cov_base, self.cov_head = _Coverage(base), _Coverage(head)
        self.selectors: dict[str, str] = {}  # standard id -> how its applies_to was rewritten

    def add(self, section: str, entity_id: str, field: str | None, what: str, effect: str, message: str,
            location: Location | None, before: Any = None, after: Any = None) -> None:
        self.changes.append(Change(section, entity_id, field, what, effect, message, location, before, after))

    def changed(self, section: str, old: _Identified, new: _Identified, field: str, effect: str, message: str,
                before: Any = None, after: Any = None) -> None:
        self.add(section, new.id, field, "changed", effect, message, new.at(field), before, after)

    # generic: every field not handled by a section's own rules
    def rest(self, section: str, old: Any, new: Any, handled: Iterable[str], prefix: str = "") -> None:
        handled = set(handled) | _SKIP
        for f in dataclasses.fields(new):
            if f.name in handled:
                continue
            before, after = getattr(old, f.name), getattr(new, f.name)
            if before == after:
                continue
            key = f"{prefix}{f.name}"
            entity_id = getattr(new, "id", None) or self.head.program.id
            loc = new.at(f.name) if isinstance(new, m.Entity) else None
            if isinstance(before, tuple) and isinstance(after, tuple) and all(
                    isinstance(v, str) for v in before + after):
                added, removed = [v for v in after if v not in before], [v for v in before if v not in after]
                words = [f"{key}: added {', '.join(added)}"] if added else []
                words += [f"{key}: removed {', '.join(removed)}"] if removed else []
                message = "; ".join(words) or f"{key}: reordered ({show(after)})"
            else:
                message = f"{key} changed from {show(before)} to {show(after)}"
            self.add(section, entity_id, key, "changed", NEUTRAL, message, loc, _jsonable(before), _jsonable(after))

    def sections(self) -> None:
        self.program()
        self.channels()
        handlers: dict[str, Callable[[Any, Any], None]] = {
            "standards": self.standard, "kpis": self.kpi, "waivers": self.waiver, "touchpoints": self.touchpoint,
            "metrics": self.metric, "raci": self.raci, "problems": self.problem,
        }
        for section in SECTIONS:
            old_by_id = {e.id: e for e in getattr(self.base, section)}
            new_by_id = {e.id: e for e in getattr(self.head, section)}
            for entity_id, old in old_by_id.items():
                if entity_id not in new_by_id:
                    self.removed(section, old)
            for entity_id, new in new_by_id.items():
                old = old_by_id.get(entity_id)
                if old is None:
                    self.added(section, new)
                elif old != new:
                    handler = handlers.get(section)
                    if handler:
                        handler(old, new)
                    else:
                        self.rest(section, old, new, ())
        self.coverage()
        head_approvals = {a.id for a in self.head.approvals}
        for a in self.base.approvals:  # added ones are listed apart; a removed one is a lost record
            if a.id not in head_approvals:
                self.add("approvals", a.id, None, "removed", NEUTRAL,
                         f"approval {a.id} removed: it recorded that {a.approved_by} approved {a.change} on "
                         f"{a.date.isoformat()} ({a.reason})", a.location)

    # -- additions and removals ---------------------------------------------------------------------------------

    def added(self, section: str, new: Any) -> None:
        noun = NOUNS[section]
        effect, message = NEUTRAL, f"{noun} {new.id} added"
        if section == "standards":
            covered = self.cov_head.of(new.id)
            effect = TIGHTENS
            message = (f"standard {new.id} added: {new.label} ({new.metric} {show(new.threshold)}, {new.window.text}) "
                       f"on {wording.counted(len(covered), 'touchpoint')}")
        elif section == "kpis":
            effect = TIGHTENS
            message = f"KPI {new.id} added: {new.label} ({new.metric} {show(new.threshold)}, {new.window.text})"
        elif section == "waivers":
            effect = LOOSENS
            message = (f"waiver {new.id} added: {new.rule} is waived for {_waived(new)} until "
                       f"{new.expires.isoformat()} (approved by {new.approved_by}: {new.justification})")
        elif section == "touchpoints":
            rules = self.cov_head.checks(new.id)
            message = f"touchpoint {new.id} added ({new.name}; {new.journey}/{new.stage}, {new.channel}, owner " \
                      f"{new.owner})" + (f", checked by {_ids(rules)}" if rules else ", covered by no standard")
        elif section == "actions":
            message = f"action {new.id} added for {new.target}: owner {new.owner}, due {new.due.isoformat()}"
        elif section == "problems":
            effect = TIGHTENS
            message = (f"problems analysis {new.id} added: {new.label} ({len(new.cause_ids)} root causes, vital share "
                       f"{num(new.vital_share)}%, {new.window.text})")
        self.add(section, new.id, None, "added", effect, message, new.location)

    def removed(self, section: str, old: Any) -> None:
        noun = NOUNS[section]
        effect, message = NEUTRAL, f"{noun} {old.id} removed"
        if section == "standards":
            covered = self.cov_base.of(old.id)
            effect = LOOSENS
            message = (f"standard {old.id} removed: {old.label} is no longer checked"
                       + (f" on {_ids(covered)}" if covered else ""))
        elif section == "kpis":
            effect = LOOSENS
            message = f"KPI {old.id} removed: {old.label} is no longer checked"
        elif section == "waivers":
            effect = TIGHTENS
            message = f"waiver {old.id} removed: {old.rule} is no longer waived for {_waived(old)}"
        elif section == "problems":
            effect = LOOSENS
            message = f"problems analysis {old.id} removed: {old.label} is no longer checked"
        elif section == "touchpoints":
            rules = self.cov_base.checks(old.id) & self.cov_head.standards.keys()
            if rules:
                effect = LOOSENS
                message = f"touchpoint {old.id} removed: no longer checked by {_ids(rules)}"
        self.add(section, old.id, None, "removed", effect, message, old.location)

    # -- program, channels --------------------------------------------------------------------------------------

    def program(self) -> None:
        old, new = self.base.program, self.head.program
        pid = new.id
        if old.id != new.id:
            self.add("program", pid, "id", "changed", NEUTRAL, f"program id changed from {old.id} to {new.id}",
                     new.at("id"), old.id, new.id)
        d_old, d_new = old.defaults, new.defaults
        own = [r for r in self.head.rules if r.min_sample is None]
        if d_old.min_sample != d_new.min_sample:
            effect = LOOSENS if d_new.min_sample > d_old.min_sample else TIGHTENS
            why = ("more results become 'insufficient' instead of being judged" if effect == LOOSENS else
                   "fewer results are left 'insufficient'")
            self.add("program", pid, "defaults.min_sample", "changed", effect,
                     f"default min_sample {_raised(d_old.min_sample, d_new.min_sample)} from {d_old.min_sample} "
                     f"to {d_new.min_sample} for the {wording.counted(len(own), 'rule')} without their "
                     f"own: {why}", new.at("defaults.min_sample"), d_old.min_sample, d_new.min_sample)
        for key, why in (("max_waiver_days", "waivers may run longer"),
                         ("max_accountable", "one person may be accountable for more")):
            a, b = getattr(d_old, key), getattr(d_new, key)
            if a != b:
                effect = LOOSENS if b > a else TIGHTENS
                self.add("program", pid, f"defaults.{key}", "changed", effect,
                         f"{key} {_raised(a, b)} from {a} to {b}" + (f": {why}" if effect == LOOSENS else ""),
                         new.at(f"defaults.{key}"), a, b)
        r_old, r_new = old.review, new.review
        c_old = r_old.cadence if r_old else None
        c_new = r_new.cadence if r_new else None
        if c_old != c_new:
            months_old, months_new = CADENCE_MONTHS.get(c_old or "", 0), CADENCE_MONTHS.get(c_new or "", 0)
            effect = NEUTRAL
            if months_old and months_new and months_old != months_new:
                effect = LOOSENS if months_new > months_old else TIGHTENS
            elif months_old and not months_new:
                effect = LOOSENS
            self.add("program", pid, "review.cadence", "changed", effect,
                     f"program review cadence changed from {c_old or '(none)'} to {c_new or '(none)'}",
                     new.at("review.cadence"), c_old, c_new)
        if (r_old.last_reviewed if r_old else None) != (r_new.last_reviewed if r_new else None):
            self.add("program", pid, "review.last_reviewed", "changed", NEUTRAL,
                     f"program last reviewed on {show(r_new.last_reviewed if r_new else None)} (was "
                     f"{show(r_old.last_reviewed if r_old else None)})", new.at("review.last_reviewed"))
        i_old, i_new = old.intent, new.intent
        if (i_old.statement if i_old else None) != (i_new.statement if i_new else None):
            self.add("program", pid, "intent.statement", "changed", NEUTRAL,
                     f"experience intent statement changed to: {i_new.statement if i_new else '(none)'}",
                     new.at("intent.statement"), i_old.statement if i_old else None,
                     i_new.statement if i_new else None)
        p_old = {p.id: p for p in (i_old.principles if i_old else ())}
        p_new = {p.id: p for p in (i_new.principles if i_new else ())}
        for pid_ in p_old.keys() - p_new.keys():
            self.add("program", pid, "intent.principles", "removed", NEUTRAL, f"principle {pid_} removed",
                     p_old[pid_].location)
        for pid_ in p_new.keys() - p_old.keys():
            self.add("program", pid, "intent.principles", "added", NEUTRAL,
                     f"principle {pid_} added: {p_new[pid_].name}", p_new[pid_].location)
        for pid_ in p_new.keys() & p_old.keys():
            if p_new[pid_] != p_old[pid_]:
                self.add("program", pid, "intent.principles", "changed", NEUTRAL,
                         f"principle {pid_} changed: {show(p_new[pid_])}", p_new[pid_].location)
        self.rest("program", old, new, ("defaults", "review", "intent"))

    def channels(self) -> None:
        old, new = set(self.base.channels), set(self.head.channels)
        for name in sorted(new - old):
            self.add("channels", name, None, "added", NEUTRAL, f"channel {name} added", None)
        for name in sorted(old - new):
            self.add("channels", name, None, "removed", NEUTRAL, f"channel {name} removed", None)

    # -- rules --------------------------------------------------------------------------------------------------

    def rule(self, section: str, old: m.Standard | m.Kpi, new: m.Standard | m.Kpi) -> list[str]:
        """What standards and KPIs share: threshold, window, min_sample, severity. Returns the handled fields."""
        self.threshold(section, old, new)
        handled = self.judged(section, old, new)
        if old.metric != new.metric:
            self.changed(section, old, new, "metric", NEUTRAL,
                         f"now measured with metric {new.metric} instead of {old.metric}", old.metric, new.metric)
        return ["threshold", *handled, "metric"]

    def judged(self, section: str, old: Any, new: Any) -> list[str]:
        """What standards, KPIs and problems analyses share: window, min_sample, severity, owner."""
        days_old, days_new = _window_days(old.window), _window_days(new.window)
        if old.window != new.window:
            if days_new > days_old:
                self.changed(section, old, new, "window", LOOSENS,
                             f"window lengthened from {old.window.text} to {new.window.text}: a longer window smooths "
                             "out recent drops", old.window.text, new.window.text)
            elif days_new < days_old:
                self.changed(section, old, new, "window", TIGHTENS,
                             f"window shortened from {old.window.text} to {new.window.text}", old.window.text,
                             new.window.text)
            else:
                self.changed(section, old, new, "window", NEUTRAL,
                             f"window changed from {old.window.text} to {new.window.text}", old.window.text,
                             new.window.text)
        if old.min_sample != new.min_sample:
            a = old.min_sample if old.min_sample is not None else self.base.program.defaults.min_sample
            b = new.min_sample if new.min_sample is not None else self.head.program.defaults.min_sample
            effect = LOOSENS if b > a else TIGHTENS if b < a else NEUTRAL
            why = {LOOSENS: ": more results become 'insufficient' instead of being judged",
                   TIGHTENS: ": fewer results are left 'insufficient'", NEUTRAL: ""}[effect]
            self.changed(section, old, new, "min_sample", effect,
                         f"min_sample {_raised(a, b)} from {a} to {b}{why}" if a != b else
                         f"min_sample now {'the program default' if new.min_sample is None else 'set on the rule'}"
                         f" ({b}, as before)", a, b)
        if old.severity != new.severity:
            rank_old, rank_new = _severity_rank(old.severity), _severity_rank(new.severity)
            effect = LOOSENS if rank_new > rank_old else TIGHTENS
            self.changed(section, old, new, "severity", effect,
                         f"severity {'lowered' if effect == LOOSENS else 'raised'} from {old.severity} to "
                         f"{new.severity}", old.severity, new.severity)
        if old.owner != new.owner:
            default = "each touchpoint's owner" if section == "standards" else "(none)"
            self.changed(section, old, new, "owner", NEUTRAL,
                         f"given another owner: {old.owner or default} -> {new.owner or default}", old.owner,
                         new.owner)
        return ["window", "min_sample", "severity", "owner"]

    def problem(self, old: m.Problem, new: m.Problem) -> None:
        """A problems analysis: its vital share and maximum share, and how categories and themes map to root
        causes (which cause each problem counts for, so which causes are vital)."""
        handled = self.judged("problems", old, new)
        if old.vital_share != new.vital_share:
            effect = LOOSENS if new.vital_share < old.vital_share else TIGHTENS
            why = (": fewer causes are vital, so fewer need an open action" if effect == LOOSENS else
                   ": more causes are vital, and each needs an open action")
            self.changed("problems", old, new, "vital_share", effect,
                         f"vital_share {_raised(old.vital_share, new.vital_share)} from {num(old.vital_share)}% to "
                         f"{num(new.vital_share)}%{why}", old.vital_share, new.vital_share)
        if old.max_share != new.max_share:
            a, b = old.max_share, new.max_share
            effect = LOOSENS if b is None or (a is not None and b > a) else TIGHTENS
            self.changed("problems", old, new, "max_share", effect,
                         f"max_share {'removed' if b is None else 'set' if a is None else _raised(a, b)}"
                         f"{'' if a is None else f' (was {num(a)}%)'}{'' if b is None else f' to {num(b)}%'}", a, b)
        if old.causes != new.causes:
            mapped, remapped = dict(old.causes), dict(new.causes)
            words = [f"{value} {mapped.get(value) or 'unmapped'} -> {remapped.get(value) or 'unmapped'}"
                     for value in sorted(mapped.keys() | remapped.keys()) if mapped.get(value) != remapped.get(value)]
            self.changed("problems", old, new, "causes", NEUTRAL,
                         f"categories mapped to other root causes: {'; '.join(words) or 'reordered'}", mapped,
                         remapped)
        if old.themes != new.themes:
            before = {t.id: t for t in old.themes}
            words = []
            for theme in new.themes:
                was = before.pop(theme.id, None)
                if was is None:
                    words.append(f"theme {theme.id} added ({theme.root_cause}: {', '.join(theme.patterns)})")
                elif was != theme:
                    parts = [f"{was.root_cause} -> {theme.root_cause}"] if was.root_cause != theme.root_cause else []
                    parts += [f"patterns {_plus_minus(was.patterns, theme.patterns)}"] \
                        if was.patterns != theme.patterns else []
                    words.append(f"theme {theme.id} {', '.join(parts) or 'renamed'}")
            words += [f"theme {t} removed" for t in before]
            self.changed("problems", old, new, "themes", NEUTRAL,
                         f"themes mapped to root causes changed: {'; '.join(words)}", _jsonable(old.themes),
                         _jsonable(new.themes))
        self.rest("problems", old, new, (*handled, "vital_share", "max_share", "causes", "themes"))

    def threshold(self, section: str, old: m.Standard | m.Kpi, new: m.Standard | m.Kpi) -> None:
        t_old, t_new = old.threshold, new.threshold
        if t_old == t_new:
            return
        if t_old.higher_is_better != t_new.higher_is_better:
            self.changed(section, old, new, "threshold.op", LOOSENS,
                         f"threshold direction reversed from {show(t_old)} to {show(t_new)}: values that breached "
                         "may now pass", show(t_old), show(t_new))
            return
        higher = t_new.higher_is_better
        effect = _bound_effect(higher, (t_old.fail, t_old.op), (t_new.fail, t_new.op))
        if effect is not None:
            lo, hi = sorted((t_old.fail, t_new.fail))
            if effect == LOOSENS:
                detail = (f": values from {num(lo)} to {num(hi)} no longer breach" if lo != hi else
                          f": a value of exactly {num(lo)} no longer breaches")
            else:
                detail = (f": values from {num(lo)} to {num(hi)} now breach" if lo != hi else
                          f": a value of exactly {num(lo)} now breaches")
            moved = _moved(t_old.fail, t_new.fail, t_old.op, t_new.op)
            self.changed(section, old, new, "threshold.fail", effect, f"fail threshold {moved}{detail}",
                         f"{t_old.op} {num(t_old.fail)}", f"{t_new.op} {num(t_new.fail)}")
        if t_old.warn is not None and t_new.warn is None:
            self.changed(section, old, new, "threshold.warn", LOOSENS,
                         f"warn level {num(t_old.warn)} removed: nothing warns before it breaches", t_old.warn, None)
        elif t_old.warn is None and t_new.warn is not None:
            self.changed(section, old, new, "threshold.warn", TIGHTENS, f"warn level added at {num(t_new.warn)}",
                         None, t_new.warn)
        elif t_old.warn is not None and t_new.warn is not None:
            effect = _bound_effect(higher, (t_old.warn, t_old.op), (t_new.warn, t_new.op))
            if effect is not None:
                self.changed(section, old, new, "threshold.warn", effect,
                             f"warn level {_moved(t_old.warn, t_new.warn, t_old.op, t_new.op)}", t_old.warn,
                             t_new.warn)

    def standard(self, old: m.Standard, new: m.Standard) -> None:
        handled = self.rule("standards", old, new)
        if old.applies_to != new.applies_to:
            self.selectors[new.id] = f"applies_to changed from '{show(old.applies_to)}' to '{show(new.applies_to)}'"
        self.rest("standards", old, new, (*handled, "applies_to"))

    def kpi(self, old: m.Kpi, new: m.Kpi) -> None:
        handled = self.rule("kpis", old, new)
        was, now = old.trend, new.trend
        if was is not None and now is None:
            self.changed("kpis", old, new, "trend", LOOSENS,
                         f"trend check removed (max_drop {num(was.max_drop)}): a significant drop no longer "
                         "breaches", show(was), None)
        elif was is None and now is not None:
            self.changed("kpis", old, new, "trend", TIGHTENS,
                         f"trend check added: a significant drop of more than {num(now.max_drop)} breaches",
                         None, show(now))
        elif was is not None and now is not None and was != now:
            effect = LOOSENS if now.max_drop > was.max_drop else TIGHTENS
            self.changed("kpis", old, new, "trend.max_drop", effect,
                         f"trend max_drop {_raised(was.max_drop, now.max_drop)} from "
                         f"{num(was.max_drop)} to {num(now.max_drop)}"
                         + (": a larger drop is tolerated" if effect == LOOSENS else ""),
                         was.max_drop, now.max_drop)
        if old.scope != new.scope or old.by != new.by:
            self.changed("kpis", old, new, "scope", NEUTRAL,
                         f"scope changed from {_kpi_scope(old)} to {_kpi_scope(new)}", _kpi_scope(old),
                         _kpi_scope(new))
        self.rest("kpis", old, new, (*handled, "trend", "scope", "by"))

    # -- coverage: which touchpoints each standard checks --------------------------------------------------------

    def coverage(self) -> None:
        """Touchpoints a standard no longer (or newly) checks, except those removed or retired (reported on the
        touchpoint itself) and standards added or removed (reported as such)."""
        base, head = self.cov_base, self.cov_head
        # with applies_to unchanged, only touchpoints that changed can enter or leave a standard's coverage
        changed = {t for t in base.touchpoints.keys() | head.touchpoints.keys()
                   if base.touchpoints.get(t) != head.touchpoints.get(t)}
        checked_before = {t: base.checks(t) for t in changed}
        checked_after = {t: head.checks(t) for t in changed}
        for sid in sorted(base.standards.keys() & head.standards.keys()):
            new = head.standards[sid]
            rewritten = self.selectors.get(sid)
            entering: AbstractSet[str]
            leaving: AbstractSet[str]
            if rewritten:
                entering, leaving = head.of(sid) - base.of(sid), base.of(sid) - head.of(sid)
            else:
                entering = {t for t in changed if sid in checked_after[t] and sid not in checked_before[t]}
                leaving = {t for t in changed if sid in checked_before[t] and sid not in checked_after[t]}
            # touchpoints added, removed, retired or back in service are reported on the touchpoint
            lost = {t for t in leaving if head.touchpoints.get(t) is not None and head.touchpoints[t].evaluated}
            gained = {t for t in entering if base.touchpoints.get(t) is not None and base.touchpoints[t].evaluated}
            if not (lost or gained or rewritten):
                continue
            before, after = base.of(sid), head.of(sid)
            prefix = f"{rewritten}: " if rewritten else ""
            if lost:
                self.add("standards", sid, "applies_to", "changed", LOOSENS,
                         f"{prefix}no longer checks {_ids(lost)} (covers {wording.counted(len(after), 'touchpoint')} "
                         f"instead of {len(before)})", new.at("applies_to"),
                         sorted(before), sorted(after))
            if gained:
                self.add("standards", sid, "applies_to", "changed", TIGHTENS,
                         f"{'' if lost else prefix}now also checks {_ids(gained)}", new.at("applies_to"),
                         sorted(before), sorted(after))
            if rewritten and not lost and not gained:
                self.add("standards", sid, "applies_to", "changed", NEUTRAL,
                         f"{rewritten} (covers the same {len(after)} touchpoints)", new.at("applies_to"))

    # -- other sections -----------------------------------------------------------------------------------------

    def waiver(self, old: m.Waiver, new: m.Waiver) -> None:
        if old.expires != new.expires:
            effect = LOOSENS if new.expires > old.expires else TIGHTENS
            self.changed("waivers", old, new, "expires", effect,
                         f"{'extended' if effect == LOOSENS else 'shortened'}: expires {new.expires.isoformat()} "
                         f"instead of {old.expires.isoformat()}", old.expires, new.expires)
        if old.standard != new.standard:
            self.changed("waivers", old, new, "standard", LOOSENS,
                         f"now waives {new.standard} instead of {old.standard}", old.standard, new.standard)
        if old.touchpoints != new.touchpoints:
            wider = not new.touchpoints or (old.touchpoints and not set(new.touchpoints) <= set(old.touchpoints))
            effect = LOOSENS if wider else TIGHTENS
            self.changed("waivers", old, new, "touchpoints", effect,
                         f"now waives {_waived(new)} (was {_waived(old)})", list(old.touchpoints),
                         list(new.touchpoints))
        if old.approved_by != new.approved_by:
            self.changed("waivers", old, new, "approved_by", NEUTRAL,
                         f"approver changed from {old.approved_by} to {new.approved_by}", old.approved_by,
                         new.approved_by)
        self.rest("waivers", old, new, ("expires", "standard", "touchpoints", "approved_by"))

    def touchpoint(self, old: m.Touchpoint, new: m.Touchpoint) -> None:
        if old.status != new.status:
            rules = sorted(self.cov_base.checks(old.id) & self.cov_head.standards.keys())
            if not new.evaluated and rules:
                self.changed("touchpoints", old, new, "status", LOOSENS,
                             f"retired (was {old.status}): no longer checked by {', '.join(rules)}", old.status,
                             new.status)
            elif not old.evaluated and new.evaluated:
                checked = sorted(self.cov_head.checks(new.id))
                self.changed("touchpoints", old, new, "status", TIGHTENS if checked else NEUTRAL,
                             f"back in service ({new.status}, was retired)"
                             + (f": checked again by {', '.join(checked)}" if checked else ""), old.status,
                             new.status)
            else:
                self.changed("touchpoints", old, new, "status", NEUTRAL,
                             f"status changed from {old.status} to {new.status}", old.status, new.status)
        if old.owner != new.owner:
            self.changed("touchpoints", old, new, "owner", NEUTRAL,
                         f"given another owner (accountable): {old.owner} -> {new.owner}", old.owner, new.owner)
        for key, letter in RACI_LISTS:
            a, b = getattr(old, key), getattr(new, key)
            if a != b:
                self.changed("touchpoints", old, new, key, NEUTRAL,
                             f"RACI {letter} changed: {_plus_minus(a, b)}", list(a), list(b))
        self.rest("touchpoints", old, new, ("status", "owner", *(k for k, _ in RACI_LISTS)))

    def metric(self, old: m.Metric, new: m.Metric) -> None:
        users = sorted(r.id for r in self.head.rules if r.metric == new.id)
        used = f" (used by {', '.join(users)})" if users else ""
        if old.within != new.within and old.within is not None and new.within is not None:
            effect = LOOSENS if new.within > old.within else TIGHTENS
            unit = new.duration.unit if new.duration else ""
            self.changed("metrics", old, new, "within", effect,
                         f"definition changed: the SLA target {_raised(old.within, new.within)} from "
                         f"{num(old.within)} to {num(new.within)} {unit}{used}".rstrip(), old.within, new.within)
        handled = ["within"] if old.within is not None and new.within is not None else []
        before = len(self.changes)
        self.rest("metrics", old, new, handled)
        for i in range(before, len(self.changes)):
            c = self.changes[i]
            self.changes[i] = dataclasses.replace(c, message=f"definition changed: {c.message}{used}")

    def raci(self, old: m.RaciActivity, new: m.RaciActivity) -> None:
        if old.assignments != new.assignments:
            a, b = dict(old.assignments), dict(new.assignments)
            words = []
            for owner in sorted(a.keys() | b.keys()):
                if a.get(owner) != b.get(owner):
                    words.append(f"{owner} {a.get(owner) or '-'} -> {b.get(owner) or '-'}")
            self.changed("raci", old, new, "assignments", NEUTRAL, f"RACI assignments changed: {'; '.join(words)}",
                         a, b)
        self.rest("raci", old, new, ("assignments",))


def _raised(a: float, b: float) -> str:
    return "raised" if b > a else "lowered"


def _moved(a: float, b: float, op_a: str, op_b: str) -> str:
    if a == b:
        return f"changed from {op_a} {num(a)} to {op_b} {num(b)}"
    return f"{_raised(a, b)} from {num(a)} to {num(b)}" + (f" ({op_a} -> {op_b})" if op_a != op_b else "")


def _bound_effect(higher: bool, old: tuple[float, str], new: tuple[float, str]) -> str | None:
    """Loosens when every value that passed the old bound passes the new one (and more do); None when equal."""
    (a, op_a), (b, op_b) = old, new
    if (a, op_a) == (b, op_b):
        return None
    strict_a, strict_b = op_a in (">", "<"), op_b in (">", "<")
    if a == b:
        return LOOSENS if strict_a and not strict_b else TIGHTENS
    lower_bar = b < a if higher else b > a
    return LOOSENS if lower_bar else TIGHTENS


def _window_days(window: m.Window) -> int:
    return window.days if window.days is not None else PERIOD_DAYS.get(window.period or "", 0)


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _waived(w: m.Waiver) -> str:
    return _ids(w.touchpoints) if w.touchpoints else "every touchpoint it covers"


def _kpi_scope(k: m.Kpi) -> str:
    return show(k.scope) + (f" by {k.by}" if k.by else "")


def _plus_minus(a: Sequence[str], b: Sequence[str]) -> str:
    added, removed = [x for x in b if x not in a], [x for x in a if x not in b]
    words = [f"+{x}" for x in added] + [f"-{x}" for x in removed]
    return ", ".join(words) or f"reordered ({', '.join(b)})"


# --- approvals ---------------------------------------------------------------------------------------------------

def approval_matches(approval: m.Approval, change: Change) -> bool:
    """An approval names the change's entity (a bare id for a standard, KPI or problems analysis, `program`, or
    `section/id`) and,
    when it has a `field`, that field or one of its parts (`threshold` covers `threshold.fail`)."""
    target = approval.change
    if target == change.ref:
        named = True
    else:
        named = "/" not in target and change.section in ("standards", "kpis", "problems") and target == change.id
    if not named:
        return False
    if approval.field is None:
        return True
    return change.field is not None and (change.field == approval.field
                                         or change.field.startswith(approval.field + "."))


def diff_specs(base: m.Spec, head: m.Spec, base_label: str = "base", head_label: str = "head") -> SpecDiff:
    """Every change from `base` to `head`, loosenings matched to the approvals the head adds."""
    differ = _Differ(base, head)
    differ.sections()
    base_approvals = {a.id: a for a in base.approvals}
    fresh = tuple(a for a in head.approvals if base_approvals.get(a.id) != a)
    used: set[str] = set()
    changes = []
    for change in differ.changes:
        if change.effect == LOOSENS:
            approval = next((a for a in fresh if approval_matches(a, change)), None)
            if approval is not None:
                used.add(approval.id)
                change = dataclasses.replace(change, approval=approval)
        changes.append(change)
    order = {e: i for i, e in enumerate(EFFECTS)}
    section_order = {s: i for i, s in enumerate(("program", "channels", *SECTIONS, "approvals"))}
    changes.sort(key=lambda c: (order[c.effect], section_order.get(c.section, 99), c.id))  # stable: spec order
    return SpecDiff(base=base_label, head=head_label, changes=tuple(changes), approvals=fresh,
                    unused_approvals=tuple(a for a in fresh if a.id not in used))
