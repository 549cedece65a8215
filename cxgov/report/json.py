"""`cxgov check --json`: the Run as JSON (schemas/cxgov-results-v1.json), byte-identical for the same inputs.

Layout: keys sorted; each top-level key on its own line, each result on its own line (readable, greppable, and
diffable result by result). Every value goes through the standard library's C encoder: `indent` would send the
whole document through the pure-Python one, several times slower for thousands of results.
"""

from __future__ import annotations

import json
import math

from cxgov.engine.results import Run

FLOAT_PLACES = 9  # enough for any measure; hides the last-bit noise of parallel floating-point sums

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)
_PLAIN = frozenset({str, int, bool, type(None)})  # written as they are


def render(run: Run) -> str:
    """The JSON document, floats rounded to FLOAT_PLACES, with a trailing newline."""
    document = stable(run.to_dict())
    encode = _ENCODER.encode
    members = []
    for key, value in sorted(document.items()):
        if key == "results" and value:
            value_text = "[\n" + ",\n".join("    " + encode(result) for result in value) + "\n  ]"
        else:
            value_text = encode(value)
        members.append(f"  {encode(key)}: {value_text}")
    return "{\n" + ",\n".join(members) + "\n}\n"


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
