"""The fold as DuckDB computes it (lower() for ASCII texts, translate() for the rest) is cxgov.data.themes.fold,
character for character, on every character the fold table maps and on texts that are ASCII but for one."""

from __future__ import annotations

import duckdb

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
