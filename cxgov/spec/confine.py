"""Which files a spec may read: those inside its repository or inside a root the user allows, nothing else.

A source's local `path:` (a glob, relative to the spec file that declares it) and every symlinked spec file or
folder must resolve inside the spec's repository (the git top level of the spec folder, else the folder itself)
or inside a root allowed with `--allow-root DIR` or CXGOV_ALLOW_ROOTS. A path is checked twice: as written
(absolute paths, `..` escapes) and by the real path of every file it matches (symlinks). Git's own folder is never
read. A URI with a scheme (s3a://, gs://, ...) is not a local path: it is left to the engine that reads it;
file:// is a local path.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from cxgov.errors import printable as printable_text

ENV = "CXGOV_ALLOW_ROOTS"
ALLOW_HINT = f"or allow its folder with --allow-root DIR or {ENV}"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")  # two letters at least: C:\ is a drive, not a scheme
_MAGIC = re.compile(r"[*?[]")
# the schemes the Spark engine reads (DESIGN: engines); DuckDB reads local files only
SPARK_SCHEMES = frozenset(("s3a", "s3", "s3n", "abfss", "abfs", "wasbs", "gs", "hdfs", "dbfs"))


@dataclass(frozen=True)
class Roots:
    """The real paths a spec may read below: its repository and the roots the user allowed."""

    repository: str
    allowed: tuple[str, ...] = ()

    def holding(self, real: str, allowed_only: bool = False) -> str | None:
        """The root `real` (a real, absolute path) lies in, else None."""
        for root in self.allowed if allowed_only else (self.repository, *self.allowed):
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return root
        return None


@dataclass(frozen=True)
class Refusal:
    """Why a path may not be read: what is wrong and what to do."""

    message: str
    hint: str


@dataclass(frozen=True)
class Matches:
    """What a local `path:` matches (absolute paths, sorted, one per real file), or why it may not be read."""

    files: tuple[str, ...] = ()
    refusal: Refusal | None = None


def repository_root(folder: Path) -> str:
    """The real path of the git top level holding `folder` (the nearest folder with a .git entry), else of
    `folder` itself. Found by looking, without running git."""
    real = Path(os.path.realpath(folder))
    for candidate in (real, *real.parents):
        if os.path.lexists(candidate / ".git"):
            return str(candidate)
    return str(real)


def roots_for(spec_root: Path, allowed: Iterable[Path] = ()) -> Roots:
    """The Roots of the spec folder `spec_root` with the user's `allowed` folders."""
    return Roots(repository_root(spec_root), tuple(dict.fromkeys(os.path.realpath(a) for a in allowed)))


def env_roots(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The folders named in CXGOV_ALLOW_ROOTS (os.pathsep-separated; empty entries ignored)."""
    return tuple(part for part in environ.get(ENV, "").split(os.pathsep) if part.strip())


def scheme(path: str) -> str | None:
    """The URI scheme of `path` in lower case (`s3a`, `file`), or None for a local path."""
    match = _SCHEME.match(path)
    return match.group(1).lower() if match else None


def shown(path: str) -> str:
    """`path` as the user would type it: relative to the cwd when under it, with forward slashes (printable)."""
    cwd = os.getcwd().rstrip(os.sep)
    if path == cwd or path.startswith(cwd + os.sep):
        path = path[len(cwd) + 1:] or "."
    return printable(path).replace(os.sep, "/")


def printable(name: str) -> str:
    """A file name fit for any output: the bytes of a name that is not UTF-8 as \\xNN, controls escaped."""
    return printable_text(name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def _local(path: str) -> str | Refusal:
    """The local path `path` names: itself, or the path of a file:// URI."""
    if scheme(path) != "file":
        return path
    parts = urlsplit(path)
    if parts.netloc not in ("", "localhost"):
        return Refusal(f"'{path}' names host '{parts.netloc}': a file:// URI here must name a file on this machine",
                       "write file:///absolute/path, or better a path relative to this spec file")
    return unquote(parts.path)


def outside(roots: Roots, what: str, fix: str = "keep data inside the repository, written relative to this spec "
                                                "file") -> Refusal:
    """The refusal of something that leads outside every root; `what` says what and where it leads."""
    return Refusal(f"{what}, outside the spec's repository ({shown(roots.repository)})", f"{fix}; {ALLOW_HINT}")


def resolve(path: str, base_dir: Path, roots: Roots) -> Matches:
    """The files the local `path:` (a glob relative to `base_dir`, a real path) matches, or why it may not be read.

    Refused: an absolute path outside the allowed roots (inside the repository too: it would not work in another
    checkout), a path that leads outside every root, a match whose real path (through symlinks) is outside them or
    hidden below its root (git's own folder, credentials), and a matched name with a glob character (DuckDB would
    expand it again)."""
    local = _local(path)
    if isinstance(local, Refusal):
        return Matches(refusal=local)
    pattern = os.path.normpath(os.path.join(str(base_dir), local))
    if os.path.isabs(local) and roots.holding(pattern, allowed_only=True) is None:
        if roots.holding(pattern) is None:
            return Matches(refusal=outside(roots, f"'{path}' is an absolute path"))
        relative = os.path.relpath(pattern, base_dir).replace(os.sep, "/")
        return Matches(refusal=Refusal(f"'{path}' is an absolute path", f"write it relative to this spec file: "
                                       f"'{relative}', so that it works in every checkout"))
    if roots.holding(pattern) is None:
        return Matches(refusal=outside(roots, f"'{path}' leads to {shown(pattern)}"))
    found, refusal = _glob(pattern, roots)
    files: dict[str, str] = {}
    for match in found:
        if refusal is not None:
            break
        real = os.path.realpath(match)
        root = roots.holding(real)
        hidden = _hidden(real, root, str(base_dir)) if root else None
        if root is None:
            refusal = outside(roots, f"'{path}' matches {shown(match)}, which leads to {shown(real)}")
        elif hidden:
            refusal = Refusal(f"'{path}' matches {shown(match)}, which is in or is the hidden '{hidden}'",
                              "cxgov reads no hidden files or folders (git's own, credentials): keep data in "
                              f"visible folders, {ALLOW_HINT}")
        elif _MAGIC.search(os.path.basename(match)):
            refusal = Refusal(f"'{path}' matches {shown(match)}, a file name with a glob character (*, ? or [)",
                              "rename the file: its name would be read as a pattern")
        files.setdefault(real, match)  # a file reached twice (through a link) is read once
    return Matches(refusal=refusal) if refusal else Matches(tuple(sorted(files.values())))


def _hidden(real: str, root: str, base: str) -> str | None:
    """The first hidden name (a leading dot) on the way to `real` from its root or, deeper, from the folders it
    shares with the spec file's folder `base` (a spec kept in a hidden folder may read its neighbours)."""
    start = max(root, os.path.commonpath([real, base]), key=len)
    return next((p for p in Path(os.path.relpath(real, start)).parts if p.startswith(".")), None)


def _glob(pattern: str, roots: Roots) -> tuple[list[str], Refusal | None]:
    """The paths matching the absolute glob `pattern` (`*`, `?`, `[...]` within a name, `**` for any folders) as
    Python's glob matches them (wildcards skip hidden names), except that `**` walks each real folder once and
    does not follow a link out of the roots (that is refused): loops end, and nothing outside is listed."""
    anchor, *parts = Path(pattern).parts
    current = [anchor]
    for i, part in enumerate(parts):
        if part == "**":
            walked, refusal = _walk(current, roots, pattern)
            if refusal is not None:
                return [], refusal
            current = walked if i < len(parts) - 1 else [p for f in walked for p in _children(f, "*")]
        elif _MAGIC.search(part):
            current = [p for folder in current for p in _children(folder, part)]
        else:
            current = [os.path.join(f, part) for f in current if os.path.lexists(os.path.join(f, part))]
        if i < len(parts) - 1:
            current = [p for p in current if os.path.isdir(p)]
    return sorted(set(current)), None


def _children(folder: str, part: str) -> list[str]:
    """The entries of `folder` whose names match `part` (hidden ones only when `part` starts with a dot)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, n) for n in sorted(names)
            if (part.startswith(".") or not n.startswith(".")) and fnmatch.fnmatchcase(n, part)]


def _walk(folders: list[str], roots: Roots, pattern: str) -> tuple[list[str], Refusal | None]:
    """`folders` and every visible folder below them, each real folder once; refused at a link out of the roots."""
    walked: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(folders))
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        if roots.holding(real) is None:
            return [], outside(roots, f"'{shown(pattern)}' walks through {shown(folder)}, which leads to "
                                      f"{shown(real)}")
        seen.add(real)
        walked.append(folder)
        stack.extend(reversed([c for c in _children(folder, "*") if os.path.isdir(c)]))
    return walked, None
