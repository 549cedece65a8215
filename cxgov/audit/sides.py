"""The two sides of a diff: a git ref of the repository that holds the spec, a folder, or the working tree.

A ref is read with `git ls-tree` and `git cat-file` into a temporary folder laid out like the repository, so the
spec loads exactly as it would from a checkout; locations are then shown relative to the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Iterator, overload

from cxgov import wording
from cxgov.errors import Diagnostic, Location, SpecError, UsageError
from cxgov.spec import api, loader
from cxgov.spec import model as m
from cxgov.vocabulary import SPEC_SUFFIXES

WORKING_TREE = "working tree"


@dataclass(frozen=True)
class Side:
    """One side of a diff: what to call it, where its spec folder is, and a folder prefix to hide in locations."""

    label: str
    root: Path
    hide: str | None = None  # a temporary folder: "<hide>/specs/a.yaml" is shown as "specs/a.yaml"

    @overload
    def show(self, loc: Location) -> Location: ...

    @overload
    def show(self, loc: None) -> None: ...

    def show(self, loc: Location | None) -> Location | None:
        if loc is None or not self.hide:
            return loc
        file = loc.file
        for prefix in (self.hide, os.path.realpath(self.hide)):
            prefix = prefix.replace(os.sep, "/").rstrip("/") + "/"
            if file.startswith(prefix):
                return replace(loc, file=file[len(prefix):])
        return loc


def _git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed, so BASE and HEAD can only be folders",
                         hint="install git, or give two spec folders") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else 'unknown error'}")
    return done.stdout


def repository(spec_dir: Path) -> tuple[Path, PurePosixPath]:
    """The top folder of the git repository holding `spec_dir`, and the spec folder's path inside it."""
    folder = spec_dir if spec_dir.is_dir() else Path.cwd()
    try:
        top = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    except UsageError as exc:
        raise UsageError(f"{loader.display_name(spec_dir)} is not in a git repository ({exc.message})",
                         hint="run cxgov diff inside the repository that holds the spec, or give two folders") \
            from None
    try:
        inside = spec_dir.resolve().relative_to(top.resolve())
    except ValueError:
        raise UsageError(f"spec folder {spec_dir} is outside the repository {top}") from None
    return top, PurePosixPath(inside.as_posix())


def resolve_commit(top: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise UsageError(f"'{ref}' is not a git ref or a folder")
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except UsageError:
        raise UsageError(f"'{ref}' is neither a folder nor a commit of the git repository {top}",
                         hint="give a branch, tag or commit (e.g. origin/main, HEAD~1), or a spec folder") from None


def extract(top: Path, commit: str, inside: PurePosixPath, dest: Path) -> int:
    """Write the spec files (.yaml/.yml) under `inside` at `commit` below `dest`, laid out as in the repository;
    returns how many were written."""
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", str(inside))
    blobs: list[tuple[str, PurePosixPath]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        text = path.decode("utf-8", "surrogateescape")
        if kind == "blob" and mode != "120000" and text.endswith(SPEC_SUFFIXES):
            blobs.append((sha, PurePosixPath(text)))
    if not blobs:
        return 0
    data = _git(top, "cat-file", "--batch", input="".join(f"{sha}\n" for sha, _ in blobs).encode())
    offset = 0
    for sha, name in blobs:
        header_end = data.index(b"\n", offset)
        size = int(data[offset:header_end].split()[2])
        content = data[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1
        if ".." in name.parts or name.is_absolute():
            continue
        target = dest.joinpath(*name.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return len(blobs)


@contextmanager
def side(arg: str | None, spec_dir: Path) -> Iterator[Side]:
    """BASE or HEAD: None is the working tree's spec folder; an existing folder is itself; anything else is a git
    ref of the repository holding `spec_dir`, read into a temporary folder removed afterwards."""
    if arg is None:
        yield Side(f"{WORKING_TREE} ({loader.display_name(spec_dir)})", spec_dir)
        return
    if Path(arg).is_dir():
        yield Side(loader.display_name(Path(arg)), Path(arg))
        return
    try:
        top, inside = repository(spec_dir)
    except UsageError as exc:
        if not spec_dir.is_dir():
            raise UsageError(f"'{arg}' is not a folder, and there is no git repository to read it from as a ref: "
                             f"the spec folder {loader.display_name(spec_dir)} (--spec-dir) does not exist",
                             hint="give the spec folder with --spec-dir, or two spec folders as BASE and HEAD") \
                from None
        raise UsageError(f"'{arg}' is not a folder, so it must be a git ref; but {exc.message}", hint=exc.hint) \
            from None
    commit = resolve_commit(top, arg)
    tmp = Path(tempfile.mkdtemp(prefix="cxgov-diff-"))
    try:
        root = tmp.joinpath(*inside.parts)
        if extract(top, commit, inside, tmp) == 0:
            raise SpecError(f"no spec files under {inside.as_posix() or '.'}/ at {arg} ({commit[:12]})",
                            hint="check --spec-dir, and that the spec existed at that commit")
        label = commit[:12] if commit.startswith(arg) else f"{arg} ({commit[:12]})"
        yield Side(label, root, hide=str(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load(s: Side) -> m.Spec:
    """The spec of one side, loaded, checked against the schema and built (cxgov.spec.api, the spec pipeline); not
    linted: a diff compares what the files say, so warnings and lint errors (an expired waiver, a RACI gap) do not
    stop it."""
    found = api.validate(s.root, warnings=False, linted=False, confined=False)
    errors = found.errors
    if found.spec is not None and not errors:
        return found.spec
    shown = "\n".join(f"  {_shown(s, d)}" for d in errors[:10])
    more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
    raise SpecError(f"the spec at {s.label} cannot be read for a diff ({wording.counted(len(errors), 'error')}):"
                    f"\n{shown}{more}",
                    hint="fix the spec (cxgov validate), or compare other commits")


def _shown(s: Side, d: Diagnostic) -> str:
    return replace(d, location=s.show(d.location)).format()
