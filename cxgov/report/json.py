"""`cxgov check --json`: the Run as JSON (schemas/cxgov-results-v1.json), byte-identical for the same inputs.

Layout: keys sorted; the document's members one per line, and each result on its own line (readable, greppable,
diffable result by result). Every line is written by the standard library's C encoder (`indent` would send the
whole document through the pure-Python one, several times slower for thousands of results), except a result's
line: `result_line` writes it straight from the Result, as the encoder writes `Result.to_dict()` (a test holds
the two equal), without the dicts in between, which cost more than the encoding; what a rule gives each of its
results is written once per rule. The document's pieces are joined once.
"""

from __future__ import annotations

import json
import math
from datetime import date
from operator import is_
from typing import Any, Iterable, Mapping

from cxgov.engine.results import Result, Run, Span
from cxgov.speed import identity_memo, memo

FLOAT_PLACES = 9  # enough for any measure; hides the last-bit noise of parallel floating-point sums

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)
_IN_ORDER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # for documents whose order is their model's
_PLAIN = frozenset({str, int, bool, type(None)})  # written as they are


def render(run: Run, ahead: Ahead | None = None) -> str:
    """The JSON document, floats rounded to FLOAT_PLACES, with a trailing newline. `ahead` holds result lines
    written already, while the engine still scanned (the document is the same with or without them)."""
    document = run.to_dict(results=False)
    stable(document)  # in place
    line = ahead.take if ahead is not None else _ResultLines()
    document["results"] = _Lines([line(r) for r in run.results])
    return dumps(document, expand=2)


class Ahead:
    """Result lines written as the scans finish: give `add` to `check(while_scanning=...)`, then the Run and this
    to `render`. A result's line depends on that result alone, so the lines of the first scans are written while
    the engine still runs the last, and `render` writes only the lines of results it has not seen. Each line is
    handed over once (`take`): the document's text holds it afterwards, not this as well."""

    def __init__(self) -> None:
        self._write = _ResultLines()
        self._lines = identity_memo(self._write)

    def add(self, results: Iterable[Result]) -> None:
        for r in results:
            self._lines(r)

    def take(self, r: Result) -> str:
        """The line of `r`: the one written ahead, given up, or written now."""
        found = self._lines.pop(r)
        return found if found is not None else self._write(r)


class _Lines(list[str]):
    """Items already written as JSON: `dumps` puts each on a line of its own."""


def dumps(value: object, expand: int, sort_keys: bool = True) -> str:
    """JSON with sorted keys (or in the dicts' own order): containers less than `expand` levels deep one member
    per line (two-space indent), deeper ones each on one line, with a trailing newline. expand=2 puts each item of
    a top-level list on a line.

    The pieces are joined once at the end: a document of tens of megabytes copied at every level (each copy a new
    block of memory, its pages faulted in) took ten times as long as the join, and held two copies at a time."""
    encode = (_ENCODER if sort_keys else _IN_ORDER).encode
    members_of = sorted if sort_keys else list
    out: list[str] = []
    put = out.append

    def write(item: object, level: int) -> None:
        if type(item) is _Lines and item:
            pad = ",\n" + "  " * (level + 1)
            put("[\n" + pad[2:])
            put(item[0])
            for line in item[1:]:  # the lines themselves, not a copy of them joined: one copy in all, at the end
                put(pad)
                put(line)
            put("\n" + "  " * level + "]")
        elif level >= expand or not item or not isinstance(item, (dict, list)):
            put(encode(item))
        elif isinstance(item, dict):
            pad = ",\n" + "  " * (level + 1)
            for i, (k, v) in enumerate(members_of(item.items())):
                put(("{\n" + pad[2:] if i == 0 else pad) + encode(str(k)) + ": ")
                write(v, level + 1)
            put("\n" + "  " * level + "}")
        else:
            pad = ",\n" + "  " * (level + 1)
            for i, v in enumerate(item):
                put("[\n" + pad[2:] if i == 0 else pad)
                write(v, level + 1)
            put("\n" + "  " * level + "]")

    write(value, 0)
    put("\n")
    return "".join(out)


def stable(value: Any) -> Any:
    """A JSON-ready value with its floats made stable: rounded, no -0.0, no NaN or infinity.

    Dicts and lists are changed in place and returned (tuples become lists): pass a fresh document, such as
    `Run.to_dict()`, which is what this is for; rebuilding every container would cost more than the encoding.
    (Any JSON value: the branches test `type(value)`, taken once, which mypy does not narrow on.)
    """
    kind = type(value)
    if kind is dict or kind is list:
        for key, item in value.items() if kind is dict else enumerate(value):
            if type(item) is float:
                value[key] = _float(item)
            elif type(item) not in _PLAIN:
                value[key] = stable(item)
        return value
    if kind is float:
        return _float(value)
    if kind is tuple:
        return stable(list(value))
    if kind in _PLAIN or isinstance(value, (bool, int, str)):  # subclasses too: an IntEnum, a str enum
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return stable(dict(value))
    if isinstance(value, (list, tuple)):
        return stable(list(value))
    raise TypeError(f"not JSON-ready: {type(value).__name__}")


def _float(value: float) -> float | None:
    if not math.isfinite(value):
        return None
    return round(value, FLOAT_PLACES) or 0.0  # -0.0 is falsy: written as 0.0


# -- one result's line -----------------------------------------------------------------------------------------

_text = json.encoder.encode_basestring  # the C encoder's string writer (ensure_ascii=False)


def _j(value: Any) -> str:
    """A scalar as the encoder writes it, floats made stable; anything else by the encoder itself (Any, as in
    `stable`: the branches test `type(value)`, taken once)."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if value is None:
        return "null"
    if kind is float:
        return _float_text(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    return _ENCODER.encode(stable(value))


@memo(1 << 16)
def _float_text(value: float) -> str:
    """A float as the encoder writes it once made stable. Memoised: a run's measures repeat (0.0, 100.0, the
    few values a small n allows), and the lookup costs less than rounding and writing the float (the JSON of
    45,488 results: 0.18 s of its 0.49 s went to its 430,000 numbers, 0.07 s with the memo)."""
    stable_ = _float(value)
    return "null" if stable_ is None else float.__repr__(stable_)


def _number(value: Any) -> str:
    """A float or int (a count, a measure) as `_j` writes it, the common cases first."""
    kind = type(value)
    if kind is float:
        return _float_text(value)
    if kind is int:
        return int.__repr__(value)
    return _j(value)


def _date(day: date) -> str:
    return '"' + day.isoformat() + '"'


def _span(span: Span | None) -> str:
    if span is None:
        return "null"
    return '{"end": ' + _date(span.end) + ', "start": ' + _date(span.start) + "}"


def _members(pairs: Iterable[tuple[str, object]]) -> str:
    return "{" + ", ".join([f"{_text(str(k))}: {_j(v)}" for k, v in sorted(pairs)]) + "}"


def _extra(extra: Mapping[str, object]) -> str:
    if not extra:
        return "{}"
    return "{" + ", ".join([f"{_text(k)}: {_number(v)}" for k, v in sorted(extra.items())]) + "}"


def _scope(scope: tuple[tuple[str, str], ...]) -> str:
    """A scope as `Result.to_dict` gives it, a dict (a repeated dimension: its last value)."""
    if len(scope) == 1:  # a touchpoint's, or a KPI's without `by`
        (k, v), = scope
        return f"{{{_text(k)}: {_j(v)}}}"
    return _members(dict(scope).items())


def _actions(r: Result) -> str:
    return ", ".join(
        f'{{"description": {_j(a.description)}, "due": {_date(a.due)}, "id": {_j(a.id)}, "overdue": '
        f'{_j(a.overdue)}, "owner": {_j(a.owner)}, "status": {_j(a.status)}}}' for a in r.actions)


def result_line(r: Result) -> str:
    """`r.to_dict()` as the encoder writes it (keys sorted, floats stable), written directly; a problems
    analysis's result (a few per analysis, with its Pareto bar) by the encoder."""
    return _ResultLines()(r)


class _ResultLines:
    """Writes result lines; what a rule gives all its results (its id, name, metric, threshold, window, ...) is
    written once for a run of results that hold those very objects (results come rule by rule): about a third of
    each line, and each line is one f-string (joined once, not concatenated piece by piece)."""

    def __init__(self) -> None:
        self._shared: tuple[object, ...] = ()
        self._parts: tuple[str, str, str, str, str, str] = ("", "", "", "", "", "")
        self._previous: tuple[Span | None, str] = (None, "null")  # the previous window, and as written

    def _rule_parts(self, r: Result) -> tuple[str, str, str, str, str, str]:
        shared = (r.kind, r.location, r.metric, r.metric_kind, r.principle, r.rule, r.rule_name, r.severity,
                  r.threshold, r.unit, r.window)
        old = self._shared
        if len(old) == len(shared) and all(map(is_, old, shared)):
            return self._parts
        t = r.threshold
        self._shared = shared
        self._parts = (
            f', "kind": {_j(r.kind)}, "location": {{"file": {_j(r.location.file)}, "line": {_j(r.location.line)}}}'
            f', "metric": {_j(r.metric)}, "metric_kind": {_j(r.metric_kind)}, "missing": ',
            f', "principle": {_j(r.principle)}, "rule": {_j(r.rule)}, "rule_name": {_j(r.rule_name)}, "scope": ',
            f', "severity": {_j(r.severity)}, "status": ',
            f', "threshold": {{"fail": {_j(t.fail)}, "op": {_j(t.op)}, "warn": {_j(t.warn)}}}, "touchpoint": ',
            f', "unit": {_j(r.unit)}, "value": ',
            f', "window": {_span(r.window)}}}')
        return self._parts

    def __call__(self, r: Result) -> str:
        if r.problem is not None:
            return _ENCODER.encode(stable(r.to_dict()))
        kind_to_missing, principle_to_scope, severity_to_status, threshold_to_touchpoint, unit_to_value, window = \
            self._rule_parts(r)
        p, tr, w = r.previous, r.trend, r.waiver
        if p is None:
            previous = "null"
        else:
            if p.window is not self._previous[0]:
                self._previous = (p.window, _span(p.window))
            previous = f'{{"n": {_number(p.n)}, "value": {_number(p.value)}, "window": {self._previous[1]}}}'
        trend = "null" if tr is None else (
            f'{{"breached": {_j(tr.breached)}, "change": {_j(tr.change)}, "max_drop": {_j(tr.max_drop)}, '
            f'"p_value": {_j(tr.p_value)}, "significant": {_j(tr.significant)}, "z": {_j(tr.z)}}}')
        waiver = "null" if w is None else (
            f'{{"active": {_j(w.active)}, "approved_by": {_j(w.approved_by)}, "expires": {_date(w.expires)}, '
            f'"id": {_j(w.id)}, "justification": {_j(w.justification)}}}')
        owner, touchpoint, underlying = r.owner, r.touchpoint, r.underlying_status
        # the fields' own types written directly (str, int, float or None, per the model), the rest by _j
        return (f'{{"actions": [{_actions(r) if r.actions else ""}], "ci_high": {_number(r.ci_high)}, '
                f'"ci_low": {_number(r.ci_low)}, "extra": {_extra(r.extra)}, "invalid": {_number(r.invalid)}'
                f'{kind_to_missing}{_number(r.missing)}, "n": {_number(r.n)}, '
                f'"notes": [{", ".join(map(_text, r.notes))}], '
                f'"owner": {"null" if owner is None else _text(owner)}, "previous": {previous}'
                f'{principle_to_scope}{_scope(r.scope)}{severity_to_status}{_text(r.status)}'
                f'{threshold_to_touchpoint}{"null" if touchpoint is None else _text(touchpoint)}, "trend": {trend}, '
                f'"underlying_status": {"null" if underlying is None else _text(underlying)}'
                f'{unit_to_value}{_number(r.value)}, "waiver": {waiver}{window}')
