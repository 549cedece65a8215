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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from cxgov.data.store import Database, local_timestamp_sql, quote_ident, quote_table
from cxgov.errors import DataError, UsageError
from cxgov.metrics.kinds import scale
from cxgov.spec.model import Metric, Source, Spec

LEDGER = "cxgov_loads"
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
RATING_KINDS = ("nps", "csat", "ces")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileReport:
    file: str
    sha256: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped: str | None = None  # why the whole file was skipped (already loaded)
    reasons: tuple[tuple[str, int], ...] = ()  # most common rejection reasons, with counts

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
        if metric.kind in RATING_KINDS:
            column = add(metric.column, "INTEGER")
            if column is not None:
                column.ratings.append(metric)
        elif metric.kind in ("mean", "percentile") and metric.column:
            add(metric.column, "DOUBLE")
        if metric.duration is not None:
            add(metric.duration.start, "TIMESTAMP")
            add(metric.duration.end, "TIMESTAMP")
        if metric.kind == "gap":
            add(metric.expectation, "DOUBLE")
            add(metric.perception, "DOUBLE")
    return cols


class _Params:
    """Named parameters ($p0, $p1, ...) so SQL can be composed in any order."""

    def __init__(self):
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"

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


def _last_line_fields(path: Path, delimiter: str) -> tuple[int, int, int] | None:
    """(header fields, last line fields, last line number) of an uncompressed CSV, to spot a truncated file."""
    if path.name.lower().endswith(".gz"):
        return None
    with path.open("rb") as handle:
        header = handle.readline()
        size = path.stat().st_size
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    last = tail.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
    sep = delimiter.encode()
    return header.count(sep) + 1, last.count(sep) + 1, lines + (0 if tail.endswith(b"\n") else 1)


def _header_delimiter(path: Path, delimiter: str) -> str | None:
    """The delimiter the header line of an uncompressed CSV uses, when it is not `delimiter` but ; | or tab."""
    if path.name.lower().endswith((".gz", *PARQUET_SUFFIXES)):
        return None
    with path.open("rb") as handle:
        header = handle.readline()
    if delimiter.encode() in header:
        return None
    counts = {sep: header.count(sep.encode()) for sep in (";", "|", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else None


def _separated_by(delimiter: str) -> str:
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    return f"its header line is separated by {shown}: pass --delimiter {shown}"


def _read_error(path: Path, message: str, delimiter: str) -> DataError:
    """A clear DataError for a file DuckDB could not read."""
    lowered = message.lower()
    if "invalid unicode" in lowered or "not utf-8 encoded" in lowered:
        return DataError(f"{path}: is not UTF-8 text", hint="convert it (e.g. `iconv -f latin1 -t utf-8`) or pass "
                                                             "--encoding latin-1 (or utf-16)")
    if "csv" in lowered or "sniff" in lowered or "quote" in lowered or "columns" in lowered:
        counts = _last_line_fields(path, delimiter)
        if counts and counts[1] < counts[0]:
            return DataError(f"{path}: looks truncated: its last line (line {counts[2]}) has {counts[1]} of "
                             f"{counts[0]} fields", hint="copy the complete file and load it again")
        detail = message.split("\n")[0]
        guess = _header_delimiter(path, delimiter)
        if guess:
            return DataError(f"{path}: is not well-formed CSV with delimiter {delimiter!r} ({detail})",
                             hint=_separated_by(guess))
        return DataError(f"{path}: is not well-formed CSV ({detail})",
                         hint="check for an unterminated quote or rows with a different number of fields; "
                              f"the delimiter used was {delimiter!r} (change it with --delimiter)")
    if "parquet" in lowered or "magic" in lowered:
        return DataError(f"{path}: is not a readable Parquet file ({message.splitlines()[0]})",
                         hint="check the file is complete, or name a CSV file .csv")
    return DataError(f"{path}: cannot be read: {message.splitlines()[0]}")


class Loader:
    """One load: several files into one source's table, in one transaction."""

    def __init__(self, spec: Spec, source: Source, database: Database, delimiter: str | None, encoding: str | None,
                 progress: Progress | None):
        self.spec, self.source, self.db = spec, source, database
        self.table = source.table or ""
        self.quoted = quote_table(self.table)
        self.rejected = quote_table(self.table + "_rejected")
        self.delimiter, self.encoding = delimiter, encoding
        self.progress = progress or (lambda message: None)
        self.columns = spec_columns(spec, source)
        self.touchpoints = sorted(tp.id for tp in spec.touchpoints)
        self.loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)

    def _read(self, path: Path, fmt: str) -> list[tuple[str, str]]:
        """Stage the file as temp table cx_raw (with cx_row, the row number); its column names and types."""
        self.db.execute("DROP TABLE IF EXISTS cx_raw")
        if fmt == "parquet":
            reader, params = "read_parquet(?)", [str(path)]
        else:
            delimiter = self.delimiter or ("\t" if ".tsv" in path.name.lower() else ",")
            options = "header = true, all_varchar = true, strict_mode = true, null_padding = false, " \
                      "delim = ?, quote = '\"', escape = '\"'"
            params = [str(path), delimiter]
            if self.encoding:
                options += ", encoding = ?"
                params.append(self.encoding)
            reader = f"read_csv(?, {options})"
        try:
            self.db.execute(f"CREATE TEMP TABLE cx_raw AS SELECT row_number() OVER () AS cx_row, * FROM {reader}",
                            params)
        except DataError as exc:
            raise _read_error(path, exc.message, self.delimiter or ",") from None
        return [(name, type_) for name, type_, *_ in self.db.execute("DESCRIBE cx_raw") if name != "cx_row"]

    def _require(self, path: Path, found: dict[str, str]) -> None:
        missing = [c for c in self.columns if c not in found]
        if not missing:
            return
        names = ", ".join(found) or "none"
        hint = f"the source '{self.source.id}' and its metrics read: {', '.join(self.columns)}"
        guess = _header_delimiter(path, self.delimiter or ("\t" if ".tsv" in path.name.lower() else ","))
        if guess:
            hint = _separated_by(guess)
        elif len(found) == 1 and any(sep in next(iter(found)) for sep in ";|\t,"):
            hint = "the header was read as one column: is the delimiter different? pass --delimiter ';' (or '|', " \
                   "tab)"
        raise DataError(f"{path}: missing column{'s' * (len(missing) > 1)} {', '.join(missing)} (the file has: "
                        f"{names})", source=self.source.id, column=missing[0], location=self.source.location,
                        hint=hint)

    def _typed(self, found: dict[str, str], table: dict[str, str] | None, p: _Params) \
            -> tuple[list[tuple[str, str]], list[str]]:
        """(column, typed SQL) for every file column, and SQL expressions giving a rejection reason or NULL."""
        typed: list[tuple[str, str]] = []
        reasons: list[str] = []
        tz = p(self.spec.program.timezone)
        for name, raw_type in found.items():
            raw = f"r.{quote_ident(name)}"
            text = f"CAST({raw} AS VARCHAR)"
            column = self.columns.get(name)
            target = (table or {}).get(name) or (column.type if column else None)
            if target is None:  # a column the spec does not read: kept as it is
                typed.append((name, raw))
                continue
            if target == "TIMESTAMP" or (column and column.type == "TIMESTAMP"):
                expr = local_timestamp_sql(raw, raw_type, tz)
                what = "a timestamp"
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
                reasons.append(f"CASE WHEN {raw} IS NOT NULL AND trim({text}) <> '' AND ({failed}) "
                               f"THEN {label} || ': ' || {text} || ' is not {what}' END")
            if column is None:
                continue
            if column.required:
                reasons.append(f"CASE WHEN {raw} IS NULL OR trim({text}) = '' THEN {label} || ': empty' END")
            if column.role == "touchpoint":
                reasons.append(f"CASE WHEN NOT list_contains({p(self.touchpoints)}, {text}) THEN {label} || ': ' || "
                               f"{text} || ' is not a touchpoint in the spec' END")
            for metric in column.ratings:
                reasons.append(self._scale_check(metric, expr, label, text, found, p))
        return typed, reasons

    def _scale_check(self, metric: Metric, expr: str, label: str, text: str, found: dict[str, str],
                     p: _Params) -> str:
        """A rejection reason for an answer off the scale of `metric`, for rows its `where` selects."""
        sc = scale(metric)
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
        return (f"CASE WHEN {selected} AND ({expr}) IS NOT NULL AND NOT (CAST({expr} AS DOUBLE) BETWEEN {p(lo)} "
                f"AND {p(hi)} AND CAST({expr} AS DOUBLE) = floor(CAST({expr} AS DOUBLE))) THEN {label} || ': ' || "
                f"{text} || ' is not an answer on the ' || {p(f'{sc.min:g}..{sc.max:g}')} || ' scale of metric ' || "
                f"{p(metric.id)} END")

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
        found = dict(self._read(path, fmt))
        self._require(path, found)
        table = self._ensure_tables()
        self.progress(f"{path.name}: checking {self.db.execute('SELECT count(*) FROM cx_raw')[0][0]:,} rows")
        p = _Params()
        typed, reasons = self._typed(found, table, p)
        reason = f"concat_ws('; ', {', '.join(reasons)})" if reasons else "''"
        record = "to_json(struct_pack(" + ", ".join(f"{quote_ident(n)} := r.{quote_ident(n)}" for n in found) + "))"
        select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in typed)
        self.db.execute("DROP TABLE IF EXISTS cx_checked")
        checked = (f"CREATE TEMP TABLE cx_checked AS SELECT r.cx_row, {select}, {reason} AS cx_reason, "
                   f"CAST({record} AS VARCHAR) AS cx_record FROM cx_raw r")
        self.db.execute(checked, p.used_in(checked))
        if table is None:
            columns = ", ".join(quote_ident(n) for n, _ in typed)
            self.db.execute(f"CREATE TABLE {self.quoted} AS SELECT {columns} FROM cx_checked WHERE false")
        else:
            for name, type_, *_ in self.db.execute("DESCRIBE cx_checked"):
                if name not in table and name not in ("cx_row", "cx_reason", "cx_record"):
                    self.db.execute(f"ALTER TABLE {self.quoted} ADD COLUMN {quote_ident(name)} {type_}")
        duplicate = "false"
        if self.source.key:
            key = quote_ident(self.source.key)
            duplicate = (f"(c.{key} IN (SELECT {key} FROM {self.quoted} WHERE {key} IS NOT NULL) OR "
                         f"row_number() OVER (PARTITION BY c.{key} ORDER BY c.cx_row) > 1)")
        self.db.execute("DROP TABLE IF EXISTS cx_sorted")
        self.db.execute(f"CREATE TEMP TABLE cx_sorted AS SELECT c.*, cx_reason <> '' AS cx_bad, "
                        f"cx_reason = '' AND {duplicate} AS cx_dup FROM cx_checked c")
        self.progress(f"{path.name}: loading")
        columns = ", ".join(quote_ident(n) for n, _ in typed)
        self.db.execute(f"INSERT INTO {self.quoted} BY NAME SELECT {columns} FROM cx_sorted "
                        "WHERE NOT cx_bad AND NOT cx_dup")
        self.db.execute(f"INSERT INTO {self.rejected} SELECT ?, ?, cx_row, cx_reason, cx_record FROM cx_sorted "
                        "WHERE cx_bad ORDER BY cx_row", [self.loaded_at, str(path)])
        read, rejected, dups = self.db.execute("SELECT count(*), count(*) FILTER (WHERE cx_bad), "
                                               "count(*) FILTER (WHERE cx_dup) FROM cx_sorted")[0]
        # The most common reasons, values left out: "score: is not an answer on the 0..10 scale of metric nps".
        top = self.db.execute("SELECT regexp_replace(split_part(cx_reason, '; ', 1), '^([^:]+): .* (is not .*)$', "
                              "'\\1: \\2') AS r, count(*) FROM cx_sorted WHERE cx_bad GROUP BY 1 ORDER BY 2 DESC, 1 "
                              "LIMIT 5")
        report = FileReport(str(path), sha, read, read - rejected - dups, rejected, dups,
                            reasons=tuple((r.strip(), n) for r, n in top))
        self.db.execute(f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [sha, self.source.id, self.table, str(path), self.loaded_at, report.read, report.loaded,
                         report.rejected, report.duplicates])
        return report


def load(spec: Spec, source_id: str, files: Sequence[Path], db: Path, *, delimiter: str | None = None,
         encoding: str | None = None, progress: Progress | None = None,
         confirm: Callable[[LoadReport], bool] | None = None) -> LoadReport:
    """Load `files` into the table of source `source_id` in `db`, all or nothing.

    `confirm` sees the counts before the commit; returning False rolls the load back (a dry run).
    """
    source = spec.by_id["sources"].get(source_id)
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
    with Database.open(db) as database:
        loader = Loader(spec, source, database, delimiter, encoding, progress)
        with database.transaction():
            reports = tuple(loader.load_file(Path(f)) for f in files)
            result = LoadReport(source.id, source.table, reports)
            if confirm is not None and not confirm(result):
                raise _RolledBack(result)
        return result


_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
              "iso8859-1": "latin-1", "utf-16": "utf-16", "utf16": "utf-16"}


def csv_encoding(name: str | None) -> str | None:
    """The encoding name DuckDB reads, for --encoding (common spellings accepted); UsageError for others."""
    if name is None:
        return None
    known = _ENCODINGS.get(name.strip().lower())
    if known is None:
        raise UsageError(f"--encoding {name!r} is not supported: CSV files are read as utf-8, latin-1 or utf-16",
                         hint=f"convert the file first, e.g. `iconv -f {name} -t utf-8 FILE > FILE.utf8.csv`")
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


def dry_run(spec: Spec, source_id: str, files: Sequence[Path], db: Path, **options) -> LoadReport:
    """Check and count as `load` would, then roll back: the database is left as it was."""
    try:
        load(spec, source_id, files, db, confirm=lambda report: False, **options)
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
        lines += [f"  rejected {n:,}: {reason}" for reason, n in f.reasons]
    if all(f.skipped for f in report.files):
        lines.append(f"nothing new for {report.table}: every file was loaded before")
        return lines
    verb = "loaded" if report.committed else "would load (dry run, nothing written)"
    dup = f", {report.total('duplicates'):,} duplicates skipped" if report.total("duplicates") else ""
    lines.append(f"{verb} {report.total('loaded'):,} of {report.total('read'):,} rows into {report.table} "
                 f"({report.total('rejected'):,} rejected to {report.table}_rejected{dup})")
    return lines

