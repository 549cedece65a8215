"""Copy the tables of a DuckDB file into PostgreSQL or Spark, keeping each column's type (and so its meaning).

TIMESTAMP stays a wall-clock time (PostgreSQL `timestamp without time zone`, Spark TIMESTAMP_NTZ) and TIMESTAMPTZ an
instant (`timestamptz`, Spark TIMESTAMP_LTZ). A DuckDB schema becomes a PostgreSQL schema or a Spark database
(`main` becomes `public` / `default`). DuckDB writes the data once, as CSV streamed into PostgreSQL's COPY or as
Parquet that Spark tables are declared over, so a few hundred thousand rows take seconds.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import psycopg
    from pyspark.sql import SparkSession

_SAME = {"BOOLEAN", "SMALLINT", "INTEGER", "BIGINT", "DATE"}
POSTGRES_TYPES = {**{t: t.lower() for t in _SAME}, "TINYINT": "smallint", "FLOAT": "real", "DOUBLE": "double precision",
                  "VARCHAR": "text", "TIMESTAMP": "timestamp without time zone",
                  "TIMESTAMP WITH TIME ZONE": "timestamp with time zone"}
SPARK_TYPES = {**{t: t for t in _SAME}, "INTEGER": "INT", "TINYINT": "TINYINT", "FLOAT": "FLOAT", "DOUBLE": "DOUBLE",
               "VARCHAR": "STRING", "TIMESTAMP": "TIMESTAMP_NTZ", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_LTZ"}
_DECIMAL = re.compile(r"DECIMAL\(\d+,\d+\)")


@dataclass(frozen=True)
class Table:
    """A DuckDB table: its schema, name, columns (name, DuckDB type) and row count."""

    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]
    rows: int


def duckdb_tables(db: Path) -> list[Table]:
    """The base tables of the DuckDB file `db`, in schema and name order."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.execute("SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
                            "WHERE database_name = current_database() ORDER BY schema_name, table_name").fetchall()
        tables = []
        for schema, name, _ in names:
            columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                                  "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
                                  [schema, name]).fetchall()
            (rows,), = con.execute(f"SELECT count(*) FROM {_duck(schema)}.{_duck(name)}").fetchall()
            tables.append(Table(schema, name, tuple(columns), rows))
        return tables


def copy_to_postgres(db: Path, conn: "psycopg.Connection") -> list[Table]:
    """(Re)create every table of `db` in the database of `conn` (read-write) and fill it with COPY; commits."""
    from psycopg import sql

    tables = duckdb_tables(db)
    with duckdb.connect(str(db), read_only=True) as con, tempfile.TemporaryDirectory(prefix="cxgov-copy-") as tmp:
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ written with its offset, +00
        for table in tables:
            target = sql.Identifier("public" if table.schema == "main" else table.schema, table.name)
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_type(POSTGRES_TYPES, table, c, t)))
                for c, t in table.columns)
            if table.schema != "main":
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(table.schema)))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
            csv = Path(tmp) / "table.csv"
            con.execute(f"COPY {_duck(table.schema)}.{_duck(table.name)} TO {_text(csv)} (FORMAT csv, HEADER false)")
            with conn.cursor() as cur, cur.copy(sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(target)) as copy, \
                    csv.open("rb") as data:
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
    conn.commit()
    return tables


def copy_to_spark(db: Path, spark: "SparkSession", folder: Path) -> list[Table]:
    """(Re)create every table of `db` in Spark's catalog, as a table over Parquet that DuckDB writes into `folder`."""
    tables = duckdb_tables(db)
    with duckdb.connect(str(db), read_only=True) as con:
        for table in tables:
            database = "default" if table.schema == "main" else table.schema
            where = folder / database / table.name
            where.mkdir(parents=True, exist_ok=True)
            for old in where.glob("*.parquet"):
                old.unlink()
            source = f"{_duck(table.schema)}.{_duck(table.name)}"
            con.execute(f"COPY {source} TO {_text(where / 'data.parquet')} (FORMAT parquet)")
            columns = ", ".join(f"{_spark(c)} {_type(SPARK_TYPES, table, c, t)}" for c, t in table.columns)
            target = f"{_spark(database)}.{_spark(table.name)}"
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_spark(database)}")
            spark.sql(f"DROP TABLE IF EXISTS {target}")
            spark.sql(f"CREATE TABLE {target} ({columns}) USING parquet LOCATION {_text(where)}")
    return tables


def _type(types: dict[str, str], table: Table, column: str, duck_type: str) -> str:
    if _DECIMAL.fullmatch(duck_type):
        return duck_type
    if duck_type not in types:
        raise ValueError(f"{table.schema}.{table.name}.{column}: DuckDB type {duck_type} has no mapping here; "
                         f"use one of {', '.join(sorted(types))} or DECIMAL(p,s)")
    return types[duck_type]


def _text(path: Path) -> str:
    """A path as a string literal that DuckDB and Spark read alike (they escape quotes differently: none allowed)."""
    if set(path.as_posix()) & {"'", "\\"}:
        raise ValueError(f"{path}: a folder whose path has no quote or backslash is needed")
    return f"'{path.as_posix()}'"


def _duck(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _spark(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
