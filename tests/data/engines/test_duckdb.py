"""The DuckDB engine reads a source's files by suffix: every suffix `cxgov data load` takes, .pq included."""

from __future__ import annotations

import pytest

from cxgov.data.engines.duckdb import _reader_for
from cxgov.vocabulary import CSV_SUFFIXES, PARQUET_SUFFIXES


@pytest.mark.parametrize("suffix", PARQUET_SUFFIXES)
def test_parquet_files_are_read_as_parquet(suffix):
    assert _reader_for(f"feeds/part-1{suffix.upper()}") == "read_parquet"


@pytest.mark.parametrize("suffix", CSV_SUFFIXES)
def test_delimited_files_are_read_as_csv(suffix):
    assert _reader_for(f"feeds/part-1{suffix}") == "read_csv"


def test_other_files_have_no_reader():
    assert _reader_for("feeds/part-1.json") is None
