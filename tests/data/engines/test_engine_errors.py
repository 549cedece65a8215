"""What a user sees when the data cannot be reached or read, on PostgreSQL and Spark: the host and port, the URL
without its password, the source, column and spec line; exit codes as on DuckDB."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from report.report_samples import EXAMPLE_SPEC
from support.pgserver import free_port

pytestmark = [pytest.mark.engines]
AS_OF = "2026-11-20"


def _check(data: str, *extra: str):
    return CliRunner().invoke(main, ["check", str(EXAMPLE_SPEC), "--data", data, "--as-of", AS_OF, *extra])


@pytest.mark.postgres
def test_a_server_that_cannot_be_reached_is_named_with_host_and_port():
    port = free_port()
    result = _check(f"postgresql://cxgov@127.0.0.1:{port}/metrics")
    assert result.exit_code == 2
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output


@pytest.mark.postgres
def test_a_refused_login_shows_the_url_without_its_password(pg_server):
    url = f"postgresql://cxgov_password:wrong-secret@127.0.0.1:{pg_server.port}/cxgov"
    result = _check(url)
    assert result.exit_code == 2
    assert "refused the login of user 'cxgov_password'" in result.output
    assert "wrong-secret" not in result.output
    assert "cxgov_password:***@127.0.0.1" in result.output


@pytest.mark.postgres
def test_the_password_from_pgpassword_is_used(pg_server, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", pg_server.password)
    result = _check(f"postgresql://cxgov_password@127.0.0.1:{pg_server.port}/cxgov", "--json", "-")
    # the login works; the example's tables are not in this database, so each rule is an error result
    assert result.exit_code == 2
    assert "refused the login" not in result.output
    assert "table 'survey_responses' not found in postgresql://cxgov_password@127.0.0.1" in result.output


@pytest.mark.postgres
def test_missing_tables_and_columns_are_error_results_at_the_spec_line(pg_server):
    url = pg_server.create_database()
    with pg_server.connect(url.rsplit("/", 1)[1]) as conn:
        conn.execute("CREATE TABLE survey_responses (response_id text, responded_at timestamp, touchpoint_id text, "
                     "segment text, question text)")  # no score column
    result = _check(url)
    assert result.exit_code == 2
    assert "specs/data.yaml" in result.output
    assert "table 'tickets' not found" in result.output
    assert "column 'score'" in result.output or "score: column not found" in result.output
    assert "reads files (`path: feeds/app-sessions/*.parquet`), which PostgreSQL cannot read" in result.output


@pytest.mark.postgres
def test_the_postgresql_session_is_read_only(pg_server):
    from cxgov.data.engines import connect

    engine = connect(pg_server.url)
    try:
        with pytest.raises(Exception, match="read-only"):
            engine._fetch("CREATE TABLE written_by_cxgov (x int)", {})
    finally:
        engine.close()


def test_an_unknown_scheme_is_a_usage_error_naming_the_forms():
    result = _check("mysql://db.example.com/metrics")
    assert result.exit_code == 2
    assert "does not know the scheme mysql:" in result.output
    assert "postgresql://HOST/DB" in result.output


def test_spark_local_mode_is_written_with_its_thread_count():
    result = _check("spark:locale")
    assert result.exit_code == 2
    assert "spark:local[N]" in result.output


def test_cxgov_data_names_the_default_data(monkeypatch):
    port = free_port()
    monkeypatch.setenv("CXGOV_DATA", f"postgresql://cxgov@127.0.0.1:{port}/metrics")
    result = CliRunner().invoke(main, ["check", str(EXAMPLE_SPEC), "--as-of", AS_OF])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}" in result.output


@pytest.mark.spark
def test_a_missing_spark_table_is_an_error_result_at_the_spec_line(local_spark):
    local_spark.session.sql("CREATE DATABASE IF NOT EXISTS empty_db")
    spec_table = "empty_db.survey_responses"
    from cxgov.data.store import Store
    from cxgov.engine.evaluate import evaluate
    from cxgov.spec.api import load_spec
    from dataclasses import replace
    from datetime import date

    spec = load_spec(EXAMPLE_SPEC, date(2026, 11, 20))
    spec = replace(spec, sources=tuple(replace(s, table=spec_table) if s.id == "surveys" else s for s in spec.sources))
    with Store.open("spark:local[2]") as store:
        run = evaluate(spec, store, date(2026, 11, 20), only=("digital-csat",))
    notes = {n for r in run.results for n in r.notes}
    assert {r.status for r in run.results} == {"error"}
    assert any("table 'empty_db.survey_responses' not found in spark:local[2]" in n for n in notes), notes
    assert any(n.startswith("specs/data.yaml:") for n in notes), notes
