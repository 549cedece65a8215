"""The spec schema explains itself to editors: every key has a description, every enum and pattern a readable
message (the same text `cxgov validate` prints), and every example is valid."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from jsonschema import Draft202012Validator

from cxgov.spec import loader, schema
from support import schema_docs

PROPERTIES = list(schema_docs.properties())


def _nodes(node: Any, trail: str = "") -> Iterator[tuple[str, dict]]:
    if isinstance(node, dict):
        yield trail or "/", node
        for key, value in node.items():
            yield from _nodes(value, f"{trail}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{trail}/{index}")


NODES = [(trail, node) for trail, node in _nodes(schema_docs.ROOT) if "/examples" not in trail]


def test_every_key_of_the_schema_has_a_description():
    assert len(PROPERTIES) > 160
    missing = [name for name, node in PROPERTIES if not schema_docs.description(node)]
    assert missing == []
    short = [name for name, node in PROPERTIES if len(schema_docs.description(node) or "") < 12]
    assert short == []


def test_every_enum_const_and_pattern_has_a_readable_message():
    unexplained = [trail for trail, node in NODES
                   if ("enum" in node or "const" in node) and "errorMessage" not in node
                   or "pattern" in node and not (node.get("patternErrorMessage") or node.get("errorMessage"))]
    assert unexplained == []
    for trail, node in NODES:
        for key in ("errorMessage", "patternErrorMessage"):
            if key in node:  # shown alone by editors: a sentence
                assert node[key][0].isupper() and node[key].endswith("."), (trail, node[key])
                assert "^" not in node[key] and "[a-z" not in node[key], (trail, node[key])


def test_every_example_is_valid_where_it_is_written():
    checked = 0
    for trail, node in NODES:
        for example in node.get("examples", ()):
            validator = Draft202012Validator({**node, "$defs": schema_docs.ROOT["$defs"]})
            assert validator.is_valid(example), (trail, example, validator.iter_errors(example).__next__().message)
            checked += 1
    assert checked > 100


def test_a_document_with_every_key_is_valid():
    document = schema_docs.example_document()
    assert schema.is_valid()(document)
    assert Draft202012Validator(schema.schema()).is_valid(document)
    named = {name for _, name, _ in schema_docs.keys(document)}
    everything = {name for name, _ in PROPERTIES}
    # all but the keys of a KPI's and a problems analysis's scope mapping: the document's scopes are `program`
    assert everything - named == {f"{section}.[].scope.{k}" for section in ("kpis", "problems")
                                  for k in ("journey", "stage", "segment", "channel")}


def _diagnostic(tmp_path: Path, text: str):
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    (diag,) = schema.check_document(loader.load_file(path))
    return diag


@pytest.mark.parametrize("text, node, keyword", [
    ("version: 1\nstandards:\n  - {id: s, metric: m, threshold: {op: '>=', fail: 1}, window: 28d, severity: hgh}\n",
     "severity", "enum"),
    ("version: 1\nowners:\n  - {id: Ana Lopez, name: Ana}\n", "id", "pattern"),
    ("version: 1\nactions:\n  - {id: a, standard: s, owner: o, due: 2026-13}\n", "date", "pattern"),
    ("version: 1\nsources:\n  - {id: s, table: t, timestamp: 'at; drop'}\n", "column", "pattern"),
    ("version: 2\n", None, "const"),
])
def test_cxgov_prints_the_message_the_schema_gives_editors(tmp_path, text, node, keyword):
    sub = schema_docs.ROOT["$defs"][node] if node else schema_docs.ROOT["properties"]["version"]
    clause = schema.schema_message(sub, keyword)
    editor_text = sub.get("patternErrorMessage") if keyword == "pattern" else None
    editor_text = editor_text or sub["errorMessage"]
    assert clause and clause[1:] == editor_text[1:].removesuffix(".")
    diag = _diagnostic(tmp_path, text)
    assert diag.code == "CX013" and diag.message.endswith(clause), diag.message


def test_a_misspelt_enum_value_keeps_its_did_you_mean_hint(tmp_path):
    diag = _diagnostic(tmp_path, "version: 1\nowners:\n  - {id: ana, name: Ana, kind: persn}\n")
    assert diag.message == ("owner 'ana', key 'kind': 'persn' is not valid: an owner's kind is team, person, role "
                            "or committee")
    assert diag.hint == "did you mean 'person'?"
