"""What `--data` (or CXGOV_DATA) names: which engine, and where.

| DATA | engine |
|---|---|
| a DuckDB file path, or `duckdb:PATH` | DuckDB (the default) |
| `postgresql://[USER@]HOST[:PORT]/DBNAME[?PARAMS]` (or `postgres://`) | PostgreSQL |
| `spark:local[N]`, `spark:local[*]` | Spark in this process, local mode |
| `spark://HOST:PORT` | a Spark standalone master |
| `sc://HOST:PORT[/;PARAMS]` | Spark Connect |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cxgov.errors import UsageError

ENGINES = ("duckdb", "postgres", "spark")
_LOCAL = re.compile(r"^local(\[(\d+|\*)\])?$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass(frozen=True)
class Target:
    """Where metric data lives: the engine, and what it connects to (a path, a URL or a Spark master)."""

    engine: str  # one of ENGINES
    where: str  # DuckDB: the file ("" for in memory); PostgreSQL: the URL; Spark: the master or sc:// URL

    @property
    def shown(self) -> str:
        """`where` as messages show it: a URL without its password."""
        return without_password(self.where)

    @property
    def path(self) -> Path | None:
        return Path(self.where) if self.engine == "duckdb" and self.where else None


def without_password(url: str) -> str:
    """`url` with any password in it replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return re.sub(r"(?i)(password=)[^&;\s]*", r"\1***", url)
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{parts.username}:***@{host}" if parts.username else f":***@{host}"
    return re.sub(r"(?i)(password=)[^&;\s]*", r"\1***", urlunsplit(parts._replace(netloc=netloc)))


def parse(data: str | Path | None) -> Target:
    """The target `data` names; UsageError (saying what forms there are) for a scheme cxgov does not know."""
    if data is None or (isinstance(data, str) and not data.strip()):
        return Target("duckdb", "")
    if isinstance(data, Path):
        return Target("duckdb", str(data))
    text = data.strip()
    lowered = text.lower()
    if lowered.startswith(("postgresql://", "postgres://")):
        return Target("postgres", text)
    if lowered.startswith("duckdb:"):
        return Target("duckdb", text[len("duckdb:"):])
    if lowered.startswith(("spark://", "sc://")):
        return Target("spark", text)
    if lowered.startswith("spark:"):
        master = text[len("spark:"):]
        if not _LOCAL.match(master):
            raise UsageError(f"--data {text!r}: Spark's local mode is written spark:local[N] or spark:local[*]",
                             hint="e.g. --data 'spark:local[4]'; a cluster is spark://HOST:PORT, Spark Connect "
                                  "sc://HOST:PORT")
        return Target("spark", master)
    scheme = _SCHEME.match(text)
    if scheme and len(scheme.group(1)) > 1:  # one letter is a Windows drive
        raise UsageError(f"--data {without_password(text)!r}: cxgov does not know the scheme {scheme.group(1)}:",
                         hint="give a DuckDB file, postgresql://HOST/DB, spark:local[N], spark://HOST:PORT or "
                              "sc://HOST:PORT")
    return Target("duckdb", text)
