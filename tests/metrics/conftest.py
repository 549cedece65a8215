"""Fixtures for metric tests: `measure` computes a metric through the real Store on a DuckDB file."""

from __future__ import annotations

import pytest

from metric_rows import AS_OF_END, measure_rows


@pytest.fixture
def measure(tmp_path):
    def _measure(metric, columns, rows, as_of_end=AS_OF_END):
        return measure_rows(tmp_path / "metrics.duckdb", metric, columns, rows, as_of_end)
    return _measure
