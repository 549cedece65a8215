"""Every scan of the example program, and its evaluation, give the same numbers on DuckDB, PostgreSQL and Spark
(and through Spark Connect): every value, n and interval to 1e-9 relative."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.cli import main

from cxgov.engine.evaluate import evaluate
from cxgov.engine.plan import plan
from cxgov.spec.api import load_spec
from engine_stores import Copies, differences, json_differences
from report.report_samples import EXAMPLE_SPEC, example_db

pytestmark = [pytest.mark.engines, pytest.mark.postgres, pytest.mark.spark]
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def copies(tmp_path_factory, pg_server, local_spark) -> Copies:
    folder = tmp_path_factory.mktemp("example")
    return Copies(example_db(folder, rows=6_000), pg_server, local_spark, folder / "spark")


@pytest.fixture(scope="module")
def spec():
    return load_spec(EXAMPLE_SPEC, AS_OF)


def _scans(spec, store):
    sources = [s for s in spec.sources if s.table]
    types = {s.id: store.columns(s) for s in sources}
    return types, [s for s in plan(spec, AS_OF, types=types) if s.request.source.table]


def _rows(store, scan) -> dict[tuple, dict]:
    rows = store.scan(scan.request)
    keyed = {(r["period"], r["grouping"], *(r.get(d) for d in ("touchpoint", "segment", "journey", "stage",
                                                                  "channel", "category"))): r for r in rows}
    assert len(keyed) == len(rows), "a scan gave one group twice"
    return keyed


@pytest.mark.parametrize("engine", ["postgres", "spark", "connect"])
def test_every_scan_of_the_example_program_gives_duckdbs_rows(copies, spec, engine):
    if engine == "connect" and not copies.connect_url:
        pytest.skip("no Spark Connect server in this pyspark")
    with copies.store("duckdb") as duck:
        types, scans = _scans(spec, duck)
        expected = [_rows(duck, scan) for scan in scans]
    assert len(scans) == 3 and all(expected)
    with copies.store(engine) as other:
        other_types, other_scans = _scans(spec, other)
        assert other_types == types  # the same type vocabulary on every engine
        problems = []
        for scan, want in zip(other_scans, expected):
            got = _rows(other, scan)
            assert set(got) == set(want), f"{scan.request.source.id}: different groups"
            for key, row in want.items():
                problems += differences(row, got[key], f"{scan.request.source.id} {key}")
    assert problems == []


def _results(run) -> list[dict]:
    return [{"rule": r.rule, "scope": r.scope, "status": r.status, "value": r.value, "n": r.n,
             "missing": r.missing, "invalid": r.invalid, "ci_low": r.ci_low, "ci_high": r.ci_high, **r.extra,
             "previous": r.previous, "trend": r.trend} for r in run.results if r.status != "error"]


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_the_example_program_evaluates_to_the_same_results(copies, spec, engine):
    with copies.store("duckdb") as duck:
        expected = evaluate(spec, duck, AS_OF)
    with copies.store(engine) as other:
        got = evaluate(spec, other, AS_OF)
    want, have = _results(expected), _results(got)
    assert len(want) == len(have) > 100
    problems = [p for a, b in zip(want, have) for p in differences(a, b, f"{a['rule']} {a['scope']}")]
    assert problems == []
    # the one rule that reads files (none delivered) is an error on every engine
    assert {r.rule for r in expected.results if r.status == "error"} == \
        {r.rule for r in got.results if r.status == "error"} == {"app-task-time"}
    assert differences({'health': expected.health}, {'health': got.health}, 'data health') == []


def _json_without_provenance(text: str) -> dict:
    """A check's JSON without what names the engine: the data digest, and the message of the error result of the
    source that reads files (each engine says in its own words why it cannot)."""
    document = json.loads(text)
    document["data"].pop("digest")
    for result in document["results"]:
        if result["status"] == "error":
            result.pop("notes")
    return document


def _check(data: str | Path, out: Path) -> tuple[int, dict]:
    code = subprocess.run([str(Path(sys.executable).parent / "cxgov"), "check", str(EXAMPLE_SPEC), "--data", str(data),
                           "--as-of", AS_OF.isoformat(), "--json", str(out)], capture_output=True, text=True)
    assert "Traceback" not in code.stderr, code.stderr
    return code.returncode, _json_without_provenance(out.read_text())


def test_check_on_postgresql_from_the_command_line_gives_duckdbs_json(copies, tmp_path):
    duck_code, duck = _check(copies.db, tmp_path / "duckdb.json")
    pg_code, pg = _check(copies.pg_url, tmp_path / "postgres.json")
    assert duck_code == pg_code == 2  # the example's undelivered feed is an error on both
    assert json_differences(duck, pg) == []


@pytest.mark.parametrize("engine", ["spark", "connect"])
def test_check_on_spark_from_the_command_line_gives_duckdbs_json(copies, tmp_path, engine):
    # in this process, where the test session's Spark (and its catalog with the copied tables) runs
    if engine == "connect" and not copies.connect_url:
        pytest.skip("no Spark Connect server in this pyspark")
    _, duck = _check(copies.db, tmp_path / "duckdb.json")
    out = tmp_path / f"{engine}.json"
    result = CliRunner().invoke(main, ["check", str(EXAMPLE_SPEC), "--data", str(copies.data(engine)), "--as-of",
                                       AS_OF.isoformat(), "--json", str(out)])
    assert result.exit_code == 2, result.output
    assert json_differences(duck, _json_without_provenance(out.read_text())) == []


def test_spark_reads_a_scans_source_once_and_rolls_up_the_kept_partials(copies, spec):
    # Spark computes a CTE at each reference: the partials are kept, and the rest of the statement reads them
    with copies.store("spark") as store:
        _, scans = _scans(spec, store)
        surveys = next(s for s in scans if s.request.source.id == "surveys")
        with store.engine._provided(store._query(surveys.request)) as query:
            assert not query.tables and "__cxgov_dims_rows_" in query.sql  # the touchpoints as a view of their own
            staged = store.engine._staged(query)
            assert staged is not None
            frame, view, rest = staged
            try:
                assert "`survey_responses`" not in rest.sql and rest.sql.count(f"`{view}`") == 1
            finally:
                store.engine.session.catalog.dropTempView(view)
                frame.unpersist()
        assert not any(t.name.startswith("__cxgov_dims_rows") for t in store.engine.session.catalog.listTables())
