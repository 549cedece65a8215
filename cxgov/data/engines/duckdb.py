"""DuckDB, the embedded default: reading metric data (`DuckDBEngine`) and writing it (`Database`).

Reading: an in-memory connection with the metrics database ATTACHed read-only as `metrics`; sources are tables in
it or files (`path:`) read with read_csv/read_parquet. Writing: a read-write connection for `cxgov data load` and
`cxgov data generate`, with transactions. The run history is in `duckdb_history`.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

import duckdb
from sqlglot import exp

from cxgov import speed
from cxgov.data import csvfile, sql
from cxgov.data.engines.base import Engine, local_files
from cxgov.data.engines.types import NUMERIC_TYPES, TIMESTAMP_TYPES, TIMESTAMPTZ
from cxgov.data.sql import INTERNAL, quote_ident, quote_table
from cxgov.errors import DataError
from cxgov.spec import confine
from cxgov.vocabulary import CSV_SUFFIXES, PARQUET_SUFFIXES

if TYPE_CHECKING:
    from cxgov.data.scan import Query
    from cxgov.spec.model import Source

FILE_READERS = {**dict.fromkeys(PARQUET_SUFFIXES, "read_parquet"), **dict.fromkeys(CSV_SUFFIXES, "read_csv")}


def _error_text(exc: Exception) -> str:
    """DuckDB's message without the SQL excerpt it appends."""
    return str(exc).split("\nLINE ")[0].strip()


_CONVERTED = re.compile(r"(convert string ([\"']))(.*?)(\2 to )")  # the value a conversion failed on


def connect(database: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection, once the connections still closing are closed (speed.release_beside)."""
    speed.released()
    return duckdb.connect(database, read_only=read_only)


def scalar(con: duckdb.DuckDBPyConnection, statement: str, params: Sequence[object] = ()) -> Any:
    """The first value of the one row `statement` returns (an aggregate, a sequence's next value)."""
    row = con.execute(statement, list(params)).fetchone()
    assert row is not None  # such a statement always returns its row
    return row[0]


def cause(exc: duckdb.Error) -> str:
    """DuckDB's message as one line that keeps its cause and any line number it gives ("Conversion Error: CSV Error
    on Line: 12; Error when converting column "score". Could not convert string "abc" to 'BIGINT'"), without the SQL
    excerpt, a CSV file's original line, the list of possible solutions or the reader's options."""
    kept: list[str] = []
    for line in _error_text(exc).splitlines():
        line = line.strip()
        if not line:
            if kept:
                break  # what follows the first paragraph is advice and reader options
            continue
        if not line.startswith("Original Line:"):
            kept.append(line)
    return _CONVERTED.sub(lambda m: m.group(1) + (m.group(3) if len(m.group(3)) <= 48 else m.group(3)[:45] + "...")
                          + m.group(4), "; ".join(kept))


def not_duckdb(path: Path) -> str | None:
    """Why an existing `path` cannot be opened as a DuckDB file (a folder, or a file of another kind), or None.

    DuckDB itself would open a CSV file as a read-only "database" of one table, so a CSV given by mistake as a
    database would silently take the data of a load and lose it."""
    if path.is_dir():
        return "is a folder, not a DuckDB file"
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            if handle.read(12)[8:12] != b"DUCK":  # the magic bytes of DuckDB's file header
                return "is not a DuckDB file"
    return None


_MISSING_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_MISSING_TABLE = re.compile(r'Table with name "?([^"\s!]+)"? does not exist')
EMPTY_COLUMNS: Mapping[str, str] = {}


def damage(exc: duckdb.Error) -> str | None:
    """What a DuckDB error says is wrong with the database file itself, or None when it is about something else."""
    text = str(exc).lower()
    if any(sign in text for sign in ("could not read enough bytes", "corrupt", "checksum", "truncated")):
        return "is truncated or damaged"
    if "not a valid duckdb database file" in text:
        return "is not a DuckDB database file"
    if "version" in text and any(sign in text for sign in ("newer", "storage", "serializ")):
        return "was written by a newer version of DuckDB"
    return None



class DuckDBEngine(Engine):
    """Read-only DuckDB. Each thread gets a cursor of its own on the one connection (DuckDB connections are not
    safe to share between threads; cursors of one are)."""

    name = dialect = "duckdb"
    label = "DuckDB"
    # DuckDB runs one statement on every core; a second at once only contends with it (and with the Python thread
    # that builds the next statement and makes the results of the last)
    statements_at_once = 1

    def __init__(self, connection: duckdb.DuckDBPyConnection, db: Path | None):
        self._con = connection
        self.db = db
        self.shown = str(db) if db is not None else "memory"
        self._local = threading.local()
        self._owner = threading.get_ident()
        self._cursors: list[duckdb.DuckDBPyConnection] = []

    @property
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor: the connection itself for the thread that opened it."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            if threading.get_ident() == self._owner:
                cursor = self._con
            else:
                cursor = self._con.cursor()
                self._cursors.append(cursor)
            self._local.cursor = cursor
        return cursor

    @classmethod
    def open(cls, db: Path | None) -> DuckDBEngine:
        """An in-memory connection; `db` (a DuckDB file) is attached read-only as `metrics`."""
        con = connect(":memory:")
        try:
            if db is not None:
                db = Path(db)
                problem = not_duckdb(db)
                if problem:
                    raise DataError(f"cannot open metrics database {db}: it {problem}",
                                    hint="give --data the DuckDB file; load CSV or Parquet into one with `cxgov "
                                         "data load`, or point a source's `path:` at the files")
                if not db.is_file():
                    raise DataError(f"metrics database {db} does not exist",
                                    hint="pass an existing DuckDB file with --data (create one with "
                                         "`cxgov data load` or `cxgov data generate`)")
                con.execute("ATTACH ? AS metrics (READ_ONLY)", [str(db)])
        except duckdb.Error as exc:
            con.close()
            problem = damage(exc)
            if problem:
                raise DataError(f"cannot open metrics database {db}: it {problem} ({cause(exc)})",
                                hint="restore it from a backup, or load the data again into a new file with "
                                     "`cxgov data load`") from None
            raise DataError(f"cannot open metrics database {db}: {_error_text(exc)}",
                            hint="is it a DuckDB file, and not being written by another process?") from None
        except DataError:
            con.close()
            raise
        return cls(con, db)

    def close(self) -> None:
        """Release the connection: closed beside the caller's thread (speed.release_beside says why)."""
        speed.release_beside(self._close, "cxgov-close")

    def _close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._con.close()

    # -- sources -------------------------------------------------------------------------------------------

    def _relation(self, source: Source) -> tuple[str, tuple[list[str], ...]]:
        """The FROM-clause text reading a source, and its parameters."""
        if source.table:
            if self.db is None:
                raise DataError("reads a table but no metrics database was given", source=source.id,
                                location=source.at("table"), hint="pass the DuckDB file with --data")
            try:
                table = quote_table(source.table)
            except DataError as exc:
                raise DataError(exc.message, source=source.id, location=source.at("table"),
                                hint=exc.hint) from None
            return f"metrics.{table}", ()
        files = local_files(source, "DuckDB")
        readers = {_reader_for(f) for f in files}
        if None in readers or len(readers) > 1:
            raise DataError(f"{source.path!r} must match only CSV or only Parquet files", source=source.id,
                            location=source.at("path"), hint="use a pattern such as data/*.parquet")
        return f"{readers.pop()}(?)", (list(files),)

    def relation(self, source: Source) -> exp.Expr:
        text, params = self._relation(source)
        if source.table:
            parts = [sql.ident(part, "table") for part in source.table.split(".")]
            metrics = exp.Identifier(this="metrics")
            if len(parts) == 1:
                return exp.Table(this=parts[0], db=metrics)
            return exp.Table(this=parts[1], db=parts[0], catalog=metrics)
        return exp.Anonymous(this=text.split("(", 1)[0], expressions=[sql.value(p) for p in params])

    def describe(self, source: Source) -> dict[str, str]:
        relation, params = self._relation(source)
        try:
            rows = self._cursor.execute(f"DESCRIBE SELECT * FROM {relation}", list(params)).fetchall()
        except duckdb.Error as exc:
            layout = _layout_error(source, params[0]) if source.path and _layout_unknown(exc) else None
            raise layout or self._read_error(source, exc) from None
        columns = {name: type_ for name, type_, *_ in rows}
        if source.path and len(columns) == 1:  # a layout DuckDB missed reads as one column, named by the header
            layout = _layout_error(source, params[0])
            if layout is not None:
                raise layout
        return columns

    def _is_view(self, source: Source) -> bool:
        """Whether the source's table is a view in the metrics database."""
        if not source.table or self.db is None:
            return False
        schema, _, name = source.table.rpartition(".")
        try:
            return bool(scalar(self._cursor, "SELECT count(*) FROM duckdb_views() WHERE database_name = 'metrics' "
                               "AND schema_name = ? AND view_name = ?", [schema or "main", name]))
        except duckdb.Error:
            return False

    def _read_error(self, source: Source, exc: duckdb.Error) -> DataError:
        """Why a source's data cannot be read: a damaged database, a missing table, a view that cannot be computed
        (its base table gone, a type error in it), or files DuckDB cannot read; DuckDB's cause kept."""
        where = source.at("path") if source.path else source.at("table")
        problem = damage(exc)
        if problem and source.table:
            return DataError(f"the metrics database {self.db} {problem} ({cause(exc)})", source=source.id,
                             location=where, hint="restore it from a backup, or load the data again into a new "
                                                  "file with `cxgov data load`")
        if source.path:
            return _file_error(source, exc, self._relation(source)[1][0])
        table = source.table
        if self._is_view(source):
            missing = _MISSING_TABLE.search(str(exc)) if isinstance(exc, duckdb.CatalogException) else None
            if missing:
                return DataError(f"table {table!r} is a view over {missing.group(1)!r}, which does not exist in the "
                                 f"metrics database {self.db}", source=source.id, location=where,
                                 hint=f"restore table {missing.group(1)} (load it again), or redefine the view "
                                      f"{table} over a table that exists (CREATE OR REPLACE VIEW)")
            return DataError(f"table {table!r} is a view DuckDB cannot compute: {cause(exc)}", source=source.id,
                             location=where, hint=f"fix the view's definition or the rows it reads; "
                                                  f"`SELECT * FROM {table}` in DuckDB shows the same error")
        if isinstance(exc, duckdb.CatalogException):
            return DataError(f"table {table!r} not found in the metrics database {self.db}", source=source.id,
                             location=where, hint="load it with `cxgov data load`, or correct `table`")
        return DataError(f"cannot read table {table!r}: {cause(exc)}", source=source.id, location=where,
                         hint="is the metrics database a DuckDB file cxgov data load or generate wrote?")

    # -- statements ----------------------------------------------------------------------------------------

    def _execute(self, source: Source, query: Query, prefix: str = "") -> list[tuple[Any, ...]]:
        cursor = self._cursor
        try:
            made = self._local.__dict__.setdefault("tables", set())  # temporary tables are the cursor's own
            for table in query.tables:
                if table not in made:
                    # one list parameter per column, unnested: rows as a VALUES list plan slowly
                    columns = ", ".join(f'unnest(CAST(${i} AS VARCHAR[])) AS "{c}"'
                                        for i, c in enumerate(table.columns, 1))
                    cursor.execute(f'CREATE OR REPLACE TEMPORARY TABLE "{table.name}" AS SELECT {columns}',
                                   [list(column) for column in zip(*table.rows)] or [[] for _ in table.columns])
                    made.add(table)
            return cursor.execute(prefix + query.sql, dict(query.params)).fetchall()
        except duckdb.Error as exc:
            message = cause(exc)
            match = _MISSING_COLUMN.search(message)
            if damage(exc) or self._is_view(source):
                raise self._read_error(source, exc) from None
            if match:
                raise DataError("column not found", source=source.id, column=match.group(1),
                                location=source.location,
                                hint="correct the metric's column names or add the column to the data") from None
            if source.path and not isinstance(exc, duckdb.BinderException):
                raise _file_error(source, exc, self._relation(source)[1][0], self.describe(source)) from None
            raise DataError(f"query failed: {message}", source=source.id, location=source.location,
                            hint="check the column types the metrics read (numbers, timestamps)") from None

    def run(self, source: Source, query: Query) -> list[tuple[Any, ...]]:
        return self._execute(source, query)

    def plan(self, source: Source, query: Query) -> str:
        return "\n".join(str(r[-1]) for r in self._execute(source, query, "EXPLAIN "))


# What DuckDB's readers say, as cxgov says it without the file's text: (pattern, what is wrong, what to do). Only
# digits are taken from the message; it is matched with the line DuckDB quotes taken out.
_AS_MANY_FIELDS, _AS_UTF8 = csvfile.READ_AS_MANY_FIELDS, csvfile.READ_AS_UTF8
_PARQUET_HINT = "write it again with a Parquet writer, or give CSV files a .csv name"
_READER_PROBLEMS = (
    (r"Expected Number of Columns: (\d+) Found: (\d+)", "expected {0} columns, found {1}", _AS_MANY_FIELDS),
    (r"Could not convert|Conversion Error", "a value that is not of its column's type",
     "DuckDB reads a CSV column with the type its first rows suggest: correct the value on that line, or load "
     "the file with `cxgov data load`, which sets bad rows aside with the reason"),
    (r"unterminated quote", "a quoted value is never closed", "close the quote, or double a quote inside one"),
    (r"(?i)invalid unicode|byte sequence mismatch|not (?:valid )?utf-?8", "bytes that are not UTF-8 text", _AS_UTF8),
    (r"Maximum line size of (\d+) bytes exceeded", "a line longer than the reader's limit of {0} bytes",
     "split the line, or check that the file is CSV at all"),
    (r"(?i)magic bytes|not a parquet file|parquet.*(?:corrupt|invalid)", "not a valid Parquet file", _PARQUET_HINT),
    (r"Schema mismatch between globbed files", "its columns are not those of the other files",
     "give every file the same header"),
    (r"(?i)permission denied", "permission denied", "make the file readable"),
    (r"(?i)no files found|cannot open file|no such file", "it cannot be opened", "check the file exists"),
    (r"(?i)sniff|auto-detect|dialect", "its CSV layout (delimiter, quotes, header) cannot be made out",
     "check that it is a CSV file with a header line"),
)
_QUOTED_LINE = re.compile(r"Original Line: .*")
_CONVERTING = re.compile(r'Error when converting column "([^"\n]+)"[^\n]*? to \'([A-Z][A-Z0-9_ ]*)\'')
_FILE_NAMED = re.compile(r"(?:file = |Current file: |file ['\"])([^\n'\"]+)")
_TYPE_NAMES = frozenset((*NUMERIC_TYPES, *TIMESTAMP_TYPES, TIMESTAMPTZ, "BOOLEAN", "DATE", "TIME", "INTERVAL",
                         "VARCHAR", "DECIMAL", "UUID"))


def _file_error(source: Source, exc: duckdb.Error, files: Sequence[str],
                columns: Mapping[str, str] = EMPTY_COLUMNS) -> DataError:
    """A DuckDB reader error over a source's files, summarised: the file, the line, the kind of problem, never any
    text of the file (DuckDB quotes the line it stopped at). A column is named only when it is one of the source's
    columns (known from its header), a type only when it is a DuckDB type name."""
    text = str(exc)
    named = next((f for f in files for m in _FILE_NAMED.finditer(text) if m.group(1).strip() in
                  (f, os.path.basename(f))), None)
    what = confine.shown(named) if named else confine.shown(files[0]) if len(files) == 1 else "one of its files"
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f"{what}, line {line.group(1)}" if line else what
    converting = _CONVERTING.search(text)
    found = _reader_problem(exc)
    if found is not None:
        (_, problem, hint), match = found
        if converting and problem.startswith("a value"):
            column, type_ = converting.groups()
            problem = (f"a value in column '{column}' cannot be read as {type_}, the type its first rows have"
                       if column in columns and type_ in _TYPE_NAMES else problem)
        return DataError(f"cannot read {where}: {problem.format(*match.groups())}", source=source.id,
                         location=source.at("path"), hint=hint)
    if all(_reader_for(f) == "read_parquet" for f in files):  # its Thrift errors do not say Parquet
        return DataError(f"cannot read {where}: not a valid Parquet file (DuckDB's reader failed: "
                         f"{type(exc).__name__}; its message is left out)", source=source.id,
                         location=source.at("path"), hint=_PARQUET_HINT)
    return DataError(f"cannot read {where}: DuckDB's reader failed ({type(exc).__name__}; its message is left out, "
                     "it may quote the file)", source=source.id, location=source.at("path"),
                     hint="check that the files are CSV or Parquet; `cxgov data load` reports what it rejects")


def _reader_problem(exc: duckdb.Error) -> tuple[tuple[str, str, str], re.Match[str]] | None:
    """The first of _READER_PROBLEMS that DuckDB's message names (the line it quotes taken out), and its match."""
    text = _QUOTED_LINE.sub("", str(exc))
    return next(((entry, match) for entry in _READER_PROBLEMS if (match := re.search(entry[0], text))), None)


def _layout_unknown(exc: duckdb.Error) -> bool:
    """Whether all DuckDB's reader says is that it could not make out a CSV file's layout (no problem more
    specific, such as its encoding)."""
    found = _reader_problem(exc)
    return found is not None and found[0] is _READER_PROBLEMS[-1]


def _layout_error(source: Source, files: Sequence[str]) -> DataError | None:
    """Why DuckDB could not make out the columns of a source's CSV files, at the file and line, as cxgov's own
    reading of them finds it (csvfile.layout_problem); None when each reads as well-formed CSV."""
    for name in files:
        problem = csvfile.layout_problem(Path(name)) if _reader_for(name) == "read_csv" else None
        if problem is None:
            continue
        line = problem.location.line if problem.location else None
        shown = confine.shown(name)
        where = shown if line is None or f"line {line}" in problem.message else f"{shown}, line {line}"
        return DataError(f"cannot read {where}: {problem.message}", source=source.id, location=source.at("path"),
                         hint=problem.hint)
    return None


def _reader_for(path: str) -> str | None:
    lower = path.lower()
    for suffix, reader in FILE_READERS.items():
        if lower.endswith(suffix):
            return reader
    return None


class Database:
    """A read-write connection to a DuckDB file, for loading and generating metric data; or, for a dry run, an
    in-memory database that reads the file (`base`, attached read-only) and writes nowhere."""

    BASE = f"{INTERNAL}base"

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, base: str | None = None):
        self._con = connection
        self.path = path
        self.base = base  # the catalog name of the database a dry run reads, or None

    @staticmethod
    def _writable(path: Path) -> None:
        if path.parent and not path.parent.exists():
            raise DataError(f"folder {path.parent} does not exist", hint="create it first")
        problem = not_duckdb(path)
        if problem:
            raise DataError(f"cannot write metric data to {path}: it {problem}",
                            hint="give --db a new file name (e.g. metrics.duckdb) or an existing DuckDB file")

    @classmethod
    def open(cls, path: Path) -> Database:
        path = Path(path)
        cls._writable(path)
        try:
            con = connect(str(path))
        except duckdb.Error as exc:
            raise DataError(f"cannot open {path} for writing: {_error_text(exc)}",
                            hint="is it a DuckDB file, and not open in another process?") from None
        return cls(con, path)

    @classmethod
    def scratch(cls, path: Path, copied: Sequence[str] = (), shaped: Sequence[str] = ()) -> Database:
        """An in-memory database for a dry run against the DuckDB file `path`, which is neither created nor
        written: the tables `copied` are copied from it with their rows, those `shaped` without (their rows stay
        readable in `base`); the checks `open` makes on `path` are made the same."""
        path = Path(path)
        cls._writable(path)
        con = connect(":memory:")
        db = cls(con, path)
        if not path.is_file():
            return db
        try:
            con.execute(f"ATTACH ? AS {cls.BASE} (READ_ONLY)", [str(path)])
        except duckdb.Error as exc:
            con.close()
            raise DataError(f"cannot open {path}: {_error_text(exc)}",
                            hint="is it a DuckDB file, and not open in another process?") from None
        db.base = cls.BASE
        for table, rows in [(t, True) for t in copied] + [(t, False) for t in shaped]:
            if db.base_has(table):
                schema = table.rpartition(".")[0]
                if schema:
                    db.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema, 'table')}")
                db.execute(f"CREATE TABLE {quote_table(table)} AS SELECT * FROM {cls.BASE}.{quote_table(table)}"
                           f"{'' if rows else ' WHERE false'}")
        return db

    def base_has(self, table: str) -> bool:
        """Whether the database a dry run reads has `table`."""
        return self.base is not None and self._has(table, self.base)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def execute(self, sql: str, params: Sequence[object] | Mapping[str, object] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (`?` or `$name` parameters); DuckDB errors become DataError."""
        try:
            result = self._con.execute(sql, dict(params) if isinstance(params, Mapping) else list(params))
            return result.fetchall() if result.description else []
        except duckdb.Error as exc:
            raise DataError(_error_text(exc)) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each row of parameters; DuckDB errors become DataError."""
        try:
            self._con.executemany(sql, [list(r) for r in rows])
        except duckdb.Error as exc:
            raise DataError(_error_text(exc)) from None

    def set_threads(self, threads: int) -> None:
        self._con.execute(f"SET threads = {int(threads)}")

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All or nothing: commit when the block ends normally, roll back on any exception."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")

    def table_exists(self, table: str) -> bool:
        return self._has(table, None)

    def _has(self, table: str, catalog: str | None) -> bool:
        schema, _, name = table.rpartition(".")
        rows = self.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = ? "
                            "AND table_catalog = coalesce(?, current_database())", [name, schema or "main", catalog])
        return bool(rows[0][0])

    def table_columns(self, table: str) -> dict[str, str]:
        return {name: type_ for name, type_, *_ in self.execute(f"DESCRIBE {quote_table(table)}")}
