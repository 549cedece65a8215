"""The same DuckDB data on every engine: a Store per engine over copies of one DuckDB file."""

from __future__ import annotations

import dataclasses
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from cxgov.data.scan import CHECKSUM
from cxgov.data.store import Store
from support.engine_data import copy_to_postgres, copy_to_spark

ENGINES = ("duckdb", "postgres", "spark")
REL = 1e-9


class Copies:
    """Where one DuckDB file's tables are on each engine."""

    def __init__(self, db: Path, pg_server, local_spark, folder: Path, pg_timezone: str | None = None):
        self.db = db
        self.pg_url = pg_server.create_database(timezone=pg_timezone)
        with pg_server.connect(self.pg_url.rsplit("/", 1)[1]) as conn:
            copy_to_postgres(db, conn)
        copy_to_spark(db, local_spark.session, folder)
        self.connect_url = local_spark.connect_url

    def data(self, engine: str) -> str | Path:
        return {"duckdb": self.db, "postgres": self.pg_url, "spark": "spark:local[2]",
                "connect": self.connect_url or ""}[engine]

    @contextmanager
    def store(self, engine: str) -> Iterator[Store]:
        with Store.open(self.data(engine)) as store:
            yield store


def same(a: object, b: object) -> bool:
    """Equal, numbers to REL relative (and NaN equal to NaN), dataclasses field by field."""
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b) and type(a) is type(b):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)
    return a == b


def differences(expected: dict, got: dict, what: str) -> list[str]:
    """What differs between two records (dicts), each difference named. The data digest's checksum is each
    engine's own hash: only its presence is compared."""
    out = []
    for key in sorted(set(expected) | set(got), key=str):
        if key == CHECKSUM:
            if (expected.get(key) is None) != (got.get(key) is None):
                out.append(f"{what}: {key}: {expected.get(key)!r} != {got.get(key)!r}")
            continue
        if not same(expected.get(key), got.get(key)):
            out.append(f"{what}: {key}: {expected.get(key)!r} != {got.get(key)!r}")
    return out


def json_differences(expected: object, got: object, at: str = "") -> list[str]:
    """Where two JSON documents differ (numbers to REL relative: engines add in their own order)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        if set(expected) != set(got):
            return [f"{at}: keys {sorted(set(expected) ^ set(got))}"]
        return [d for key in expected for d in json_differences(expected[key], got[key], f"{at}.{key}")]
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{at}: {len(expected)} items != {len(got)}"]
        return [d for i, (a, b) in enumerate(zip(expected, got)) for d in json_differences(a, b, f"{at}[{i}]")]
    return [] if same(expected, got) else [f"{at}: {expected!r} != {got!r}"]
