"""Fixtures for the audit tests: run records for the history (support.history_runs); for the diff, a base and head
spec folder, and a git repository holding a spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from diff_fixtures import GitRepo, write_spec
from support.history_runs import make_result, make_run  # noqa: F401  (fixtures for the history tests)


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """Two copies of the test spec, `base` and `head`, under a temporary cwd (messages name `head/...`)."""
    monkeypatch.chdir(tmp_path)
    return write_spec(tmp_path / "base"), write_spec(tmp_path / "head")


@pytest.fixture
def repo(tmp_path, monkeypatch) -> GitRepo:
    """A git repository with the test spec in specs/ (not yet committed); the cwd is its top folder."""
    monkeypatch.chdir(tmp_path)
    return GitRepo(tmp_path)
