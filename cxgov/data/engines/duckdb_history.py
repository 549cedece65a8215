"""The run history as a DuckDB file: what `cxgov check --record` writes and `cxgov history` reads.

DuckDB lets one process write a file at a time, so opening retries with backoff while another process holds the
lock; every run is inserted in one transaction.
"""

from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import duckdb

from cxgov.data.engines.duckdb import _error_text, connect, damage, not_duckdb, scalar
from cxgov.errors import HistoryError

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


def _create_whole(path: Path) -> None:
    """Create an empty DuckDB file at `path`, unless another process does first.

    The file is made under a private name and linked into place, so a concurrent recorder never opens a file that
    is still being created (DuckDB would call it "not a valid DuckDB database file")."""
    private = path.with_name(f".{path.name}.{os.getpid()}.creating")
    try:
        connect(str(private)).close()
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
    def open(cls, path: Path, *, write: bool, timeout: float = 30.0) -> HistoryDB:
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
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            try:
                con = connect(str(path), read_only=not write)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise _history_error(path, "cannot open", exc) from None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HistoryError(
                        f"run history {path} is locked by another process and stayed locked for {timeout:g} s",
                        hint="another cxgov is recording or reading it; try again, or raise --lock-timeout",
                    ) from None
                time.sleep(min(delay, remaining) * (0.5 + random.random()))
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
        if write and not scalar(self._con, "SELECT count(*) FROM duckdb_sequences() WHERE schema_name = 'main' "
                                           "AND sequence_name = 'cxgov_run_id'"):
            missing.append("sequence cxgov_run_id")
        if missing:
            raise HistoryError(f"run history {self.path} is incomplete: it lacks {'; '.join(missing)}",
                               hint=f"it was changed outside cxgov or is damaged: restore it from a backup, or "
                                    f"{_NEW_HISTORY}")

    def insert_run(self, run: Mapping[str, object], results: Mapping[str, Sequence[object]]) -> int:
        """Insert one run and its result rows (column name -> values, see HISTORY_RESULT_COLUMNS) in one
        transaction; returns the new run id."""
        with self._reading("cannot record into"):
            return self._insert(run, results)

    def _insert(self, run: Mapping[str, object], results: Mapping[str, Sequence[object]]) -> int:
        con = self._con
        con.begin()
        try:
            run_id = scalar(con, "SELECT nextval('cxgov_run_id')")
            placeholders = ", ".join("?" for _ in HISTORY_RUN_COLUMNS)
            con.execute(f"INSERT INTO runs (id, {', '.join(HISTORY_RUN_COLUMNS)}) VALUES (?, {placeholders})",
                        [run_id, *(run[c] for c in HISTORY_RUN_COLUMNS)])
            count = len(results["seq"])
            selects = ", ".join(f"unnest(?::{sql_type}[])" for _, sql_type in HISTORY_RESULT_COLUMNS)
            names = ", ".join(name for name, _ in HISTORY_RESULT_COLUMNS)
            con.execute(f"INSERT INTO results (run_id, {names}) SELECT ?, {selects}",
                        [run_id, *(list(results[name]) for name, _ in HISTORY_RESULT_COLUMNS)])
            stored = scalar(con, "SELECT count(*) FROM results WHERE run_id = ?", [run_id])
            if stored != count:
                raise HistoryError(f"run history {self.path}: stored {stored} of {count} results; nothing recorded")
            con.commit()
        except BaseException:
            try:
                con.rollback()
            except duckdb.Error:
                pass  # the transaction is gone with the failure that ended it: nothing was committed
            raise
        return int(run_id)

    def runs(self) -> list[dict[str, Any]]:
        """Every run, oldest first, with its result counts by status (key `counts`)."""
        with self._reading("cannot read"):
            return self._runs()

    def _runs(self) -> list[dict[str, Any]]:
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
                columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Result rows (every column, plus the run's `as_of`, `recorded_at` and `program`; or only `columns`), in
        as-of order.

        Only the given rules, the given canonical scope, runs as of `until` or before, and runs of `program` (or
        of none recorded) when set. With `latest`: per rule and scope, one row per as-of date (the run recorded
        last) and only the last `latest` dates."""
        known = ("run_id", "as_of", "recorded_at", "program", *(name for name, _ in HISTORY_RESULT_COLUMNS))
        wanted = tuple(columns) if columns else known
        if not set(wanted) <= set(known):
            raise ValueError(f"unknown history columns: {sorted(set(wanted) - set(known))}")
        conditions: list[str] = []
        params: list[object] = []
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
