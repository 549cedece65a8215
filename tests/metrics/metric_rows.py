"""Helpers: compute a metric through the real Store over rows written to a real DuckDB file, and (with an
`OnEngine`) the same rows copied into PostgreSQL or Spark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from cxgov.data.store import Period, ScanRequest, Store
from cxgov.metrics import kinds
from cxgov.spec.model import Metric, Source
from support.duckdb_rows import write_table

WINDOW_START = datetime(2026, 1, 1)
WINDOW_END = datetime(2026, 2, 1)
AS_OF_END = WINDOW_END


@dataclass(frozen=True)
class OnEngine:
    """Rows written to the DuckDB file `path`, then read from `engine`: DuckDB itself, PostgreSQL (the table copied
    into the database `pg_url`) or Spark (into the running session `spark`)."""

    path: Path
    engine: str = "duckdb"
    pg_url: str | None = None
    spark: Any = None

    def data(self) -> str | Path:
        """--data for the engine, after the DuckDB file's tables are copied there."""
        from support import engine_data

        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(self.pg_url) as conn:
                engine_data.copy_to_postgres(self.path, conn)
            return self.pg_url
        if self.engine == "spark":
            engine_data.copy_to_spark(self.path, self.spark, self.path.parent / "spark")
            return "spark:local[2]"
        return self.path


def measure_rows(db: Path | OnEngine, metric: Metric, columns: dict[str, str], rows: Sequence[Sequence],
                 as_of_end: datetime = AS_OF_END) -> kinds.Measurement:
    """Write rows (with an `at` timestamp column inside the window added in front) and measure the metric."""
    cols = {"at": "TIMESTAMP", **columns}
    stamped = [(WINDOW_START + timedelta(minutes=i),) + tuple(r) for i, r in enumerate(rows)]
    ground = db if isinstance(db, OnEngine) else OnEngine(db)
    write_table(ground.path, "facts", cols, stamped)
    source = Source(id="facts", table="facts", timestamp="at")
    request = ScanRequest(source=source, timezone="UTC", periods=(Period("current", WINDOW_START, WINDOW_END),),
                          dimensions={}, grouping_sets=((),),
                          aggregates=kinds.aggregates(metric, source, as_of_end, "m_"))
    with Store.open(ground.data()) as store:
        kinds.check_columns(metric, source, store.columns(source))
        result = store.scan(request)
    row = result[0] if result else {}
    return kinds.finalize(metric, row, "m_")
