"""Read a spec folder: every .yaml/.yml file, safely, into plain values that remember where they were written.

Safe by construction: YAML is only *composed* (parsed into nodes), never constructed into arbitrary objects; any
tag that is not a plain YAML data tag is refused, duplicate keys are refused, alias expansion is bounded, and files
are size-limited. Text is UTF-8, or UTF-16/UTF-32 with a byte-order mark (or as YAML detects them); no string may
hold a control character (CX009). Symbolic links are followed only inside the spec's repository and the allowed
roots (CX007), and a link that loops or leads nowhere is reported where it is (CX008). Every per-file problem
becomes a Diagnostic on the Document, so one run reports them all.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from cxgov.errors import Diagnostic, Location, SpecError
from cxgov.spec import confine
from cxgov.spec.bounds import number_problem
from cxgov.speed import memo
from cxgov.vocabulary import SPEC_SUFFIXES as SUFFIXES

MAX_FILE_BYTES = 2 * 1024 * 1024
# Without aliases a file cannot hold more values than characters; aliases may add this many more.
MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64  # values nested deeper than this are refused (a spec nests five levels or so)

_Y = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (_Y + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
SEQ, MAP, MERGE, VALUE = _Y + "seq", _Y + "map", _Y + "merge", _Y + "value"
_KEY_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, VALUE))

_NO_PATHS: dict[object, object] = {}  # what _Composing.descend_resolver looks up: nothing


class _Composing:
    """What the composer calls for every node, as C callables instead of Python methods.

    Tags are resolved by YAML's plain rules alone: the implicit tag of a scalar depends only on the scalar, so it
    is memoised, and path resolvers (which PyYAML lets other code register) are not followed, so descending and
    ascending do nothing.
    """

    resolve = staticmethod(memo(1 << 16)(Resolver().resolve))
    descend_resolver = staticmethod(_NO_PATHS.get)  # (parent, index) -> ignored
    ascend_resolver = staticmethod(tuple)  # () -> ignored (a tuple; the stubs' method returns None)


class PyLoader(_Composing, yaml.SafeLoader):  # type: ignore[misc]  # ascend_resolver: a tuple, the stubs say None
    """The pure-Python safe composer, for where libyaml is missing."""


CLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(_Composing, yaml.CSafeLoader):  # type: ignore[misc]  # as PyLoader
        """libyaml's safe composer: the same nodes and positions, several times faster."""
    CLoader = _CLoader

Path_ = tuple[str | int, ...]  # a path into a document: keys and list indexes


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
    # whether `data` may hold a number bounds.number_problem refuses: the loader says while converting it (a
    # Document made otherwise may, and the schema checks then walk its data for them)
    unusable_numbers: bool = True

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
        return (path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()).as_posix()  # a link as named
    except (ValueError, OSError):
        return path.as_posix()


def spec_files(root: Path, roots: confine.Roots | None = None) -> list[Path]:
    """Every .yaml/.yml file below `root`, recursively, sorted by relative path; hidden names are skipped."""
    return walk(root, roots)[0]


def walk(root: Path, roots: confine.Roots | None = None) -> tuple[list[Path], list[tuple[Path, Unusable]]]:
    """The spec files below `root` (see spec_files) and the entries that cannot be followed, each with why.

    Linked folders and files are followed when they lead inside `roots` (default: the spec's repository), each
    real file and folder read once; a link that loops, leads nowhere or leads outside is reported at the link."""
    roots = roots or confine.roots_for(root)
    found: dict[str, Path] = {}  # real path -> the path it is read under
    problems: list[tuple[Path, Unusable]] = []
    visited = {os.path.realpath(root): root}
    folders: list[Path] = [root]
    links: list[Path] = []  # the folders themselves first: a link to one of them is a repeat, not the folder
    while folders or links:
        if not folders:
            link = links.pop(0)
            real = os.path.realpath(link)
            if real in visited:
                loop = _loop(link, real, visited)
                if loop is not None:
                    problems.append((link, loop))
                continue
            visited[real] = link
            folders.append(link)
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append((folder, Unusable("CX001", f"cannot read the folder: {exc.strerror or exc}")))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(folder) / entry.name
            linked = entry.is_symlink()
            problem = _link_problem(path, roots) if linked else None
            if problem is not None:
                problems.append((path, problem))
            elif _is_dir(entry):
                if linked:
                    links.append(path)
                else:
                    visited[os.path.realpath(path)] = path
                    folders.append(path)
            elif entry.name.endswith(SUFFIXES):
                real = os.path.realpath(path)
                if real not in found or (not linked and found[real].is_symlink()):
                    found[real] = path  # one file linked twice is read once, under its own name when it has one
    files = sorted(found.values(), key=lambda p: p.relative_to(root).as_posix())
    return files, sorted(problems, key=lambda pair: pair[0].relative_to(root).as_posix())


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


_LINK_HINT = "fix or remove the link, or hide it with a leading dot"


def _link_problem(link: Path, roots: confine.Roots) -> Unusable | None:
    """Why the symbolic link `link` cannot be followed (CX008 loops and dangles, CX007 leads outside), or None."""
    try:
        os.stat(link)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Unusable("CX008", "symbolic link loop: the link leads back to itself through other links",
                            hint=_LINK_HINT)
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Unusable("CX008", f"symbolic link to '{_target(link)}', which does not exist", hint=_LINK_HINT)
        return Unusable("CX008", f"symbolic link that cannot be followed: {exc.strerror or exc}", hint=_LINK_HINT)
    real = os.path.realpath(link)
    if roots.holding(real) is None:
        refusal = confine.outside(roots, f"symbolic link to {confine.shown(real)}",
                                  "copy what it links to into the repository")
        return Unusable("CX007", refusal.message, hint=refusal.hint)
    return None


def _target(link: Path) -> str:
    try:
        return confine.printable(os.readlink(link))
    except OSError:
        return "?"


def _loop(link: Path, real: str, visited: dict[str, Path]) -> Unusable | None:
    """CX008 when the linked folder `real`, read already, holds the link: a loop. Another repeat is read once."""
    here = os.path.realpath(link.parent)
    if here == real or here.startswith(real.rstrip(os.sep) + os.sep):
        return Unusable("CX008", f"symbolic link loop: the link leads back to {display_name(visited[real])}, a "
                        "folder that holds it", hint=_LINK_HINT)
    return None


def load_documents(root: Path, roots: confine.Roots | None = None) -> tuple[Document, ...]:
    """Read every spec file below `root`. Raises SpecError only when `root` itself cannot be used.

    A link that cannot be followed becomes a Document without data, carrying the diagnostic, at the link."""
    root = Path(root)
    if not root.exists():
        dangling = f" (a symbolic link to '{os.readlink(root)}')" if root.is_symlink() else ""
        raise SpecError(f"spec folder '{root}' does not exist{dangling}",
                        hint="give the folder that holds your spec files, or create one with `cxgov init DIR`")
    if not root.is_dir():
        raise SpecError(f"'{root}' is a file, not a folder",
                        hint="give the folder that holds the spec's .yaml files"
                             + (f" (here: {display_name(root.parent)})" if root.name.endswith(SUFFIXES) else ""))
    files, problems = walk(root, roots)
    documents = [load_file(path, path.relative_to(root).as_posix()) for path in files]
    for path, problem in problems:
        name = display_name(path)
        documents.append(Document(path, name, path.relative_to(root).as_posix(), b"", None, {},
                                  (problem.diagnostic(name),)))
    return tuple(sorted(documents, key=lambda d: d.relative))


class Unusable(Exception):
    """A file that cannot be used at all: the one diagnostic to report for it (without the file name)."""

    def __init__(self, code: str, message: str, line: int = 0, column: int = 0, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.line, self.column, self.hint = code, message, line, column, hint

    def diagnostic(self, name: str) -> Diagnostic:
        return Diagnostic(self.code, "error", self.message, Location(name, self.line, self.column), self.hint)


def load_file(path: Path, relative: str | None = None) -> Document:
    """Read one spec file; problems become diagnostics on the returned Document."""
    name = display_name(path)
    relative = relative if relative is not None else path.name
    raw = b""
    try:
        raw = read(path)
        text = decode(raw)
        data, positions, diagnostics, unusable = convert(name, text, compose(text))
    except Unusable as exc:
        return Document(path, name, relative, raw, None, {}, (exc.diagnostic(name),))
    return Document(path, name, relative, raw, data, positions, diagnostics, unusable)


def read(path: Path) -> bytes:
    """The file's bytes, or Unusable (CX001) when it cannot be read, is not a regular file or is too large."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Unusable("CX001", "not a regular file (a device, pipe or socket named like a spec file)", 1, 1,
                           hint="spec files are YAML text files: move it out of the spec folder")
        if info.st_size > MAX_FILE_BYTES:
            raise Unusable("CX001", f"file is {info.st_size / 1048576:.1f} MiB, larger than the 2 MiB limit for a "
                           "spec file", 1, 1, hint="split it into several files; sections are merged across files")
        with path.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise Unusable("CX001", f"cannot read the file: {exc.strerror or exc}") from None


# byte-order marks, longest first (UTF-32 LE's starts like UTF-16 LE's)
_BOMS = ((b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 LE"),
         (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 BE"), (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
         (b"\xfe\xff", "utf-16-be", "UTF-16 BE"))
_SAVE_AS = "save it as UTF-8 (UTF-16 and UTF-32 with a byte-order mark are read too)"


def encoding(raw: bytes) -> tuple[int, str, str]:
    """(length of the byte-order mark, codec, label): by the mark, else by the NUL bytes around the first
    character as YAML detects encodings (a file starts with ASCII), else UTF-8."""
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            return len(bom), codec, label
    head = raw[:4]
    if len(head) == 4 and head[:3] == b"\0\0\0" and head[3]:
        return 0, "utf-32-be", "UTF-32 BE"
    if len(head) == 4 and head[0] and head[1:] == b"\0\0\0":
        return 0, "utf-32-le", "UTF-32 LE"
    if len(head) >= 2 and not head[0] and head[1]:
        return 0, "utf-16-be", "UTF-16 BE"
    if len(head) >= 2 and head[0] and not head[1]:
        return 0, "utf-16-le", "UTF-16 LE"
    return 0, "utf-8", "UTF-8"


def decode(raw: bytes) -> str:
    """The file's text, or Unusable (CX001): too large, not UTF-8/UTF-16/UTF-32 text, or holding a NUL byte."""
    if len(raw) > MAX_FILE_BYTES:  # grew since stat
        raise Unusable("CX001", "file is larger than the 2 MiB limit for a spec file", 1, 1,
                       hint="split it into several files; sections are merged across files")
    skip, codec, label = encoding(raw)
    try:
        text = raw[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        if skip == 0 and codec != "utf-8":  # the NULs were not UTF-16/32 after all: say what UTF-8 finds
            return _utf8(raw)
        raise _not_text(raw, skip, codec, label, exc) from None
    return _no_nul(text) if codec == "utf-8" else text


def _utf8(raw: bytes) -> str:
    try:
        return _no_nul(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _not_text(raw, 0, "utf-8", "UTF-8", exc) from None


def _no_nul(text: str) -> str:
    """`text`, or Unusable (CX001) where its first NUL byte is: no YAML text holds one."""
    at = text.find("\x00")
    if at < 0:
        return text
    line, column = _line_column(text, at)
    raise Unusable("CX001", "file holds a NUL byte (0x00), which YAML text cannot hold", line, column,
                   hint="delete it; a file saved as UTF-16 or UTF-32 needs its byte-order mark")


_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r")


def _not_text(raw: bytes, skip: int, codec: str, label: str, exc: UnicodeDecodeError) -> Unusable:
    """CX001 at 1:1, the whole file being unusable: the first bad byte, where it is, and what the file looks like."""
    before = raw[skip:skip + exc.start].decode(codec, "replace")
    line, column = _line_column(before, len(before))
    found = f"found byte 0x{raw[skip + exc.start]:02X} at line {line}, column {column}"
    if codec != "utf-8":
        return Unusable("CX001", f"file is not {label} text, as its start says ({found}, which is no {label})",
                        1, 1, _SAVE_AS)
    if raw.translate(None, _CONTROL_BYTES) == raw:
        return Unusable("CX001", f"file is not UTF-8 text ({found}, as in Windows-1252 or Latin-1 text)", 1, 1,
                        _SAVE_AS + ", e.g. with `iconv -f windows-1252 -t utf-8`")
    return Unusable("CX001", f"file is not UTF-8 text ({found}; it does not look like text at all)", 1, 1,
                    _SAVE_AS + "; keep other files out of the spec folder")


def _line_column(text: str, at: int) -> tuple[int, int]:
    """1-based line and column of index `at` (up to the end of `text`)."""
    at = min(at, len(text))
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def compose(text: str) -> yaml.Node:
    """The YAML node tree of `text` (libyaml's composer where PyYAML has it), or Unusable (CX001 empty, CX002
    syntax)."""
    try:
        root = yaml.compose(text, Loader=PyLoader if CLoader is None else CLoader)
    except yaml.MarkedYAMLError as exc:
        if exc.problem == "found invalid Unicode character escape code" and exc.problem_mark is not None:
            raise _bad_escape(text, _index(text, exc.problem_mark)) from None  # libyaml's word for it
        raise _syntax_error(exc, text) from None
    except ValueError:  # the pure composer's word for an escape beyond U+10FFFF (chr() refuses it)
        beyond = (m.start() for m in _ESCAPE.finditer(text) if m.group(3) and int(m.group(3), 16) > 0x10FFFF)
        raise _bad_escape(text, next(beyond, 0)) from None
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
                    line, column, "delete it: spec text holds no control characters")


_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.DOTALL)


def _index(text: str, mark: yaml.Mark) -> int:
    """The index in `text` of `mark`'s line and column (the same for libyaml and the pure composer)."""
    start = 0
    for _ in range(mark.line):
        start = text.index("\n", start) + 1
    return start + mark.column


def _bad_escape(text: str, at: int) -> Unusable:
    """CX009 for the \\u or \\U escape at or just before index `at`: it writes no character."""
    at = text.rfind("\\", 0, at + 1)
    line, column = _line_column(text, at)
    match = _ESCAPE.match(text, at)
    code = int(match.group(2) or match.group(3), 16) if match and (match.group(2) or match.group(3)) else None
    written = match.group(0) if match else "the escape"
    if match is not None and code is not None and 0xD800 <= code < 0xDC00:
        low = _ESCAPE.match(text, match.end())
        if low and low.group(2) and 0xDC00 <= int(low.group(2), 16) < 0xE000:
            char = 0x10000 + ((code - 0xD800) << 10) + int(low.group(2), 16) - 0xDC00
            return Unusable("CX009", f"{written}{low.group(0)} writes U+{char:X} as a UTF-16 surrogate pair, which "
                            "YAML does not read", line, column, f"write \"\\U{char:08X}\" or the character itself")
    if code is not None and 0xD800 <= code < 0xE000:
        return Unusable("CX009", f"{written} is half of a UTF-16 surrogate pair, not a character", line, column,
                        "write the character itself, or \\UXXXXXXXX for a character beyond U+FFFF")
    return Unusable("CX009", f"{written} is no character: Unicode ends at U+10FFFF", line, column,
                    "write the character itself, or fix the escape")


# C0 controls but tab and line feed, DEL, C1 controls, surrogates and the noncharacters U+FFFE/U+FFFF
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides and isolates
_SUSPECT = re.compile("[\\\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "bell", 0x08: "backspace", 0x0B: "vertical tab", 0x0C: "form feed",
                  0x0D: "carriage return", 0x1B: "escape", 0x7F: "delete", 0x85: "next line"}


def _describe(char: str) -> str:
    code = ord(char)
    if code in (0xFFFE, 0xFFFF):
        return f"U+{code:04X}, which is not a character"
    name = _CONTROL_NAMES.get(code)
    return f"control character U+{code:04X}" + (f" ({name})" if name else "")


def _snippet(value: str) -> str:
    """`value` quoted for a message, its control characters escaped, cut at 40 characters."""
    return repr(value[:40] + ("..." if len(value) > 40 else ""))


def _unescape(match: re.Match[str]) -> str:
    """The character a YAML double-quoted escape (an _ESCAPE match) writes."""
    code = match.group(1) or match.group(2) or match.group(3)
    if code is not None:
        value = int(code, 16)
        return chr(value) if value <= 0x10FFFF else ""
    return yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.get(match.group(4), "")


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n", line + 1)
    return lines[line][column:column + 1] if line < len(lines) else ""


class _Refused(Exception):
    """Stop converting a file: its content cannot be used at all (unsafe tag, alias bomb)."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_SCALARS = SafeConstructor()
_ALIAS_HINT = "an alias (*name) may refer to a value written before it, not to one that holds it"


def convert(name: str, text: str, root: yaml.Node) \
        -> tuple[Any, dict[Path_, tuple[int, ...]], tuple[Diagnostic, ...], bool]:
    """The plain data of the node tree `root` composed from `text`, where each value is written, the problems
    found (data is None when the file cannot be used at all) and whether a number in it is unusable; the
    Document's fields."""
    converter = _Converter(name, text)
    try:
        data = converter.convert(root, ())
    except _Refused as exc:
        return None, converter.positions, (*converter.diagnostics, exc.diagnostic), False
    except RecursionError:
        return None, {}, (Diagnostic("CX002", "error", "YAML is nested too deeply", Location(name)),), False
    return data, converter.positions, tuple(converter.diagnostics), converter.unusable_numbers


class _Converter:
    """Composed YAML nodes -> plain Python values (dict, list, str, int, float, bool, None; dates as ISO text)."""

    def __init__(self, name: str, text: str):
        self.name = name
        self.limit = len(text) + MAX_ALIAS_NODES  # values visited, beyond which aliases expand out of proportion
        self.merges = "<<" in text or "!" in text  # a merge key is written `<<` or tagged (!!merge)
        self.positions: dict[Path_, tuple[int, ...]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.visits = 0
        self.active: set[yaml.Node] = set()  # collections being converted, to catch recursive aliases
        self.text = text
        # a string can only hold a character CX009/CX014 are about when the text has it or an escape
        self.suspect = _SUSPECT.search(text) is not None
        self.checked: set[yaml.Node] = set()  # scalars checked (an alias or a merge converts a node again)
        self.unusable_numbers = False  # a number bounds.number_problem refuses was converted

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
        tag = node.tag
        if type(node) is ScalarNode:
            return self.scalar(node, tag)
        if node in self.active:  # a node hashes by identity
            raise self.refuse("CX005", "recursive alias: a value contains itself", node, _ALIAS_HINT)
        self.active.add(node)
        try:
            if type(node) is SequenceNode:
                if tag != SEQ:
                    raise self.bad_tag(node)
                return self.sequence(node, path)
            if tag != MAP or type(node) is not MappingNode:
                raise self.bad_tag(node)
            return self.mapping(node, path)
        finally:
            self.active.discard(node)

    def check(self, node: yaml.ScalarNode, what: str = "value") -> None:
        """CX009 for a control character, a surrogate or a noncharacter in the string `node`; CX014 (a warning)
        for a bidirectional control. Each where it is written: the character, or the escape that writes it."""
        if node in self.checked:
            return
        self.checked.add(node)
        value = node.value
        bad = _BAD.search(value)
        if bad is not None:
            char = bad.group()
            at = self.where(node, char)
            if "\ud800" <= char <= "\udfff":  # libyaml refuses the file: so does the pure composer
                raise _bad_escape(self.text, at)
            line, column = _line_column(self.text, at)
            self.diagnostics.append(Diagnostic(
                "CX009", "error", f"the {what} {_snippet(value)} holds {_describe(char)}, which no output shows "
                "safely (a terminal acts on it, XML cannot hold it)", Location(self.name, line, column),
                "delete it: spec text is plain, though tabs and line breaks are fine"))
        bidi = _BIDI.search(value)
        if bidi is not None:
            line, column = _line_column(self.text, self.where(node, bidi.group()))
            self.diagnostics.append(Diagnostic(
                "CX014", "warning", f"the {what} {_snippet(value)} holds the bidirectional control "
                f"U+{ord(bidi.group()):04X} ({unicodedata.name(bidi.group()).lower()}), which can make text "
                "display differently from what it says", Location(self.name, line, column),
                "delete it unless the text needs it to show a right-to-left script; review such text as code"))

    def where(self, node: yaml.ScalarNode, char: str) -> int:
        """The index in the text of `char` in the scalar `node`: written as it is, else the escape writing it."""
        start, end = node.start_mark.index, node.end_mark.index
        at = self.text.find(char, start, end)
        if at >= 0:
            return at
        for match in _ESCAPE.finditer(self.text, start, end):
            if _unescape(match) == char or (match.group(3) and int(match.group(3), 16) > 0x10FFFF):
                return match.start()
        return start

    def bad_tag(self, node: yaml.Node) -> _Refused:
        return self.refuse("CX004", f"tag '{node.tag}' is not allowed in a spec", node,
                           "specs hold plain data only: remove the tag")

    def scalar(self, node: yaml.ScalarNode, tag: str) -> Any:
        try:
            if tag == STR or tag == VALUE:
                if self.suspect:
                    self.check(node)
                return node.value
            if tag == INT:
                return self.number(_SCALARS.construct_yaml_int(node))
            if tag == FLOAT:
                return self.number(_SCALARS.construct_yaml_float(node))
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

    def number(self, value: float) -> float:
        """`value`, noted when it is unusable (the schema checks report it, with its path)."""
        if number_problem(value):
            self.unusable_numbers = True
        return value

    def sequence(self, node: yaml.SequenceNode, path: Path_) -> list[Any]:
        items = []
        positions = self.positions
        for i, item in enumerate(node.value):
            if item.__class__ is ScalarNode and item.tag == STR:  # the common case, inline
                self.visits += 1
                mark = item.start_mark
                positions[path + (i,)] = (mark.line + 1, mark.column + 1)
                items.append(item.value)
                if self.suspect:
                    self.check(item)
            else:
                items.append(self.convert(item, path + (i,)))
        return items

    def key(self, node: yaml.Node) -> str:
        if type(node) is not ScalarNode:
            raise self.refuse("CX002", "a mapping key must be a plain name, not a list or mapping", node)
        if node.tag not in _KEY_TAGS:
            raise self.bad_tag(node)
        name: str = node.value
        return name  # keys are names: `yes:` or `2024:` stay as written

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit: dict[str, Any] = result  # the keys written in this mapping; merged keys may be overridden, these not
        if self.merges and any(k.tag == MERGE for k, _ in node.value):
            self.merge(node, path, result)
            explicit = {}
        positions = self.positions
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                continue
            key = key_node.value if key_node.__class__ is ScalarNode and key_node.tag == STR else self.key(key_node)
            if self.suspect:
                self.check(key_node, "key")
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
                if self.suspect:
                    self.check(value_node)
            else:
                result[key] = self.convert(value_node, sub, key_mark)
            if explicit is not result:
                explicit[key] = None
        return result

    def merge(self, node: yaml.MappingNode, path: Path_, result: dict[str, Any]) -> None:
        """`<<: *defaults`: merged first so that explicit keys (and their locations) win; earlier merges win."""
        merges = [value for key, value in node.value if key.tag == MERGE]
        for merge in reversed(merges):
            sources = merge.value if merge.__class__ is SequenceNode else [merge]
            for source in reversed(sources):
                if source.__class__ is not MappingNode:
                    raise self.refuse("CX002", "'<<' merges a mapping (or a list of mappings) only", source)
                if source in self.active:
                    raise self.refuse("CX005", "recursive alias: '<<' merges a mapping that contains it", source,
                                      _ALIAS_HINT)
                self.visits += 1
                self.active.add(source)
                try:
                    result.update(self.mapping(source, path))
                finally:
                    self.active.discard(source)

    def duplicate(self, node: yaml.MappingNode, key: str, key_node: yaml.Node) -> None:
        first = next(k for k, _ in node.value if k.tag != MERGE and k.value == key)
        self.diagnostics.append(Diagnostic(
            "CX003", "error", f"duplicate key '{key}' (lines {first.start_mark.line + 1} and "
            f"{key_node.start_mark.line + 1})", self.loc(key_node),
            "a key may appear once per mapping: remove or merge one of them"))
