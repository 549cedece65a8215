"""Read a spec folder: every .yaml/.yml file, safely, into plain values that remember where they were written.

Safe by construction: YAML is only *composed* (parsed into nodes), never constructed into arbitrary objects; any
tag that is not a plain YAML data tag is refused, duplicate keys are refused, alias expansion is bounded, and files
are size-limited. Every per-file problem becomes a Diagnostic on the Document, so one run reports them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from cxgov.errors import Diagnostic, Location, SpecError

MAX_FILE_BYTES = 2 * 1024 * 1024
# Without aliases a file cannot hold more values than characters; aliases may add this many more.
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64  # values nested deeper than this are refused (a spec nests five levels or so)
SUFFIXES = (".yaml", ".yml")

_Y = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (_Y + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
SEQ, MAP, MERGE, VALUE = _Y + "seq", _Y + "map", _Y + "merge", _Y + "value"
_KEY_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, VALUE))


class _Composing:
    """What the composer calls for every node, as C callables instead of Python methods.

    Tags are resolved by YAML's plain rules alone: the implicit tag of a scalar depends only on the scalar, so it
    is memoised, and path resolvers (which PyYAML lets other code register) are not followed, so descending and
    ascending do nothing.
    """

    resolve = staticmethod(lru_cache(maxsize=1 << 16)(Resolver().resolve))
    descend_resolver = staticmethod({}.get)  # (parent, index) -> ignored
    ascend_resolver = staticmethod(tuple)  # () -> ignored


class PyLoader(_Composing, yaml.SafeLoader):
    """The pure-Python safe composer, for where libyaml is missing."""


CLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class CLoader(_Composing, yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe composer: the same nodes and positions, several times faster."""

Path_ = tuple  # a path into a document: keys and list indexes


@dataclass(frozen=True)
class Document:
    """One spec file: its plain data (None when it could not be read) and where every value is written."""

    path: Path  # the file, as found under the root
    name: str  # the file as the user would type it (relative to the cwd when under it)
    relative: str  # posix path relative to the spec root
    raw: bytes
    data: Any
    # path -> (line, column) where the value starts; for mapping entries followed by (line, column) of the key
    positions: Mapping[Path_, tuple[int, ...]]
    diagnostics: tuple[Diagnostic, ...] = ()

    def at(self, path: Path_) -> Location:
        """Where the value at `path` is written, else its nearest enclosing value."""
        path = tuple(path)
        while path:
            pos = self.positions.get(path)
            if pos is not None:
                return Location(self.name, pos[0], pos[1])
            path = path[:-1]
        pos = self.positions.get((), (1, 1))
        return Location(self.name, pos[0], pos[1])

    def key_at(self, path: Path_) -> Location:
        """Where the key of the mapping entry at `path` is written, else where its value is."""
        pos = self.positions.get(tuple(path))
        return Location(self.name, pos[2], pos[3]) if pos and len(pos) == 4 else self.at(path)


def display_name(path: Path) -> str:
    """`path` as the user would type it: relative to the cwd when under it, with forward slashes."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def spec_files(root: Path) -> list[Path]:
    """Every .yaml/.yml file below `root`, recursively, sorted by relative path; hidden folders are skipped."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(folder) / f for f in files if f.endswith(SUFFIXES) and not f.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def load_documents(root: Path) -> tuple[Document, ...]:
    """Read every spec file below `root`. Raises SpecError only when `root` itself cannot be used."""
    root = Path(root)
    if not root.exists():
        raise SpecError(f"spec folder '{root}' does not exist",
                        hint="give the folder that holds your spec files, or create one with `cxgov init DIR`")
    if not root.is_dir():
        raise SpecError(f"'{root}' is not a folder", hint="give the folder that holds the spec's .yaml files")
    return tuple(load_file(path, path.relative_to(root).as_posix()) for path in spec_files(root))


class Unusable(Exception):
    """A file that cannot be used at all: the one diagnostic to report for it (without the file name)."""

    def __init__(self, code: str, message: str, line: int = 0, column: int = 0, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.line, self.column, self.hint = code, message, line, column, hint

    def diagnostic(self, name: str) -> Diagnostic:
        return Diagnostic(self.code, "error", self.message, Location(name, self.line, self.column), self.hint)


def load_file(path: Path, relative: str | None = None, pure: bool = False) -> Document:
    """Read one spec file; problems become diagnostics on the returned Document.

    `pure` uses the pure-Python composer even where libyaml is installed (tests compare the two).
    """
    name = display_name(path)
    relative = relative if relative is not None else path.name
    raw = b""
    try:
        raw = read(path)
        text = decode(raw)
        data, positions, diagnostics = convert(name, text, compose(text, pure))
    except Unusable as exc:
        return Document(path, name, relative, raw, None, {}, (exc.diagnostic(name),))
    return Document(path, name, relative, raw, data, positions, diagnostics)


def read(path: Path) -> bytes:
    """The file's bytes, or Unusable (CX001) when it cannot be read or is too large."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise Unusable("CX001", f"file is {size / 1048576:.1f} MiB, larger than the 2 MiB limit for a spec file",
                           hint="split it into several files; sections are merged across files")
        return path.read_bytes()
    except OSError as exc:
        raise Unusable("CX001", f"cannot read the file: {exc.strerror or exc}") from None


def decode(raw: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped), or Unusable (CX001) when it is too large, binary or not UTF-8."""
    if len(raw) > MAX_FILE_BYTES:  # grew since stat
        raise Unusable("CX001", "file is larger than the 2 MiB limit for a spec file")
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise Unusable("CX001", "binary file (it contains NUL bytes), not YAML text", line,
                       hint="spec files are UTF-8 YAML; move other files out of the spec folder")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise Unusable("CX001", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, column,
                       hint="save the file as UTF-8") from None


def compose(text: str, pure: bool = False) -> yaml.Node:
    """The YAML node tree of `text` (libyaml's composer unless `pure`), or Unusable (CX001 empty, CX002 syntax)."""
    try:
        root = yaml.compose(text, Loader=PyLoader if pure or CLoader is None else CLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text) from None
    except yaml.reader.ReaderError as exc:
        raise _bad_character(exc, text) from None
    except yaml.YAMLError as exc:
        raise Unusable("CX002", f"YAML syntax error: {exc}") from None
    except RecursionError:
        raise Unusable("CX002", "YAML is nested too deeply") from None
    if root is None:
        raise Unusable("CX001", "file is empty", 1, 1,
                       "a spec file is a mapping that starts with `version: 1`; delete the file if unused")
    return root


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> Unusable:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if exc.context:
        problem = f"{problem} ({exc.context})"
    hint = None
    if "'\\t'" in problem or (mark and _char_at(text, mark.line, mark.column) == "\t"):
        hint = "YAML does not allow tabs for indentation; use spaces"
    elif "single document" in problem:
        hint = "keep one YAML document per file (no second '---')"
    return Unusable("CX002", f"YAML syntax error: {problem}", mark.line + 1 if mark else 0,
                    mark.column + 1 if mark else 0, hint)


def _bad_character(exc: yaml.reader.ReaderError, text: str) -> Unusable:
    """A character YAML does not allow anywhere (a control character), at its first occurrence."""
    if not isinstance(exc.character, int):
        return Unusable("CX002", f"YAML syntax error: {exc}")
    at = text.find(chr(exc.character))
    line, column = (text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)) if at >= 0 else (0, 0)
    return Unusable("CX002", f"YAML syntax error: character U+{exc.character:04X} is not allowed in YAML text",
                    line, column, f"delete it; to mean it, write \"\\u{exc.character:04X}\" in a double-quoted string")


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


class _Refused(Exception):
    """Stop converting a file: its content cannot be used at all (unsafe tag, alias bomb)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_SCALARS = SafeConstructor()


def convert(name: str, text: str, root: yaml.Node) -> tuple[Any, dict[Path_, tuple[int, ...]], tuple[Diagnostic, ...]]:
    """The plain data of the node tree `root` composed from `text`, where each value is written, and the problems
    found (data is None when the file cannot be used at all); the Document's fields."""
    converter = _Converter(name, text)
    try:
        data = converter.convert(root, ())
    except _Refused as exc:
        return None, converter.positions, (*converter.diagnostics, exc.diagnostic)
    except RecursionError:
        return None, {}, (Diagnostic("CX002", "error", "YAML is nested too deeply", Location(name)),)
    return data, converter.positions, tuple(converter.diagnostics)


class _Converter:
    """Composed YAML nodes -> plain Python values (dict, list, str, int, float, bool, None; dates as ISO text)."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.limit = len(text) + MAX_ALIAS_NODES  # values visited, beyond which aliases expand out of proportion
        self.merges = "<<" in text or "!" in text  # a merge key is written `<<` or tagged (!!merge)
        self.positions: dict[Path_, tuple[int, ...]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.visits = 0
        self.active: set[int] = set()  # collections being converted, to catch recursive aliases

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.name, mark.line + 1, mark.column + 1)

    def refuse(self, code: str, message: str, node: yaml.Node, hint: str | None = None) -> _Refused:
        return _Refused(Diagnostic(code, "error", message, self.loc(node), hint))

    def convert(self, node: yaml.Node, path: Path_, key_mark: yaml.Mark | None = None) -> Any:
        """The value of `node`, recorded at `path` (with where its key is written, for a mapping entry)."""
        self.visits += 1
        if self.visits > self.limit:
            raise self.refuse("CX005", f"aliases expand to more than {MAX_ALIAS_NODES} values beyond what the file "
                              "holds", node, "a spec needs few aliases: write the values out instead")
        if len(path) > MAX_DEPTH:
            raise self.refuse("CX002", f"values are nested more than {MAX_DEPTH} levels deep", node,
                              "a spec nests a few levels at most: check the brackets and indentation here")
        mark = node.start_mark
        self.positions[path] = ((mark.line + 1, mark.column + 1) if key_mark is None else
                                (mark.line + 1, mark.column + 1, key_mark.line + 1, key_mark.column + 1))
        cls, tag = node.__class__, node.tag
        if cls is ScalarNode:
            return self.scalar(node, tag)
        key = id(node)
        if key in self.active:
            raise self.refuse("CX005", "recursive alias: a value contains itself", node)
        self.active.add(key)
        try:
            if cls is SequenceNode:
                if tag != SEQ:
                    raise self.bad_tag(node)
                return self.sequence(node, path)
            if tag != MAP:
                raise self.bad_tag(node)
            return self.mapping(node, path)
        finally:
            self.active.discard(key)

    def bad_tag(self, node: yaml.Node) -> _Refused:
        return self.refuse("CX004", f"tag '{node.tag}' is not allowed in a spec", node,
                           "specs hold plain data only: remove the tag")

    def scalar(self, node: yaml.ScalarNode, tag: str) -> Any:
        try:
            if tag == STR or tag == VALUE:
                return node.value
            if tag == INT:
                return _SCALARS.construct_yaml_int(node)
            if tag == FLOAT:
                return _SCALARS.construct_yaml_float(node)
            if tag == BOOL:
                return _SCALARS.construct_yaml_bool(node)
            if tag == NULL:
                return None
            if tag == TIMESTAMP:
                try:
                    return _SCALARS.construct_yaml_timestamp(node).isoformat()
                except (ValueError, TypeError):
                    return node.value  # e.g. 2026-02-30: kept as text, reported where a date is expected
        except (ValueError, ConstructorError, KeyError):
            raise self.refuse("CX004", f"'{node.value}' is not a valid {tag.rsplit(':', 1)[-1]}", node) from None
        raise self.bad_tag(node)

    def sequence(self, node: yaml.SequenceNode, path: Path_) -> list:
        items = []
        positions = self.positions
        for i, item in enumerate(node.value):
            if item.__class__ is ScalarNode and item.tag == STR:  # the common case, inline
                self.visits += 1
                mark = item.start_mark
                positions[path + (i,)] = (mark.line + 1, mark.column + 1)
                items.append(item.value)
            else:
                items.append(self.convert(item, path + (i,)))
        return items

    def key(self, node: yaml.Node) -> str:
        if node.__class__ is not ScalarNode:
            raise self.refuse("CX002", "a mapping key must be a plain name, not a list or mapping", node)
        if node.tag not in _KEY_TAGS:
            raise self.bad_tag(node)
        return node.value  # keys are names: `yes:` or `2024:` stay as written

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        result: dict[str, Any] = {}
        explicit: dict = result  # the keys written in this mapping; merged keys may be overridden, these not
        if self.merges and any(k.tag == MERGE for k, _ in node.value):
            self.merge(node, path, result)
            explicit = {}
        positions = self.positions
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                continue
            key = key_node.value if key_node.__class__ is ScalarNode and key_node.tag == STR else self.key(key_node)
            if key in explicit:
                self.duplicate(node, key, key_node)
                continue
            key_mark = key_node.start_mark
            sub = path + (key,)
            if value_node.__class__ is ScalarNode and value_node.tag == STR:  # the common case, inline
                self.visits += 1
                mark = value_node.start_mark
                positions[sub] = (mark.line + 1, mark.column + 1, key_mark.line + 1, key_mark.column + 1)
                result[key] = value_node.value
            else:
                result[key] = self.convert(value_node, sub, key_mark)
            if explicit is not result:
                explicit[key] = None
        return result

    def merge(self, node: yaml.MappingNode, path: Path_, result: dict) -> None:
        """`<<: *defaults`: merged first so that explicit keys (and their locations) win; earlier merges win."""
        merges = [value for key, value in node.value if key.tag == MERGE]
        for merge in reversed(merges):
            sources = merge.value if merge.__class__ is SequenceNode else [merge]
            for source in reversed(sources):
                if source.__class__ is not MappingNode:
                    raise self.refuse("CX002", "'<<' merges a mapping (or a list of mappings) only", source)
                if id(source) in self.active:
                    raise self.refuse("CX005", "recursive alias: '<<' merges a mapping that contains it", source)
                self.visits += 1
                self.active.add(id(source))
                try:
                    result.update(self.mapping(source, path))
                finally:
                    self.active.discard(id(source))

    def duplicate(self, node: yaml.MappingNode, key: str, key_node: yaml.Node) -> None:
        first = next(k for k, _ in node.value if k.tag != MERGE and k.value == key)
        self.diagnostics.append(Diagnostic(
            "CX003", "error", f"duplicate key '{key}' (lines {first.start_mark.line + 1} and "
            f"{key_node.start_mark.line + 1})", self.loc(key_node),
            "a key may appear once per mapping: remove or merge one of them"))
