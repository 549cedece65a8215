"""Apache Spark, through pyspark: local mode, a standalone cluster, or Spark Connect.

`spark:local[N]` starts Spark in this process; `spark://HOST:PORT` joins a standalone master; `sc://HOST:PORT`
talks to a Spark Connect server (Databricks, EMR, Dataproc, self-run Spark 3.4+). The session is set to UTC with
ANSI mode off (a failed cast is NULL, as TRY_CAST is on the other engines) and naive timestamps by default, so
that no result depends on the cluster's settings; every time-zone conversion in a scan names its zone. Spark has no
read-only session: cxgov only ever runs SELECT statements, and a table it reads is never written.

`path:` sources are read with Spark's own readers (Parquet, or CSV with a header), any URI Spark reads included
(s3a://, abfss://, gs://, hdfs://); local paths stay inside the spec's repository as on DuckDB.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import threading
import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from sqlglot import exp

from cxgov.data import sql
from cxgov.data.engines.base import Engine, local_files, missing_table
from cxgov.data.engines.types import SPARK_TYPES, canonical
from cxgov.data.engines.url import Target
from cxgov.errors import DataError, UsageError
from cxgov.spec import confine
from cxgov.vocabulary import CSV_SUFFIXES, PARQUET_SUFFIXES

if TYPE_CHECKING:
    from pathlib import Path

    from cxgov.data.scan import Query
    from cxgov.spec.model import Source

SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
}
_LOCAL_CONF = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8",
               "spark.ui.showConsoleProgress": "false"}
_NOT_FOUND = re.compile(r"TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|Table or view not found")
_UNRESOLVED = re.compile(r"UNRESOLVED_COLUMN[^\n]*?`([^`]+)`")


class SparkEngine(Engine):
    """A Spark session; pyspark's session is safe to use from several threads."""

    name = dialect = "spark"
    label = "Spark"

    def __init__(self, target: Target, session: Any, owned: bool, restore: dict[str, str | None] | None = None):
        self.target = target
        self._restore = restore or {}  # a session cxgov did not start: its settings as they were
        self.shown = target.shown if target.where.startswith(("sc://", "spark://")) else f"spark:{target.where}"
        self.session = session
        self._owned = owned
        self._views: dict[tuple[str, str | None, Path | None], str] = {}
        self._staging = 0
        self._lock = threading.Lock()

    @classmethod
    def open(cls, target: Target) -> SparkEngine:
        return cls(target, *_session(target))

    def close(self) -> None:
        for view in self._views.values():
            try:
                self.session.catalog.dropTempView(view)
            except Exception:  # noqa: BLE001 - the session may be gone already; nothing to clean then
                pass
        if self._owned:
            self.session.stop()
            return
        for key, val in self._restore.items():
            try:
                if val is None:
                    self.session.conf.unset(key)
                else:
                    self.session.conf.set(key, val)
            except Exception:  # noqa: BLE001 - a stopped session keeps nothing to restore
                pass

    # -- sources -------------------------------------------------------------------------------------------

    def relation(self, source: Source) -> exp.Expr:
        if source.table:
            try:
                return sql.table(source.table)
            except DataError as exc:
                raise DataError(exc.message, source=source.id, location=source.at("table"),
                                hint=exc.hint) from None
        return exp.Table(this=exp.Identifier(this=self._file_view(source), quoted=True))

    def _file_view(self, source: Source) -> str:
        """A temporary view over a `path:` source's files, read with Spark's reader for their format."""
        key = (source.id, source.path, source.base_dir)
        with self._lock:
            if key in self._views:
                return self._views[key]
        assert source.path is not None  # relation() reads a source without a table from its `path`
        files = [source.path] if confine.scheme(source.path) not in (None, "file") else local_files(source, "Spark")
        lowered = [f.lower() for f in files]
        reader = self.session.read
        try:
            if all(f.endswith(PARQUET_SUFFIXES) for f in lowered):
                frame = reader.parquet(*files)
            elif all(f.endswith(CSV_SUFFIXES) for f in lowered):
                separator = "\t" if all(".tsv" in f for f in lowered) else ","
                frame = (reader.option("header", True).option("inferSchema", True).option("sep", separator)
                         .option("mode", "FAILFAST").csv(files))
            else:
                raise DataError(f"{source.path!r} must match only CSV or only Parquet files", source=source.id,
                                location=source.at("path"), hint="use a pattern such as data/*.parquet")
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyspark raises several families; each is reported the same
            raise DataError(f"Spark cannot read {confine.shown(files[0]) if len(files) == 1 else source.path!r}: "
                            f"{_reason(exc)}", source=source.id, location=source.at("path"),
                            hint="check the files exist and are CSV (with a header line) or Parquet") from None
        view = f"{sql.INTERNAL}{re.sub(r'[^A-Za-z0-9_]', '_', source.id)}_{len(self._views)}"
        frame.createOrReplaceTempView(view)
        with self._lock:
            self._views[key] = view
        return view

    def describe(self, source: Source) -> dict[str, str]:
        relation = self.relation(source).sql(dialect="spark")
        try:
            schema = self.session.sql(f"SELECT * FROM {relation} LIMIT 0").schema
        except Exception as exc:  # noqa: BLE001
            raise self._error(source, exc) from None
        return {field.name: canonical(field.dataType.simpleString(), SPARK_TYPES) for field in schema.fields}

    # -- statements ----------------------------------------------------------------------------------------

    def run(self, source: Source, query: Query) -> list[tuple[Any, ...]]:
        try:
            with self._provided(query) as query:
                return self._run(query)
        except Exception as exc:  # noqa: BLE001
            raise self._error(source, exc) from None

    @contextmanager
    def _provided(self, query: Query) -> Iterator[Query]:
        """`query` reading the small tables it is given (`Query.tables`) as temporary views over local DataFrames,
        each under a name of this engine's own (scans may run at once), dropped afterwards."""
        if not query.tables or query.tree is None:
            yield query
            return
        names = {}
        for table in query.tables:
            with self._lock:
                self._staging += 1
                names[table.name] = f"{table.name}_{self._staging}"
            schema = ", ".join(f"`{c}` string" for c in table.columns)
            self.session.createDataFrame(list(table.rows), schema).createOrReplaceTempView(names[table.name])
        try:
            tree = query.tree.copy()
            for node in tree.find_all(exp.Table):
                if node.name in names and not node.args.get("db"):
                    node.set("this", exp.Identifier(this=names[node.name], quoted=True))
            rendered = sql.render(tree, "spark")
            yield dataclasses.replace(query, sql=rendered.sql, params=rendered.params, tree=tree, tables=())
        finally:
            for view in names.values():
                self.session.catalog.dropTempView(view)

    def _run(self, query: Query) -> list[tuple[Any, ...]]:
        staged = self._staged(query)
        if staged is None:
            return [tuple(row) for row in self.session.sql(query.sql, args=dict(query.params)).collect()]
        frame, view, rest = staged
        try:
            return [tuple(row) for row in self.session.sql(rest.sql, args=dict(rest.params)).collect()]
        finally:
            self.session.catalog.dropTempView(view)
            frame.unpersist()

    def _staged(self, query: Query) -> tuple[Any, str, sql.Rendered] | None:
        """The scan's partial results per slice (its `fine` table) computed once and kept, and the rest of the
        statement reading them: Spark computes a CTE again for each reference, and the rollups, the data health
        and the variance shift each read the partials (so the source would be scanned several times)."""
        tree = query.tree
        if tree is None:
            return None
        with_ = tree.args.get("with_", tree.args.get("with"))
        if with_ is None:
            return None
        names = [cte.alias for cte in with_.expressions]
        fine = sql.own("fine").name
        if fine not in names:
            return None
        cut = names.index(fine) + 1
        key = "with_" if "with_" in tree.args else "with"
        head = exp.select(exp.Star()).from_(exp.Table(this=sql.own("fine")))
        head.set(key, exp.With(expressions=[cte.copy() for cte in with_.expressions[:cut]]))
        rendered = sql.render(head, "spark")
        frame = self.session.sql(rendered.sql, args=dict(rendered.params)).localCheckpoint(eager=True)
        with self._lock:
            self._staging += 1
            view = f"{sql.INTERNAL}fine_{self._staging}"
        frame.createOrReplaceTempView(view)
        rest = tree.copy()
        for cte in rest.args[key].expressions:
            if cte.alias == fine:
                cte.set("this", exp.select(exp.Star()).from_(exp.Table(this=exp.Identifier(this=view, quoted=True))))
        ctes = rest.args[key]
        while True:  # the CTEs nothing reads any more (the source's rows, unless a percentile reads them)
            read = {t.name for t in rest.find_all(exp.Table)}
            unused = [c for c in ctes.expressions if c.alias not in read]
            if not unused:
                break
            ctes.set("expressions", [c for c in ctes.expressions if c not in unused])
        return frame, view, sql.render(rest, "spark")

    def plan(self, source: Source, query: Query) -> str:
        try:
            with self._provided(query) as query:
                rows = self.session.sql("EXPLAIN " + query.sql, args=dict(query.params)).collect()
        except Exception as exc:  # noqa: BLE001
            raise self._error(source, exc) from None
        return "\n".join(str(row[0]) for row in rows)

    def _error(self, source: Source, exc: Exception) -> DataError:
        text = str(exc)
        if _NOT_FOUND.search(text):
            return missing_table(source, self.shown)
        column = _UNRESOLVED.search(text)
        if column:
            return DataError("column not found", source=source.id, column=column.group(1).split("`.`")[-1],
                             location=source.location,
                             hint="correct the metric's column names or add the column to the data")
        return DataError(f"query failed on {self.shown}: {_reason(exc)}", source=source.id,
                         location=source.location, hint="check the column types the metrics read (numbers, "
                                                        "timestamps)")


def _reason(exc: Exception) -> str:
    """The first line of a Spark error, without the JVM stack or the statement."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _session(target: Target) -> tuple[Any, bool, dict[str, str | None]]:
    """(session, whether cxgov started it and stops it at the end, the settings to put back at the end of a
    session it did not start)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark warns about pandas versions it has not been tried with
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UsageError(f"--data {target.shown}: reading Spark needs the spark extra",
                             hint="pip install 'cxgov[spark]' (pyspark; a local or cluster session also needs "
                                  "Java 17 or later)") from None
    remote = target.where.startswith("sc://")
    if not remote and shutil.which("java") is None and not _java_home():
        raise UsageError(f"--data {target.shown}: Spark needs Java, and no `java` was found",
                         hint="install a Java runtime (17 or later), e.g. `apt-get install default-jre-headless`, "
                              "or set JAVA_HOME; Spark Connect (sc://) needs no Java here")
    builder: Any  # pyspark's classic or Spark Connect builder: the same methods on two unrelated classes
    if remote:
        from pyspark.sql.connect.session import SparkSession as ConnectSession  # a client only: no JVM here

        builder = ConnectSession.builder.remote(target.where)
    else:
        active = SparkSession.getActiveSession()
        if active is not None:  # a notebook's or an application's own session: used, and left as it was
            return active, False, _configure(active)
        builder = SparkSession.builder.appName("cxgov").master(target.where)
        for key, val in _LOCAL_CONF.items():
            builder = builder.config(key, val)
    try:
        session = builder.getOrCreate()
        _configure(session)
    except Exception as exc:  # noqa: BLE001 - connection and start-up failures come in several types
        raise DataError(f"cannot start a Spark session on {target.shown}: {_reason(exc)}",
                        hint="check the master or Spark Connect URL and that the cluster is up" if remote or
                        target.where.startswith("spark://") else "check that Java 17 or later works "
                                                                  "(`java -version`)") from None
    if not remote:
        session.sparkContext.setLogLevel("OFF")  # errors reach the user as cxgov says them
    return session, True, {}


def _configure(session: Any) -> dict[str, str | None]:
    """Set SESSION_CONF; returns the settings as they were (None: not set)."""
    before: dict[str, str | None] = {}
    for key, val in SESSION_CONF.items():
        before[key] = session.conf.get(key, None)
        session.conf.set(key, val)
    return before


def _java_home() -> bool:
    home = os.environ.get("JAVA_HOME")
    if not home:
        return False
    return os.path.exists(os.path.join(home, "bin", "java"))
