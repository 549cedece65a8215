"""Shared by every test folder: a clean environment, whatever the developer's shell has set."""

import pytest


@pytest.fixture(autouse=True)
def _no_data_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CXGOV_DATA names the default --data; a test says what it reads."""
    monkeypatch.delenv("CXGOV_DATA", raising=False)
