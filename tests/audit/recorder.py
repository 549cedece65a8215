"""Records one run into a history from a separate process:
`python recorder.py HISTORY DAY RESULTS [TIMEOUT [PAUSE_FLAG]]`.

Used by the concurrency and crash tests (several recorders at once; a recorder killed mid-transaction). With
PAUSE_FLAG, the recorder writes that file once its run and results are inserted but not committed, and waits there
to be killed: it wraps the DuckDB connection the history opens, so cxgov ships no hook for it.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timezone

import duckdb

from cxgov.audit import history
from cxgov.engine.results import Result, Run, Span, ThresholdInfo
from cxgov.errors import CxgovError, Location


def build(day: int, count: int) -> Run:
    as_of = date(2026, 11, day)
    results = tuple(
        Result(rule=f"rule-{i % 7}", kind="standard", scope=(("touchpoint", f"tp-{i}"),), metric="csat",
               metric_kind="csat", status=("pass", "warn", "breach")[i % 3], window=Span(date(2026, 10, 24), as_of),
               threshold=ThresholdInfo(">=", 80.0, 85.0), severity="medium", location=Location("specs/s.yaml", 3),
               touchpoint=f"tp-{i}", value=70.0 + i % 20, n=100 + i)
        for i in range(count))
    return Run(as_of=as_of, spec_path="specs", spec_digest=f"sha256:{day}", data_digest="sha256:data",
               results=results, git_commit=f"commit-{day}", cxgov_version="0.1.0", program="northwind-bank")


class _PausingAtCommit:
    """A DuckDB connection that, once a run's results are inserted, writes `flag` at its commit and waits there to
    be killed: the real insert runs, up to the real commit."""

    def __init__(self, con: duckdb.DuckDBPyConnection, flag: str):
        self._con, self._flag, self._inserted = con, flag, False

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def execute(self, statement: str, *args: object) -> duckdb.DuckDBPyConnection:
        self._inserted = self._inserted or statement.startswith("INSERT INTO results")
        return self._con.execute(statement, *args)

    def commit(self) -> object:
        if self._inserted:
            with open(self._flag, "w", encoding="utf-8") as handle:
                handle.write(str(os.getpid()))
            while True:
                time.sleep(60)
        return self._con.commit()


def pause_before_commit(flag: str) -> None:
    """Make every history this process opens stop inside its transaction, once its run is inserted."""
    connect = duckdb.connect

    def pausing(*args: object, **kwargs: object) -> object:
        return _PausingAtCommit(connect(*args, **kwargs), flag)

    duckdb.connect = pausing


def main(argv: list[str]) -> int:
    path, day, count = argv[0], int(argv[1]), int(argv[2])
    timeout = float(argv[3]) if len(argv) > 3 else 60.0
    if len(argv) > 4:
        pause_before_commit(argv[4])
    try:
        run_id = history.record(build(day, count), path, timeout=timeout,
                                clock=lambda: datetime(2026, 11, day, 6, tzinfo=timezone.utc))
    except CxgovError as exc:
        print(exc, file=sys.stderr)
        return int(exc.exit_code)
    print(run_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
