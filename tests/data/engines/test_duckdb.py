"""The DuckDB engine reads a source's files by suffix: every suffix `cxgov data load` takes, .pq included."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from cxgov import speed
from cxgov.data.engines.duckdb import Database, DuckDBEngine, _reader_for, connect
from cxgov.vocabulary import CSV_SUFFIXES, PARQUET_SUFFIXES


@pytest.mark.parametrize("suffix", PARQUET_SUFFIXES)
def test_parquet_files_are_read_as_parquet(suffix):
    assert _reader_for(f"feeds/part-1{suffix.upper()}") == "read_parquet"


@pytest.mark.parametrize("suffix", CSV_SUFFIXES)
def test_delimited_files_are_read_as_csv(suffix):
    assert _reader_for(f"feeds/part-1{suffix}") == "read_csv"


def test_other_files_have_no_reader():
    assert _reader_for("feeds/part-1.json") is None


def test_a_duckdb_file_closed_beside_can_be_written_at_once(tmp_path, closing_beside):
    path = tmp_path / "m.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    for n in range(2, 6):  # read-only, closed beside; then written by the next connection at once
        engine = DuckDBEngine.open(path)
        engine.close()
        with Database.open(path) as db:
            db.execute("INSERT INTO t VALUES (?)", [n])
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (5,)


def test_a_closed_engine_has_let_go_of_its_file_unless_the_program_closes_beside(tmp_path):
    path = tmp_path / "m.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    engine = DuckDBEngine.open(path)
    close = engine._close
    engine._close = lambda: (time.sleep(0.2), close())  # a close that takes its time, as after a large scan
    engine.close()  # cxgov as a library: closed is closed, for any code that opens the file next
    with duckdb.connect(str(path)) as con:  # not cxgov's connect: nothing waits for a close under way
        con.execute("INSERT INTO t VALUES (2)")  # a file still attached: "Unique file handle conflict"
        assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_new_connection_waits_for_the_closes_under_way(closing_beside):
    go, order = threading.Event(), []

    def slow_close() -> None:
        go.wait(timeout=10)
        order.append("closed")

    speed.release_beside(slow_close, "cxgov-test-close")
    opening = threading.Thread(target=lambda: (connect(":memory:").close(), order.append("opened")))
    opening.start()
    time.sleep(0.05)
    assert order == []  # still waiting for the close
    go.set()
    opening.join(timeout=10)
    assert order == ["closed", "opened"]
