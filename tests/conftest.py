"""Shared by every test folder: a clean environment, and a real PostgreSQL server and a local Spark session, each
started at first use."""

from typing import Iterator

import pytest

pytest_plugins = ("support.pgserver", "support.sparksession")


@pytest.fixture(autouse=True)
def _no_data_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CXGOV_DATA names the default --data; a test says what it reads."""
    monkeypatch.delenv("CXGOV_DATA", raising=False)


@pytest.fixture
def closing_beside() -> Iterator[None]:
    """Releases run beside the caller (speed.releasing_beside), as in the `cxgov` program, for the test."""
    from cxgov import speed

    speed.releasing_beside()
    try:
        yield
    finally:
        speed.releasing_beside(False)
        speed.released()
