"""`cxgov check --json`: the Run as JSON (schemas/cxgov-results-v1.json), byte-identical for the same inputs.

Layout: keys sorted; the document's members one per line, and each result on its own line (readable, greppable,
diffable result by result). Every line is written by the standard library's C encoder: `indent` would send the
whole document through the pure-Python one, several times slower for thousands of results.
"""

from __future__ import annotations

import json
import math

from cxgov.engine.results import Run

FLOAT_PLACES = 9  # enough for any measure; hides the last-bit noise of parallel floating-point sums

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)
_IN_ORDER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)  # for documents whose order is their model's
_PLAIN = frozenset({str, int, bool, type(None)})  # written as they are


def render(run: Run) -> str:
    """The JSON document, floats rounded to FLOAT_PLACES, with a trailing newline."""
    return dumps(stable(run.to_dict()), expand=2)


def dumps(value: object, expand: int, sort_keys: bool = True) -> str:
    """JSON with sorted keys (or in the dicts' own order): containers less than `expand` levels deep one member
    per line (two-space indent), deeper ones each on one line, with a trailing newline. expand=2 puts each item of
    a top-level list on a line."""
    encode = (_ENCODER if sort_keys else _IN_ORDER).encode
    members_of = sorted if sort_keys else list

    def write(item: object, level: int) -> str:
        if level >= expand or not item or not isinstance(item, (dict, list)):
            return encode(item)
        pad = "  " * (level + 1)
        if isinstance(item, dict):
            members = [f"{pad}{encode(str(k))}: {write(v, level + 1)}" for k, v in members_of(item.items())]
            return "{\n" + ",\n".join(members) + "\n" + "  " * level + "}"
        return "[\n" + ",\n".join(pad + write(v, level + 1) for v in item) + "\n" + "  " * level + "]"

    return write(value, 0) + "\n"


def stable(value: object) -> object:
    """A JSON-ready value with its floats made stable: rounded, no -0.0, no NaN or infinity.

    Dicts and lists are changed in place and returned (tuples become lists): pass a fresh document, such as
    `Run.to_dict()`, which is what this is for; rebuilding every container would cost more than the encoding.
    """
    kind = type(value)
    if kind is dict or kind is list:
        for key, item in value.items() if kind is dict else enumerate(value):  # type: ignore[union-attr,arg-type]
            if type(item) is float:
                value[key] = _float(item)  # type: ignore[index]
            elif type(item) not in _PLAIN:
                value[key] = stable(item)  # type: ignore[index]
        return value
    if kind is float:
        return _float(value)  # type: ignore[arg-type]
    if kind is tuple:
        return stable(list(value))  # type: ignore[arg-type]
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
