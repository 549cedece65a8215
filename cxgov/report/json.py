"""`cxgov check --json`: the Run as JSON (schemas/cxgov-results-v1.json), byte-identical for the same inputs."""

from __future__ import annotations

import json
import math

from cxgov.engine.results import Run

FLOAT_PLACES = 9  # enough for any measure; hides the last-bit noise of parallel floating-point sums


def render(run: Run) -> str:
    """The JSON document: sorted keys, two-space indent, floats rounded to FLOAT_PLACES, trailing newline."""
    return json.dumps(stable(run.to_dict()), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def stable(value: object) -> object:
    """A copy of a JSON-ready value with floats made stable: rounded, no -0.0, no NaN or infinity."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, FLOAT_PLACES) or 0.0  # -0.0 is falsy: written as 0.0
    if isinstance(value, dict):
        return {str(k): stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    raise TypeError(f"not JSON-ready: {type(value).__name__}")
