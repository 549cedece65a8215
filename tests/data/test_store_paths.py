"""A folder or a non-DuckDB file given where a DuckDB file belongs is refused with a clear message.

DuckDB would open a CSV file as a read-only database of one table, so `data load --db data.csv` used to report
rows loaded into a table that was never written.
"""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data.engines.duckdb import Database, not_duckdb
from cxgov.data.engines.duckdb_history import HistoryDB
from cxgov.data.store import Store
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


# --- path: sources: confined, and read without echoing the files' text ----------------------------------------

MARKER = "SECRETMARKER-7f3a"
GOOD = "at,tp,seg,v\n" + "".join(f"2026-01-{1 + i % 28:02d} 10:00:00,web,retail,{i % 9}\n" for i in range(25_000))


def path_source(tmp_path, path, roots=None):
    from cxgov.spec.model import Source
    from cxgov.errors import Location

    return Source(id="events", path=path, base_dir=tmp_path, roots=roots, timestamp="at", touchpoint="tp",
                  locations={"path": Location("specs/data.yaml", 7, 11)})


def scan_request(source):
    from datetime import datetime

    from cxgov.data import sql
    from cxgov.data.store import Aggregate, Period, ScanRequest

    return ScanRequest(source=source, timezone="UTC",
                       periods=(Period("current", datetime(2026, 1, 1), datetime(2026, 2, 1)),),
                       dimensions={}, grouping_sets=((),), aggregates=(Aggregate("total", "sum", sql.col("v")),))


def read_error(tmp_path, name: str, content: bytes, scan: bool = False) -> DataError:
    (tmp_path / name).write_bytes(content)
    source = path_source(tmp_path, name)
    with Store.open(None) as store, pytest.raises(DataError) as caught:
        store.scan(scan_request(source)) if scan else store.columns(source)
    return caught.value


@pytest.mark.parametrize("name, content, scan, text", [
    ("extra.csv", (GOOD + f"2026-01-02 10:00:00,web,retail,5,{MARKER}\n").encode(), True,
     "cannot read extra.csv, line 25002: expected 4 columns, found 5"),
    ("type.csv", (GOOD + f"2026-01-02 10:00:00,web,retail,{MARKER}\n").encode(), True,
     "cannot read type.csv, line 25002: a value in column 'v' cannot be read as BIGINT"),
    ("quote.csv", (GOOD + f'2026-01-02 10:00:00,web,retail,"{MARKER}\n').encode(), True, "cannot read quote.csv"),
    ("latin.csv", f"at,tp\n2026-01-02,{MARKER}\xe9\n".encode("latin-1"), False,
     "cannot read latin.csv, line 2: bytes that are not UTF-8 text"),
    ("fake.parquet", f"PAR1{MARKER}".encode(), False, "cannot read fake.parquet: not a valid Parquet file"),
    ("long.csv", f"at,tp\n2026-01-02,{MARKER}{'x' * 2_100_000}\n".encode(), False,
     "a line longer than the reader's limit of 2000000 bytes"),
])
def test_reader_errors_name_the_file_line_and_problem_never_the_text(tmp_path, monkeypatch, name, content, scan,
                                                                     text):
    monkeypatch.chdir(tmp_path)
    error = read_error(tmp_path, name, content, scan)
    assert text in str(error), str(error)
    assert MARKER not in str(error) and MARKER not in (error.hint or "")
    assert error.location.line == 7 and error.source == "events"


TICKETS = ["ticket_id,opened_at,touchpoint_id,segment,fcr,reopened,resolved_at,category,reason"] + [
    f"T-{i:09d},2026-10-{1 + i % 28:02d} {i % 24:02d}:56:59.{i:06d},tp-{i % 7},premier,{'true' if i % 3 else 'false'},"
    f"false,2026-10-{1 + i % 28:02d} 23:34:08.1313,statement error,payment-declined" for i in range(3000)]


def _without_field(lines: list[str], line: int, field: int) -> bytes:
    """The file of `lines` with one field of line `line` (1: the header) left out."""
    lines = list(lines)
    fields = lines[line - 1].split(",")
    del fields[field]
    lines[line - 1] = ",".join(fields)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("content, text", [
    # DuckDB 2.0 reads this one as one column named "at,tp,seg,v"
    (_without_field(GOOD.splitlines(), 6, 2) + MARKER.encode(), "cannot read short.csv, line 6: has 3 fields, but "
                                                                "the header has 4"),
    # and says of this one only that its layout (delimiter, quotes, header) cannot be detected
    (_without_field(TICKETS, 2618, 1), "cannot read short.csv, line 2618: has 8 fields, but the header has 9"),
])
def test_a_line_that_hides_the_csv_layout_from_duckdb_is_named(tmp_path, monkeypatch, content, text):
    """Where DuckDB's reader cannot make out a file's columns, cxgov reads the file itself and names the line."""
    monkeypatch.chdir(tmp_path)
    error = read_error(tmp_path, "short.csv", content)
    assert str(error).startswith(f"specs/data.yaml:7:11: source 'events': {text}"), str(error)
    assert "as many fields as the header" in error.hint and "cxgov data load" in error.hint
    assert MARKER not in str(error) and MARKER not in error.hint


def test_text_that_is_not_utf8_where_duckdb_sees_no_layout_is_named_at_its_line(tmp_path, monkeypatch):
    lines = GOOD.splitlines()
    lines[3000] = lines[3000].replace("web", "w\xe9b")  # Latin-1, and a line DuckDB's sniffer trips over
    content = _without_field(lines, 10_001, 2).decode().encode("latin-1")
    monkeypatch.chdir(tmp_path)
    error = read_error(tmp_path, "latin.csv", content)
    assert str(error).startswith("specs/data.yaml:7:11: source 'events': cannot read latin.csv, line 3001: bytes "
                                 "that are not UTF-8 text\n"), str(error)
    assert error.hint == "save the file as UTF-8"


@pytest.mark.parametrize("header, name", [("at", "at"), ('"at, local"', "at, local")])
def test_a_one_column_csv_is_read_as_one_column(tmp_path, monkeypatch, header, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.csv").write_text(f"{header}\n2026-01-01 10:00:00\n2026-01-02 10:00:00\n")
    with Store.open(None) as store:
        assert store.columns(path_source(tmp_path, "one.csv")) == {name: "TIMESTAMP"}


def test_a_parquet_file_whose_footer_is_damaged_is_said_to_be_no_valid_parquet_file(tmp_path, monkeypatch):
    import duckdb

    monkeypatch.chdir(tmp_path)
    duckdb.connect().execute(f"COPY (SELECT TIMESTAMP '2026-01-02 10:00:00' AS at, '{MARKER}' AS tp FROM range(50)) "
                             "TO 'damaged.parquet' (FORMAT parquet)")
    data = bytearray((tmp_path / "damaged.parquet").read_bytes())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    data[footer + 40:footer + 44] = b"\xff" * 4  # DuckDB's reader: "don't know what type", in Thrift's words
    error = read_error(tmp_path, "damaged.parquet", bytes(data), scan=True)
    assert "cannot read damaged.parquet: not a valid Parquet file (DuckDB's reader failed: " in str(error), str(error)
    assert error.hint == "write it again with a Parquet writer, or give CSV files a .csv name"
    assert MARKER not in str(error)


def test_a_uri_with_a_scheme_is_not_read_by_duckdb_and_says_which_engine_reads_it(tmp_path):
    with Store.open(None) as store:
        with pytest.raises(DataError, match=r"s3a:// URI, which the Spark engine \(--data spark:...\) reads; "
                                            r"DuckDB reads local files only"):
            store.columns(path_source(tmp_path, "s3a://bucket/feed/*.parquet"))
        with pytest.raises(DataError, match="which no engine of cxgov reads"):
            store.columns(path_source(tmp_path, "https://example.com/x.csv"))


def test_file_uris_are_local_paths(tmp_path):
    (tmp_path / "data.csv").write_text("at,tp,seg,v\n2026-01-05 10:00:00,web,retail,7\n")
    from cxgov.spec import confine

    roots = confine.Roots(str(tmp_path), (str(tmp_path),))  # absolute: only inside an allowed root
    with Store.open(None) as store:
        assert "v" in store.columns(path_source(tmp_path, f"file://{tmp_path}/data.csv", roots))


def test_folders_and_dangling_links_matched_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "2026.csv").mkdir(parents=True)
    os.symlink("gone.csv", tmp_path / "data" / "z.csv")
    with Store.open(None) as store:
        with pytest.raises(DataError, match=r"matches data/2026.csv, which is a folder, not a file"):
            store.columns(path_source(tmp_path, "data/2026.csv"))
        with pytest.raises(DataError, match=r"matches data/z.csv, which is a symbolic link to nothing"):
            store.columns(path_source(tmp_path, "data/z.csv"))


def test_confinement_is_checked_again_when_the_files_are_read(tmp_path):
    """A file swapped for a link after `validate` is refused when `check` reads it."""
    from cxgov.spec import confine

    spec = tmp_path / "repo"
    (spec / "data").mkdir(parents=True)
    (tmp_path / "token.csv").write_text(f"{MARKER}\n")
    os.symlink(tmp_path / "token.csv", spec / "data" / "x.csv")
    source = path_source(spec, "data/*.csv", confine.roots_for(spec))
    with Store.open(None) as store, pytest.raises(DataError) as caught:
        store.columns(source)
    assert "which leads to" in str(caught.value) and "outside the spec's repository" in str(caught.value)
    assert MARKER not in str(caught.value)
    allowed = path_source(spec, "data/*.csv", confine.roots_for(spec, [tmp_path]))
    with Store.open(None) as store:
        assert MARKER in store.columns(allowed)  # allowed explicitly: read as the data it is
