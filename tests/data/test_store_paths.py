"""A folder or a non-DuckDB file given where a DuckDB file belongs is refused with a clear message.

DuckDB would open a CSV file as a read-only database of one table, so `data load --db data.csv` used to report
rows loaded into a table that was never written.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data.store import Database, HistoryDB, Store, not_duckdb
from cxgov.errors import DataError, HistoryError

CSV = "opened_at,resolved_at,touchpoint_id,segment\n2026-11-01 09:00,2026-11-01 12:00,phone-support,retail\n"


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_not_duckdb_tells_folders_other_files_and_duckdb_files_apart(tmp_path, csv_file):
    real = tmp_path / "real.duckdb"
    with Database.open(real) as db:
        db.execute("CREATE TABLE t AS SELECT 1 AS x")
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    assert not_duckdb(tmp_path) == "is a folder, not a DuckDB file"
    assert not_duckdb(csv_file) == "is not a DuckDB file"
    assert not_duckdb(real) is None
    assert not_duckdb(empty) is None
    assert not_duckdb(tmp_path / "missing.duckdb") is None


@pytest.mark.parametrize("which", ["folder", "csv"])
def test_store_refuses_a_folder_or_csv_as_metrics_database(tmp_path, csv_file, which):
    target = tmp_path if which == "folder" else csv_file
    with pytest.raises(DataError) as caught:
        Store.open(target)
    assert str(caught.value).startswith(f"cannot open metrics database {target}: it is ")
    assert "cxgov data load" in caught.value.hint


def test_database_refuses_a_csv_file_and_leaves_it_untouched(csv_file):
    with pytest.raises(DataError, match="it is not a DuckDB file"):
        Database.open(csv_file)
    assert csv_file.read_text(encoding="utf-8") == CSV


def test_history_refuses_a_folder_as_history(tmp_path):
    with pytest.raises(HistoryError, match="is a folder, not a DuckDB file"):
        HistoryDB.open(tmp_path, write=False)


def test_data_load_into_a_csv_file_exits_2_and_loads_nothing(tmp_path, monkeypatch, csv_file):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    result = CliRunner().invoke(main, ["data", "load", "tickets", str(csv_file), "--db", str(csv_file),
                                       "--spec", "prog"])
    assert result.exit_code == 2, result.output
    assert f"cannot write metric data to {csv_file}: it is not a DuckDB file" in result.output
    assert "loaded" not in result.output
