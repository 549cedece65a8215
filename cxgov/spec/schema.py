"""Check spec files against the JSON Schema (schemas/cxgov-spec-v1.json) and turn its errors into Diagnostics.

Each error is reported at the exact value (or, for an unknown key, the key) it is about, with a "did you mean"
hint for misspelled keys and enum values.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
import re
from typing import Any, Callable, Iterable

from cxgov.errors import Diagnostic
from cxgov.resources import schema_path
from cxgov.spec.loader import Document

SCHEMA_FILE = "cxgov-spec-v1.json"

SINGULAR = {"owners": "owner", "segments": "segment", "channels": "channel", "journeys": "journey",
            "touchpoints": "touchpoint", "sources": "source", "metrics": "metric", "standards": "standard",
            "kpis": "KPI", "waivers": "waiver", "actions": "action", "raci": "RACI activity",
            "approvals": "approval"}

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "a mapping", "null": "nothing"}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The spec JSON Schema, as a dict."""
    return json.loads(schema_path(SCHEMA_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


@lru_cache(maxsize=1)
def is_valid() -> Callable[[Any], bool]:
    """The schema compiled once into a fast yes/no check; jsonschema then explains the documents that fail."""
    return compile_schema(schema())


def did_you_mean(word: Any, choices: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint for the closest of `choices`, or None."""
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _number_hint(value: Any) -> str | None:
    """For a number written as text ("80%", "90"): how to write it."""
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("%").strip()
    try:
        float(text)
    except ValueError:
        return None
    return f"write {text}, a plain number without quotes{' or %' if '%' in value else ''}"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(data: Any, path: tuple) -> str:
    """A readable name for the place `path` points at: "touchpoint 'web-chat', key 'owner'"."""
    if not path:
        return "the top level of the file"
    section = path[0]
    if section == "program":
        rest = path[1:]
        head = "program"
    elif section in SINGULAR and len(path) >= 2 and isinstance(path[1], int):
        item = data.get(section)[path[1]] if isinstance(data, dict) else None
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str):
            head = f"{SINGULAR[section]} '{ident}'"
        elif section == "channels":
            head = f"channel {path[1] + 1}"
        else:
            head = f"{SINGULAR[section]} {path[1] + 1} of '{section}'"
        rest = path[2:]
    else:
        return f"'{section}'" if len(path) == 1 else f"'{'.'.join(map(str, path))}'"
    if not rest:
        return head
    return f"{head}, key '{'.'.join(str(p) if not isinstance(p, int) else f'[{p}]' for p in rest)}'".replace(".[", "[")


def check(documents: Iterable[Document]) -> list[Diagnostic]:
    """Schema diagnostics for every readable document."""
    found: list[Diagnostic] = []
    for doc in documents:
        if doc.data is not None:
            found.extend(check_document(doc))
    return found


def check_document(doc: Document) -> list[Diagnostic]:
    if is_valid()(doc.data):
        return []
    validator = _validator()
    seen: set[tuple] = set()
    found = []
    for error in validator.iter_errors(doc.data):
        for diag in _diagnostics(doc, error):
            key = (diag.code, diag.location, diag.message)
            if key not in seen:
                seen.add(key)
                found.append(diag)
    return found


def _diagnostics(doc: Document, error) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    keyword = error.validator
    sub = error.schema if isinstance(error.schema, dict) else {}
    custom = sub.get("x-messages", {}).get(keyword)
    where = describe(doc.data, path)

    if keyword in ("oneOf", "anyOf") and not custom:
        best = _best_context(error)
        if best is not None:
            return _diagnostics(doc, best)

    if "propertyNames" in error.schema_path:  # the error is about a key of the mapping at `path`
        name = error.instance
        return [Diagnostic("CX013", "error", f"{where}: key '{name}' is not valid: {custom or error.message}",
                           doc.key_at(path + (name,)))]

    if keyword == "additionalProperties":
        allowed = list(sub.get("properties", {}))
        extras = [k for k in error.instance if k not in sub.get("properties", {})]
        diags = []
        for key in extras:
            hint = did_you_mean(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
            diags.append(Diagnostic("CX010", "error", f"unknown key '{key}' in {where}", doc.key_at(path + (key,)),
                                    hint))
        return diags

    if keyword == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [Diagnostic("CX012", "error", f"{where} is missing the required key '{key}'", doc.at(path))
                for key in missing]

    location = doc.at(path)
    if keyword == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        message = custom or f"expected {wanted}, got {_type_name(error.instance)}"
        if custom:
            message = f"{custom}, got {_type_name(error.instance)}"
        hint = _number_hint(error.instance) if {"number", "integer"} & set(expected) else None
        return [Diagnostic("CX011", "error", f"{where}: {message}", location, hint)]

    if keyword == "enum":
        choices = [str(c) for c in error.validator_value]
        return [Diagnostic("CX013", "error",
                           f"{where}: {_show(error.instance)} is not one of {', '.join(choices)}", location,
                           did_you_mean(error.instance, choices))]

    if keyword == "pattern":
        return [Diagnostic("CX013", "error", f"{where}: {_show(error.instance)} is not valid: "
                           f"{custom or 'it must match ' + error.validator_value}", location)]

    if keyword == "uniqueItems":
        dupes = sorted({json.dumps(x) for i, x in enumerate(error.instance) if x in error.instance[:i]})
        return [Diagnostic("CX013", "error", f"{where}: listed more than once: {', '.join(dupes)}", location,
                           "list each item once")]

    messages = {
        "minItems": "must not be empty",
        "minProperties": "must not be empty",
        "minLength": "must not be empty",
        "maxLength": f"is longer than {error.validator_value} characters",
        "minimum": f"must be at least {error.validator_value}",
        "exclusiveMinimum": f"must be greater than {error.validator_value}",
        "exclusiveMaximum": f"must be less than {error.validator_value}",
        "maximum": f"must be at most {error.validator_value}",
        "const": f"must be {_show(error.validator_value)}",
    }
    problem = custom or messages.get(keyword) or error.message
    if keyword in ("minimum", "exclusiveMinimum", "exclusiveMaximum", "maximum", "const") and not custom:
        problem = f"{_show(error.instance)} {problem}"
    return [Diagnostic("CX013", "error", f"{where}: {problem}", location)]


def _best_context(error):
    from jsonschema.exceptions import best_match

    return best_match(error.context) if error.context else None


# A compiler for the subset of JSON Schema the spec schema uses. jsonschema interprets the schema on every value,
# which is too slow for specs with thousands of touchpoints; these closures do the same checks in a fraction of
# the time. tests/spec/test_schema.py keeps the two in agreement.

_ANNOTATIONS = {"$schema", "$id", "title", "description", "x-messages", "default", "examples", "$defs"}
_PY_TYPES = {"string": (str,), "array": (list,), "object": (dict,), "null": (type(None),), "boolean": (bool,),
             "number": (int, float), "integer": (int,)}


def _type_check(types: list[str]) -> Callable[[Any], bool]:
    py = tuple(t for name in types for t in _PY_TYPES[name])
    allow_bool = "boolean" in types
    integral_floats = "integer" in types and "number" not in types

    def check(v: Any) -> bool:
        if not isinstance(v, py):
            return integral_floats and isinstance(v, float) and v.is_integer()
        if v is True or v is False:
            return allow_bool
        if integral_floats and isinstance(v, float):
            return v.is_integer()
        return True

    return check


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _unique(items: list) -> bool:
    frozen = [json.dumps(x, sort_keys=True) if isinstance(x, (list, dict)) else (type(x) is bool, x) for x in items]
    try:
        return len(set(frozen)) == len(frozen)
    except TypeError:  # pragma: no cover - plain data is always hashable once frozen
        return True


def compile_schema(root: dict) -> Callable[[Any], bool]:
    """Compile `root` (a Draft 2020-12 schema using local $refs only) into a function value -> valid?"""
    compiled: dict[str, Callable[[Any], bool]] = {}

    def ref(pointer: str) -> Callable[[Any], bool]:
        if not pointer.startswith("#/"):
            raise ValueError(f"only local $ref is supported, not {pointer}")

        def check(value: Any) -> bool:
            fn = compiled.get(pointer)
            if fn is None:
                node: Any = root
                for part in pointer[2:].split("/"):
                    node = node[part]
                fn = compiled[pointer] = build(node)
            return fn(value)

        return check

    def build(sch: Any) -> Callable[[Any], bool]:
        if sch is True:
            return lambda v: True
        if sch is False:
            return lambda v: False
        checks: list[Callable[[Any], bool]] = []
        unknown = set(sch) - _ANNOTATIONS - _KEYWORDS
        if unknown:
            raise ValueError(f"schema keyword(s) not supported by the fast checker: {sorted(unknown)}")
        if "$ref" in sch:
            checks.append(ref(sch["$ref"]))
        if "type" in sch:
            checks.append(_type_check(sch["type"] if isinstance(sch["type"], list) else [sch["type"]]))
        if "enum" in sch:
            options = sch["enum"]
            checks.append(lambda v: any(_json_equal(v, o) for o in options))
        if "const" in sch:
            const = sch["const"]
            checks.append(lambda v: _json_equal(v, const))
        if "pattern" in sch:
            search = re.compile(sch["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
        if "minLength" in sch:
            n = sch["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "maxLength" in sch:
            n = sch["maxLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) <= n)
        for key, compare in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b),
                             ("exclusiveMinimum", lambda v, b: v > b), ("exclusiveMaximum", lambda v, b: v < b)):
            if key in sch:
                checks.append(lambda v, b=sch[key], c=compare: not _is_number(v) or c(v, b))
        if "required" in sch:
            required = tuple(sch["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        if "minProperties" in sch:
            n = sch["minProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) >= n)
        if "maxProperties" in sch:
            n = sch["maxProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) <= n)
        if "propertyNames" in sch:
            names = build(sch["propertyNames"])
            checks.append(lambda v: not isinstance(v, dict) or all(names(k) for k in v))
        if "properties" in sch or "additionalProperties" in sch:
            props = {k: build(s) for k, s in sch.get("properties", {}).items()}
            extra = build(sch.get("additionalProperties", True))

            def properties(v: Any) -> bool:
                if not isinstance(v, dict):
                    return True
                for k, item in v.items():
                    fn = props.get(k)
                    if not (fn(item) if fn is not None else extra(item)):
                        return False
                return True

            checks.append(properties)
        if "items" in sch:
            each = build(sch["items"])
            checks.append(lambda v: not isinstance(v, list) or all(each(x) for x in v))
        if "minItems" in sch:
            n = sch["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= n)
        if sch.get("uniqueItems"):
            checks.append(lambda v: not isinstance(v, list) or _unique(v))
        if "oneOf" in sch:
            branches = [build(s) for s in sch["oneOf"]]
            checks.append(lambda v: sum(1 for b in branches if b(v)) == 1)
        if "anyOf" in sch:
            branches = [build(s) for s in sch["anyOf"]]
            checks.append(lambda v: any(b(v) for b in branches))
        if "if" in sch:
            cond, then, other = build(sch["if"]), build(sch.get("then", True)), build(sch.get("else", True))
            checks.append(lambda v: then(v) if cond(v) else other(v))
        if len(checks) == 1:
            return checks[0]

        def every(v: Any, checks: tuple = tuple(checks)) -> bool:
            for c in checks:
                if not c(v):
                    return False
            return True

        return every

    return build(root)


_KEYWORDS = {"$ref", "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
             "exclusiveMinimum", "exclusiveMaximum", "required", "minProperties", "maxProperties", "propertyNames",
             "properties", "additionalProperties", "items", "minItems", "uniqueItems", "oneOf", "anyOf", "if", "then",
             "else"}
