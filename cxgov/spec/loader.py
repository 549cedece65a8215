"""Read a spec folder: every .yaml/.yml file, safely, into plain values that remember where they were written.

Safe by construction: YAML is only *composed* (parsed into nodes), never constructed into arbitrary objects; any
tag that is not a plain YAML data tag is refused, duplicate keys are refused, alias expansion is bounded, and files
are size-limited. Every per-file problem becomes a Diagnostic on the Document, so one run reports them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from cxgov.errors import Diagnostic, Location, SpecError

MAX_FILE_BYTES = 2 * 1024 * 1024
# Without aliases a file cannot hold more values than characters; aliases may add this many more.
MAX_ALIAS_NODES = 10_000
SUFFIXES = (".yaml", ".yml")

_Y = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (_Y + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
SEQ, MAP, MERGE, VALUE = _Y + "seq", _Y + "map", _Y + "merge", _Y + "value"

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses several times faster


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader whose implicit-tag resolution is memoised: spec files repeat the same scalars a lot."""

    _resolved: dict[tuple, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._resolved) < 50_000:
                self._resolved[key] = tag
        return tag


Path_ = tuple  # a path into a document: keys and list indexes


@dataclass(frozen=True)
class Document:
    """One spec file: its plain data (None when it could not be read) and where every value is written."""

    path: Path  # the file, as found under the root
    name: str  # the file as the user would type it (relative to the cwd when under it)
    relative: str  # posix path relative to the spec root
    raw: bytes
    data: Any
    locations: Mapping[Path_, tuple[int, int]]  # path -> (line, column) where the value starts
    key_locations: Mapping[Path_, tuple[int, int]]  # path -> (line, column) of its key (mapping entries)
    diagnostics: tuple[Diagnostic, ...] = ()

    def at(self, path: Path_) -> Location:
        """Where the value at `path` is written, else its nearest enclosing value."""
        path = tuple(path)
        while path:
            pos = self.locations.get(path)
            if pos is not None:
                return Location(self.name, *pos)
            path = path[:-1]
        return Location(self.name, *self.locations.get((), (1, 1)))

    def key_at(self, path: Path_) -> Location:
        """Where the key of the mapping entry at `path` is written, else where its value is."""
        pos = self.key_locations.get(tuple(path))
        return Location(self.name, *pos) if pos else self.at(path)


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


def load_file(path: Path, relative: str | None = None) -> Document:
    """Read one spec file; problems become diagnostics on the returned Document."""
    name = display_name(path)
    relative = relative if relative is not None else path.name

    def failed(code: str, message: str, line: int = 0, column: int = 0, hint: str | None = None,
               raw: bytes = b"") -> Document:
        diag = Diagnostic(code, "error", message, Location(name, line, column), hint)
        return Document(path, name, relative, raw, None, {}, {}, (diag,))

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return failed("CX001", f"file is {size / 1048576:.1f} MiB, larger than the 2 MiB limit for a spec file",
                          hint="split it into several files; sections are merged across files")
        raw = path.read_bytes()
    except OSError as exc:
        return failed("CX001", f"cannot read the file: {exc.strerror or exc}")
    if len(raw) > MAX_FILE_BYTES:  # grew since stat
        return failed("CX001", "file is larger than the 2 MiB limit for a spec file", raw=raw)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        return failed("CX001", "binary file (it contains NUL bytes), not YAML text", line, raw=raw,
                      hint="spec files are UTF-8 YAML; move other files out of the spec folder")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return failed("CX001", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, column, raw=raw,
                      hint="save the file as UTF-8")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        hint = None
        if "'\\t'" in problem or (mark and _char_at(text, mark.line, mark.column) == "\t"):
            hint = "YAML does not allow tabs for indentation; use spaces"
        elif "single document" in problem:
            hint = "keep one YAML document per file (no second '---')"
        return failed("CX002", f"YAML syntax error: {problem}", mark.line + 1 if mark else 0,
                      mark.column + 1 if mark else 0, hint, raw)
    except yaml.YAMLError as exc:
        return failed("CX002", f"YAML syntax error: {exc}", raw=raw)
    except RecursionError:
        return failed("CX002", "YAML is nested too deeply", raw=raw)
    if root is None:
        return failed("CX001", "file is empty", 1, 1, raw=raw,
                      hint="a spec file is a mapping that starts with `version: 1`; delete the file if unused")
    converter = _Converter(name, limit=len(text) + MAX_ALIAS_NODES)
    try:
        data = converter.convert(root, ())
    except _Refused as exc:
        return Document(path, name, relative, raw, None, converter.locations, converter.key_locations,
                        (*converter.diagnostics, exc.diagnostic))
    except RecursionError:
        return failed("CX002", "YAML is nested too deeply", raw=raw)
    return Document(path, name, relative, raw, data, converter.locations, converter.key_locations,
                    tuple(converter.diagnostics))


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


class _Refused(Exception):
    """Stop converting a file: its content cannot be used at all (unsafe tag, alias bomb)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_SCALARS = SafeConstructor()


class _Converter:
    """Composed YAML nodes -> plain Python values (dict, list, str, int, float, bool, None; dates as ISO text)."""

    def __init__(self, name: str, limit: int):
        self.name = name
        self.limit = limit  # values visited, beyond which aliases are expanding out of proportion
        self.locations: dict[Path_, tuple[int, int]] = {}
        self.key_locations: dict[Path_, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.visits = 0
        self.active: set[int] = set()  # collections being converted, to catch recursive aliases

    def loc(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.name, mark.line + 1, mark.column + 1)

    def refuse(self, code: str, message: str, node: yaml.Node, hint: str | None = None) -> _Refused:
        return _Refused(Diagnostic(code, "error", message, self.loc(node), hint))

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.visits += 1
        if self.visits > self.limit:
            raise self.refuse("CX005", f"aliases expand to more than {MAX_ALIAS_NODES} values beyond what the file "
                              "holds", node, "a spec needs few aliases: write the values out instead")
        mark = node.start_mark
        self.locations[path] = (mark.line + 1, mark.column + 1)
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, tag)
        key = id(node)
        if key in self.active:
            raise self.refuse("CX005", "recursive alias: a value contains itself", node)
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                if tag != SEQ:
                    raise self.bad_tag(node)
                items = []
                for i, item in enumerate(node.value):
                    if item.__class__ is yaml.ScalarNode and item.tag == STR:  # fast path for the common case
                        self.visits += 1
                        mark = item.start_mark
                        self.locations[path + (i,)] = (mark.line + 1, mark.column + 1)
                        items.append(item.value)
                    else:
                        items.append(self.convert(item, path + (i,)))
                return items
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

    def key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.refuse("CX002", "a mapping key must be a plain name, not a list or mapping", node)
        if node.tag not in (STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, VALUE):
            raise self.bad_tag(node)
        return node.value  # keys are names: `yes:` or `2024:` stay as written

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        result: dict[str, Any] = {}
        merges = [value for key, value in node.value if key.tag == MERGE]
        # `<<: *defaults`: merged first so that explicit keys (and their locations) win; earlier merges win
        for merge in reversed(merges):
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    raise self.refuse("CX002", "'<<' merges a mapping (or a list of mappings) only", source)
                self.visits += 1
                result.update(self.mapping(source, path))
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                continue
            key = self.key(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.diagnostics.append(Diagnostic(
                    "CX003", "error", f"duplicate key '{key}' (lines {first_line[key]} and {line})",
                    self.loc(key_node), "a key may appear once per mapping: remove or merge one of them"))
                continue
            first_line[key] = line
            sub = path + (key,)
            self.key_locations[sub] = (line, key_node.start_mark.column + 1)
            if value_node.__class__ is yaml.ScalarNode and value_node.tag == STR:  # fast path
                self.visits += 1
                mark = value_node.start_mark
                self.locations[sub] = (mark.line + 1, mark.column + 1)
                result[key] = value_node.value
            else:
                result[key] = self.convert(value_node, sub)
        return result
