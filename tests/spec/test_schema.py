"""The compiled fast check agrees with jsonschema; schema errors land on the offending value or key."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cxgov.spec import loader, schema
from spec_fixtures import REPO

EXAMPLES = [doc.data for doc in loader.load_documents(REPO / "specs")]
VALIDATOR = Draft202012Validator(schema.schema())

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-200, 200), st.floats(allow_nan=False), st.sampled_from(
        ["", "x", "Web Chat", "web", "active", "activ", ">=", "=>", "28d", "0d", "month", "2026-09-30",
         "2026-9-30", "AR", "X", "program", "score", "score; drop", "a@b.example", "quarterly", "sla", "A"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["id", "name", "op", "fail", "x", "journey"]),
                                                 inner, max_size=3)), max_leaves=6)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _mutate(doc, path, action, new):
    doc = copy.deepcopy(doc)
    if not path:
        return new if action == "replace" else doc
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if action == "replace":
        parent[last] = new
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"{last}x" if isinstance(last, str) else "extra"] = new
    else:
        parent.append(new)
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_check_agrees_with_jsonschema(data):
    doc = data.draw(st.sampled_from(EXAMPLES))
    path = data.draw(st.sampled_from(list(_paths(doc))))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    mutated = _mutate(doc, path, action, data.draw(VALUES))
    assert schema.is_valid()(mutated) == VALIDATOR.is_valid(mutated), (path, action)


# Keywords and combinations the spec schema uses rarely or not yet, each checked against jsonschema.
KEYWORD_SCHEMAS = [
    {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "maximum": 10}]},
    {"oneOf": [{"type": "number", "minimum": 0}, {"type": "integer"}]},
    {"enum": [1, "x", None, True, [1, 2]]},
    {"const": {"a": [1]}},
    {"type": ["string", "array", "null"], "pattern": "^w", "minLength": 2, "items": {"type": "boolean"},
     "minItems": 1, "uniqueItems": True},
    {"if": {"type": "object", "required": ["a"]}, "then": {"maxProperties": 1}, "else": {"type": "string"}},
    {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}, "additionalProperties": {"type": "integer"},
     "properties": {"x": {"type": "string"}}, "minProperties": 1},
    {"exclusiveMinimum": 0, "exclusiveMaximum": 1.5},
    {"$ref": "#/$defs/pair", "$defs": {"pair": {"type": "array", "items": {"$ref": "#/$defs/leaf"}, "minItems": 2},
                                       "leaf": {"type": ["integer", "string"]}}},
    {"properties": {"a": {"$ref": "#"}}, "additionalProperties": False},  # recursive
    {"description": "annotations only"},
]
ANY_JSON = st.recursive(SCALARS | st.sampled_from([1.0, 2.5, 10, 11, -1, 0, 1, "wx", "abcd", True, False]),
                        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
                            st.sampled_from(["a", "b", "x", "A1", ""]), inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(KEYWORD_SCHEMAS))), ANY_JSON)
def test_fast_check_agrees_on_every_keyword(index, value):
    sch = KEYWORD_SCHEMAS[index]
    assert schema.compile_schema(sch)(value) == Draft202012Validator(sch).is_valid(value), (sch, value)


def test_the_examples_are_valid():
    assert all(schema.is_valid()(doc) for doc in EXAMPLES)


def test_fast_check_refuses_keywords_it_does_not_know():
    import pytest

    with pytest.raises(ValueError, match="not supported"):
        schema.compile_schema({"type": "string", "format": "date"})


def _diagnostics(tmp_path: Path, text: str):
    path = tmp_path / "f.yaml"
    path.write_text(text)
    return schema.check_document(loader.load_file(path))


def test_unknown_key_is_reported_at_the_key_with_a_hint(tmp_path):
    (diag,) = _diagnostics(tmp_path, "version: 1\nowners:\n  - id: ana\n    name: Ana\n    titel: Head\n")
    assert (diag.code, diag.location.line, diag.location.column) == ("CX010", 5, 5)
    assert diag.message == "unknown key 'titel' in owner 'ana'" and diag.hint == "did you mean 'title'?"


def test_wrong_type_is_reported_at_the_value(tmp_path):
    (diag,) = _diagnostics(tmp_path, "version: 1\nchannels: web\n")
    assert (diag.code, diag.location.line, diag.location.column) == ("CX011", 2, 11)
    assert diag.message == "'channels': expected a list, got text"


def test_duplicate_list_items(tmp_path):
    (diag,) = _diagnostics(tmp_path, "version: 1\nchannels: [web, app, web]\n")
    assert diag.code == "CX013" and "listed more than once: \"web\"" in diag.message
