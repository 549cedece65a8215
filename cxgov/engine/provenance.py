"""Where a spec comes from: the git commit of its folder, for the evidence block of a run, and the checkout it
sits in (repository root, remote, branch), for reports that name files relative to the repository."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit, urlunsplit

from cxgov.spec.confine import repository_root
from cxgov.speed import memo

TIMEOUT = 10  # seconds; git answers these in milliseconds unless something is badly wrong


def git_commit(folder: Path) -> str | None:
    """HEAD's commit for the repository holding `folder`, with "-dirty" when files below it have uncommitted
    changes; None when it is not in a git work tree or git is not installed."""
    folder = Path(folder)
    cwd = folder if folder.is_dir() else folder.parent
    head = _git(cwd, "rev-parse", "--verify", "HEAD")
    if head is None:
        return None
    status = _git(cwd, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    return f"{head}-dirty" if status else head


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@dataclass(frozen=True)
class Checkout:
    """Where a spec's files sit, for reports that name files relative to a repository (SARIF): `root`, the real
    path of the git top level holding the spec (else of the spec folder); for a git work tree, the remote's URL
    (without credentials) and the branch."""

    root: str
    git: bool = False
    repository_uri: str | None = None
    branch: str | None = None

    def relative(self, file: str) -> str | None:
        """`file` (a Location's file: relative to the working directory, or absolute) relative to `root`, with
        forward slashes; None when it lies outside."""
        return _relative(self.root, file)


@memo(4096)
def _relative(root: str, file: str) -> str | None:
    absolute = os.path.abspath(file)
    real = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))  # a link as named
    relative = os.path.relpath(real, root)
    return None if relative == os.pardir or relative.startswith(os.pardir + os.sep) else Path(relative).as_posix()


# Where CI services name the branch of a detached checkout (pull requests, tags): GitHub, GitLab.
BRANCH_VARIABLES = ("GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME")


def checkout(folder: Path, environ: Mapping[str, str] = os.environ) -> Checkout:
    """The Checkout of the spec folder `folder`."""
    root = repository_root(Path(folder))
    if not os.path.lexists(os.path.join(root, ".git")):
        return Checkout(root)
    remote = _git(Path(root), "config", "--get", "remote.origin.url")
    branch = _git(Path(root), "symbolic-ref", "--short", "-q", "HEAD")
    branch = branch or next((environ[name] for name in BRANCH_VARIABLES if environ.get(name)), None)
    return Checkout(root, True, public_url(remote) if remote else None, branch or None)


def public_url(remote: str) -> str | None:
    """A git remote as an absolute URI without credentials: `https://user:token@host/x` -> `https://host/x`,
    `git@host:org/x.git` -> `ssh://host/org/x.git`, a local path -> its file URI; None when it is none of these."""
    parts = urlsplit(remote)
    if parts.scheme and parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    scp = re.fullmatch(r"(?:[^@/]+@)?([^:/]+):(?!//)(.+)", remote)
    if scp and not re.fullmatch(r"[A-Za-z]", scp.group(1)):  # C:\path is a Windows drive, not a host
        return f"ssh://{scp.group(1)}/{scp.group(2).lstrip('/')}"
    if parts.scheme == "file" or os.path.isabs(remote):
        return Path(remote.removeprefix("file://") or "/").resolve().as_uri()
    return None
