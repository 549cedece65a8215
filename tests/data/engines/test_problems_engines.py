"""Problems analyses give the same numbers on DuckDB, PostgreSQL and Spark, and the numbers plain Python computes
over the same rows: categories (unmapped and missing ones included) and theme matching (case, accents, word
endings, phrases across whitespace, words of any script, punctuation and symbols beyond ASCII), text by text
against the reference matcher, on fixed texts and on texts hypothesis mixes from such letters and punctuation."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxgov.data import sql, themes
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


PATTERNS = (("sm",), ("stra",), ("slow", "wait*"), ("took ages",), ("cafe",), ("app", "log in"), ("rude",))
TEXTS = ["smørrebrød", "SMØRREBRØD sm", "straße", "Die Straße ist slow", "łódź app", "app很慢", "遅い、slow。",
         "μslow", "slowд", "waitß", "“slow”", "slow…", "¿slow?", "«rude»", "great👍", "❤️slow", "slow—rude",
         "rude’s", "wait…ing", "cafe\u0301", "Café", "app！", "（app）", "log\u00a0in", "log\u3000in", "Took  Ages",
         "øslow", "slowæ", "œwait", "took\nages", "app·log in", "rude\u200bness", "¡RUDE!", "smorrebrod", "a·sm·b"]
# what texts are made of: the patterns' words, letters the fold leaves as they are, ASCII and other separators
TOKENS = ["sm", "stra", "slow", "wait", "waiting", "took", "ages", "cafe", "café", "app", "log", "in", "rude",
          *"ßøłæœØÆŒαΩдЖ慢遅한アéÉç", *"’“”–—…«»¿¡、。！？，・「」€™★❤👍", "\ufe0f", "\u200b", "\u3000", "\u0301",
          " ", "  ", "\t", "\n", ".", ",", "'", "-", "!"]


@pytest.fixture(scope="module")
def connections(pg_server, local_spark):
    """(DuckDB connection, PostgreSQL connection, Spark session): where texts are matched row by row."""
    url = pg_server.create_database()
    duck = duckdb.connect()
    pg = pg_server.connect(url.rsplit("/", 1)[1], autocommit=True)
    yield {"duckdb": duck, "postgres": pg, "spark": local_spark.session}
    duck.close()
    pg.close()


def _matched(connections, engine: str, texts: list[str], patterns) -> list[bool]:
    """Whether each text matches `patterns` as `engine` computes it: the fold and the bound regular expression
    the scans use, over a table of the texts."""
    rendered = sql.render(sql.Matches(this=sql.Folded(this=sql.col("t")),
                                      pattern=sql.value(themes.regex(patterns))), engine)
    rows = list(enumerate(texts))
    if engine == "spark":
        session = connections["spark"]
        session.createDataFrame(rows, "i INT, t STRING").createOrReplaceTempView("theme_texts")
        found = session.sql(f"SELECT i, {rendered.sql} FROM theme_texts", args=dict(rendered.params)).collect()
        return [bool(m) for _, m in sorted(tuple(r) for r in found)]
    con = connections[engine]
    if engine == "duckdb":
        con.execute("CREATE OR REPLACE TEMP TABLE theme_texts (i INTEGER, t VARCHAR)")
        con.executemany("INSERT INTO theme_texts VALUES (?, ?)", rows)
        found = con.execute(f"SELECT i, {rendered.sql} FROM theme_texts ORDER BY i", rendered.params).fetchall()
    else:
        with con.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS theme_texts")
            cursor.execute("CREATE TEMP TABLE theme_texts (i INTEGER, t TEXT)")
            cursor.executemany("INSERT INTO theme_texts VALUES (%s, %s)", rows)
            cursor.execute(f"SELECT i, {rendered.sql} FROM theme_texts ORDER BY i", rendered.params)
            found = cursor.fetchall()
    return [bool(m) for _, m in found]


def test_postgres_reads_the_texts_in_utf8(connections):
    with connections["postgres"].cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        assert cursor.fetchone()[0] == "UTF8"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("patterns", PATTERNS, ids="|".join)
def test_words_of_any_script_match_as_the_reference_on_every_engine(connections, engine, patterns):
    assert _matched(connections, engine, TEXTS, patterns) == [matches(t, patterns) for t in TEXTS]


def test_the_fixed_texts_hold_both_outcomes():
    assert not matches("smørrebrød", ["sm"]) and not matches("straße", ["stra"]) and not matches("app很慢", ["app"])
    assert matches("遅い、slow。", ["slow"]) and matches("great👍", ["great"]) and matches("❤️slow", ["slow"])
    assert matches("Die Straße ist slow", ["slow"]) and matches("app！", ["app"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join), min_size=20,
                      max_size=40),
       patterns=st.sampled_from(PATTERNS))
def test_generated_texts_match_as_the_reference_on_every_engine(connections, texts, patterns):
    expected = [matches(t, patterns) for t in texts]
    for engine in ENGINES:
        assert _matched(connections, engine, texts, patterns) == expected, engine
