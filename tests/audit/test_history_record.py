"""Recording runs and reading them back: runs, counts, one rule across runs, schema version, bad files."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from cxgov.audit import history
from cxgov.data.engines.duckdb_history import HistoryDB
from cxgov.errors import ExitCode, HistoryError


def at(hour: int, day: int = 20):
    return lambda: datetime(2026, 11, day, hour, 0, 0, tzinfo=timezone.utc)


def test_record_stores_every_field(tmp_path, make_run, make_result):
    path = tmp_path / "history.duckdb"
    results = [make_result(value=92.5, status="pass"),
               make_result(touchpoint="chat-complaints", value=87.0, status="waived", underlying="breach"),
               make_result(rule="relationship-nps", touchpoint=None, scope={"segment": "retail"}, value=None,
                           status="insufficient", n=0)]
    run_id = history.record(make_run(date(2026, 11, 20), results), path, clock=at(6))
    assert run_id == 1
    (rec,) = history.runs(path)
    assert rec.id == 1
    assert rec.recorded_at == datetime(2026, 11, 20, 6, tzinfo=timezone.utc)
    assert rec.as_of == date(2026, 11, 20)
    assert (rec.spec_commit, rec.spec_digest, rec.data_digest) == ("a1b2c3d4e5f6a7b8", "sha256:spec", "sha256:data")
    assert rec.cxgov_version == "0.1.0" and rec.program == "northwind-bank"
    assert rec.result_count == 3
    assert dict(rec.counts) == {"pass": 1, "waived": 1, "insufficient": 1}

    (point,) = history.rule_history(path, "complaints-resolved-24h", history.canonical_scope(
        {"touchpoint": "chat-complaints"}))
    assert point.value == 87.0 and point.n == 240
    assert (point.status, point.underlying_status, point.effective_status) == ("waived", "breach", "breach")
    assert point.waiver == "w-queue" and point.owner == "service-operations" and point.severity == "high"
    assert (point.threshold.op, point.threshold.fail, point.threshold.warn) == (">=", 90.0, 95.0)
    assert (point.ci_low, point.ci_high) == (82.5, 90.5)
    (kpi,) = history.rule_history(path, "relationship-nps")
    assert kpi.scope == (("segment", "retail"),) and kpi.value is None and kpi.status == "insufficient"


def test_runs_are_numbered_and_listed_oldest_first(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    for i, (day, status) in enumerate([(1, "pass"), (2, "warn"), (3, "breach")]):
        history.record(make_run(date(2026, 11, day), [make_result(status=status)]), path, clock=at(i, day))
    records = history.runs(path)
    assert [r.id for r in records] == [1, 2, 3]
    assert [dict(r.counts) for r in records] == [{"pass": 1}, {"warn": 1}, {"breach": 1}]


def test_empty_run_is_recorded(tmp_path, make_run):
    path = tmp_path / "h.duckdb"
    history.record(make_run(date(2026, 11, 20), []), path, clock=at(1))
    (rec,) = history.runs(path)
    assert rec.result_count == 0 and dict(rec.counts) == {}


def test_rule_history_across_runs_and_scopes(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    values = [(1, 93.0, "pass"), (2, 91.0, "warn"), (3, 88.0, "breach"), (4, 86.0, "breach")]
    for day, value, status in values:
        results = [make_result(value=value, status=status),
                   make_result(touchpoint="chat-complaints", value=99.0, status="pass")]
        history.record(make_run(date(2026, 11, day), results), path, clock=at(5, day))
    phone = history.rule_history(path, "complaints-resolved-24h", '{"touchpoint":"phone-complaints"}')
    assert [(p.as_of.day, p.value, p.status) for p in phone] == [(d, v, s) for d, v, s in values]
    both = history.rule_history(path, "complaints-resolved-24h")
    assert len(both) == 8
    assert history.rule_history(path, "no-such-rule") == ()


def test_reading_a_missing_history_is_a_clear_error(tmp_path):
    with pytest.raises(HistoryError) as err:
        history.runs(tmp_path / "nothing.duckdb")
    assert "no run history at" in str(err.value) and "--record" in str(err.value)
    assert err.value.exit_code == ExitCode.CANNOT_RUN


def test_a_file_that_is_not_a_history_is_refused(tmp_path, make_run):
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database\n")
    with pytest.raises(HistoryError, match="cannot open run history"):
        history.record(make_run(date(2026, 11, 20), []), junk)
    assert junk.read_text() == "not a database\n"


def test_newer_schema_version_is_refused(tmp_path, make_run):
    path = tmp_path / "h.duckdb"
    history.record(make_run(date(2026, 11, 20), []), path, clock=at(1))
    with HistoryDB.open(path, write=True) as db:
        db._con.execute("UPDATE cxgov_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(HistoryError, match="(?s)schema version 99.*upgrade cxgov"):
        history.runs(path)


def test_scope_arguments():
    assert history.parse_scope(["touchpoint=web-chat"]) == '{"touchpoint":"web-chat"}'
    assert history.parse_scope(["segment=retail", "channel=web"]) == '{"channel":"web","segment":"retail"}'
    assert history.parse_scope(['{"segment": "retail"}']) == '{"segment":"retail"}'
    with pytest.raises(Exception, match="KEY=VALUE"):
        history.parse_scope(["web-chat"])
    with pytest.raises(Exception, match="not valid JSON"):
        history.parse_scope(["{oops"])
