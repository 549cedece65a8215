"""The Store: read-only access, scans with grouping sets and periods, timestamps, errors, explain, digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlglot import exp

from cxgov.data import sql

from cxgov.data.engines.duckdb import Database
from cxgov.data.scan import scanned
from cxgov.data.store import Aggregate, Period, ScanRequest, Store, quote_ident
from cxgov.errors import DataError, Location
from cxgov.spec.model import Source

JAN = Period("current", datetime(2026, 1, 1), datetime(2026, 2, 1))
DEC = Period("previous", datetime(2025, 12, 1), datetime(2026, 1, 1))
DIMS = {"web": {"journey": "open", "stage": "purchase", "channel": "web"},
        "call": {"journey": "help", "stage": "service", "channel": "phone"}}
SOURCE = Source(id="events", table="events", timestamp="at", touchpoint="tp", segment="seg",
                location=Location("specs/data.yaml", 3, 5), locations={"table": Location("specs/data.yaml", 4, 12)})
COUNT = (Aggregate("rows"), Aggregate("big", condition=exp.GT(this=sql.col("v"), expression=sql.value(5))))


def make_db(path: Path, ts_type: str = "TIMESTAMP", rows=None) -> Path:
    rows = rows if rows is not None else [
        ("2025-12-15 10:00:00", "web", "retail", 1), ("2026-01-02 00:00:00", "web", "retail", 6),
        ("2026-01-03 12:00:00", "web", "premier", 7), ("2026-01-31 23:59:59", "call", "retail", 9),
        ("2026-02-01 00:00:00", "call", "retail", 9),  # outside: periods are [start, end)
        ("2026-01-10 00:00:00", "kiosk", None, 2),  # a touchpoint the spec does not know
    ]
    with Database.open(path) as db:
        db.execute(f'CREATE TABLE events ("at" {ts_type}, tp VARCHAR, seg VARCHAR, v INTEGER)')
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    return path


def request(sets, periods=(JAN, DEC), source=SOURCE, aggregates=COUNT, tz="UTC"):
    return ScanRequest(source=source, timezone=tz, periods=periods, dimensions=DIMS, grouping_sets=sets,
                       aggregates=aggregates)


def test_scan_grouping_sets_and_periods(tmp_path):
    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store:
        rows = store.scan(request(((), ("touchpoint",), ("channel", "segment"))))
    total = {r["period"]: (r["rows"], r["big"]) for r in rows if r["grouping"] == 0}
    assert total == {"current": (4, 3), "previous": (1, 0)}
    by_tp = {(r["period"], r["touchpoint"]): r["rows"] for r in rows if r["grouping"] == 1}
    assert by_tp == {("current", "web"): 2, ("current", "call"): 1, ("current", "kiosk"): 1, ("previous", "web"): 1}
    by_channel = {(r["period"], r["channel"], r["segment"]): r["rows"] for r in rows if r["grouping"] == 2}
    assert by_channel[("current", "web", "retail")] == 1
    assert by_channel[("current", "phone", "retail")] == 1
    assert by_channel[("current", None, None)] == 1  # unknown touchpoint: no channel, no segment
    assert all(r["touchpoint"] is None for r in rows if r["grouping"] == 0)


def test_duplicate_grouping_sets_each_get_rows(tmp_path):
    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store:
        rows = store.scan(request((("touchpoint",), ("touchpoint",)), periods=(JAN,)))
    assert sorted(r["grouping"] for r in rows) == [0, 0, 0, 1, 1, 1]


def test_timestamptz_is_read_in_the_program_timezone(tmp_path):
    # 2026-01-31 23:30 UTC is 2026-02-01 00:30 in Europe/Paris: outside January there.
    rows = [("2026-01-31 23:30:00+00", "web", "retail", 1), ("2025-12-31 23:30:00+00", "web", "retail", 1)]
    db = make_db(tmp_path / "m.duckdb", "TIMESTAMPTZ", rows)
    with Store.open(db) as store:
        utc = store.scan(request(((),), periods=(JAN,), tz="UTC"))
        paris = store.scan(request(((),), periods=(JAN,), tz="Europe/Paris"))
    assert utc[0]["rows"] == 1 and paris[0]["rows"] == 1
    with Store.open(db) as store:
        both = store.scan(request(((),), periods=(Period("x", datetime(2025, 12, 31), datetime(2026, 1, 1)),),
                                  tz="Europe/Paris"))
    assert both == []  # 23:30 UTC on Dec 31 is 00:30 on Jan 1 in Paris


def test_text_timestamps_parsed_with_offsets_honoured(tmp_path):
    rows = [("2026-01-15 10:00:00", "web", "retail", 1), ("2026-01-31 23:30:00-02:00", "web", "retail", 1),
            ("not a time", "web", "retail", 1)]
    db = make_db(tmp_path / "m.duckdb", "VARCHAR", rows)
    with Store.open(db) as store:
        got = store.scan(request(((),), periods=(JAN,), tz="UTC"))
    assert got[0]["rows"] == 1  # the offset one is Feb 1 01:30 UTC; the unparseable one is in no window


def test_missing_database_table_and_column_are_located_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        Store.open(tmp_path / "nope.duckdb")
    db = make_db(tmp_path / "m.duckdb")
    missing = Source(id="apps", table="app_sessions", timestamp="at",
                     locations={"table": Location("specs/data.yaml", 9, 12)})
    with Store.open(db) as store:
        with pytest.raises(DataError) as err:
            store.columns(missing)
        assert err.value.source == "apps" and err.value.location == Location("specs/data.yaml", 9, 12)
        assert "app_sessions" in str(err.value)
        bad_ts = Source(id="events", table="events", timestamp="when")
        with pytest.raises(DataError) as err:
            store.scan(request(((),), source=bad_ts))
        assert err.value.column == "when" and "at, seg, tp, v" in str(err.value)
        with pytest.raises(DataError) as err:
            store.scan(request(((),), aggregates=(Aggregate("x", "sum", sql.col("nosuch")),)))
        assert err.value.column == "nosuch"


def test_wrong_timestamp_type(tmp_path):
    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store, pytest.raises(DataError, match="not a timestamp") as err:
        store.scan(request(((),), source=Source(id="events", table="events", timestamp="v")))
    assert err.value.column == "v"


def test_table_source_without_database():
    with Store.open(None) as store, pytest.raises(DataError, match="no metrics database"):
        store.columns(SOURCE)


def test_metrics_database_is_read_only(tmp_path):
    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store:
        with pytest.raises(Exception, match="read-only|read only"):
            store.engine._con.execute("DELETE FROM metrics.events")


def test_quote_ident_rejects_injection():
    assert quote_ident("score") == '"score"'
    assert quote_ident("first-contact") == '"first-contact"'
    for bad in ['x"; DROP TABLE t; --', "", "1abc", "a b", "__cxgov_ts"]:
        with pytest.raises(DataError):
            quote_ident(bad)


def test_path_sources_csv_and_parquet(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("at,tp,seg,v\n2026-01-05 10:00:00,web,retail,7\n")
    (tmp_path / "data" / "b.csv").write_text("at,tp,seg,v\n2026-01-06 10:00:00,call,retail,3\n")
    csv = Source(id="events", path="data/*.csv", base_dir=tmp_path, timestamp="at", touchpoint="tp", segment="seg")
    with Store.open(None) as store:
        rows = store.scan(request(((),), periods=(JAN,), source=csv))
        assert rows[0]["rows"] == 2 and rows[0]["big"] == 1
        with Database.open(tmp_path / "w.duckdb") as db:
            db.execute(f"COPY (SELECT * FROM read_csv('{tmp_path}/data/*.csv')) TO '{tmp_path}/data/all.parquet'")
        pq = Source(id="events", path="data/all.parquet", base_dir=tmp_path, timestamp="at", touchpoint="tp")
        assert store.scan(request(((),), periods=(JAN,), source=pq))[0]["rows"] == 2
        none = Source(id="events", path="data/*.json", base_dir=tmp_path, timestamp="at",
                      locations={"path": Location("specs/data.yaml", 7, 11)})
        with pytest.raises(DataError, match="no file matches") as err:
            store.columns(none)
        assert err.value.location.line == 7


def test_explain_shows_sql_with_values_and_a_plan(tmp_path):
    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store:
        sql, plan = store.explain(request((("touchpoint",),), periods=(JAN,)))
    assert "GROUPING SETS" in sql and "TIMESTAMP '2026-01-01 00:00:00'" in sql and "> 5" in sql
    assert "?" not in sql
    assert plan.strip()


def test_digest_changes_with_the_data_read_and_not_with_order(tmp_path):
    rows = [("2026-01-02 00:00:00", "web", "retail", 6), ("2025-12-15 10:00:00", "web", "retail", 1)]
    outside = ("2024-06-01 00:00:00", "web", "retail", 3)  # before every window: not read
    dbs = {"a": make_db(tmp_path / "a.duckdb"),
           "b": make_db(tmp_path / "b.duckdb", rows=list(reversed(rows))),
           "c": make_db(tmp_path / "c.duckdb", rows=rows + [outside]),
           "d": make_db(tmp_path / "d.duckdb", rows=rows[:1] + [("2025-12-15 10:00:00", "web", "retail", 2)])}
    missing = Source(id="apps", table="app_sessions", timestamp="at")
    digests, read = {}, {}
    for name, path in dbs.items():
        with Store.open(path) as store:
            scanned_rows = store.scan(replace(request((("touchpoint",),)), health=("touchpoint",)))
            read[name] = scanned(scanned_rows)
            digests[name] = store.digest([SOURCE, missing], {SOURCE.id: read[name]})
            assert store.digest([SOURCE, missing], {}) != digests[name]  # a failed scan: "unreadable"
    assert digests["b"] == digests["c"] and read["b"][0] == 2
    assert len({digests["a"], digests["b"], digests["d"]}) == 3
    assert digests["a"].startswith("sha256:") and read["a"][0] == 5  # the six rows but the one after January


def test_a_store_serves_several_threads_at_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    db = make_db(tmp_path / "m.duckdb")
    with Store.open(db) as store:
        alone = store.scan(request(((), ("touchpoint",))))
        with ThreadPoolExecutor(max_workers=4) as pool:
            together = list(pool.map(lambda _: store.scan(request(((), ("touchpoint",)))), range(8)))
        assert all(rows == alone for rows in together)
        assert store.columns(SOURCE)["v"] == "INTEGER"  # the opening thread's connection still works


def test_a_store_loads_its_sql_dialect_before_any_thread_renders_with_it():
    """sqlglot registers a dialect class before setting its generator: a first statement rendered in two scan
    threads at once could be written by the base generator (`:p0`, which DuckDB rejects). A new interpreter, so
    that nothing else has loaded the dialect."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from cxgov.data.store import Store\n"
            "assert 'sqlglot.dialects.duckdb' not in sys.modules\n"
            "with Store.open(None):\n"
            "    loaded = sys.modules.get('sqlglot.dialects.duckdb')\n"
            "    print(loaded.DuckDB.generator_class.__name__ if loaded else 'not loaded')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "DuckDBGenerator"
