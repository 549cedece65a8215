"""Load CSV or Parquet files into the metrics database as a source's table (`cxgov data load`).

Every row read ends up in exactly one place: loaded, rejected (in `<table>_rejected`, with the reason), or skipped
as a duplicate (its key is already loaded); the counts reconcile. A file whose content was loaded before (same
sha256, recorded in the `cxgov_loads` ledger) is skipped whole. All files of one load are one transaction: a
failure, or an interruption, leaves the database as it was.

Checks, from the spec: the columns the source and its metrics read are present; timestamps parse; touchpoint ids
exist in the spec; answers are on the scale of the metric whose `where` the row matches; numbers are numbers;
values of `where`/`condition` columns have the type the spec compares them with.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from sqlglot import exp

from cxgov.data import sql, timestamps
from cxgov.data.csvfile import Census, census, header_delimiter
from cxgov.data.engines.duckdb import Database
from cxgov.data.scan import local_time
from cxgov.data.sql import INTERNAL, quote_ident, quote_name, quote_table
from cxgov.errors import DataError, Location, UsageError, printable
from cxgov.metrics.kinds import scale
from cxgov.metrics.registry import kind_of
from cxgov.spec.model import Metric, Source, Spec
from cxgov.vocabulary import CSV_SUFFIXES, PARQUET_SUFFIXES

LEDGER = "cxgov_loads"
Progress = Callable[[str], None]
MAX_LINE = 2_097_152  # DuckDB's default max_line_size, raised for a file with longer records
# cxgov's own tables and columns during a load, all starting with INTERNAL (no file column may)
STAGE, RAW, CHECKED, SORTED = (f"{INTERNAL}{name}" for name in ("stage", "raw", "checked", "sorted"))
ROW, REASON, SUMMARY, RECORD, BAD, DUP = (f"{INTERNAL}{name}" for name in
                                          ("row", "reason", "summary", "record", "bad", "dup"))


@dataclass(frozen=True)
class FileReport:
    file: str
    sha256: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: str | None = None  # why the whole file was skipped (already loaded)
    # the most common rejection reasons: (reason, count, the line, or Parquet row, of the first)
    reasons: tuple[tuple[str, int, int], ...] = ()
    unit: str = "line"  # what the numbers in `reasons` count: "line" (CSV) or "row" (Parquet)

    def reconciles(self) -> bool:
        return self.read == self.loaded + self.rejected + self.duplicates


@dataclass(frozen=True)
class LoadReport:
    source: str
    table: str
    files: tuple[FileReport, ...]
    committed: bool = True

    def total(self, what: str) -> int:
        return sum(getattr(f, what) for f in self.files)


@dataclass
class _Column:
    """A column the spec reads: the SQL type it is stored as, and the checks a row's value must pass."""

    name: str
    type: str  # TIMESTAMP | VARCHAR | DOUBLE | INTEGER | BOOLEAN | BIGINT
    role: str  # timestamp | touchpoint | key | segment | value
    required: bool = False  # a row without a value is rejected
    ratings: list[Metric] = field(default_factory=list)  # metrics whose scale this column's answers must be on


def _value_type(values: Sequence[object]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "BOOLEAN"
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "BIGINT"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "DOUBLE"
    return "VARCHAR"


def spec_columns(spec: Spec, source: Source) -> dict[str, _Column]:
    """The columns of `source` that the spec reads, with their types and checks."""
    cols: dict[str, _Column] = {}

    def add(name: str | None, type_: str, role: str = "value", required: bool = False) -> _Column | None:
        if not name:
            return None
        quote_ident(name)
        column = cols.setdefault(name, _Column(name, type_, role, required))
        if column.type != type_ and {column.type, type_} <= {"INTEGER", "DOUBLE"}:
            column.type = "DOUBLE"
        return column

    add(source.timestamp, "TIMESTAMP", "timestamp", required=True)
    add(source.touchpoint, "VARCHAR", "touchpoint", required=True)
    add(source.key, "VARCHAR", "key", required=True)
    add(source.segment, "VARCHAR", "segment")
    for metric in (m for m in spec.metrics if m.source == source.id):
        for column, values in metric.where.terms + metric.condition.terms:
            add(column, _value_type(values))
        kind = kind_of(metric)
        for name, key in kind.reads(metric):
            if key.startswith("duration."):
                add(name, "TIMESTAMP")
            elif kind.scale is not None:  # a rating: a whole answer on the metric's scale
                answers = add(name, "INTEGER")
                if answers is not None:
                    answers.ratings.append(metric)
            else:
                add(name, "DOUBLE")
    return cols


class _Params:
    """Named parameters ($p0, $p1, ...) so SQL can be composed in any order."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def tree(self, tree: exp.Expr) -> str:
        """`tree` as DuckDB SQL, its values among these parameters."""
        rendered = sql.render(tree, "duckdb", prefix=f"t{len(self.values)}_")
        self.values.update(rendered.params)
        return rendered.sql

    def used_in(self, sql: str) -> dict[str, object]:
        """The parameters `sql` refers to (DuckDB refuses unused ones)."""
        return {k: v for k, v in self.values.items() if re.search(rf"\${k}\b", sql)}


def file_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise UsageError(f"{path}: cannot tell the format from the file name",
                     hint="name it .csv, .tsv or .parquet (CSV may be gzipped: .csv.gz)")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _header_delimiter(path: Path, delimiter: str) -> str | None:
    """The delimiter the header line of a CSV file uses, when it is not `delimiter`."""
    if path.name.lower().endswith(PARQUET_SUFFIXES):
        return None
    guess = header_delimiter(path)
    return guess if guess != delimiter else None


def _separated_by(delimiter: str) -> str:
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    return f"its header line is separated by {shown}: pass --delimiter {shown}"


def _read_error(path: Path, message: str, delimiter: str, parquet: bool = False) -> DataError:
    """A clear DataError for a file DuckDB could not read (after cxgov's own count read it); `parquet`: the file
    is read as Parquet, whose reader's errors (Thrift's "invalid TType", "Out of buffer") need not say so."""
    lowered = message.lower()
    detail = message.split("\n")[0]
    line = re.search(r"line:? (\d+)", message, re.IGNORECASE)
    where = Location(str(path), int(line.group(1))) if line else None
    if parquet or "parquet" in lowered or "magic" in lowered:
        return DataError(f"{path}: is not a readable Parquet file ({detail})",
                         hint="check the file is complete, or name a CSV file .csv")
    if "maximum line size" in lowered or "max_line_size" in lowered:
        return DataError(f"{path}: a line is longer than the CSV reader's limit ({detail})", location=where,
                         hint="split the long value, or check for a quote that is never closed")
    if "csv" in lowered or "quote" in lowered or "columns" in lowered:
        guess = _header_delimiter(path, delimiter)
        return DataError(f"{path}: is not well-formed CSV ({detail})", location=where,
                         hint=_separated_by(guess) if guess else
                         "check for an unterminated quote or rows with a different number of fields; the delimiter "
                         f"used was {delimiter!r} (change it with --delimiter)")
    return DataError(f"{path}: cannot be read: {detail}")


def _file_names(path: Path, names: Sequence[str], what: str) -> tuple[str, ...]:
    """The column names of a file's header (`what`: "header" or "schema"), checked: none cxgov's own, none twice
    (DuckDB's names ignore case), no control characters; an empty one is named column<i> (from 0), as DuckDB does."""
    where = Location(str(path), 1 if what == "header" else 0)
    named = tuple(name or f"column{i}" for i, name in enumerate(names))
    seen: dict[str, int] = {}
    for i, name in enumerate(named, start=1):
        shown = printable(name)
        if name.lower().startswith(INTERNAL):
            raise DataError(f"column {i} of the {what} is named '{shown}': names starting with {INTERNAL} "
                            "are cxgov's own", location=where, hint="rename the column in the file")
        if printable(name) != name or len(name) > 255:
            raise DataError(f"column {i} of the {what} has a name with control characters or of more than 255 "
                            f"characters ('{shown[:60]}')", location=where, hint="rename the column in the file")
        if name.lower() in seen:
            raise DataError(f"columns {seen[name.lower()]} and {i} of the {what} are both named '{shown}' "
                            "(names ignore case)", location=where, hint="rename one of them in the file")
        seen[name.lower()] = i
    return named


class Loader:
    """One load: several files into one source's table, in one transaction."""

    def __init__(self, spec: Spec, source: Source, database: Database, delimiter: str | None, encoding: str | None,
                 progress: Progress | None, scratch: Path):
        self.spec, self.source, self.db = spec, source, database
        self.table = source.table or ""
        self.quoted = quote_table(self.table)
        self.rejected = quote_table(self.table + "_rejected")
        self.delimiter, self.encoding = delimiter, encoding
        self.progress = progress or (lambda message: None)
        self.scratch = scratch
        self.columns = spec_columns(spec, source)
        self.touchpoints = sorted(tp.id for tp in spec.touchpoints)
        self.loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)

    def _delimiter_for(self, path: Path) -> str:
        return self.delimiter or ("\t" if ".tsv" in path.name.lower() else ",")

    def _read(self, path: Path, fmt: str) -> tuple[dict[str, str], Census | None]:
        """Stage the file as temp table RAW: ROW, the record number, and the file's columns under their names
        (never colliding with cxgov's, which all start with INTERNAL); its columns and types, and the census."""
        for table in (STAGE, RAW):
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        if fmt == "parquet":
            return self._read_parquet(path), None
        delimiter = self._delimiter_for(path)
        try:
            counted = census(path, delimiter, self.encoding, self.scratch)
        except DataError as exc:
            guess = _header_delimiter(path, delimiter)
            if guess and "looks truncated" not in exc.message:
                raise DataError(exc.message, location=exc.location, hint=_separated_by(guess)) from None
            raise
        names = _file_names(path, counted.header, "header")
        staged = {f"{INTERNAL}c{i}": name for i, name in enumerate(names)}
        columns = ", ".join(f"'{internal}': 'VARCHAR'" for internal in staged)
        # every guess off: the header is the first line, no comment character, no line skipped, only an empty
        # value is NULL, a row of another width is an error (the census found none)
        options = (f"header = true, auto_detect = false, columns = {{{columns}}}, delim = ?, quote = '\"', "
                   "escape = '\"', comment = '', skip = 0, strict_mode = true, null_padding = false, "
                   f"ignore_errors = false, max_line_size = {max(MAX_LINE, 4 * counted.longest + 1024)}")
        if counted.readable != path:
            options += ", compression = 'none'"
        try:
            self.db.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT row_number() OVER () AS {ROW}, * FROM "
                            f"read_csv(?, {options})", [str(counted.readable), delimiter])
        except DataError as exc:
            raise _read_error(path, exc.message, delimiter) from None
        lengths = " + ".join(f"coalesce(length({internal}), 0)" for internal in staged)
        rows, chars = self.db.execute(f"SELECT count(*), coalesce(sum({lengths}), 0) FROM {STAGE}")[0]
        expected = counted.records - len(counted.blanks)
        if (rows, chars) != (expected, counted.chars):
            what = (f"{rows:,} records but the file has {expected:,}" if rows != expected else
                    f"{chars:,} characters of values but the file has {counted.chars:,}")
            raise DataError(f"{path}: the CSV reader read {what} (counted by cxgov apart from it, blank lines left "
                            "out): nothing was loaded", hint="the file may use quoting the reader takes otherwise; "
                                                             "report this with the file's first lines")
        # the record number of the n-th row read: n plus the blank lines before it (the reader skips them)
        after = [blank - i for i, blank in enumerate(counted.blanks, start=1)]
        select = ", ".join(f"s.{internal} AS {quote_name(name)}" for internal, name in staged.items())
        if after:
            self.db.execute(f"CREATE TEMP TABLE {RAW} AS SELECT s.{ROW} + coalesce(b.n, 0) AS {ROW}, {select} "
                            f"FROM {STAGE} s ASOF LEFT JOIN (SELECT t, max(n) AS n FROM (SELECT unnest(?) AS t, "
                            f"generate_subscripts(?, 1) AS n) GROUP BY t) b ON s.{ROW} > b.t", [after, after])
        else:
            self.db.execute(f"CREATE TEMP TABLE {RAW} AS SELECT s.{ROW}, {select} FROM {STAGE} s")
        self.db.execute(f"DROP TABLE {STAGE}")
        return self._raw_columns(), counted

    def _read_parquet(self, path: Path) -> dict[str, str]:
        try:
            described = self.db.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)])
            _file_names(path, [name for name, *_ in described], "schema")
            self.db.execute(f"CREATE TEMP TABLE {RAW} AS SELECT row_number() OVER () AS {ROW}, * FROM "
                            "read_parquet(?)", [str(path)])
            rows = self.db.execute(f"SELECT count(*) FROM {RAW}")[0][0]
            stored = self.db.execute("SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata(?)", [str(path)])
        except DataError as exc:
            if exc.location is not None or exc.message.startswith(str(path)):
                raise
            raise _read_error(path, exc.message, ",", parquet=True) from None
        if rows != stored[0][0]:
            raise DataError(f"{path}: read {rows:,} rows but its metadata counts {stored[0][0]:,}: nothing was "
                            "loaded", hint="check the file is complete")
        return self._raw_columns()

    def _raw_columns(self) -> dict[str, str]:
        return {name: type_ for name, type_, *_ in self.db.execute(f"DESCRIBE {RAW}") if name != ROW}

    def _require(self, path: Path, found: dict[str, str]) -> None:
        missing = [c for c in self.columns if c not in found]
        if not missing:
            return
        names = ", ".join(printable(n) for n in found) or "none"
        hint = f"the source '{self.source.id}' and its metrics read: {', '.join(self.columns)}"
        guess = _header_delimiter(path, self._delimiter_for(path))
        if guess:
            hint = _separated_by(guess)
        elif len(found) == 1 and any(sep in next(iter(found)) for sep in ";|\t,"):
            hint = "the header was read as one column: is the delimiter different? pass --delimiter ';' (or '|', " \
                   "tab)"
        raise DataError(f"{path}: missing column{'s' * (len(missing) > 1)} {', '.join(missing)} (the file has: "
                        f"{names})", source=self.source.id, column=missing[0], location=self.source.location,
                        hint=hint)

    def _typed(self, found: dict[str, str], table: dict[str, str] | None, p: _Params) \
            -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(column, typed SQL) for every file column, and (reason, summary) SQL pairs: why a row is rejected, with
        its value and without, or NULL."""
        typed: list[tuple[str, str]] = []
        reasons: list[tuple[str, str]] = []
        tz = sql.value(self.spec.program.timezone)

        def reject(condition: str, label: str, text: str | None, why: str, detail: str = "''") -> None:
            value = f" || ' ' || {text}" if text else ""
            reasons.append((f"CASE WHEN {condition} THEN {label} || ':'{value} || {p(why)} || {detail} END",
                            f"CASE WHEN {condition} THEN {label} || ':' || {p(why)} || {detail} END"))

        for name, raw_type in found.items():
            raw = f"r.{quote_name(name)}"
            text = f"CAST({raw} AS VARCHAR)"
            column = self.columns.get(name)
            target = (table or {}).get(name) or (column.type if column else None)
            if target is None:  # a column the spec does not read: kept as it is
                typed.append((name, raw))
                continue
            detail = "''"
            if target == "TIMESTAMP" or (column and column.type == "TIMESTAMP"):
                read = exp.Column(this=exp.Identifier(this=name, quoted=True), table=exp.Identifier(this="r"))
                expr = f"({p.tree(local_time(read, raw_type, tz))})"
                what = "a timestamp"
                if raw_type == "VARCHAR":
                    detail = f"coalesce({p.tree(timestamps.problem(read))}, '')"
            elif raw_type == target:
                expr, what = raw, ""
            else:
                expr = f"try_cast({raw} AS {target})"
                what = {"DOUBLE": "a number", "INTEGER": "a whole number", "BIGINT": "a whole number",
                        "BOOLEAN": "true or false"}.get(target, f"of type {target}")
            typed.append((name, expr))
            label = p(name)
            if what:
                failed = f"({expr}) IS NULL"
                if target in ("INTEGER", "BIGINT"):  # 7.5 is no whole number, though a cast would round it
                    failed += f" OR try_cast({raw} AS DOUBLE) <> CAST(({expr}) AS DOUBLE)"
                reject(f"{raw} IS NOT NULL AND trim({text}) <> '' AND ({failed})", label, text, f" is not {what}",
                       detail)
            if column is None:
                continue
            if column.required:
                reject(f"{raw} IS NULL OR trim({text}) = ''", label, None, " empty")
            if column.role == "touchpoint":
                reject(f"NOT list_contains({p(self.touchpoints)}, {text})", label, text,
                       " is not a touchpoint in the spec")
            for metric in column.ratings:
                reasons.append(self._scale_check(metric, expr, label, text, found, p))
        return typed, reasons

    def _scale_check(self, metric: Metric, expr: str, label: str, text: str, found: dict[str, str],
                     p: _Params) -> tuple[str, str]:
        """A rejection reason for an answer off the scale of `metric`, for rows its `where` selects."""
        sc = scale(metric)
        assert sc is not None  # a column's `ratings` are metrics of a rating kind
        conditions = []
        for column, values in metric.where.terms:
            ctype = self.columns[column].type
            col = f"try_cast(r.{quote_ident(column)} AS {ctype})" if found.get(column) != ctype \
                else f"r.{quote_ident(column)}"
            present = [v for v in values if v is not None]
            ors = [f"{col} IN ({', '.join(p(v) for v in present)})"] if present else []
            if len(present) != len(values):
                ors.append(f"{col} IS NULL")
            conditions.append("(" + " OR ".join(ors) + ")")
        selected = " AND ".join(conditions) or "TRUE"
        lo, hi = float(sc.min), float(sc.max)
        off = (f"{selected} AND ({expr}) IS NOT NULL AND NOT (CAST({expr} AS DOUBLE) BETWEEN {p(lo)} AND {p(hi)} "
               f"AND CAST({expr} AS DOUBLE) = floor(CAST({expr} AS DOUBLE)))")
        why = p(f" is not an answer on the {sc.min:g}..{sc.max:g} scale of metric {metric.id}")
        return (f"CASE WHEN {off} THEN {label} || ': ' || {text} || {why} END",
                f"CASE WHEN {off} THEN {label} || ':' || {why} END")

    def _ensure_tables(self) -> dict[str, str] | None:
        """Create the ledger and the rejected-rows table if needed; the target table's columns if it exists."""
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER} (sha256 VARCHAR, source VARCHAR, table_name VARCHAR, "
                        "file VARCHAR, loaded_at TIMESTAMP, rows_read BIGINT, rows_loaded BIGINT, "
                        "rows_rejected BIGINT, rows_duplicate BIGINT)")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {self.rejected} (loaded_at TIMESTAMP, source_file VARCHAR, "
                        "source_row BIGINT, reason VARCHAR, record VARCHAR)")
        if self.db.table_exists(self.table):
            return self.db.table_columns(self.table)
        return None

    def load_file(self, path: Path) -> FileReport:
        if not path.is_file():
            raise DataError(f"{path}: file not found", hint="check the path")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the file is empty", hint="export the data again; a CSV needs a header line")
        fmt = file_format(path)
        sha = sha256_of(path)
        self._ensure_tables()
        before = self.db.execute(f"SELECT loaded_at FROM {LEDGER} WHERE sha256 = ? AND table_name = ?",
                                 [sha, self.table])
        if before:
            return FileReport(str(path), sha, skipped=f"already loaded on {before[0][0]:%Y-%m-%d %H:%M} UTC "
                                                      "(same content)")
        self.progress(f"{path.name}: reading ({path.stat().st_size / 2**20:,.1f} MiB)")
        found, counted = self._read(path, fmt)
        self._require(path, found)
        table = self._ensure_tables()
        self.progress(f"{path.name}: checking {self.db.execute(f'SELECT count(*) FROM {RAW}')[0][0]:,} rows")
        p = _Params()
        typed, reasons = self._typed(found, table, p)
        reason = f"concat_ws('; ', {', '.join(r for r, _ in reasons)})" if reasons else "''"
        first = f"coalesce({', '.join(s for _, s in reasons)}, '')" if reasons else "''"
        record = "to_json(struct_pack(" + ", ".join(f"{quote_name(n)} := r.{quote_name(n)}" for n in found) + "))"
        select = ", ".join(f"{expr} AS {quote_name(name)}" for name, expr in typed)
        self.db.execute(f"DROP TABLE IF EXISTS {CHECKED}")
        checked = (f"CREATE TEMP TABLE {CHECKED} AS SELECT r.{ROW}, {select}, {reason} AS {REASON}, "
                   f"{first} AS {SUMMARY}, CAST({record} AS VARCHAR) AS {RECORD} FROM {RAW} r")
        self.db.execute(checked, p.used_in(checked))
        if table is None:
            columns = ", ".join(quote_name(n) for n, _ in typed)
            self.db.execute(f"CREATE TABLE {self.quoted} AS SELECT {columns} FROM {CHECKED} WHERE false")
        else:
            known = {name.lower() for name in table}
            for name, type_, *_ in self.db.execute(f"DESCRIBE {CHECKED}"):
                if name.lower() not in known and not name.startswith(INTERNAL):
                    self.db.execute(f"ALTER TABLE {self.quoted} ADD COLUMN {quote_name(name)} {type_}")
        duplicate = "false"
        if self.source.key:
            key = quote_ident(self.source.key)
            earlier = " OR ".join(f"c.{key} IN (SELECT {key} FROM {t} WHERE {key} IS NOT NULL)"
                                  for t in self._loaded_tables())
            duplicate = f"({earlier} OR row_number() OVER (PARTITION BY c.{key} ORDER BY c.{ROW}) > 1)"
        self.db.execute(f"DROP TABLE IF EXISTS {SORTED}")
        self.db.execute(f"CREATE TEMP TABLE {SORTED} AS SELECT c.*, {REASON} <> '' AS {BAD}, "
                        f"{REASON} = '' AND {duplicate} AS {DUP} FROM {CHECKED} c")
        self.progress(f"{path.name}: loading")
        columns = ", ".join(quote_name(n) for n, _ in typed)
        loaded = self._count(f"INSERT INTO {self.quoted} BY NAME SELECT {columns} FROM {SORTED} "
                             f"WHERE NOT {BAD} AND NOT {DUP}")
        rejected = self._count(f"INSERT INTO {self.rejected} SELECT ?, ?, {ROW}, {REASON}, {RECORD} FROM {SORTED} "
                               f"WHERE {BAD} ORDER BY {ROW}", [self.loaded_at, str(path)])
        blanks = counted.blanks if counted else ()
        if blanks:
            rejected += self._count(f"INSERT INTO {self.rejected} SELECT ?, ?, unnest(?), 'blank line', '{{}}'",
                                    [self.loaded_at, str(path), list(blanks)])
        staged, dups = self.db.execute(f"SELECT count(*), count(*) FILTER (WHERE {DUP}) FROM {SORTED}")[0]
        read = counted.records if counted else staged
        if read != loaded + rejected + dups or staged + len(blanks) != read:
            raise DataError(f"{path}: the counts do not reconcile: read {read:,} but loaded {loaded:,} + rejected "
                            f"{rejected:,} + duplicates {dups:,}: nothing was loaded",
                            hint="report this with the file: cxgov never commits a load that loses rows")
        # the most common reasons, values left out, each with the line of its first row
        top = [(r, n, row) for r, n, row in self.db.execute(
            f"SELECT {SUMMARY}, count(*), min({ROW}) FROM {SORTED} WHERE {BAD} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5")]
        if blanks:
            top = sorted(top + [("blank line", len(blanks), blanks[0])], key=lambda t: (-t[1], t[0]))[:5]
        lines = tuple((r.strip(), n, counted.line(row) if counted else row) for r, n, row in top)
        report = FileReport(str(path), sha, read, loaded, rejected, dups, reasons=lines,
                            unit="line" if counted else "row")
        self.db.execute(f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [sha, self.source.id, self.table, str(path), self.loaded_at, report.read, report.loaded,
                         report.rejected, report.duplicates])
        return report

    def _count(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run an INSERT; the rows it inserted."""
        result = self.db.execute(sql, params)
        return int(result[0][0]) if result else 0

    def _loaded_tables(self) -> list[str]:
        """The tables holding rows already loaded: the target, and in a dry run the database's own."""
        tables = [self.quoted]
        if self.db.base and self.db.base_has(self.table):
            tables.append(f"{self.db.base}.{self.quoted}")
        return tables


def load(spec: Spec, source_id: str, files: Sequence[Path], db: Path, *, delimiter: str | None = None,
         encoding: str | None = None, progress: Progress | None = None,
         confirm: Callable[[LoadReport], bool] | None = None, dry: bool = False) -> LoadReport:
    """Load `files` into the table of source `source_id` in `db`, all or nothing.

    `confirm` sees the counts before the commit; returning False rolls the load back. With `dry`, the load runs
    in an in-memory database that sees the rows of `db` (read-only): `db` is neither created nor written.
    """
    source = spec.source(source_id) if source_id in spec.by_id["sources"] else None
    if source is None:
        raise UsageError(f"no source '{source_id}' in the spec",
                         hint=f"sources: {', '.join(s.id for s in spec.sources) or 'none'}")
    if not source.table:
        raise UsageError(f"source '{source_id}' reads files (`path:`), not a table: there is nothing to load",
                         hint="put the files where its `path` points instead")
    if not files:
        raise UsageError("no file to load")
    for path in files:
        if Path(path).is_dir():
            raise UsageError(f"{path}: is a folder, not a file",
                             hint=f"give the files in it, e.g. {Path(path).as_posix()}/*.csv")
        if not Path(path).is_file():
            raise DataError(f"{path}: file not found", hint="check the path")
    delimiter, encoding = csv_delimiter(delimiter), csv_encoding(encoding)
    table = source.table
    opened = Database.scratch(db, copied=(LEDGER,), shaped=(table, table + "_rejected")) if dry else Database.open(db)
    with opened as database, tempfile.TemporaryDirectory(prefix="cxgov-load-") as scratch:
        loader = Loader(spec, source, database, delimiter, encoding, progress, Path(scratch))
        with database.transaction():
            reports = tuple(loader.load_file(Path(f)) for f in files)
            result = LoadReport(source.id, source.table, reports)
            if confirm is not None and not confirm(result):
                raise _RolledBack(result)
        return result


_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
              "iso8859-1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16", "utf-32": "utf-32", "utf32": "utf-32"}


def csv_encoding(name: str | None) -> str | None:
    """The encoding of --encoding (common spellings accepted); UsageError for others."""
    if name is None:
        return None
    known = _ENCODINGS.get(name.strip().lower())
    if known is None:
        raise UsageError(f"--encoding {name!r} is not supported: CSV files are read as utf-8, latin-1, utf-16 or "
                         "utf-32", hint=f"convert the file first, e.g. `iconv -f {name} -t utf-8 FILE > "
                                        "FILE.utf8.csv`")
    return known


def csv_delimiter(text: str | None) -> str | None:
    """The one-character delimiter of --delimiter ('\\t' and 'tab' mean a tab); UsageError for anything longer."""
    if text is None:
        return None
    if text in ("\\t", "tab", "TAB"):
        return "\t"
    if len(text) != 1:
        raise UsageError(f"--delimiter {text!r} is not one character",
                         hint="give the one character between fields, e.g. --delimiter ';' (or '|', tab)")
    return text


class _RolledBack(Exception):
    def __init__(self, report: LoadReport):
        super().__init__("rolled back")
        self.report = report


def dry_run(spec: Spec, source_id: str, files: Sequence[Path], db: Path, *, delimiter: str | None = None,
            encoding: str | None = None, progress: Progress | None = None) -> LoadReport:
    """Check and count as `load` would, in an in-memory database: `db` is neither created nor written."""
    try:
        load(spec, source_id, files, db, delimiter=delimiter, encoding=encoding, progress=progress,
             confirm=lambda report: False, dry=True)
    except _RolledBack as rolled_back:
        report = rolled_back.report
        return LoadReport(report.source, report.table, report.files, committed=False)
    raise AssertionError("unreachable: a dry run always rolls back")


def summary(report: LoadReport) -> list[str]:
    """Lines for the terminal: per file and in total, counts that reconcile."""
    lines = []
    for f in report.files:
        if f.skipped:
            lines.append(f"{f.file}: skipped, {f.skipped}")
            continue
        dup = f" + {f.duplicates:,} duplicates skipped" if f.duplicates else ""
        lines.append(f"{f.file}: read {f.read:,} = loaded {f.loaded:,} + rejected {f.rejected:,}{dup}")
        lines += [f"  rejected {n:,}: {printable(reason)} (first on {f.unit} {at:,})" for reason, n, at in f.reasons]
    if all(f.skipped for f in report.files):
        lines.append(f"nothing new for {report.table}: every file was loaded before")
        return lines
    dup = f", {report.total('duplicates'):,} duplicates skipped" if report.total("duplicates") else ""
    counts = f"{report.total('loaded'):,} of {report.total('read'):,} rows into {report.table}"
    if report.committed:
        lines.append(f"loaded {counts} ({report.total('rejected'):,} rejected to {report.table}_rejected{dup})")
    else:
        lines.append(f"would load {counts} ({report.total('rejected'):,} would be rejected to {report.table}_rejected"
                     f"{dup}); dry run: nothing was written")
    return lines

