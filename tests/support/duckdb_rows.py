"""Test data written to real DuckDB files."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cxgov.data.engines.duckdb import Database
from cxgov.data.sql import quote_ident


def write_table(db: Path, table: str, columns: dict[str, str], rows: Sequence[Sequence]) -> Path:
    """(Re)create `table` in the DuckDB file `db` with `columns` (name -> SQL type) holding `rows`; returns `db`."""
    with Database.open(db) as database:
        ddl = ", ".join(f"{quote_ident(c)} {t}" for c, t in columns.items())
        database.execute(f"CREATE OR REPLACE TABLE {quote_ident(table, 'table')} ({ddl})")
        if rows:  # one statement: executemany is slow
            marks = "(" + ", ".join("?" for _ in columns) + ")"
            database.execute(f"INSERT INTO {quote_ident(table, 'table')} VALUES {', '.join(marks for _ in rows)}",
                             [value for row in rows for value in row])
    return db
