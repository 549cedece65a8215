"""Loading files: checks, rejected rows with reasons, counts that reconcile, idempotence, all-or-nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data import ingest
from cxgov.data.engines.duckdb import Database
from cxgov.data.store import Store
from cxgov.errors import DataError, UsageError
from cxgov.spec.model import (Duration, Filter, Journey, Metric, Program, Scale, Source, Spec, Touchpoint)

TOUCHPOINTS = tuple(Touchpoint(id=tp, name=tp, journey="j", stage="service", channel="web", owner="o")
                    for tp in ("web-form", "phone-line"))
SURVEYS = Source(id="surveys", table="survey_responses", timestamp="responded_at", touchpoint="touchpoint_id",
                 segment="segment", key="response_id")
TICKETS = Source(id="tickets", table="tickets", timestamp="opened_at", touchpoint="touchpoint_id")
METRICS = (
    Metric(id="nps", kind="nps", source="surveys", column="score", where=Filter((("question", ("recommend",)),))),
    Metric(id="csat", kind="csat", source="surveys", column="score", scale=Scale(1, 5),
           where=Filter((("question", ("satisfaction",)),))),
    Metric(id="sla", kind="sla", source="tickets", within=24,
           duration=Duration(start="opened_at", end="resolved_at", unit="hours")),
    Metric(id="fcr", kind="ratio", source="tickets", condition=Filter((("first_contact_resolved", (True,)),))),
)
SPEC = Spec(root=Path("specs"), files=(), digest="sha256:x",
            program=Program(id="p", name="P", timezone="Europe/London"),
            journeys=(Journey(id="j", name="J", stages=("service",)),), touchpoints=TOUCHPOINTS,
            sources=(SURVEYS, TICKETS), metrics=METRICS)
HEADER = "response_id,responded_at,touchpoint_id,segment,question,score\n"


def survey_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def good_rows(n: int, start: int = 0) -> list[str]:
    return [f"r{i},2026-01-{1 + i % 28:02d} 10:00:00,web-form,retail,{'recommend' if i % 2 else 'satisfaction'},"
            f"{(i % 5) + 1}" for i in range(start, start + n)]


def table_rows(db: Path, sql: str) -> list[tuple]:
    with Database.open(db) as database:
        return database.execute(sql)


def state(db: Path) -> str:
    """A fingerprint of everything in the database, to prove a failed load changed nothing."""
    if not db.exists():
        return "absent"
    with Database.open(db) as database:
        tables = sorted(t for (t,) in database.execute("SELECT table_name FROM information_schema.tables"))
        parts = [f"{t}:{database.execute(f'SELECT count(*), sum(hash(x)) FROM {t} x')[0]}" for t in tables]
    return "|".join(parts)


def test_good_file_loads_with_types_and_local_time(tmp_path):
    rows = good_rows(4) + ["r9,2026-07-01T12:00:00+02:00,phone-line,,recommend,"]
    report = ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "s.csv", rows)], tmp_path / "m.duckdb")
    f = report.files[0]
    assert (f.read, f.loaded, f.rejected, f.duplicates) == (5, 5, 0, 0) and f.reconciles()
    with Database.open(tmp_path / "m.duckdb") as db:
        assert db.table_columns("survey_responses")["score"] == "INTEGER"
        assert db.table_columns("survey_responses")["responded_at"] == "TIMESTAMP"
        at, score = db.execute("SELECT responded_at, score FROM survey_responses WHERE response_id = 'r9'")[0]
    assert at == datetime(2026, 7, 1, 11, 0) and score is None  # 10:00 UTC is 11:00 in London in July


def test_bad_rows_are_rejected_with_reasons_and_counts_reconcile(tmp_path):
    rows = good_rows(3) + [
        "b1,2026-01-05 10:00:00,nowhere,retail,recommend,7",  # unknown touchpoint
        "b2,2026-01-05 10:00:00,web-form,retail,recommend,11",  # off the NPS scale
        "b3,2026-01-05 10:00:00,web-form,retail,satisfaction,0",  # off the CSAT scale
        "b4,yesterday,web-form,retail,recommend,7",  # unparseable timestamp
        "b5,2026-01-05 10:00:00,web-form,retail,recommend,abc",  # wrong type
        "b6,2026-01-05 10:00:00,web-form,retail,recommend,7.5",  # not a whole answer
        ",2026-01-05 10:00:00,web-form,retail,recommend,7",  # no key
        "ok,2026-01-05 10:00:00,web-form,retail,other-question,42",  # no metric reads it: kept
    ]
    db = tmp_path / "m.duckdb"
    f = ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "s.csv", rows)], db).files[0]
    assert (f.read, f.loaded, f.rejected) == (11, 4, 7) and f.reconciles()
    reasons = dict(table_rows(db, "SELECT json_extract_string(record, '$.response_id'), reason "
                                  "FROM survey_responses_rejected"))
    assert reasons["b1"] == "touchpoint_id: nowhere is not a touchpoint in the spec"
    assert reasons["b2"] == "score: 11 is not an answer on the 0..10 scale of metric nps"
    assert reasons["b3"] == "score: 0 is not an answer on the 1..5 scale of metric csat"
    assert reasons["b4"] == "responded_at: yesterday is not a timestamp"
    assert reasons["b5"] == "score: abc is not a whole number"
    assert reasons["b6"] == "score: 7.5 is not a whole number"
    assert reasons[None] == "response_id: empty"
    assert table_rows(db, "SELECT source_row FROM survey_responses_rejected WHERE reason LIKE 'touchpoint%'") == [(4,)]


def test_one_percent_bad_rows(tmp_path):
    rows = good_rows(2000)
    for i in range(0, 2000, 100):
        rows[i] = rows[i].replace("web-form", "retired-form")
    f = ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "s.csv", rows)], tmp_path / "m.duckdb").files[0]
    assert (f.read, f.loaded, f.rejected) == (2000, 1980, 20)
    assert f.reasons == (("touchpoint_id: is not a touchpoint in the spec", 20, 2),)  # first on line 2


def test_same_file_twice_and_overlapping_files(tmp_path):
    db = tmp_path / "m.duckdb"
    first = survey_csv(tmp_path / "a.csv", good_rows(10))
    ingest.load(SPEC, "surveys", [first], db)
    again = ingest.load(SPEC, "surveys", [first], db).files[0]
    assert again.skipped and again.read == 0
    overlap = survey_csv(tmp_path / "b.csv", good_rows(10, start=5))  # r5..r9 already loaded
    f = ingest.load(SPEC, "surveys", [overlap], db).files[0]
    assert (f.read, f.loaded, f.rejected, f.duplicates) == (10, 5, 0, 5) and f.reconciles()
    assert table_rows(db, "SELECT count(*), count(DISTINCT response_id) FROM survey_responses") == [(15, 15)]


def test_duplicate_keys_within_one_file(tmp_path):
    rows = good_rows(3) + good_rows(1)
    f = ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "s.csv", rows)], tmp_path / "m.duckdb").files[0]
    assert (f.read, f.loaded, f.duplicates) == (4, 3, 1)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (HEADER.encode() + b"r1,2026-01-05 10:00:00,web-form,retail,recommend,7\nr2,2026-01-05 10:00:00,web",
     r"looks truncated: its last line \(line 3\) has 3 of 6 fields"),
    (HEADER.replace(",", ";").encode() + b"r1;2026-01-05 10:00:00;web-form;retail;recommend;7\n",
     "missing columns"),
    (HEADER.encode() + "r1,2026-01-05 10:00:00,web-form,café,recommend,7\n".encode("latin-1"), "is not UTF-8"),
])
def test_unreadable_files_are_clear_errors_and_change_nothing(tmp_path, content, message):
    db = tmp_path / "m.duckdb"
    ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "ok.csv", good_rows(3))], db)
    before = state(db)
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as err:
        ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "more.csv", good_rows(3, start=10)), path], db)
    assert str(path) in str(err.value)
    assert state(db) == before  # the good file before it was rolled back too


def test_wrong_delimiter_hint_and_the_fix(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text(HEADER.replace(",", ";") + "r1;2026-01-05 10:00:00;web-form;retail;recommend;7\n")
    with pytest.raises(DataError) as err:
        ingest.load(SPEC, "surveys", [path], tmp_path / "m.duckdb")
    assert "--delimiter" in err.value.hint
    assert ingest.load(SPEC, "surveys", [path], tmp_path / "m.duckdb", delimiter=";").total("loaded") == 1


def test_latin1_with_the_encoding_option(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(HEADER.encode() + "r1,2026-01-05 10:00:00,web-form,café,recommend,7\n".encode("latin-1"))
    ingest.load(SPEC, "surveys", [path], tmp_path / "m.duckdb", encoding="latin-1")
    assert table_rows(tmp_path / "m.duckdb", "SELECT segment FROM survey_responses") == [("café",)]


def test_missing_column_names_it(tmp_path):
    path = survey_csv(tmp_path / "s.csv", ["r1,2026-01-05 10:00:00,web-form,retail,7"],
                      header="response_id,responded_at,touchpoint_id,segment,score\n")
    with pytest.raises(DataError, match="missing column question") as err:
        ingest.load(SPEC, "surveys", [path], tmp_path / "m.duckdb")
    assert err.value.column == "question" and err.value.source == "surveys"
    assert "tables" not in state(tmp_path / "m.duckdb") or not table_rows(
        tmp_path / "m.duckdb", "SELECT * FROM information_schema.tables WHERE table_name = 'survey_responses'")


def test_missing_file_and_bad_usage(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        ingest.load(SPEC, "surveys", [tmp_path / "nope.csv"], tmp_path / "m.duckdb")
    with pytest.raises(UsageError, match="no source 'nope'"):
        ingest.load(SPEC, "nope", [tmp_path / "x.csv"], tmp_path / "m.duckdb")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(UsageError, match="format"):
        ingest.load(SPEC, "surveys", [tmp_path / "x.json"], tmp_path / "m.duckdb")


def test_tickets_with_open_cases_and_a_bad_boolean(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("opened_at,resolved_at,touchpoint_id,first_contact_resolved,category\n"
                    "2026-01-05 10:00:00,2026-01-05 12:00:00,phone-line,true,fees\n"
                    "2026-01-05 10:00:00,,phone-line,false,fees\n"
                    "2026-01-05 10:00:00,2026-01-06 12:00:00,phone-line,maybe,fees\n"
                    "2026-01-05 10:00:00,soon,phone-line,true,fees\n")
    db = tmp_path / "m.duckdb"
    f = ingest.load(SPEC, "tickets", [path], db).files[0]
    assert (f.read, f.loaded, f.rejected) == (4, 2, 2)
    assert sorted(r for (r,) in table_rows(db, "SELECT reason FROM tickets_rejected")) == [
        "first_contact_resolved: maybe is not true or false", "resolved_at: soon is not a timestamp"]
    assert table_rows(db, "SELECT count(*) FILTER (WHERE resolved_at IS NULL) FROM tickets") == [(1,)]


def test_parquet_with_timestamptz(tmp_path):
    parquet = tmp_path / "s.parquet"
    with Database.open(tmp_path / "scratch.duckdb") as db:
        db.execute("SET TimeZone = 'UTC'")
        db.execute(f"COPY (SELECT 'p1' AS response_id, TIMESTAMPTZ '2026-01-05 10:00:00+00' AS responded_at, "
                   f"'web-form' AS touchpoint_id, 'retail' AS segment, 'recommend' AS question, 9 AS score) "
                   f"TO '{parquet}' (FORMAT parquet)")
    ingest.load(SPEC, "surveys", [parquet], tmp_path / "m.duckdb")
    assert table_rows(tmp_path / "m.duckdb", "SELECT responded_at, score FROM survey_responses") == [
        (datetime(2026, 1, 5, 10, 0), 9)]


def test_a_failure_before_commit_leaves_the_database_unchanged(tmp_path):
    db = tmp_path / "m.duckdb"
    ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "a.csv", good_rows(5))], db)
    before = state(db)

    def fail(report):
        assert report.total("loaded") == 5  # the rows are in, uncommitted
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "b.csv", good_rows(5, start=5))], db, confirm=fail)
    assert state(db) == before


def test_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "m.duckdb"
    report = ingest.dry_run(SPEC, "surveys", [survey_csv(tmp_path / "a.csv", good_rows(5))], db)
    assert report.total("loaded") == 5 and not report.committed
    assert not db.exists() and not db.with_name("m.duckdb.wal").exists()  # not even created


def test_dry_run_against_a_database_reads_it_and_changes_no_byte(tmp_path):
    db = tmp_path / "m.duckdb"
    ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "a.csv", good_rows(5))], db)
    before = db.read_bytes()
    report = ingest.dry_run(SPEC, "surveys", [survey_csv(tmp_path / "b.csv", good_rows(5, start=3) + [
        "b1,2026-01-05 10:00:00,nowhere,retail,recommend,7"])], db)
    f = report.files[0]
    assert (f.read, f.loaded, f.rejected, f.duplicates) == (6, 3, 1, 2) and not report.committed
    assert "would load 3 of 6 rows" in ingest.summary(report)[-1]
    assert db.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "m.duckdb"]
    again = ingest.dry_run(SPEC, "surveys", [tmp_path / "a.csv"], db).files[0]
    assert again.skipped  # the ledger of the database is read too


KILLED_LOAD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_ingest import SPEC
from cxgov.data import ingest

def hang(report):
    Path({marker!r}).write_text("in transaction")
    time.sleep(60)
    return True

ingest.load(SPEC, "surveys", [Path({csv!r})], Path({db!r}), confirm=hang)
"""


def test_a_killed_load_leaves_the_database_unchanged(tmp_path):
    db = tmp_path / "m.duckdb"
    ingest.load(SPEC, "surveys", [survey_csv(tmp_path / "a.csv", good_rows(5))], db)
    before = state(db)
    marker = tmp_path / "marker"
    script = KILLED_LOAD.format(tests=str(Path(__file__).parent), marker=str(marker), db=str(db),
                                csv=str(survey_csv(tmp_path / "b.csv", good_rows(500, start=5))))
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists(), "the load did not reach its transaction"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert state(db) == before
    with Store.open(db) as store:  # and the database still opens read-only for checks
        assert store.columns(SURVEYS)


def test_cli_load_prints_reconciling_counts_and_exit_codes(tmp_path, monkeypatch):
    spec_dir = Path(__file__).resolve().parents[2] / "specs"
    csv = tmp_path / "s.csv"
    csv.write_text(HEADER + "r1,2026-01-05 10:00:00,web-application-form,retail,recommend,9\n"
                            "r2,2026-01-05 10:00:00,web-application-form,retail,recommend,12\n")
    runner = CliRunner()
    result = runner.invoke(main, ["data", "load", "surveys", str(csv), "--db", str(tmp_path / "m.duckdb"),
                                  "--spec", str(spec_dir)])
    assert result.exit_code == 0, result.output
    assert "read 2 = loaded 1 + rejected 1" in result.output
    missing = runner.invoke(main, ["data", "load", "surveys", str(tmp_path / "nope.csv"), "--db",
                                   str(tmp_path / "m.duckdb"), "--spec", str(spec_dir)])
    assert missing.exit_code == 2 and "file not found" in missing.output and "Traceback" not in missing.output
