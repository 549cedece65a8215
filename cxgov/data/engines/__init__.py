"""The engines: one module per database, the only modules that import a database driver.

`connect(data)` opens the engine `--data` names (see `url`), read-only. DuckDB is always there; PostgreSQL and
Spark need their extras (`pip install 'cxgov[postgres]'`, `'cxgov[spark]'`), and a clear error says so.
"""

from __future__ import annotations

from pathlib import Path

from cxgov.data.engines.base import Engine
from cxgov.data.engines.url import Target, parse

__all__ = ["Engine", "Target", "connect", "parse"]


def connect(data: str | Path | None) -> Engine:
    """A read-only engine over `data` (a DuckDB file, None for DuckDB in memory, or a URL)."""
    target = parse(data)
    if target.engine == "postgres":
        from cxgov.data.engines.postgres import PostgresEngine

        return PostgresEngine.open(target)
    if target.engine == "spark":
        from cxgov.data.engines.spark import SparkEngine

        return SparkEngine.open(target)
    from cxgov.data.engines.duckdb import DuckDBEngine

    return DuckDBEngine.open(target.path)
