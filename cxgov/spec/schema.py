"""Check spec files against the JSON Schema (schemas/cxgov-spec-v1.json) and turn its errors into Diagnostics.

Each error is reported at the exact value (or, for an unknown key, the key) it is about, with a "did you mean"
hint for misspelled keys and enum values.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterable

from cxgov.errors import Diagnostic, Location
from cxgov.resources import schema_path
from cxgov.spec.bounds import number_problem
from cxgov.spec.checker import compile_schema
from cxgov.spec.loader import Document, Path_
from cxgov.speed import once
from cxgov.vocabulary import SECTION_NOUNS

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "cxgov-spec-v1.json"

SINGULAR = {section: noun for section, noun in SECTION_NOUNS.items() if section != "program"}  # the lists

_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "a mapping", "null": "nothing"}


@once
def schema() -> dict[str, Any]:
    """The spec JSON Schema, as a dict."""
    loaded: dict[str, Any] = json.loads(schema_path(SCHEMA_FILE).read_text(encoding="utf-8"))
    return loaded


@once
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


@once
def is_valid() -> Callable[[Any], bool]:
    """The schema compiled once into a fast yes/no check; jsonschema then explains the documents that fail."""
    return compile_schema(schema())


def did_you_mean(word: Any, choices: Iterable[str]) -> str | None:
    """A "did you mean 'x'?" hint for the closest of `choices`, or None."""
    if not isinstance(word, str):
        return None
    import difflib  # only spec errors need it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _number_hint(value: Any) -> str | None:
    """For a number written as text ("80%", "90", 6e1): how to write it."""
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("%").strip()
    try:
        number = float(text)
    except ValueError:
        return None
    if number_problem(number):
        return "a number in a spec is finite and lies between -1e15 and 1e15"
    if "e" in text.lower() and "_" not in text:
        # YAML 1.1 reads an exponent as a number only with a dot and a sign: 6.0e+1, not 6e1
        return f"YAML reads {text!r} as text, not a number: write {number:g} (or an exponent such as 6.0e+1)"
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


def describe(data: Any, path: Path_) -> str:
    """A readable name for the place `path` points at: "touchpoint 'web-chat', key 'owner'"."""
    if not path:
        return "the top level of the file"
    section = path[0]
    if section == "program":
        rest = path[1:]
        head = "program"
    elif section in SINGULAR and len(path) >= 2 and isinstance(path[1], int):
        item = data[section][path[1]] if isinstance(data, dict) else None
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


def check(documents: Iterable[Document], faults: dict[str, set[Path_]] | None = None) -> list[Diagnostic]:
    """Schema diagnostics for every readable document. With `faults`: the path of every value found at fault, by
    document name, for the documents that have any (what building the model must not rely on)."""
    found: list[Diagnostic] = []
    for doc in documents:
        if doc.data is not None:
            paths: set[Path_] = set()
            found.extend(check_document(doc, paths))
            if paths and faults is not None:
                faults[doc.name] = paths
    return found


def check_document(doc: Document, faults: set[Path_] | None = None) -> list[Diagnostic]:
    """The schema diagnostics of one document; the paths of the values at fault are added to `faults`."""
    numbers = _unusable_numbers(doc)
    found = [diag for _, diag in numbers]
    if faults is not None:
        faults.update(path for path, _ in numbers)
    if is_valid()(doc.data):
        return found
    validator = _validator()
    seen: set[tuple[str, Location, str]] = set()
    for error in validator.iter_errors(doc.data):
        if faults is not None:
            faults.add(tuple(error.absolute_path))
        if number_problem(error.instance):
            continue  # reported by _unusable_numbers, more plainly
        for diag in _diagnostics(doc, error):
            key = (diag.code, diag.location, diag.message)
            if key not in seen:
                seen.add(key)
                found.append(diag)
    return found


def _unusable_numbers(doc: Document) -> list[tuple[Path_, Diagnostic]]:
    """(path, CX013) for every NaN, infinity or out-of-range number, wherever it is written: JSON Schema's numbers
    admit them, and no computation, report or database survives them."""
    if not doc.unusable_numbers:  # nearly always, as the loader found: then no path is made for its values
        return []
    found: list[tuple[Path_, Diagnostic]] = []
    stack: list[tuple[Path_, Any]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((path + (k,), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
        elif isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            problem = number_problem(value)
            if problem:
                found.append((path, Diagnostic("CX013", "error", f"{describe(doc.data, path)}: {problem}",
                                                  doc.at(path), "write a finite number, such as 80 or 4.5")))
    return sorted(found, key=lambda pair: pair[1].sort_key())


def _diagnostics(doc: Document, error: ValidationError) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    # a validator sets these on every error it yields (the stubs allow each to be unset); the instance and the
    # keyword's value are document and schema data, as untyped as Document.data
    keyword = str(error.validator)
    instance: Any = error.instance
    expected: Any = error.validator_value
    sub = error.schema if isinstance(error.schema, dict) else {}
    custom = schema_message(sub, keyword)
    where = describe(doc.data, path)

    if keyword in ("oneOf", "anyOf") and not custom:
        best = _best_context(error)
        if best is not None:
            return _diagnostics(doc, best)

    if "propertyNames" in error.schema_path:  # the error is about a key of the mapping at `path`
        name = instance
        return [Diagnostic("CX013", "error", f"{where}: key '{name}' is not valid: {custom or error.message}",
                           doc.key_at(path + (name,)))]

    if keyword == "additionalProperties":
        allowed = list(sub.get("properties", {}))
        extras = [k for k in instance if k not in sub.get("properties", {})]
        diags = []
        for key in extras:
            hint = did_you_mean(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
            diags.append(Diagnostic("CX010", "error", f"unknown key '{key}' in {where}", doc.key_at(path + (key,)),
                                    hint))
        return diags

    if keyword == "required":
        missing = [k for k in expected if k not in instance]
        return [Diagnostic("CX012", "error", f"{where} is missing the required key '{key}'", doc.at(path))
                for key in missing]

    location = doc.at(path)
    if keyword == "type":
        expected = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        message = custom or f"expected {wanted}, got {_type_name(instance)}"
        if custom:
            message = f"{custom}, got {_type_name(instance)}"
        hint = _number_hint(instance) if {"number", "integer"} & set(expected) else None
        return [Diagnostic("CX011", "error", f"{where}: {message}", location, hint)]

    if keyword == "enum":
        choices = [str(c) for c in expected]
        problem = custom or f"expected one of {', '.join(choices)}"
        return [Diagnostic("CX013", "error", f"{where}: {_show(instance)} is not valid: {problem}", location,
                           did_you_mean(instance, choices))]

    if keyword == "pattern":
        return [Diagnostic("CX013", "error", f"{where}: {_show(instance)} is not valid: "
                           f"{custom or 'it must match ' + expected}", location)]

    if keyword == "uniqueItems":
        dupes = sorted({json.dumps(x) for i, x in enumerate(instance) if x in instance[:i]})
        return [Diagnostic("CX013", "error", f"{where}: listed more than once: {', '.join(dupes)}", location,
                           "list each item once")]

    messages = {
        "minItems": "must not be empty",
        "minProperties": "must not be empty",
        "minLength": "must not be empty",
        "maxLength": f"is longer than {expected} characters",
        "minimum": f"must be at least {expected}",
        "exclusiveMinimum": f"must be greater than {expected}",
        "exclusiveMaximum": f"must be less than {expected}",
        "maximum": f"must be at most {expected}",
        "const": f"must be {_show(expected)}",
    }
    problem = custom or messages.get(keyword) or error.message
    if keyword in ("minimum", "exclusiveMinimum", "exclusiveMaximum", "maximum", "const") and not custom:
        problem = f"{_show(instance)} {problem}"
    return [Diagnostic("CX013", "error", f"{where}: {problem}", location)]


def schema_message(sub: dict[str, Any], keyword: str) -> str | None:
    """The schema's own words for a failed `keyword`, as a clause ("an id is ..."): the messages the YAML language
    server shows too (`patternErrorMessage` for a pattern, `errorMessage` for a type, enum, const or pattern),
    else cxgov's `x-messages`. Written once, in the schema, for both."""
    text: str | None = None
    if keyword == "pattern":
        text = sub.get("patternErrorMessage") or sub.get("errorMessage")
    elif keyword in ("type", "enum", "const"):
        text = sub.get("errorMessage")
    text = text or sub.get("x-messages", {}).get(keyword)
    if not text:
        return None
    first = text.split(" ", 1)[0]
    if not (len(first) > 1 and first.isupper()):  # "A RACI letter" -> "a RACI letter"; "KPI ..." stays
        text = text[0].lower() + text[1:]
    return text.removesuffix(".")


def _best_context(error: ValidationError) -> ValidationError | None:
    from jsonschema.exceptions import best_match

    return best_match(error.context) if error.context else None
