"""Read-only access to metric data, whatever engine holds it.

`Store` is what evaluation talks to: a source's columns (checked against what the spec names, each error at its
spec line), and scans. A scan is one statement per source (`cxgov.data.scan` builds it as a tree): the rows of
every period read once, every aggregate the rules asked for, per period and grouping set. The engine
(`cxgov.data.engines`) renders the tree for its dialect, binds the values as parameters and runs it.

Timestamps: a TIMESTAMP column is already local program time; a TIMESTAMP WITH TIME ZONE column is converted to
local wall-clock time in the program timezone; text is parsed as cxgov.data.timestamps says (an offset or zone
in it is honoured, neither means local time);
unparseable text is left out of every window and counted in the data health.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from cxgov.data import sql
from cxgov.data.engines import Engine, connect
from cxgov.data.engines.types import (INTEGER_TYPES, NUMERIC_TYPES, TEXT_TYPES, TIMESTAMP_TYPES,  # noqa: F401
                                      TIMESTAMPTZ, is_numeric_type, is_timestamp_type)
from cxgov.data.scan import (DIMENSIONS, SPAN, TOUCHPOINT_DIMENSIONS, UNTIMED, Aggregate,  # noqa: F401
                             Columns, Period, Query, ScanRequest, build)
from cxgov.data.sql import INTERNAL, quote_ident, quote_table  # noqa: F401
from cxgov.errors import DataError, Location
from cxgov.spec.model import Source


class Store:
    """Read-only access to metric data. Use as a context manager: `with Store.open(data) as store: ...`.

    Safe to use from several threads (each engine keeps a connection or cursor per thread)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        sql.load_dialect(engine.dialect)  # before any thread renders a statement with it
        self._columns: dict[tuple[str, str | None, str | None, Path | None], dict[str, str]] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, data: str | Path | None) -> Store:
        """The store over `data`: a DuckDB file (or None: DuckDB in memory, for `path:` sources), or any form
        `--data` takes (postgresql://..., spark:local[N], spark://..., sc://...)."""
        return cls(connect(data))

    @property
    def db(self) -> Path | None:
        """The DuckDB file read, if the engine is DuckDB on a file."""
        return getattr(self.engine, "db", None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.close()

    def columns(self, source: Source) -> dict[str, str]:
        """Column name -> type of a source; DataError when its table or files cannot be read."""
        key = (source.id, source.table, source.path, source.base_dir)
        found = self._columns.get(key)
        if found is None:
            found = self.engine.describe(source)
            with self._lock:
                self._columns[key] = found
        return found

    def require_column(self, source: Source, column: str, key: str, location: Location | None = None) -> str:
        """The type of `column`; DataError naming the source, column and spec location if it is absent."""
        sql.check_ident(column)
        types = self.columns(source)
        if column not in types:
            raise DataError(f"column not found (it has: {', '.join(sorted(types)) or 'no columns'})",
                            source=source.id, column=column, location=location or source.at(key),
                            hint=f"correct `{key}` or add the column to the data")
        return types[column]

    def dimension_column(self, source: Source, dimension: str) -> str:
        """The column a source is split by for `dimension` (segment: its `segment`, else its `touchpoint`, which
        gives journey, stage and channel); DataError when the source declares none or the column is absent."""
        if dimension == "category":  # a problems analysis's column, checked with the analysis
            return dimension
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
        relation = self.engine.relation(source)
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
        category = None
        if "category" in used and request.category:
            category = request.category
            self.require_column(source, category, "category")
        return Columns(relation, types, source.timestamp, type_, touchpoint, segment, category)

    def _query(self, request: ScanRequest) -> Query:
        return build(request, self._columns_for(request), self.engine.dialect)

    def scan(self, request: ScanRequest) -> list[dict[str, Any]]:
        """Run one scan: one dict per (grouping set, period, dimension values) with data."""
        query = self.statement(request)
        return self.rows(request, query, self.fetch(request, query)) if query is not None else []

    # a scan in three steps, for a caller that runs the engine's part in another thread (evaluate: the next
    # statement is built, and the last one's rows turned into results, while the engine runs one)

    def statement(self, request: ScanRequest) -> Query | None:
        """The scan's statement, built (None: nothing to scan)."""
        if not request.periods or not request.grouping_sets:
            return None
        return self._query(request)

    def fetch(self, request: ScanRequest, query: Query) -> list[tuple[Any, ...]]:
        """The engine's rows for the statement; DataError naming the source on failure."""
        return self.engine.run(request.source, query)

    def rows(self, request: ScanRequest, query: Query, fetched: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        """The fetched rows as the scan gives them: one dict per (grouping set, period, dimension values)."""
        # in one order whatever the engine's collation: by grouping, period and dimension values (NULL first),
        # comparing text by code point, as DuckDB does
        rows = sorted(fetched, key=_row_order(len(query.dimensions)))
        masks: dict[int, list[int]] = {}
        k = len(query.dimensions)
        for index, grouping_set in enumerate(request.grouping_sets):
            mask = sum(1 << (k - 1 - i) for i, d in enumerate(query.dimensions) if d not in grouping_set)
            masks.setdefault(mask, []).append(index)
        out: list[dict[str, Any]] = []
        put = out.append
        health = (SPAN, UNTIMED)
        # a row is (period, dimension values..., grouping mask, aggregates...): zipped with these names whole
        # (the mask under "grouping", then replaced by the grouping set's index), a third faster than in pieces
        names = ("period", *query.dimensions, "grouping", *query.aggregates)
        for row in rows:
            if row[0] in health:  # the data health: grouping None
                record = dict(zip(names, row))
                record["grouping"] = None
                put(record)
                continue
            for index in masks.get(row[1 + k], ()):
                record = dict(zip(names, row))
                record["grouping"] = index
                put(record)
        return out

    def sql(self, request: ScanRequest) -> str:
        """The SQL of a scan, with its parameters written in, for reading (nothing is run)."""
        return self._query(request).text

    def explain(self, request: ScanRequest) -> tuple[str, str]:
        """The SQL of a scan (with its parameters written in, for reading) and the engine's plan for it."""
        query = self._query(request)
        return query.text, self.engine.plan(request.source, query)

    def digest(self, sources: Sequence[Source], read: Mapping[str, tuple[int, int]]) -> str:
        """"sha256:..." over each source's columns and what its scan read: the rows (in the span of its windows,
        and those without a readable timestamp) and an order-independent checksum of the columns it read
        (`read`: source id -> `scanned(rows)`, taken in the scan itself, so the digest costs no pass of its own).

        A source that cannot be read, or whose scan failed, contributes an "unreadable" marker instead.
        """
        h = hashlib.sha256()
        for source in sorted(sources, key=lambda s: s.id):
            h.update(f"source {source.id}\n".encode())
            try:
                columns = self.columns(source)
            except DataError:
                columns = None
            if columns is None or source.id not in read:
                h.update(b"unreadable\n")
                continue
            count, checksum = read[source.id]
            h.update(repr(sorted(columns.items())).encode())
            h.update(f"\n{count} {checksum}\n".encode())
        return "sha256:" + h.hexdigest()


def _row_order(dimensions: int) -> Callable[[tuple[Any, ...]], list[Any]]:
    """The sort key of a scan's rows (period, dimension values..., grouping mask, aggregates...)."""
    ends = range(1 + dimensions)

    def key(row: tuple[Any, ...]) -> list[Any]:
        # flat (mask, set?, period, set?, value, ...): compared as the nested pairs were, in half the time
        out = [row[1 + dimensions]]
        for i in ends:
            value = row[i]
            out.append(value is not None)
            out.append(value)
        return out
    return key
