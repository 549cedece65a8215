"""Where a spec comes from: the git commit of its folder, for the evidence block of a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
