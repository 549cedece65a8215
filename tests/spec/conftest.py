"""Fixtures for spec tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def spec_dir(tmp_path, monkeypatch) -> Path:
    """An empty folder `specs` under a temporary cwd, so messages name `specs/...`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "specs"
