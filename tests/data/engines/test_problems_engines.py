"""Problems analyses give the same numbers on DuckDB, PostgreSQL and Spark, and the numbers plain Python computes
over the same rows: categories (unmapped and missing ones included) and theme matching (case, accents, word
endings, phrases across whitespace)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cxgov.data.themes import is_blank, matches
from cxgov.engine.evaluate import evaluate
from cxgov.spec.api import load_spec
from engine_stores import ENGINES, Copies, same

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "engine"))
from problem_fixtures import AS_OF, COMMENTS, write_case  # noqa: E402

pytestmark = [pytest.mark.engines, pytest.mark.postgres, pytest.mark.spark]

MORE_COMMENTS = [("ÉTAIT LENT, j'ai ATTENDU — slow!", 2), ("queue\tqueue", 1), ("Took\nAges", 2), ("tookages", 4),
                 ("ImPoLiTe", 1), ("cafés", 3), ("CAFE", 4), ("rude.", 1), ("  ", 5), ("wait-list", 3)]


@pytest.fixture(scope="module")
def case(tmp_path_factory, pg_server, local_spark):
    folder = tmp_path_factory.mktemp("problems")
    spec_dir, db = write_case(folder, comments=COMMENTS + MORE_COMMENTS)
    return load_spec(spec_dir, AS_OF), Copies(db, pg_server, local_spark, folder / "spark")


def _results(spec, copies, engine):
    with copies.store(engine) as store:
        run = evaluate(spec, store, AS_OF)
    return [r for r in run.results if r.kind == "problem"]


@pytest.mark.parametrize("engine", ENGINES[1:])
def test_every_engine_gives_duckdbs_problem_results(case, engine):
    spec, copies = case
    expected, got = _results(spec, copies, "duckdb"), _results(spec, copies, engine)
    assert len(expected) == len(got) == 8
    for a, b in zip(expected, got):
        assert same(a, b), (engine, a, b)


def test_theme_counts_agree_with_plain_python(case):
    spec, copies = case
    problem = spec.problem("what-customers-write")
    texts = [c for c, _ in COMMENTS + MORE_COMMENTS]
    results = {dict(r.scope)["root_cause"]: r for r in _results(spec, copies, "duckdb")
               if r.rule == problem.id}
    for cause in problem.cause_ids:
        patterns = [p for t in problem.themes if t.root_cause == cause for p in t.patterns]
        expected = sum(1 for t in texts if not is_blank(t) and matches(t, patterns))
        assert results[cause].n == expected, cause
    assert results["staff-capacity"].missing == sum(1 for t in texts if is_blank(t))
