"""PostgreSQL, through psycopg 3: a read-only session per thread, every value a bound parameter.

The session is made read-only (default_transaction_read_only), in UTC with ISO dates, whatever the server's or
the client's settings: no statement cxgov runs can write, and no result depends on a session setting (every
time-zone conversion in a scan names its zone). The password comes from PGPASSWORD or ~/.pgpass, never the spec,
and is never shown.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from cxgov.data import sql
from cxgov.data.engines.base import Engine, missing_table, table_required
from cxgov.data.engines.types import POSTGRES_TYPES, canonical
from cxgov.data.engines.url import Target
from cxgov.errors import DataError, UsageError

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg.adapt import Loader

    class _NumberLoader(Loader):
        """numeric as the other engines give it: a whole number as int (sums of integers), else a float
        (averages)."""

        def load(self, data: Any) -> int | float:
            text = bytes(data)
            return float(text) if (b"." in text or b"N" in text or b"e" in text or b"I" in text) else int(text)
except ImportError:  # the extra is not installed: connecting says what to install
    psycopg = None  # type: ignore[assignment]  # checked in PostgresEngine.open

if TYPE_CHECKING:
    from cxgov.data.scan import Query
    from cxgov.spec.model import Source

_SESSION = ("SET default_transaction_read_only = on", "SET TIME ZONE 'UTC'", "SET DateStyle = 'ISO, YMD'",
            "SET IntervalStyle = 'iso_8601'",
            # compiling a scan's expressions takes longer than running them (5.4 s of 5.9 s on a 1M-row scan)
            "SET jit = off")
_COLUMNS = ("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
            "WHERE a.attrelid = to_regclass(%(name)s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")
_PERCENT = re.compile(r"%(?!\()")  # a % sign that is no placeholder: psycopg wants it doubled


class PostgresEngine(Engine):
    """Read-only PostgreSQL; one connection per thread, all to the same database."""

    name = dialect = "postgres"
    label = "PostgreSQL"

    def __init__(self, target: Target, first: Any):
        self.target = target
        self.shown = target.shown
        self._local = threading.local()
        self._local.con = first
        self._connections = [first]
        self._lock = threading.Lock()

    @classmethod
    def open(cls, target: Target) -> PostgresEngine:
        return cls(target, _connect(target))

    @property
    def _con(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None:
            con = _connect(self.target)
            self._local.con = con
            with self._lock:
                self._connections.append(con)
        return con

    def close(self) -> None:
        for con in self._connections:
            con.close()

    def _fetch(self, statement: str, params: dict[str, object]) -> list[tuple[Any, ...]]:
        with self._con.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    # -- sources -------------------------------------------------------------------------------------------

    def relation(self, source: Source) -> exp.Expr:
        if not source.table:
            raise table_required(source, "PostgreSQL")
        try:
            return sql.table(source.table)
        except DataError as exc:
            raise DataError(exc.message, source=source.id, location=source.at("table"), hint=exc.hint) from None

    def describe(self, source: Source) -> dict[str, str]:
        tree = self.relation(source)
        name = tree.sql(dialect="postgres")  # validated, quoted parts: to_regclass reads it as a name
        try:
            rows = self._fetch(_COLUMNS, {"name": name})
        except psycopg.Error as exc:
            raise self._error(source, exc) from None
        if not rows:
            raise missing_table(source, self.shown)
        return {column: canonical(type_, POSTGRES_TYPES) for column, type_ in rows}

    # -- statements ----------------------------------------------------------------------------------------

    def _statement(self, query: Query) -> str:
        return _PERCENT.sub("%%", query.sql)

    def run(self, source: Source, query: Query) -> list[tuple[Any, ...]]:
        try:
            return self._fetch(self._statement(query), dict(query.params))
        except psycopg.Error as exc:
            raise self._error(source, exc) from None

    def plan(self, source: Source, query: Query) -> str:
        try:
            return "\n".join(row[0] for row in self._fetch("EXPLAIN " + self._statement(query),
                                                               dict(query.params)))
        except psycopg.Error as exc:
            raise self._error(source, exc) from None

    def _error(self, source: Source, exc: Exception) -> DataError:
        """A PostgreSQL error as cxgov says it: the missing column or table at the spec line, else the server's
        message (its primary text: the statement is never quoted)."""
        diag = getattr(exc, "diag", None)
        primary = (diag.message_primary if diag is not None else None) or str(exc).splitlines()[0]
        if isinstance(exc, pg_errors.UndefinedColumn):
            found = re.search(r'column "?(?:[^".]+\.)?([^"]+)"? does not exist', primary)
            return DataError("column not found", source=source.id, column=found.group(1) if found else None,
                             location=source.location,
                             hint="correct the metric's column names or add the column to the table")
        if isinstance(exc, (pg_errors.UndefinedTable, pg_errors.InvalidSchemaName)):
            return missing_table(source, self.shown)
        if isinstance(exc, pg_errors.InsufficientPrivilege):
            return DataError(f"cannot read table {source.table!r} on {self.shown}: {primary}", source=source.id,
                             location=source.at("table"), hint="grant the user SELECT on the table "
                                                               "(cxgov only reads)")
        if isinstance(exc, psycopg.OperationalError):
            return DataError(f"lost the connection to {self.shown}: {primary}", source=source.id,
                             hint="check the server is up, then run again")
        return DataError(f"query failed on {self.shown}: {primary}", source=source.id, location=source.location,
                         hint="check the column types the metrics read (numbers, timestamps)")


def _connect(target: Target) -> Any:
    """A read-only session on `target`; DataError naming the host and port (never the password) when the server
    cannot be reached or refuses the login."""
    if psycopg is None:
        raise UsageError(f"--data {target.shown}: reading PostgreSQL needs the postgres extra",
                         hint="pip install 'cxgov[postgres]' (psycopg 3)")
    try:
        con = psycopg.connect(target.where, autocommit=True, connect_timeout=10, application_name="cxgov")
    except psycopg.Error as exc:
        raise _connect_error(target, exc) from None
    con.adapters.register_loader("numeric", _NumberLoader)
    try:
        for statement in _SESSION:
            con.execute(statement)
    except psycopg.Error as exc:
        con.close()
        raise DataError(f"cannot set up a read-only session on {target.shown}: {exc}") from None
    return con


def _connect_error(target: Target, exc: Exception) -> DataError:
    text = str(exc)
    info = psycopg.conninfo.conninfo_to_dict(target.where) if _parses(target.where) else {}
    where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}"
    database = info.get("dbname", "")
    if "password authentication failed" in text or "no password supplied" in text:
        return DataError(f"PostgreSQL at {where} refused the login of user {info.get('user', '(default)')!r} "
                         f"({target.shown})", hint="set PGPASSWORD or add the password to ~/.pgpass (never to the "
                                                   "spec or the URL in CI logs)")
    if re.search(r'database "[^"]+" does not exist', text):
        return DataError(f"PostgreSQL at {where} has no database {database!r} ({target.shown})",
                         hint="correct the database name at the end of the URL")
    if re.search(r"role \"[^\"]+\" does not exist", text):
        return DataError(f"PostgreSQL at {where} has no user {info.get('user')!r} ({target.shown})",
                         hint="give an existing user in the URL: postgresql://USER@HOST/DB")
    if any(sign in text for sign in ("Connection refused", "could not connect", "timeout expired",
                                     "could not translate host name", "Name or service not known")):
        return DataError(f"cannot reach PostgreSQL at {where} ({target.shown}): {_first_reason(text)}",
                         hint="check the host and port, that the server is running and accepts TCP connections "
                              "from here")
    return DataError(f"cannot connect to PostgreSQL at {where} ({target.shown}): {_first_reason(text)}",
                     hint="check the URL: postgresql://[USER@]HOST[:PORT]/DBNAME")


def _parses(url: str) -> bool:
    try:
        psycopg.conninfo.conninfo_to_dict(url)
        return True
    except psycopg.Error:
        return False


def _first_reason(text: str) -> str:
    """The useful line of libpq's message (it repeats itself per address tried)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = next((line for line in lines if "Connection refused" in line or "timeout" in line), lines[0] if lines
                  else "no reason given")
    return re.sub(r"(?i)password=\S+", "password=***", reason)
