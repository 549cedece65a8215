"""engine.check: the one entry point of an evaluation, on the example program and a DuckDB file on disk."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cxgov.data.generate import generate
from cxgov.engine import check as checking
from cxgov.engine.evaluate import evaluate
from cxgov.engine.evidence import rule_sql
from cxgov.errors import UsageError
from cxgov.report import json as json_report
from cxgov.spec.api import load_spec

SPECS = Path(__file__).resolve().parents[2] / "specs"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("check") / "example.duckdb"
    generate(load_spec(SPECS), path, rows=20_000, seed=3, as_of=AS_OF)
    return path


@pytest.fixture(scope="module")
def checked(db: Path) -> checking.Checked:
    return checking.check(SPECS, db, AS_OF, evidence=True, checkout=True)


def test_a_check_gives_the_records_evaluate_gives_on_an_open_store(db, checked):
    from cxgov.data.store import Store

    with Store.open(db) as store:
        direct = evaluate(checked.spec, store, AS_OF)
    assert checked.run.results == direct.results and checked.run.health == direct.health
    assert checked.run.data_digest == direct.data_digest and checked.spec.program.id == "northwind-bank"


def test_the_run_carries_each_rules_sql_as_the_engine_runs_it(db, checked):
    from cxgov.data.store import Store

    with Store.open(db) as store:
        expected = rule_sql(checked.spec, AS_OF, store)
    assert dict(checked.run.evidence) == expected
    rules = {r.id for r in (*checked.spec.standards, *checked.spec.kpis, *checked.spec.problems)}
    assert set(expected) == rules  # every rule, problems analyses too, the unreadable feed's as its aggregates
    assert all(sql.lstrip().upper().startswith(("WITH", "SELECT", "--")) for sql in expected.values())


def test_evidence_and_checkout_are_attached_only_when_asked_and_never_reach_the_json(db, checked):
    plain = checking.check(SPECS, db, AS_OF)
    assert dict(plain.run.evidence) == {} and plain.run.checkout is None
    assert checked.run.checkout is not None and Path(checked.run.checkout.root).is_dir()
    assert json_report.render(plain.run) == json_report.render(checked.run)


def test_the_git_commit_of_the_spec_folder_is_recorded(tmp_path, db):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    specs = tmp_path / "repo" / "specs"
    shutil.copytree(SPECS, specs, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(specs.parent), "-c", "user.email=cx@example.com", "-c", "user.name=CX"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "spec"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    run = checking.check(specs, db, AS_OF, rules=["digital-csat"]).run
    assert run.git_commit == head
    (specs / "program.yaml").write_text((specs / "program.yaml").read_text() + "\n", encoding="utf-8")
    assert checking.check(specs, db, AS_OF, rules=["digital-csat"]).run.git_commit == f"{head}-dirty"


def test_a_rule_selection_evaluates_only_those_rules(db):
    run = checking.check(SPECS, db, AS_OF, rules=["digital-csat"], evidence=True).run
    assert {r.rule for r in run.results} == {"digital-csat"} and set(run.evidence) == {"digital-csat"}


def test_progress_is_told_each_step_and_on_results_gets_every_result(db):
    told: list[str] = []
    seen: list[object] = []
    run = checking.check(SPECS, db, AS_OF, progress=told.append, on_results=seen.extend).run
    assert told[0] == "reading the spec" and told[1].startswith("evaluating ") and told[1].endswith(" rules")
    assert told[-1].startswith("evaluating: ")
    errors = [r for r in run.results if r.status == "error"]  # the undelivered feed's fail before any scan
    assert sorted(map(id, seen)) == sorted(id(r) for r in run.results if r not in errors)


def test_tables_without_data_are_a_usage_error_naming_the_sources():
    with pytest.raises(UsageError) as caught:
        checking.check(SPECS, None, AS_OF)
    assert "--data is required" in caught.value.message and "'surveys' (table survey_responses" in caught.value.message
    assert "sources 'servqual' (table servqual_responses" in caught.value.message
    assert caught.value.message.endswith(" read tables from the metrics database")
    with pytest.raises(UsageError) as one:
        checking.check(SPECS, None, AS_OF, rules=["digital-csat"])
    assert "--data is required: source 'surveys' (table survey_responses, " in one.value.message
    assert one.value.message.endswith(" reads a table from the metrics database")


def test_the_json_of_a_check_is_the_commands(db, tmp_path):
    from click.testing import CliRunner

    from cxgov.cli import main

    out = tmp_path / "results.json"
    CliRunner().invoke(main, ["check", str(SPECS), "--data", str(db), "--as-of", AS_OF.isoformat(),
                              "--json", str(out)])
    document = json.loads(out.read_text(encoding="utf-8"))
    ours = json.loads(json_report.render(checking.check(SPECS, db, AS_OF).run))
    assert document == ours


def test_while_scanning_gets_the_results_made_while_another_scan_still_runs(db, monkeypatch):
    import threading

    from cxgov.data.store import Store

    released = threading.Event()
    started: list[str] = []
    real = Store.fetch

    def fetch(self, request, query):  # every statement after the first waits until the first one's results are out
        started.append(request.source.id)
        if len(started) > 1:
            released.wait(timeout=30)
        return real(self, request, query)

    monkeypatch.setattr(Store, "fetch", fetch)
    batches: list[list[object]] = []

    def early(results):
        batches.append(list(results))
        released.set()

    seen: list[object] = []
    run = checking.check(SPECS, db, AS_OF, on_results=seen.extend, while_scanning=early).run
    assert len(started) > 1 and batches, "the first scan's results come while the others wait"
    first = {r.rule for r in batches[0]}
    assert first and all(r.rule in first for r in batches[0])
    early_ids = {id(r) for batch in batches for r in batch}
    assert early_ids < {id(r) for r in seen} <= {id(r) for r in run.results}  # never the last scan's
    assert len(batches) < len(started)
