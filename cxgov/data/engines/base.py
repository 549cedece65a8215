"""The interface every engine implements, and what the engines share.

An engine is a read-only connection to where metric data lives. It knows how to name a source's rows as a FROM
clause (`relation`), what columns they have (`describe`, in cxgov's type vocabulary), and how to run a statement
cxgov built as a tree (`run`). Everything else (which scans, which aggregates, what they mean) is engine-neutral
and lives in `cxgov.data.scan` and `cxgov.data.store`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from cxgov.errors import DataError
from cxgov.spec import confine

if TYPE_CHECKING:
    from sqlglot import exp

    from cxgov.data.scan import Query
    from cxgov.spec.model import Source


class Engine(ABC):
    """A read-only connection to metric data. Safe to use from several threads."""

    name: str  # "duckdb", "postgres", "spark": also the sqlglot dialect its statements are written in
    dialect: str
    label: str  # the engine's name as messages write it: "DuckDB", "PostgreSQL", "Spark"
    shown: str  # where the data is, as messages name it (a file, or a URL without its password)
    # statements an evaluation has the engine run at a time: two keep both cores busy through the parts of a
    # statement that run on one (PostgreSQL runs a statement in one process unless it plans workers)
    statements_at_once: int = 2

    @abstractmethod
    def relation(self, source: Source) -> exp.Expr:
        """What a FROM clause reads for `source`: its table, or a reader over its files. DataError naming the spec
        line when the source cannot be read on this engine."""

    @abstractmethod
    def describe(self, source: Source) -> dict[str, str]:
        """Column name -> type (cxgov.data.engines.types vocabulary); DataError when the source cannot be read."""

    @abstractmethod
    def run(self, source: Source, query: Query) -> list[tuple[Any, ...]]:
        """Run `query` (its setup first) and return its rows; DataError naming the source on failure."""

    @abstractmethod
    def plan(self, source: Source, query: Query) -> str:
        """The engine's plan for `query`, as text."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def table_required(source: Source, engine: str) -> DataError:
    """The error for a `path:` source on an engine that reads tables only."""
    return DataError(f"reads files (`path: {source.path}`), which {engine} cannot read: it reads tables",
                     source=source.id, location=source.at("path"),
                     hint="load the files into a table and point `table:` at it, or evaluate this source on DuckDB "
                          "or Spark")


def missing_table(source: Source, shown: str, tables: Sequence[str] = ()) -> DataError:
    """The error for a source whose table does not exist, naming the spec line."""
    near = f" (tables there include: {', '.join(sorted(tables)[:8])})" if tables else ""
    return DataError(f"table {source.table!r} not found in {shown}{near}", source=source.id,
                     location=source.at("table"), hint="correct `table` (it may be schema-qualified: schema.table), "
                                                       "or load the data")


def local_files(source: Source, engine: str) -> list[str]:
    """The local files a source's `path:` matches, each inside the spec's repository or an allowed root (checked
    again here: files may have changed since the spec was validated); DataError at the `path` line otherwise."""
    where = source.at("path")
    assert source.path is not None  # the engines call this for a source that reads no table
    kind = confine.scheme(source.path)
    if kind not in (None, "file"):
        reader = "the Spark engine (--data spark:...)" if kind in confine.SPARK_SCHEMES else "no engine of cxgov"
        raise DataError(f"{source.path!r} is a {kind}:// URI, which {reader} reads; {engine} reads local files "
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
    return list(found.files)
