"""The one module that talks to DuckDB.

Reading (`Store`): an in-memory connection with the metrics database ATTACHed read-only as `metrics`; sources are
tables in it or files (`path:`) read with read_csv/read_parquet. Every identifier taken from a spec goes through
`quote_ident`; every value is a bound parameter. A scan is one SQL statement per source (`cxgov.data.scan` writes
it): the rows of every period read once, every aggregate the rules asked for, per period and grouping set.

Writing (`Database`): a read-write connection for `cxgov data load` and `cxgov data generate`, with transactions.

Run history (`HistoryDB`): the DuckDB file `cxgov check --record` writes and `cxgov history` reads.

Timestamps: a TIMESTAMP column is already local program time; a TIMESTAMP WITH TIME ZONE column is converted to
local wall-clock time in the program timezone; text is parsed as cxgov.data.timestamps says (an offset or zone
in it is honoured, neither means local time); unparseable text is left out of every window, and counted.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import duckdb
from sqlglot import exp

from cxgov.data import sql

from cxgov.data.scan import (DIMENSIONS, INTERNAL, SPAN, TIMESTAMP_TYPES, TIMESTAMPTZ,  # noqa: F401
                             TOUCHPOINT_DIMENSIONS, UNTIMED, Aggregate, Columns, Period, Query, ScanRequest, build,
                             local_timestamp_sql, utc_timestamp_sql)
from cxgov.errors import DataError, HistoryError, Location
from cxgov.spec import confine
from cxgov.spec.model import Source

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,127}$")
TEXT_TYPES = ("VARCHAR",)
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT")
NUMERIC_TYPES = INTEGER_TYPES + ("FLOAT", "DOUBLE", "REAL")
FILE_READERS = {".parquet": "read_parquet", ".csv": "read_csv", ".tsv": "read_csv", ".txt": "read_csv",
                ".csv.gz": "read_csv", ".tsv.gz": "read_csv"}


def quote_ident(name: str, what: str = "column") -> str:
    """Validate an identifier taken from a spec and double-quote it for SQL."""
    if not isinstance(name, str) or not _IDENT.match(name) or name.startswith(INTERNAL):
        raise DataError(f"{name!r} is not a valid {what} name",
                        hint="use letters, digits, '_', '-' or '$', starting with a letter or '_'")
    return f'"{name}"'


def quote_name(name: str) -> str:
    """A column name read from a data file (its header), double-quoted for SQL whatever it holds. The loader
    has refused names that are cxgov's own (INTERNAL) or hold control characters."""
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """A table name, optionally schema-qualified (`schema.table`), validated and quoted part by part."""
    parts = name.split(".") if isinstance(name, str) else [name]
    if len(parts) > 2:
        raise DataError(f"{name!r} is not a valid table name", hint="write `table` or `schema.table`")
    return ".".join(quote_ident(part, "table") for part in parts)


def is_numeric_type(duckdb_type: str) -> bool:
    return duckdb_type in NUMERIC_TYPES or duckdb_type.startswith("DECIMAL")


def is_timestamp_type(duckdb_type: str) -> bool:
    return duckdb_type in TIMESTAMP_TYPES or duckdb_type == TIMESTAMPTZ


def _error_text(exc: Exception) -> str:
    """DuckDB's message without the SQL excerpt it appends."""
    return str(exc).split("\nLINE ")[0].strip()


_CONVERTED = re.compile(r"(convert string ([\"']))(.*?)(\2 to )")  # the value a conversion failed on


def cause(exc: duckdb.Error) -> str:
    """DuckDB's message as one line that keeps its cause and any line number it gives ("Conversion Error: CSV Error
    on Line: 12; Error when converting column "score". Could not convert string "abc" to 'BIGINT'"), without the SQL
    excerpt, a CSV file's original line, the list of possible solutions or the reader's options."""
    kept = []
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


class Store:
    """Read-only access to metric data. Use as a context manager: `with Store.open(db) as store: ...`.

    A Store may be used from several threads: each gets a cursor of its own on the one connection (DuckDB
    connections are not safe to share between threads; cursors of one are)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, db: Path | None):
        self._con = connection
        self.db = db
        self._columns: dict[tuple, dict[str, str]] = {}
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
    def open(cls, db: Path | None) -> Store:
        """An in-memory connection; `db` (a DuckDB file) is attached read-only as `metrics`."""
        con = duckdb.connect(":memory:")
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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._con.close()

    # -- sources -------------------------------------------------------------------------------------------

    def _relation(self, source: Source) -> tuple[str, tuple]:
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
        if source.path:
            return self._file_relation(source)
        raise DataError("has neither `table` nor `path`", source=source.id, location=source.location,
                        hint="declare where its data lives")

    def _file_relation(self, source: Source) -> tuple[str, tuple]:
        """read_csv/read_parquet over the files a source's `path:` matches, each inside the spec's repository or
        an allowed root (checked again here: files may have changed since the spec was validated)."""
        where = source.at("path")
        kind = confine.scheme(source.path)
        if kind not in (None, "file"):
            engine = "the Spark engine (--data spark:...)" if kind in confine.SPARK_SCHEMES else "no engine of cxgov"
            raise DataError(f"{source.path!r} is a {kind}:// URI, which {engine} reads; DuckDB reads local files "
                            "only", source=source.id, location=where,
                            hint="evaluate this spec on an engine that reads the URI, or copy the files into the "
                                 "spec's repository and give their path relative to this spec file")
        base = Path(source.base_dir or Path.cwd()).resolve()
        found = confine.resolve(source.path, base, source.roots or confine.roots_for(base))
        if found.refusal is not None:
            raise DataError(found.refusal.message, source=source.id, location=where, hint=found.refusal.hint)
        if not found.files:
            raise DataError(f"no file matches {source.path!r} (looked for {confine.shown(str(base / source.path))})",
                            source=source.id, location=where, hint="paths are relative to the spec file declaring "
                                                                   "the source; check the path or load the data")
        for file in found.files:
            problem = ("is a folder, not a file" if os.path.isdir(file) else
                       None if os.path.isfile(file) else "is a symbolic link to nothing")
            if problem:
                raise DataError(f"{source.path!r} matches {confine.shown(file)}, which {problem}", source=source.id,
                                location=where, hint="match data files only, e.g. data/*.csv or data/**/*.parquet")
        readers = {_reader_for(f) for f in found.files}
        if None in readers or len(readers) > 1:
            raise DataError(f"{source.path!r} must match only CSV or only Parquet files", source=source.id,
                            location=where, hint="use a pattern such as data/*.parquet")
        return f"{readers.pop()}(?)", (list(found.files),)

    def columns(self, source: Source) -> dict[str, str]:
        """Column name -> DuckDB type of a source; DataError when its table or files cannot be read."""
        key = (source.id, source.table, source.path, source.base_dir)
        if key in self._columns:
            return self._columns[key]
        relation, params = self._relation(source)
        try:
            rows = self._cursor.execute(f"DESCRIBE SELECT * FROM {relation}", list(params)).fetchall()
        except duckdb.Error as exc:
            raise self._read_error(source, exc) from None
        found = {name: type_ for name, type_, *_ in rows}
        self._columns[key] = found
        return found

    def _is_view(self, source: Source) -> bool:
        """Whether the source's table is a view in the metrics database."""
        if not source.table or self.db is None:
            return False
        schema, _, name = source.table.rpartition(".")
        try:
            return bool(self._cursor.execute(
                "SELECT count(*) FROM duckdb_views() WHERE database_name = 'metrics' AND schema_name = ? AND "
                "view_name = ?", [schema or "main", name]).fetchone()[0])
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

    def require_column(self, source: Source, column: str, key: str, location: Location | None = None) -> str:
        """The DuckDB type of `column`; DataError naming the source, column and spec location if it is absent."""
        quote_ident(column)
        types = self.columns(source)
        if column not in types:
            raise DataError(f"column not found (it has: {', '.join(sorted(types)) or 'no columns'})",
                            source=source.id, column=column, location=location or source.at(key),
                            hint=f"correct `{key}` or add the column to the data")
        return types[column]

    def dimension_column(self, source: Source, dimension: str) -> str:
        """The column a source is split by for `dimension` (segment: its `segment`, else its `touchpoint`, which
        gives journey, stage and channel); DataError when the source declares none or the column is absent."""
        if dimension == "segment":
            if not source.segment:
                raise DataError("has no `segment` column, so it cannot be split by segment", source=source.id,
                                location=source.location, hint="declare `segment:` on the source")
            self.require_column(source, source.segment, "segment")
            return source.segment
        if not source.touchpoint:
            raise DataError("has no `touchpoint` column, so it cannot be split by touchpoint, journey, "
                            "stage or channel", source=source.id, location=source.location,
                            hint="declare `touchpoint:` on the source")
        self.require_column(source, source.touchpoint, "touchpoint")
        return source.touchpoint

    # -- scans ---------------------------------------------------------------------------------------------

    def _columns_for(self, request: ScanRequest) -> Columns:
        """The source's relation and columns for `request`, each it needs checked (DataError naming it)."""
        source = request.source
        relation = self._relation_tree(source)
        types = self.columns(source)
        type_ = self.require_column(source, source.timestamp, "timestamp")
        if not (is_timestamp_type(type_) or type_ in TEXT_TYPES):
            raise DataError(f"has type {type_}, not a timestamp", source=source.id, column=source.timestamp,
                            location=source.at("timestamp"), hint="store it as TIMESTAMP (or text in ISO 8601)")
        used = {d for s in request.grouping_sets for d in s} | set(request.health or ())
        touchpoint = segment = None
        if used & {"touchpoint", *TOUCHPOINT_DIMENSIONS}:
            touchpoint = self.dimension_column(source, "touchpoint")
        if "segment" in used:
            segment = self.dimension_column(source, "segment")
        return Columns(relation, types, source.timestamp, type_, touchpoint, segment)

    def _relation_tree(self, source: Source) -> exp.Expression:
        """What a scan's FROM clause reads for `source`: its table in the attached database, or a file reader."""
        text, params = self._relation(source)
        if source.table:
            parts = [sql.ident(part, "table") for part in source.table.split(".")]
            return exp.Table(this=parts[-1], db=parts[0] if len(parts) == 2 else exp.Identifier(this="metrics"),
                             catalog=exp.Identifier(this="metrics") if len(parts) == 2 else None)
        reader = text.split("(", 1)[0]
        return exp.Anonymous(this=reader, expressions=[sql.value(p) for p in params])

    def _run(self, request: ScanRequest, query: Query, explain: bool = False) -> list[tuple]:
        source = request.source
        cursor = self._cursor
        try:
            made = self._local.__dict__.setdefault("setup", set())  # temporary tables are the cursor's own
            for statement in query.setup:
                key = (statement.sql, tuple((k, tuple(v) if isinstance(v, list) else v)
                                            for k, v in statement.params.items()))
                if key not in made:
                    cursor.execute(statement.sql, dict(statement.params))
                    made.add(key)
            return cursor.execute(("EXPLAIN " if explain else "") + query.sql, dict(query.params)).fetchall()
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
                raise _file_error(source, exc, self._relation(source)[1][0], self.columns(source)) from None
            raise DataError(f"query failed: {message}", source=source.id, location=source.location,
                            hint="check the column types the metrics read (numbers, timestamps)") from None

    def scan(self, request: ScanRequest) -> list[dict]:
        """Run one scan: one dict per (grouping set, period, dimension values) with data."""
        if not request.periods or not request.grouping_sets:
            return []
        query = build(request, self._columns_for(request))
        rows = self._run(request, query)
        masks: dict[int, list[int]] = {}
        k = len(query.dimensions)
        for index, grouping_set in enumerate(request.grouping_sets):
            mask = sum(1 << (k - 1 - i) for i, d in enumerate(query.dimensions) if d not in grouping_set)
            masks.setdefault(mask, []).append(index)
        out = []
        health = (SPAN, UNTIMED)
        for row in rows:
            period, dims, mask, values = row[0], row[1:1 + k], row[1 + k], row[2 + k:]
            if period in health:  # the data health: grouping None
                record = {"period": period, "grouping": None}
                record.update(zip(query.dimensions, dims))
                record.update(zip(query.aggregates, values))
                out.append(record)
                continue
            for index in masks.get(mask, ()):
                record = {"period": period, "grouping": index}
                record.update(zip(query.dimensions, dims))
                record.update(zip(query.aggregates, values))
                out.append(record)
        return out

    def sql(self, request: ScanRequest) -> str:
        """The SQL of a scan, with its parameters written in, for reading (nothing is run)."""
        return build(request, self._columns_for(request)).text

    def explain(self, request: ScanRequest) -> tuple[str, str]:
        """The SQL of a scan (with its parameters written in, for reading) and DuckDB's plan for it."""
        query = build(request, self._columns_for(request))
        plan = "\n".join(str(r[-1]) for r in self._run(request, query, explain=True))
        return query.text, plan

    def digest(self, sources: Sequence[Source]) -> str:
        """"sha256:..." over each source's columns, row count and an order-independent content checksum.

        A source that cannot be read contributes an "unreadable" marker, so the digest still reflects it.
        """
        h = hashlib.sha256()
        for source in sorted(sources, key=lambda s: s.id):
            h.update(f"source {source.id}\n".encode())
            try:
                columns = self.columns(source)
                relation, params = self._relation(source)
                count, checksum = self._cursor.execute(
                    f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {relation} t",
                    list(params)).fetchone()
            except (DataError, duckdb.Error):
                h.update(b"unreadable\n")
                continue
            h.update(repr(sorted(columns.items())).encode())
            h.update(f"\n{count} {checksum}\n".encode())
        return "sha256:" + h.hexdigest()


# What DuckDB's readers say, as cxgov says it without the file's text: (pattern, what is wrong, what to do). Only
# digits are taken from the message; it is matched with the line DuckDB quotes taken out.
_READER_PROBLEMS = (
    (r"Expected Number of Columns: (\d+) Found: (\d+)", "expected {0} columns, found {1}",
     "give every line as many fields as the header (a comma inside a value needs quotes)"),
    (r"Could not convert|Conversion Error", "a value that is not of its column's type",
     "DuckDB reads a CSV column with the type its first rows suggest: correct the value on that line, or load "
     "the file with `cxgov data load`, which sets bad rows aside with the reason"),
    (r"unterminated quote", "a quoted value is never closed", "close the quote, or double a quote inside one"),
    (r"(?i)invalid unicode|byte sequence mismatch|not (?:valid )?utf-?8", "bytes that are not UTF-8 text",
     "save the file as UTF-8"),
    (r"Maximum line size of (\d+) bytes exceeded", "a line longer than the reader's limit of {0} bytes",
     "split the line, or check that the file is CSV at all"),
    (r"(?i)magic bytes|not a parquet file|parquet.*(?:corrupt|invalid)", "not a valid Parquet file",
     "write it again with a Parquet writer, or give CSV files a .csv name"),
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
    text = _QUOTED_LINE.sub("", text)
    for pattern, problem, hint in _READER_PROBLEMS:
        match = re.search(pattern, text)
        if match is None:
            continue
        if converting and problem.startswith("a value"):
            column, type_ = converting.groups()
            problem = (f"a value in column '{column}' cannot be read as {type_}, the type its first rows have"
                       if column in columns and type_ in _TYPE_NAMES else problem)
        return DataError(f"cannot read {where}: {problem.format(*match.groups())}", source=source.id,
                         location=source.at("path"), hint=hint)
    return DataError(f"cannot read {where}: DuckDB's reader failed ({type(exc).__name__}; its message is left out, "
                     "it may quote the file)", source=source.id, location=source.at("path"),
                     hint="check that the files are CSV or Parquet; `cxgov data load` reports what it rejects")


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
            con = duckdb.connect(str(path))
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
        con = duckdb.connect(":memory:")
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

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def execute(self, sql: str, params: Sequence | Mapping = ()) -> list[tuple]:
        """Run one statement (`?` or `$name` parameters); DuckDB errors become DataError."""
        try:
            result = self._con.execute(sql, dict(params) if isinstance(params, Mapping) else list(params))
            return result.fetchall() if result.description else []
        except duckdb.Error as exc:
            raise DataError(_error_text(exc)) from None

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
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


# --- Run history -------------------------------------------------------------------------------------------------
# The SQL behind cxgov.history: a DuckDB file of recorded runs. DuckDB lets one process write a file at a time, so
# opening retries with backoff while another process holds the lock; every run is inserted in one transaction.

HISTORY_SCHEMA_VERSION = 1

_HISTORY_DDL = (
    "CREATE TABLE IF NOT EXISTS cxgov_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "CREATE SEQUENCE IF NOT EXISTS cxgov_run_id START 1",
    """CREATE TABLE IF NOT EXISTS runs (
        id BIGINT PRIMARY KEY, recorded_at TIMESTAMP NOT NULL, as_of DATE NOT NULL, program VARCHAR,
        spec_path VARCHAR, spec_digest VARCHAR, spec_commit VARCHAR, data_digest VARCHAR, cxgov_version VARCHAR,
        result_count INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS results (
        run_id BIGINT NOT NULL, seq INTEGER NOT NULL, rule VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        scope VARCHAR NOT NULL, touchpoint VARCHAR, metric VARCHAR, metric_kind VARCHAR, value DOUBLE, n BIGINT,
        ci_low DOUBLE, ci_high DOUBLE, status VARCHAR NOT NULL, underlying_status VARCHAR, severity VARCHAR,
        owner VARCHAR, window_start DATE, window_end DATE, threshold_op VARCHAR, threshold_fail DOUBLE,
        threshold_warn DOUBLE, waiver VARCHAR, PRIMARY KEY (run_id, seq))""",
)

# results columns in insert order, with the DuckDB list type their values are bound as
HISTORY_RESULT_COLUMNS = (
    ("seq", "INTEGER"), ("rule", "VARCHAR"), ("kind", "VARCHAR"), ("scope", "VARCHAR"),
    ("touchpoint", "VARCHAR"), ("metric", "VARCHAR"), ("metric_kind", "VARCHAR"), ("value", "DOUBLE"),
    ("n", "BIGINT"), ("ci_low", "DOUBLE"), ("ci_high", "DOUBLE"), ("status", "VARCHAR"),
    ("underlying_status", "VARCHAR"), ("severity", "VARCHAR"), ("owner", "VARCHAR"), ("window_start", "DATE"),
    ("window_end", "DATE"), ("threshold_op", "VARCHAR"), ("threshold_fail", "DOUBLE"),
    ("threshold_warn", "DOUBLE"), ("waiver", "VARCHAR"),
)
HISTORY_RUN_COLUMNS = ("recorded_at", "as_of", "program", "spec_path", "spec_digest", "spec_commit", "data_digest",
                       "cxgov_version", "result_count")
# every table of a history and the columns cxgov reads or writes in it
HISTORY_TABLES = {"cxgov_meta": ("key", "value"), "runs": ("id", *HISTORY_RUN_COLUMNS),
                  "results": ("run_id", *(name for name, _ in HISTORY_RESULT_COLUMNS))}
_NEW_HISTORY = "record into a new history file (e.g. history.duckdb); this one is left as it is"


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


def _create_whole(path: Path) -> None:
    """Create an empty DuckDB file at `path`, unless another process does first.

    The file is made under a private name and linked into place, so a concurrent recorder never opens a file that
    is still being created (DuckDB would call it "not a valid DuckDB database file")."""
    private = path.with_name(f".{path.name}.{os.getpid()}.creating")
    try:
        duckdb.connect(str(private)).close()
        os.link(private, path)
    except FileExistsError:
        pass  # another recorder created it: use theirs
    except (OSError, duckdb.Error) as exc:
        raise HistoryError(f"cannot create run history {path}: {exc}") from None
    finally:
        private.unlink(missing_ok=True)
        private.with_name(private.name + ".wal").unlink(missing_ok=True)


def _is_text(path: Path) -> bool:
    """Whether the file starts like text: no NUL byte and valid UTF-8 in its first 4 KiB."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of the excerpt
            return False
    return b"\0" not in head


def _history_error(path: Path, doing: str, exc: duckdb.Error) -> HistoryError:
    """`doing` ("cannot open", "cannot read"...) run history `path`: the file's damage when that is the cause, and
    DuckDB's own message (without any SQL excerpt) as the detail."""
    problem = damage(exc)
    if problem is None:
        return HistoryError(f"{doing} run history {path}: {_error_text(exc)}",
                            hint="is it a cxgov run history (the DuckDB file `cxgov check --record` writes)?")
    if problem.startswith("was written by a newer"):
        hint = "upgrade cxgov and duckdb (pip install -U cxgov duckdb), or " + _NEW_HISTORY
    elif problem.startswith("is truncated"):
        hint = "restore it from a backup (a copy cut short, a full disk or a crash truncates a file), or " + \
            _NEW_HISTORY
    else:
        hint = "give --record / --history a file written by `cxgov check --record`, or " + _NEW_HISTORY
    return HistoryError(f"{doing} run history {path}: it {problem} ({_error_text(exc)})", hint=hint)


class HistoryDB:
    """A connection to a run history file. Use `HistoryDB.open(...)` as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path):
        self._con = con
        self.path = path

    @classmethod
    def open(cls, path: Path, *, write: bool, timeout: float = 30.0,
             sleep: Callable[[float], None] = time.sleep,
             monotonic: Callable[[], float] = time.monotonic) -> HistoryDB:
        """Open (and, to write, create) the history at `path`, waiting up to `timeout` seconds for another
        process's lock. Raises HistoryError when the file is missing (to read), locked too long, or not a history."""
        path = Path(path)
        problem = not_duckdb(path)
        if problem:
            if path.is_file() and _is_text(path):
                problem += " but text (a CSV or other export?)"
            raise HistoryError(f"cannot open run history {path}: it {problem}",
                               hint="a run history is the DuckDB file `cxgov check --record` writes: give a new file "
                                    "name (e.g. history.duckdb) or a history written by --record")
        if not write and not path.is_file():
            raise HistoryError(f"no run history at {path}",
                               hint=f"record runs with `cxgov check ... --record {path}`")
        if write and path.parent and not path.parent.is_dir():
            raise HistoryError(f"cannot create run history {path}: folder {path.parent} does not exist")
        if path.is_file() and path.stat().st_size == 0:
            raise HistoryError(f"run history {path} is an empty file (0 bytes), not a run history",
                               hint=f"delete it and `check --record` creates the history there, or {_NEW_HISTORY}")
        if write and not path.exists():
            _create_whole(path)
        deadline = monotonic() + timeout
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(path), read_only=not write)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise _history_error(path, "cannot open", exc) from None
                remaining = deadline - monotonic()
                if remaining <= 0:
                    raise HistoryError(
                        f"run history {path} is locked by another process and stayed locked for {timeout:g} s",
                        hint="another cxgov is recording or reading it; try again, or raise --lock-timeout",
                    ) from None
                sleep(min(delay, remaining) * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
            except duckdb.Error as exc:
                raise _history_error(path, "cannot open", exc) from None
        db = cls(con, path)
        try:
            with db._reading("cannot open"):
                db._prepare(write)
        except BaseException:
            con.close()
            raise
        return db

    @contextmanager
    def _reading(self, doing: str) -> Iterator[None]:
        """DuckDB errors inside the block become a HistoryError naming the file and, if it is, its damage."""
        try:
            yield
        except duckdb.Error as exc:
            raise _history_error(self.path, doing, exc) from None

    def _prepare(self, write: bool) -> None:
        columns: dict[str, set[str]] = {}
        for table, column in self._con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                               "WHERE table_schema = 'main'").fetchall():
            columns.setdefault(table, set()).add(column)
        if "cxgov_meta" not in columns:
            if columns or not write:
                what = f"it has {len(columns)} table{'s' * (len(columns) != 1)}, none of them cxgov_meta" \
                    if columns else "it has no tables"
                raise HistoryError(f"{self.path} is not a cxgov run history: {what} (a DuckDB file of another "
                                   "program, or a metrics database?)",
                                   hint=f"give --record / --history a file written by `cxgov check --record`, or "
                                        f"{_NEW_HISTORY}")
            self._con.begin()
            for statement in _HISTORY_DDL:
                self._con.execute(statement)
            self._con.execute("INSERT INTO cxgov_meta VALUES ('schema_version', ?)", [str(HISTORY_SCHEMA_VERSION)])
            self._con.commit()
            return
        row = self._con.execute("SELECT value FROM cxgov_meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row and row[0].isdigit() else None
        if version is None:
            raise HistoryError(f"run history {self.path} has no readable schema version (cxgov_meta holds no whole "
                               "number under schema_version)", hint=f"it was changed outside cxgov: {_NEW_HISTORY}")
        if version != HISTORY_SCHEMA_VERSION:
            newer = version > HISTORY_SCHEMA_VERSION
            raise HistoryError(
                f"run history {self.path} has schema version {version}"
                f"{', written by a newer cxgov' if newer else ''}; this cxgov reads version {HISTORY_SCHEMA_VERSION}",
                hint="upgrade cxgov to read it (pip install -U cxgov)" if newer else _NEW_HISTORY)
        missing = [f"table {table}" if table not in columns else
                   f"column{'s' * (len(absent) > 1)} {', '.join(absent)} of table {table}"
                   for table, wanted in HISTORY_TABLES.items()
                   for absent in [[c for c in wanted if c not in columns.get(table, ())]] if absent]
        if write and not self._con.execute("SELECT count(*) FROM duckdb_sequences() WHERE schema_name = 'main' "
                                           "AND sequence_name = 'cxgov_run_id'").fetchone()[0]:
            missing.append("sequence cxgov_run_id")
        if missing:
            raise HistoryError(f"run history {self.path} is incomplete: it lacks {'; '.join(missing)}",
                               hint=f"it was changed outside cxgov or is damaged: restore it from a backup, or "
                                    f"{_NEW_HISTORY}")

    def insert_run(self, run: Mapping[str, object], results: Mapping[str, Sequence[object]],
                   before_commit: Callable[[], None] | None = None) -> int:
        """Insert one run and its result rows (column name -> values, see HISTORY_RESULT_COLUMNS) in one
        transaction; returns the new run id. `before_commit` runs inside the transaction (tests pause there)."""
        with self._reading("cannot record into"):
            return self._insert(run, results, before_commit)

    def _insert(self, run: Mapping[str, object], results: Mapping[str, Sequence[object]],
                before_commit: Callable[[], None] | None) -> int:
        con = self._con
        con.begin()
        try:
            run_id = con.execute("SELECT nextval('cxgov_run_id')").fetchone()[0]
            placeholders = ", ".join("?" for _ in HISTORY_RUN_COLUMNS)
            con.execute(f"INSERT INTO runs (id, {', '.join(HISTORY_RUN_COLUMNS)}) VALUES (?, {placeholders})",
                        [run_id, *(run[c] for c in HISTORY_RUN_COLUMNS)])
            count = len(results["seq"])
            selects = ", ".join(f"unnest(?::{sql_type}[])" for _, sql_type in HISTORY_RESULT_COLUMNS)
            names = ", ".join(name for name, _ in HISTORY_RESULT_COLUMNS)
            con.execute(f"INSERT INTO results (run_id, {names}) SELECT ?, {selects}",
                        [run_id, *(list(results[name]) for name, _ in HISTORY_RESULT_COLUMNS)])
            stored = con.execute("SELECT count(*) FROM results WHERE run_id = ?", [run_id]).fetchone()[0]
            if stored != count:
                raise HistoryError(f"run history {self.path}: stored {stored} of {count} results; nothing recorded")
            if before_commit is not None:
                before_commit()
            con.commit()
        except BaseException:
            try:
                con.rollback()
            except duckdb.Error:
                pass  # the transaction is gone with the failure that ended it: nothing was committed
            raise
        return int(run_id)

    def runs(self) -> list[dict]:
        """Every run, oldest first, with its result counts by status (key `counts`)."""
        with self._reading("cannot read"):
            return self._runs()

    def _runs(self) -> list[dict]:
        cur = self._con.execute(
            f"SELECT id, {', '.join(HISTORY_RUN_COLUMNS)} FROM runs ORDER BY recorded_at, id")
        names = [d[0] for d in cur.description]
        runs = [dict(zip(names, row)) for row in cur.fetchall()]
        counts: dict[int, dict[str, int]] = {}
        for run_id, status, count in self._con.execute(
                "SELECT run_id, status, count(*) FROM results GROUP BY run_id, status").fetchall():
            counts.setdefault(run_id, {})[status] = count
        for run in runs:
            run["counts"] = counts.get(run["id"], {})
        return runs

    def results(self, rules: Sequence[str] | None = None, scope: str | None = None, *, until: date | None = None,
                program: str | None = None, latest: int | None = None,
                columns: Sequence[str] | None = None) -> list[dict]:
        """Result rows (every column, plus the run's `as_of`, `recorded_at` and `program`; or only `columns`), in
        as-of order.

        Only the given rules, the given canonical scope, runs as of `until` or before, and runs of `program` (or
        of none recorded) when set. With `latest`: per rule and scope, one row per as-of date (the run recorded
        last) and only the last `latest` dates."""
        known = ("run_id", "as_of", "recorded_at", "program", *(name for name, _ in HISTORY_RESULT_COLUMNS))
        wanted = tuple(columns) if columns else known
        if not set(wanted) <= set(known):
            raise ValueError(f"unknown history columns: {sorted(set(wanted) - set(known))}")
        conditions, params = [], []
        if rules is not None:
            conditions.append("list_contains(?, r.rule)")
            params.append(list(rules))
        if scope is not None:
            conditions.append("r.scope = ?")
            params.append(scope)
        if until is not None:
            conditions.append("u.as_of <= ?")
            params.append(until)
        if program is not None:
            conditions.append("(u.program = ? OR coalesce(u.program, '') = '')")
            params.append(program)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        columns = f"r.run_id, u.as_of, u.recorded_at, u.program, " \
                  f"{', '.join('r.' + name for name, _ in HISTORY_RESULT_COLUMNS)}"
        sql = f"SELECT {columns} FROM results r JOIN runs u ON u.id = r.run_id {where}"
        if latest is not None:
            sql = (f"SELECT * EXCLUDE (rerun, back) FROM (SELECT *, row_number() OVER (PARTITION BY rule, scope "
                   f"ORDER BY as_of DESC, rerun) AS back FROM (SELECT {columns}, row_number() OVER (PARTITION BY "
                   f"r.rule, r.scope, u.as_of ORDER BY u.recorded_at DESC, r.run_id DESC) AS rerun FROM results r "
                   f"JOIN runs u ON u.id = r.run_id {where}) WHERE rerun = 1) WHERE back <= ?")
            params.append(int(latest))
        with self._reading("cannot read"):
            cur = self._con.execute(f"SELECT {', '.join(wanted)} FROM ({sql}) ORDER BY as_of, recorded_at, run_id, "
                                    "seq", params)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> HistoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
