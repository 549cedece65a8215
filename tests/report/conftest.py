"""Fixtures for report tests: the sample program and its Run (a test module may define its own instead)."""

from __future__ import annotations

import pytest

from report_samples import sample_run, sample_spec


@pytest.fixture(scope="module")
def spec():
    return sample_spec()


@pytest.fixture(scope="module")
def run(spec):
    return sample_run(spec)
