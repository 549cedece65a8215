"""Helpers: compute a metric through the real Store over rows written to a real DuckDB file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Sequence

from cxgov.data.store import Period, ScanRequest, Store
from cxgov.metrics import kinds
from cxgov.spec.model import Metric, Source
from support.duckdb_rows import write_table

WINDOW_START = datetime(2026, 1, 1)
WINDOW_END = datetime(2026, 2, 1)
AS_OF_END = WINDOW_END


def measure_rows(db: Path, metric: Metric, columns: dict[str, str], rows: Sequence[Sequence],
                 as_of_end: datetime = AS_OF_END) -> kinds.Measurement:
    """Write rows (with an `at` timestamp column inside the window added in front) and measure the metric."""
    cols = {"at": "TIMESTAMP", **columns}
    stamped = [(WINDOW_START + timedelta(minutes=i),) + tuple(r) for i, r in enumerate(rows)]
    write_table(db, "facts", cols, stamped)
    source = Source(id="facts", table="facts", timestamp="at")
    request = ScanRequest(source=source, timezone="UTC", periods=(Period("current", WINDOW_START, WINDOW_END),),
                          dimensions={}, grouping_sets=((),),
                          aggregates=kinds.aggregates(metric, source, as_of_end, "m_"))
    with Store.open(db) as store:
        kinds.check_columns(metric, source, store.columns(source))
        result = store.scan(request)
    row = result[0] if result else {}
    return kinds.finalize(metric, row, "m_")
