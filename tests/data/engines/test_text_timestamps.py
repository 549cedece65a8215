"""Text timestamps read alike on DuckDB, PostgreSQL (a server whose default zone is Tokyo) and Spark: every text of
the corpus (tests/data/timestamp_corpus.py) and of a generated one gives each engine DuckDB's instant or NULL and
DuckDB's reason, and Python's (zoneinfo) where Python can say; every zone name of cxgov.data.zone_names is known
to each engine, in any case, with zoneinfo's offsets."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlglot import exp

from cxgov.data import sql, timestamps
from cxgov.data.scan import Query
from cxgov.data.store import Store
from cxgov.data.zone_names import ZONES
from cxgov.spec.model import Source
from data.timestamp_corpus import CORPUS, PROGRAM, UNKNOWN, micros, python_reading

pytestmark = [pytest.mark.engines, pytest.mark.postgres, pytest.mark.spark]
Reading = tuple[int | None, int | None, str | None]  # local and UTC wall-clock time in microseconds, the reason


def _micros(e: exp.Expr, dialect: str) -> exp.Expr:
    """A naive timestamp as microseconds since 1970-01-01 00:00, exact (BC and year 10000 too)."""
    if dialect == "duckdb":
        return exp.func("epoch_us", e)
    if dialect == "postgres":
        return sql.cast(exp.Mul(this=exp.Extract(this=exp.var("epoch"), expression=e),
                                expression=sql.number(1_000_000)), "BIGINT")
    return exp.func("unix_micros", exp.Cast(this=e, to=exp.DataType.build("TIMESTAMP_LTZ", dialect="spark")))


class Engines:
    """Reads texts on each engine through cxgov's own engines, the texts in a table of their own each time."""

    def __init__(self, folder: Path, pg_server, local_spark) -> None:
        self.folder, self.pg_server, self.spark = folder, pg_server, local_spark.session
        self.pg_url = pg_server.create_database(timezone="Asia/Tokyo")
        self.count = itertools.count()

    def read(self, dialect: str, texts: list[str | None], program: str = PROGRAM) -> list[Reading]:
        table = f"texts_{next(self.count)}"
        rows = list(enumerate(texts))
        if dialect == "duckdb":
            db = self.folder / f"{table}.duckdb"
            with duckdb.connect(str(db)) as con:
                con.execute(f"CREATE TABLE {table} (i INTEGER, v VARCHAR)")
                con.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
            target: str | Path = db
        elif dialect == "postgres":
            with self.pg_server.connect(self.pg_url.rsplit("/", 1)[1]) as conn:
                conn.execute(f"CREATE TABLE {table} (i INTEGER, v TEXT)")
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} VALUES (%s, %s)", rows)
            target = self.pg_url
        else:
            self.spark.conf.set("spark.sql.session.timeZone", "UTC")
            self.spark.createDataFrame(rows, "i int, v string").createOrReplaceTempView(table)
            target = "spark:local[2]"
        source = Source(id="texts", table=table, timestamp="v")
        v, zone = sql.col("v"), sql.value(program)
        with Store.open(target) as store:
            tree = exp.select(sql.col("i"), _micros(timestamps.read(v, zone), dialect),
                              _micros(timestamps.read(v, zone, utc=True), dialect), timestamps.problem(v)).from_(
                store.engine.relation(source))
            rendered = sql.render(tree, dialect)
            got = store.engine.run(source, Query(rendered.sql, rendered.params, (), (), tree, dialect))
        if dialect == "spark":
            self.spark.catalog.dropTempView(table)
        return [tuple(row[1:]) for row in sorted(got, key=lambda row: row[0])]  # type: ignore[misc]


@pytest.fixture(scope="module")
def engines(tmp_path_factory, pg_server, local_spark) -> Iterator[Engines]:
    yield Engines(tmp_path_factory.mktemp("text-timestamps"), pg_server, local_spark)


def _differences(texts: list[str | None], engines: Engines, program: str = PROGRAM) -> list[str]:
    """Where an engine reads a text otherwise than DuckDB, or DuckDB otherwise than Python."""
    duck = engines.read("duckdb", texts, program)
    out = []
    for dialect in ("postgres", "spark"):
        other = engines.read(dialect, texts, program)
        out += [f"{dialect}: {t!r}: {b} != DuckDB's {a}" for t, a, b in zip(texts, duck, other) if a != b]
    for text, (local, utc, problem) in zip(texts, duck):
        expected = python_reading(text, program)
        if expected is UNKNOWN:
            continue
        assert isinstance(expected, tuple)
        want = tuple(micros(t) for t in expected)
        if (local, utc) != want or (problem is None) != (local is not None):
            out.append(f"python: {text!r}: DuckDB's {(local, utc, problem)} != {want}")
    return out


def test_every_text_of_the_corpus_reads_alike_everywhere(engines):
    assert _differences(CORPUS, engines) == []
    read = engines.read("duckdb", CORPUS)
    assert sum(r[1] is not None for r in read) > 60 and sum(r[1] is None for r in read) > 50
    reasons = {r[2] for r in read}
    assert {"", ": unknown time zone 'Mars/Base'", ": the offset +24:00 is not between -23:59 and +23:59",
            ": the offset +02:00 is not the offset of America/New_York at that time"} <= reasons


def test_every_zone_name_is_known_everywhere_in_any_case_with_zoneinfos_offsets(engines):
    instants = (datetime(2025, 1, 15, 12), datetime(2025, 7, 15, 12))
    texts, expected = [], []
    for name, instant, spelled in itertools.product(ZONES, instants, (str.lower, str.upper)):
        local = instant.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(name)).replace(tzinfo=None)
        texts.append(f"{local:%Y-%m-%dT%H:%M:%S}[{spelled(name)}]")
        expected.append(micros(instant))
    for dialect in ("duckdb", "postgres", "spark"):
        got = [utc for _, utc, _ in engines.read(dialect, texts)]
        wrong = [f"{text}: {g} != {e}" for text, g, e in zip(texts, got, expected) if g != e]
        assert wrong[:10] == [], dialect


# generated texts: a date, perhaps a time, an offset, a zone, tags, each part now and then broken
_ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC", "Pacific/Chatham",
          "Europe/London", "Mars/Base", "CET")
_dates = st.tuples(st.integers(1990, 2026), st.integers(0, 13), st.integers(0, 32), st.booleans())
_times = st.tuples(st.integers(0, 25), st.integers(0, 61), st.none() | st.integers(0, 61),
                   st.none() | st.text("0123456789", min_size=1, max_size=9), st.booleans())
_offsets = st.none() | st.sampled_from(["Z", "z"]) | st.tuples(
    st.sampled_from("+-"), st.integers(0, 25), st.none() | st.integers(0, 61), st.sampled_from(["", ":"]))


@st.composite
def _texts(draw) -> str:
    (year, month, day, one_digit), time = draw(_dates), draw(st.none() | _times)
    pad = "" if one_digit else "02"
    text = f"{year:04d}-{month:{pad}d}-{day:{pad}d}"
    if time is not None:
        hour, minute, second, fraction, t = time
        text += draw(st.sampled_from(["T", "t", " ", "   ", "\t"]) if t else st.just(" "))
        text += f"{hour:{pad}d}:{minute:02d}" + (f":{second:02d}" if second is not None else "")
        if second is not None and fraction is not None:
            text += "." + fraction
        offset = draw(_offsets)
        if isinstance(offset, tuple):
            sign, hours, minutes, colon = offset
            offset = f"{sign}{hours:02d}" + (f"{colon}{minutes:02d}" if minutes is not None else "")
        text += (draw(st.sampled_from(["", " "])) + offset) if offset else ""
    zone = draw(st.none() | st.sampled_from(_ZONES).map(lambda z: z.lower() if len(z) % 2 else z))
    if zone is not None:
        text += draw(st.sampled_from([f" {zone}", f"[{zone}]", f"[!{zone}]", f" [{zone}]"]))
    return text + draw(st.sampled_from(["", "", "[u-ca=gregory]", " "]))


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_texts(), min_size=150, max_size=150), st.sampled_from(["Europe/Berlin", "America/New_York"]))
def test_generated_texts_read_alike_everywhere(engines, texts, program):
    assert _differences(texts, engines, program) == []
