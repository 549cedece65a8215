"""Spec files in an editor: the real YAML language server, over LSP, on the example program and on `cxgov init`'s
starter. Valid files have no diagnostics; a mistake is reported on its line with a readable message; every key
has a hover text, and it is the schema's description of that key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cxgov.cli import main
from support import schema_docs

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"
SCHEMA = REPO / "schemas" / "cxgov-spec-v1.json"
EXAMPLE_FILES = sorted(SPECS.rglob("*.yaml"))
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")


def _plain(markdown: str) -> str:
    """Hover markdown with the server's escapes taken out."""
    return _ESCAPED.sub(r"\1", markdown).replace("&nbsp;", " ")


def _source(hover: str) -> str | None:
    """The schema a hover says it comes from: the link of its `Source: [name](uri)` line."""
    found = re.search(r"Source: \[[^\]]*\]\(([^)]+)\)", hover)
    return found.group(1) if found else None


def _key_positions(text: str) -> dict[tuple, tuple[int, int]]:
    """Path of every mapping key -> its 0-based (line, column), from the YAML node tree."""
    positions: dict[tuple, tuple[int, int]] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                positions[path + (key.value,)] = (key.start_mark.line, key.start_mark.column)
                walk(value, path + (key.value,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return positions


def _hover_every_key(server, path: Path, text: str) -> set[str]:
    """Hover over every key of the document; each hover must hold the schema's description of that key. Returns
    the schema names of the keys hovered."""
    positions = _key_positions(text)
    data = yaml.safe_load(text)
    named, wrong = set(), []
    for key_path, name, node in schema_docs.keys(data):
        expected = schema_docs.description(node)
        line, column = positions[key_path]
        hover = _plain(server.hover(path, line, column + 1))
        if not expected or expected not in hover:
            wrong.append(f"{path.name}:{line + 1}:{column + 1} {name}: {hover[:120]!r}")
        named.add(name)
    assert wrong == [], "\n".join(wrong[:20])
    return named


def _document(server, path: Path, text: str) -> list[dict]:
    diagnostics = server.diagnostics(path, text)
    hover = server.hover(path, *_key_positions(text)[("version",)])
    assert _source(hover) is not None, f"{path}: the schema line did not resolve (hover: {hover!r})"
    return diagnostics


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_the_example_files_have_no_diagnostics_and_find_the_schema_offline(yaml_server, path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert _document(yaml_server, path, text) == []
    assert _source(yaml_server.hover(path, *_key_positions(text)[("version",)])) == SCHEMA.as_uri()


def test_every_key_of_the_example_program_has_its_description_on_hover(yaml_server):
    named: set[str] = set()
    for path in EXAMPLE_FILES:
        text = path.read_text(encoding="utf-8")
        yaml_server.diagnostics(path, text)
        named |= _hover_every_key(yaml_server, path, text)
    assert len(named) > 100  # the example uses most of the language


def test_every_key_of_the_schema_has_its_description_on_hover(yaml_server):
    """A document holding every key the schema describes, and a KPI and a problems analysis for each key of a
    scope mapping."""
    document = schema_docs.example_document()
    for section in ("kpis", "problems"):
        document[section] += [{**document[section][0], "id": f"by-{key}", "scope": {key: "x"}}
                              for key in ("journey", "stage", "segment", "channel")]
    path = SPECS / "every-key.yaml"  # opened in the editor only, never written
    text = "# yaml-language-server: $schema=../schemas/cxgov-spec-v1.json\n" + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=200)
    assert _document(yaml_server, path, text) == []
    named = _hover_every_key(yaml_server, path, text)
    assert {name for name, _ in schema_docs.properties()} - named == set()


MISTAKES = SPECS / "mistakes.yaml"  # opened in the editor only, never written
STANDARD = """\
# yaml-language-server: $schema=../schemas/cxgov-spec-v1.json
version: 1
standards:
  - id: complaints-resolved-24h
    metric: resolved-24h
    threshold: {op: ">=", fail: 90, warn: 95}
    window: 28d
    severity: high
"""


def _only(server, text: str) -> dict:
    diagnostics = server.diagnostics(MISTAKES, text)
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0]


def test_the_valid_standard_has_no_diagnostics(yaml_server):
    assert _document(yaml_server, MISTAKES, STANDARD) == []


def test_an_unknown_key_is_reported_at_the_key(yaml_server):
    found = _only(yaml_server, STANDARD.replace("    severity: high", "    severty: high"))
    assert found["range"]["start"] == {"line": 7, "character": 4}
    assert found["message"] == "Property severty is not allowed."


def test_a_bad_enum_value_says_which_values_are_allowed(yaml_server):
    found = _only(yaml_server, STANDARD.replace("severity: high", "severity: urgent"))
    assert found["range"]["start"] == {"line": 7, "character": 14}
    assert found["message"] == schema_docs.ROOT["$defs"]["severity"]["errorMessage"]
    assert found["message"] == "A severity is critical, high, medium or low."


def test_a_bad_id_says_what_an_id_is_not_the_regular_expression(yaml_server):
    found = _only(yaml_server, STANDARD.replace("id: complaints-resolved-24h", "id: Complaints Resolved"))
    assert found["range"]["start"] == {"line": 3, "character": 8}
    assert found["message"] == schema_docs.ROOT["$defs"]["id"]["patternErrorMessage"]
    assert found["message"].startswith("An id is lower-case letters, digits") and "^" not in found["message"]


def test_a_bad_date_and_a_bad_window_read_well(yaml_server):
    text = STANDARD.replace("window: 28d", "window: 28 days")
    found = _only(yaml_server, text)
    assert found["range"]["start"] == {"line": 6, "character": 12}
    assert found["message"].startswith("A window is Nd or Nw")
    waiver = text.replace("window: 28 days", "window: 28d") + (
        "waivers:\n  - {id: w-1, standard: complaints-resolved-24h, justification: Outage, approved_by: coo,\n"
        "     expires: 31/12/2026}\n")
    found = _only(yaml_server, waiver)
    assert found["range"]["start"]["line"] == 10
    assert found["message"] == "Expected a date written YYYY-MM-DD."


def test_the_starter_of_cxgov_init_finds_its_schema_and_has_no_diagnostics(yaml_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "my-cx"]).exit_code == 0
    files = sorted((tmp_path / "my-cx").rglob("*.yaml"))
    assert len(files) == 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _document(yaml_server, path, text) == [], path
        hover = yaml_server.hover(path, *_key_positions(text)[("version",)])
        assert _source(hover) == (tmp_path / "my-cx" / "cxgov-spec-v1.json").resolve().as_uri()
        _hover_every_key(yaml_server, path, text)
