"""The loader: libyaml and the pure-Python composer agree on data, positions and rejections; merges, aliases and
characters YAML refuses are reported where they are written."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgov.spec import loader
from spec_fixtures import REPO

BOMB = "version: 1\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(10))

CORPUS = {
    "flow-and-block": "version: 1\nowners:\n  - {id: ana, name: Ana, members: [a, b]}\n  - id: bo\n    name: Bo\n",
    "scalars": "a: 0x1F\nb: 017\nc: 1_000\nd: .inf\ne: yes\nf: ~\ng: 2026-01-01\nh: 2026-02-30\ni: 1:20\n",
    "keys": "yes: 1\n2024: 2\n~: 3\n'quoted': 4\n=: 5\n",
    "multiline": "a: |\n  hello\n  world\nb: >\n  x\n  y\nc: 2\n",
    "unicode": "a: 'ééé'\nb: [ü, 'ñ', '😀', x]\nc: 1\n",
    "crlf": "version: 1\r\nowners:\r\n  - {id: x, name: \"é y\"}\r\n",
    "bom": "\ufeffversion: 1\nx: 1\n",
    "merge": "d: &d {a: 1, b: 2}\ne: {<<: *d, b: 3, c: 4}\nf:\n  <<: [*d, {z: 1}]\n  a: 9\n",
    "tagged-merge": "d: &d {a: 1}\ne: {!!merge x: *d, b: 2}\n",
    "anchors": "a: &x hello\nb: *x\nc: [*x, *x]\n",
    "explicit-tags": "a: !!str 1\nb: !!int '3'\n%s" % "c: !<tag:yaml.org,2002:str> 4\n",
    "tag-directive": "%TAG !e! tag:yaml.org,2002:\n---\na: !e!str 1\n",
    "duplicate-key": "a: 1\nb: 2\na: 3\nc: {x: 1, x: 2}\n",
    "duplicate-after-merge": "d: &d {a: 1}\ne: {<<: *d, a: 2, a: 3}\n",
    "python-tag": "version: 1\nx: !!python/object:os.system {}\n",
    "custom-tag": "a: !upper x\n",
    "binary-tag": "a: !!binary aGVsbG8=\n",
    "set-tag": "a: !!set {x, y}\n",
    "bad-int": "a: !!int x\n",
    "list-key": "? [a, b]\n: 1\n",
    "bad-merge": "e: {<<: [1, 2]}\n",
    "alias-bomb": BOMB,
    "recursive-alias": "version: 1\nx: &a [*a]\n",
    "recursive-merge": "x: &a {b: {<<: *a}}\n",
    "too-deep": "a: " + "[" * 80 + "]" * 80 + "\n",
    "syntax": "version: 1\nowners: [{id: x, name: y}\n",
    "tabs": "version: 1\nowners:\n\t- {id: x, name: y}\n",
    "two-documents": "version: 1\n---\nversion: 1\n",
    "undefined-alias": "a: *x\n",
    "control-character": "a: ééé\nb: x\x07y\n",
    "escaped-controls": 'a: "x\\x1b[0m"\nb: ["ok\\t", "\\e"]\n"k\\0": 1\nc: \'\\x07 stays text\'\n',
    "escaped-surrogate": 'a: [x, "é\\ud800"]\n',
    "escaped-pair": 'a: "\\ud83d\\ude00"\n',
    "escape-beyond-unicode": 'a: 1\nb: "\\U00110000"\n',
    "bidi": 'a: "abc\u202edef"\nb: "\\u2066x"\n',
    "empty": "",
    "comments-only": "# nothing yet\n",
    "top-level-list": "- a\n- b\n",
}
EXAMPLES = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted((REPO / "specs").rglob("*.yaml"))}

needs_libyaml = pytest.mark.skipif(loader.CLoader is None, reason="PyYAML is installed without libyaml")


def _load(tmp_path: Path, text: str, pure: bool) -> loader.Document:
    """The file loaded with libyaml, or (`pure`) as where PyYAML is installed without it."""
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.MonkeyPatch.context() as patch:
        if pure:
            patch.setattr(loader, "CLoader", None)
        return loader.load_file(path, "f.yaml")


@needs_libyaml
@pytest.mark.parametrize("name", [*CORPUS, *EXAMPLES])
def test_libyaml_and_pure_python_agree(tmp_path, name):
    text = CORPUS[name] if name in CORPUS else EXAMPLES[name]
    fast, pure = _load(tmp_path, text, False), _load(tmp_path, text, True)
    assert fast.data == pure.data
    assert fast.positions == pure.positions
    assert [(d.code, d.location) for d in fast.diagnostics] == [(d.code, d.location) for d in pure.diagnostics]
    # libyaml words its syntax errors its own way; every other message is cxgov's and the same
    assert [d.message for d in fast.diagnostics if d.code != "CX002" or "YAML syntax error" not in d.message] == \
        [d.message for d in pure.diagnostics if d.code != "CX002" or "YAML syntax error" not in d.message]


@pytest.mark.parametrize("pure", [False, True], ids=["libyaml", "pure"])
@pytest.mark.parametrize("name, code, where, text", [
    ("duplicate-key", "CX003", "3:1", "duplicate key 'a' (lines 1 and 3)"),
    ("duplicate-after-merge", "CX003", "2:19", "duplicate key 'a' (lines 2 and 2)"),
    ("python-tag", "CX004", "2:4", "tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),
    ("custom-tag", "CX004", "1:4", "tag '!upper' is not allowed"),
    ("binary-tag", "CX004", "1:4", "tag 'tag:yaml.org,2002:binary'"),
    ("set-tag", "CX004", "1:4", "tag 'tag:yaml.org,2002:set'"),
    ("bad-int", "CX004", "1:4", "'x' is not a valid int"),
    ("list-key", "CX002", "1:3", "a mapping key must be a plain name"),
    ("bad-merge", "CX002", "1:13", "'<<' merges a mapping"),
    ("alias-bomb", "CX005", "", "aliases expand to more than 10000 values"),
    ("recursive-alias", "CX005", "2:4", "recursive alias"),
    ("recursive-merge", "CX005", "1:4", "recursive alias: '<<' merges a mapping that contains it"),
    ("too-deep", "CX002", "1:68", "nested more than 64 levels deep"),
    ("control-character", "CX002", "2:5", "character U+0007 is not allowed"),
    ("syntax", "CX002", "3:1", "YAML syntax error"),
    ("tabs", "CX002", "3:1", "YAML syntax error"),
    ("two-documents", "CX002", "2:1", "YAML syntax error"),
    ("undefined-alias", "CX002", "1:4", "undefined alias"),
    ("empty", "CX001", "1:1", "file is empty"),
    ("escaped-surrogate", "CX009", "1:10", "\\ud800 is half of a UTF-16 surrogate pair"),
    ("escaped-pair", "CX009", "1:5", "\\ud83d\\ude00 writes U+1F600 as a UTF-16 surrogate pair"),
    ("escape-beyond-unicode", "CX009", "2:5", "\\U00110000 is no character"),
])
def test_refused_where_written(tmp_path, pure, name, code, where, text):
    if not pure and loader.CLoader is None:
        pytest.skip("PyYAML is installed without libyaml")
    doc = _load(tmp_path, CORPUS[name], pure)
    hits = [d for d in doc.diagnostics if d.code == code and str(d.location).startswith(f"{doc.name}:{where}")]
    assert hits and text in hits[0].message, [d.format() for d in doc.diagnostics]
    assert all(d.location.line > 0 for d in doc.diagnostics), "every diagnostic names a line"
    if code != "CX003":
        assert doc.data is None


def test_merges_explicit_keys_and_earlier_merges_win(tmp_path):
    doc = _load(tmp_path, CORPUS["merge"], pure=False)
    assert doc.data["e"] == {"a": 1, "b": 3, "c": 4} and doc.data["f"] == {"a": 9, "b": 2, "z": 1}
    assert str(doc.at(("e", "b"))) == f"{doc.name}:2:16" and str(doc.key_at(("e", "b"))) == f"{doc.name}:2:13"
    assert _load(tmp_path, CORPUS["tagged-merge"], pure=False).data["e"] == {"a": 1, "b": 2}


def test_positions_of_values_keys_and_list_items(tmp_path):
    doc = _load(tmp_path, CORPUS["flow-and-block"], pure=False)
    assert str(doc.at(("owners", 0, "members", 1))) == f"{doc.name}:3:39"
    assert str(doc.at(("owners", 1, "name"))) == f"{doc.name}:5:11"
    assert str(doc.key_at(("owners", 1, "name"))) == f"{doc.name}:5:5"
    assert str(doc.at(("owners", 1, "nothing", 3))) == f"{doc.name}:4:5"  # the nearest enclosing value
    assert str(doc.key_at(("owners", 0))) == f"{doc.name}:3:5"  # a list item has no key: where its value is


def test_scalars_keep_yaml_types_and_dates_stay_text(tmp_path):
    doc = _load(tmp_path, CORPUS["scalars"], pure=False)
    assert doc.data == {"a": 31, "b": 15, "c": 1000, "d": float("inf"), "e": True, "f": None, "g": "2026-01-01",
                        "h": "2026-02-30", "i": 80}
    assert _load(tmp_path, CORPUS["keys"], pure=False).data == {"yes": 1, "2024": 2, "~": 3, "quoted": 4, "=": 5}


@pytest.mark.parametrize("pure", [False, True], ids=["libyaml", "pure"])
def test_control_characters_are_reported_where_they_are_written_and_the_data_kept(tmp_path, pure):
    if not pure and loader.CLoader is None:
        pytest.skip("PyYAML is installed without libyaml")
    doc = _load(tmp_path, CORPUS["escaped-controls"], pure)
    assert doc.data == {"a": "x\x1b[0m", "b": ["ok\t", "\x1b"], "k\x00": 1, "c": "\\x07 stays text"}
    found = [(d.code, str(d.location), d.message) for d in doc.diagnostics]
    assert found == [
        ("CX009", f"{doc.name}:1:6", "the value 'x\\x1b[0m' holds control character U+001B (escape), which no "
         "output shows safely (a terminal acts on it, XML cannot hold it)"),
        ("CX009", f"{doc.name}:2:14", "the value '\\x1b' holds control character U+001B (escape), which no output "
         "shows safely (a terminal acts on it, XML cannot hold it)"),
        ("CX009", f"{doc.name}:3:3", "the key 'k\\x00' holds control character U+0000 (NUL), which no output "
         "shows safely (a terminal acts on it, XML cannot hold it)")]
    bidi = _load(tmp_path, CORPUS["bidi"], pure)
    assert [(d.code, d.severity, str(d.location)) for d in bidi.diagnostics] == [
        ("CX014", "warning", f"{bidi.name}:1:8"), ("CX014", "warning", f"{bidi.name}:2:5")]
    assert "U+202E (right-to-left override)" in bidi.diagnostics[0].message


def test_an_aliased_value_is_reported_once(tmp_path):
    doc = _load(tmp_path, 'a: &x "\\x07"\nb: *x\nc: [*x, *x]\nd: &m {k: "\\x08"}\ne: {<<: *m}\n', pure=False)
    assert [str(d.location) for d in doc.diagnostics] == [f"{doc.name}:1:8", f"{doc.name}:4:12"]


TEXT = "version: 1\nowners:\n  - {id: jose, name: José 😀}\n"


@pytest.mark.parametrize("codec, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                        ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-32-be", b"\x00\x00\xfe\xff"),
                                        ("utf-16-le", b""), ("utf-16-be", b""), ("utf-32-le", b""),
                                        ("utf-32-be", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_utf16_and_utf32_files_are_read_with_or_without_a_byte_order_mark(tmp_path, codec, bom):
    path = tmp_path / "f.yaml"
    path.write_bytes(bom + TEXT.encode(codec))
    doc = loader.load_file(path, "f.yaml")
    assert doc.diagnostics == () and doc.data == {"version": 1, "owners": [{"id": "jose", "name": "José 😀"}]}
    assert str(doc.at(("owners", 0, "name"))) == f"{doc.name}:3:22"


@pytest.mark.parametrize("raw, where, text", [
    ("version: 1\nname: Jos\xe9\n".encode("latin-1"), "1:1",
     "file is not UTF-8 text (found byte 0xE9 at line 2, column 10, as in Windows-1252 or Latin-1 text)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "1:1", "file is not UTF-8 text (found byte 0x89 at line 1, column 1; it "
     "does not look like text at all)"),
    (b"\xff\xfe" + "a: 1\n".encode("utf-16-le") + b"\x00\xd8", "1:1",
     "file is not UTF-16 LE text, as its start says (found byte 0x00 at line 2, column 1, which is no UTF-16 LE)"),
    (b"version: 1\nname: a\x00b\n", "2:8", "file holds a NUL byte (0x00), which YAML text cannot hold"),
    (b"v\x00e\x00r", "1:2", "NUL byte"),  # looks like UTF-16 LE, is not (odd length): read as UTF-8
])
def test_text_that_is_not_utf8_utf16_or_utf32_is_reported_with_what_was_found(tmp_path, raw, where, text):
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    (diagnostic,) = loader.load_file(path, "f.yaml").diagnostics
    assert diagnostic.code == "CX001" and str(diagnostic.location) == f"{loader.display_name(path)}:{where}"
    assert text in diagnostic.message, diagnostic.message
    assert "binary" not in diagnostic.message


def test_a_pipe_named_like_a_spec_file_is_not_read(tmp_path):
    import os

    os.mkfifo(tmp_path / "p.yaml")  # reading it would wait for a writer forever
    (diagnostic,) = loader.load_file(tmp_path / "p.yaml").diagnostics
    assert diagnostic.code == "CX001" and "not a regular file" in diagnostic.message
