"""Spec folders written from text, for tests that run cxgov on files."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Link:
    """A symbolic link to `target` (as written: relative to the link's folder, or absolute)."""

    target: str


def write_files(folder: Path, files: Mapping[str, str | bytes | Link | None]) -> Path:
    """Write `files` (relative path -> text, dedented; bytes as they are; a Link; None: left out) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder
