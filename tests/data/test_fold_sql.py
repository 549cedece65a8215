"""The fold as DuckDB and PostgreSQL compute it (lower() for ASCII texts, translate() for the rest) is
cxgov.data.themes.fold, character for character, on every character the fold table maps and on texts that are
ASCII but for one; and the words a theme's texts must contain are in every text it matches."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxgov.data import sql, themes

TEXTS = ["It TOOK   ages", "WAITED!", "Café au lait", "ÀÉÎÕÜ çñ", "\u0130stanbul", "e\u0301", "line\r\nbreak",
         "tab\there", "no\u00a0break", "ASCII only, punctuation: [](){}.", "ÆØÅ æøå ß", "", "   ", "Ωmega", "\u01c4"]


def folded_in_duckdb(texts: list[str | None]) -> list[str | None]:
    rendered = sql.render(sql.Folded(this=sql.col("t")), "duckdb")
    connection = duckdb.connect()
    connection.execute("CREATE TABLE x (i INTEGER, t VARCHAR)")
    connection.executemany("INSERT INTO x VALUES (?, ?)", list(enumerate(texts)))
    return [r[0] for r in connection.execute(f"SELECT {rendered.sql} FROM x ORDER BY i", rendered.params).fetchall()]


def test_duckdb_folds_exactly_as_the_reference():
    every = [ch for ch in themes.FOLD_FROM] + [chr(c) for c in range(0x20, 0x7f)]
    texts: list[str | None] = [*TEXTS, *every, *(f"Abc {ch} xyZ" for ch in every), None]
    expected = [None if t is None else themes.fold(t) for t in texts]
    assert folded_in_duckdb(texts) == expected


def test_the_ascii_path_is_lower_and_the_rest_translate():
    rendered = sql.render(sql.Folded(this=sql.col("t")), "duckdb").sql
    assert "STRLEN" in rendered.upper() and "LOWER(" in rendered.upper() and "TRANSLATE(" in rendered.upper()
    assert themes.FOLD_FROM not in rendered  # the table is bound, never written into the statement


def _every_text() -> list[str | None]:
    every = [ch for ch in themes.FOLD_FROM] + [chr(c) for c in range(0x20, 0x7f)]
    return [*TEXTS, *every, *(f"Abc {ch} xyZ" for ch in every), None]


@pytest.mark.postgres
def test_postgresql_folds_exactly_as_the_reference(pg_server):
    texts = _every_text()
    rendered = sql.render(sql.Folded(this=sql.col("t")), "postgres")
    statement = rendered.sql.replace("%", "%%")
    for name in rendered.params:
        statement = statement.replace(f"%%({name})s", f"%({name})s")
    with pg_server.connect() as conn:
        conn.execute("CREATE TEMPORARY TABLE x (i INTEGER, t TEXT)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO x VALUES (%s, %s)", list(enumerate(texts)))
        got = [r[0] for r in conn.execute(f"SELECT {statement} FROM x ORDER BY i", rendered.params).fetchall()]
    assert got == [None if t is None else themes.fold(t) for t in texts]
    assert "OCTET_LENGTH(CONVERT_TO(" in rendered.sql.upper() and 'COLLATE "C"' in rendered.sql


def test_a_themes_words_are_the_longest_of_each_pattern_without_those_containing_another():
    assert themes.literal("took ages") == "took"  # as long as "ages": the last in order
    assert themes.literal("wait*") == "wait" and themes.literal("Hidden FEE") == "hidden"
    assert themes.literals(["wait*", "waiting", "on hold", "queue*"]) == ("hold", "queue", "wait")
    assert themes.literals(["café"]) == ("cafe",)


WORDS = st.sampled_from(["wait", "waited", "Waiting", "await", "took", "ages", "TOOK", "Café", "cafe", "rude",
                         "log", "login", "on", "hold", "x"])
GAPS = st.sampled_from([" ", "  ", "\t", "\n", ", ", "-", "!", " ", ""])
PATTERNS = st.lists(st.sampled_from(["wait*", "took ages", "cafe", "rude", "log in", "login", "on hold", "x-ray"]),
                    min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(WORDS, GAPS), max_size=8), PATTERNS)
def test_every_text_a_theme_matches_contains_one_of_its_words(parts, patterns):
    text = "".join(w + g for w, g in parts)
    if themes.matches(text, patterns):
        assert any(w in themes.fold(text) for w in themes.literals(patterns))
