"""Spec folders written from text, for tests that run cxgov on files."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Mapping


def write_files(folder: Path, files: Mapping[str, str | bytes | None]) -> Path:
    """Write `files` (relative path -> text, dedented; bytes as they are; None: left out) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if content is None:
            continue
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder
