"""The floor as a program of its own: start Python, import the driver, open the metrics, run the hand-written
queries, fetch their rows. `bench_scale.py` and `bench_engines.py` time it as a whole process, as they time `cxgov
check`, so both start from the same standing point (a new interpreter, a new connection, memory not yet taken
from the system).

    python bench/floor_process.py JOB.json

JOB.json: {"db": path, "dims": [[touchpoint, journey, stage, channel], ...], "queries": [[label, sql], ...],
"together": false} for DuckDB, or {"url": "postgresql://...", "queries": [...]} for PostgreSQL (psycopg; the
database has its `dims` table). With "together", the queries run at once, one thread (and connection) each.
Prints the rows each query gave.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import duckdb


def connect(db: str, dims: list) -> duckdb.DuckDBPyConnection:
    """A new connection with the metrics file attached read-only and the touchpoint dimensions as table `dims`."""
    con = duckdb.connect(":memory:")
    con.execute("ATTACH ? AS metrics (READ_ONLY)", [db])
    columns = [list(c) for c in zip(*dims)]
    con.execute("CREATE TABLE dims AS SELECT unnest(?) AS tp, unnest(?) AS journey, unnest(?) AS stage, "
                "unnest(?) AS channel", columns)
    return con


def postgres(job: dict) -> list[str]:
    import psycopg

    def run(query: list[str]) -> str:
        label, sql = query
        with psycopg.connect(job["url"], autocommit=True) as conn:
            return f"{label}: {len(conn.execute(sql).fetchall())} rows"

    if job.get("together"):
        with ThreadPoolExecutor(max_workers=len(job["queries"])) as pool:
            return list(pool.map(run, job["queries"]))
    with psycopg.connect(job["url"], autocommit=True) as conn:
        return [f"{label}: {len(conn.execute(sql).fetchall())} rows" for label, sql in job["queries"]]


def main(path: str) -> int:
    job = json.loads(open(path).read())
    if "url" in job:
        print("\n".join(postgres(job)))
        return 0
    con = connect(job["db"], job["dims"])

    def run(query: list[str], cursor: duckdb.DuckDBPyConnection) -> str:
        label, sql = query
        return f"{label}: {len(cursor.execute(sql).fetchall())} rows"

    if job.get("together"):
        with ThreadPoolExecutor(max_workers=len(job["queries"])) as pool:
            lines = list(pool.map(lambda q: run(q, con.cursor()), job["queries"]))
    else:
        lines = [run(q, con) for q in job["queries"]]
    con.close()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
