"""The engine tests' ground: a real PostgreSQL server, a local Spark session and Spark Connect server, and DuckDB
tables copied into them with every value, wall-clock time and instant unchanged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest

from support.engine_data import copy_to_postgres, copy_to_spark, duckdb_tables

pytestmark = pytest.mark.engines

COLUMNS = {"id": "BIGINT", "n": "INTEGER", "wall": "TIMESTAMP", "instant": "TIMESTAMPTZ", "channel": "VARCHAR",
           "score": "DOUBLE", "ok": "BOOLEAN", "day": "DATE", "amount": "DECIMAL(12,3)"}
# Instants across both of Europe/Berlin's 2024 changes: the wall-clock times 02:00-03:00 do not exist on 31 March and
# happen twice on 27 October (+02 then +01); the TIMESTAMP column holds such wall-clock times as they are.
INSTANTS = [f"2024-03-31 0{h}:{m:02}:00+0{1 if h < 3 else 2}" for h in (1, 3) for m in (0, 30, 59)] + \
           [f"2024-10-27 02:{m:02}:00.{m:06}+0{o}" for o in (2, 1) for m in (0, 30, 59)] + \
           ["1970-01-01 00:00:00+00", "2038-01-19 03:14:08.999999+00"]
WALL = ["2024-03-31 02:30:00", "2024-10-27 02:30:00", "2024-10-27 02:30:00.000001", "1999-12-31 23:59:59.999999"]
SCORES = [0.1, 0.1 + 0.2, 1 / 3, -2.5e300, 5e-324, 1.7976931348623157e308, float("inf"), float("-inf"), -0.0, 0.0, 42.0]
TEXTS = ["", "a,b", 'quote " inside', "line\nbreak", "tab\there", "ünïcødé ✓", "\\N", "NULL", " spaced "]


def _rows() -> list[tuple]:
    rows = []
    for i in range(len(INSTANTS) + len(SCORES)):
        null = i % 7 == 6  # every column has NULLs, in different rows
        rows.append((i, None if i % 5 == 4 else i * 1000 - 7, None if null else WALL[i % len(WALL)],
                     None if i % 6 == 5 else INSTANTS[i % len(INSTANTS)], None if i % 4 == 3 else TEXTS[i % len(TEXTS)],
                     None if i == 2 else SCORES[i % len(SCORES)], None if i % 3 == 2 else i % 2 == 0,
                     None if null else dt.date(2024, 1, 1) + dt.timedelta(days=37 * i),
                     None if i == 0 else Decimal(i * 1234567) / 1000 - 500))
    return rows


@pytest.fixture(scope="module")
def duck(tmp_path_factory) -> Path:
    """A DuckDB file: `responses` (each type, NULLs, DST edges), `crm.tickets` in a schema, `bulk` (200k rows)."""
    path = tmp_path_factory.mktemp("engines") / "source.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'Europe/Berlin'")
        con.execute(f"CREATE TABLE responses ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        con.executemany(f"INSERT INTO responses VALUES ({', '.join('?' for _ in COLUMNS)})", _rows())
        con.execute("CREATE SCHEMA crm")
        con.execute("CREATE TABLE crm.tickets AS SELECT range AS id, 'T-' || range AS \"Ticket Ref\", "
                    "TIMESTAMP '2024-10-26 23:00:00' + range * INTERVAL 17 MINUTE AS opened FROM range(50)")
        con.execute("CREATE TABLE bulk AS SELECT range AS id, range % 97 AS k, (range * 0.37)::DECIMAL(18,2) AS x, "
                    "range / 7 AS y, "
                    "TIMESTAMPTZ '2024-01-01 00:00:00+00' + range * INTERVAL 61 SECOND AS instant, "
                    "TIMESTAMP '2024-01-01 00:00:00' + range * INTERVAL 59 SECOND AS wall, "
                    "'channel-' || (range % 5) AS channel FROM range(200000)")
    return path


def _instants(rows) -> list[tuple]:
    """Rows with every aware datetime as microseconds since the epoch: instants compared exactly, zone aside."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return [tuple((v - epoch) // dt.timedelta(microseconds=1) if isinstance(v, dt.datetime) and v.tzinfo else v
                  for v in row) for row in rows]


def _duck_rows(path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return _instants(con.execute(query).fetchall())


def test_duckdb_tables_lists_every_table_with_its_types(duck):
    tables = {(t.schema, t.name): t for t in duckdb_tables(duck)}
    assert set(tables) == {("crm", "tickets"), ("main", "bulk"), ("main", "responses")}
    assert dict(tables["main", "responses"].columns)["instant"] == "TIMESTAMP WITH TIME ZONE"
    assert tables["main", "bulk"].rows == 200_000


# ---------------------------------------------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="module")
def pg_copy(pg_server, duck) -> str:
    """The DuckDB file copied into a fresh database, loaded through a session in another zone; returns its URL."""
    url = pg_server.create_database()
    with psycopg.connect(url, options="-c TimeZone=Asia/Kolkata") as conn:
        copy_to_postgres(duck, conn)
    return url


@pytest.mark.postgres
def test_pg_server_answers(pg_server):
    with pg_server.connect() as conn:
        assert conn.execute("SELECT version()").fetchone()[0].startswith("PostgreSQL ")
    assert pg_server.url == f"postgresql://cxgov@127.0.0.1:{pg_server.port}/cxgov"


@pytest.mark.postgres
def test_pg_password_role_fails_with_a_wrong_password(pg_server):
    from support.pgserver import PASSWORD_ROLE

    url = pg_server.url_for("cxgov", PASSWORD_ROLE)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url, password="wrong").close()
    with psycopg.connect(url, password=pg_server.password) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (PASSWORD_ROLE,)


@pytest.mark.postgres
def test_pg_copy_keeps_types(pg_copy):
    with psycopg.connect(pg_copy) as conn:
        types = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_schema = 'public' AND table_name = 'responses'").fetchall())
        opened = conn.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'crm' "
                              "AND table_name = 'tickets' AND column_name = 'opened'").fetchone()
    assert types == {"id": "bigint", "n": "integer", "wall": "timestamp without time zone",
                     "instant": "timestamp with time zone", "channel": "text", "score": "double precision",
                     "ok": "boolean", "day": "date", "amount": "numeric"}
    assert opened == ("timestamp without time zone",)


@pytest.mark.postgres
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_pg_copy_reads_back_row_for_row(duck, pg_copy, zone):
    expected = _duck_rows(duck, "SELECT * FROM responses ORDER BY id")
    with psycopg.connect(pg_copy, options=f"-c TimeZone={zone}") as conn:
        assert _instants(conn.execute("SELECT * FROM responses ORDER BY id").fetchall()) == expected
        assert conn.execute('SELECT count(*), max("Ticket Ref") FROM crm.tickets').fetchone() == (50, "T-9")


@pytest.mark.postgres
def test_pg_copy_of_many_rows_agrees(duck, pg_copy):
    query = ("SELECT count(*), sum(k), sum(x), max(y), min(instant), max(instant), max(wall), count(DISTINCT channel) "
             "FROM bulk")
    with psycopg.connect(pg_copy) as conn:
        assert _instants([conn.execute(query).fetchone()]) == _duck_rows(duck, query)


# --------------------------------------------------------------------------------------------------------- Spark

def _spark_select(columns: dict[str, str]) -> str:
    """Columns to select from Spark: instants as epoch microseconds (collect() would give naive local times)."""
    return ", ".join(f"unix_micros(`{c}`) AS `{c}`" if t == "TIMESTAMPTZ" else f"`{c}`" for c, t in columns.items())


@pytest.fixture(scope="module")
def spark_copy(local_spark, duck, tmp_path_factory):
    copy_to_spark(duck, local_spark.session, tmp_path_factory.mktemp("spark-tables"))
    return local_spark


@pytest.mark.spark
def test_spark_session_settings(spark_session):
    row = spark_session.sql("SELECT current_timezone() AS zone, typeof(TIMESTAMP '2024-01-01 00:00:00') AS ts, "
                            "CAST('x' AS INT) AS lenient").first()
    assert (row.zone, row.ts, row.lenient) == ("UTC", "timestamp_ntz", None)


@pytest.mark.spark
def test_a_session_cxgov_did_not_start_gets_its_settings_back(spark_session):
    from cxgov.data.engines.spark import SparkEngine
    from cxgov.data.engines.url import parse

    conf = spark_session.conf
    before = {k: conf.get(k, None) for k in ("spark.sql.session.timeZone", "spark.sql.ansi.enabled")}
    conf.set("spark.sql.session.timeZone", "America/New_York")
    conf.set("spark.sql.ansi.enabled", "true")
    try:
        engine = SparkEngine.open(parse("spark:local[2]"))
        assert engine.session is spark_session  # the active session, used as it is
        assert conf.get("spark.sql.session.timeZone") == "UTC" and conf.get("spark.sql.ansi.enabled") == "false"
        engine.close()
        assert conf.get("spark.sql.session.timeZone") == "America/New_York"
        assert conf.get("spark.sql.ansi.enabled") == "true"
        assert spark_session.sql("SELECT 1 AS one").first().one == 1  # and still running
    finally:
        for key, val in before.items():
            conf.set(key, val) if val is not None else conf.unset(key)


@pytest.mark.spark
def test_spark_copy_keeps_types(spark_copy):
    fields = {f.name: f.dataType.simpleString() for f in spark_copy.session.table("default.responses").schema}
    assert fields == {"id": "bigint", "n": "int", "wall": "timestamp_ntz", "instant": "timestamp", "channel": "string",
                      "score": "double", "ok": "boolean", "day": "date", "amount": "decimal(12,3)"}
    assert spark_copy.session.table("crm.tickets").schema["opened"].dataType.simpleString() == "timestamp_ntz"


@pytest.mark.spark
def test_spark_copy_reads_back_row_for_row(duck, spark_copy):
    rows = spark_copy.session.sql(f"SELECT {_spark_select(COLUMNS)} FROM default.responses ORDER BY id").collect()
    assert [tuple(r) for r in rows] == _duck_rows(duck, "SELECT * FROM responses ORDER BY id")
    tickets = spark_copy.session.sql("SELECT count(*), max(`Ticket Ref`) FROM crm.tickets").first()
    assert tuple(tickets) == (50, "T-9")


@pytest.mark.spark
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/St_Johns"])
def test_spark_copy_keeps_wall_clock_times_in_any_session_zone(duck, spark_copy, zone):
    session = spark_copy.session.newSession()
    session.conf.set("spark.sql.session.timeZone", zone)
    # CAST, not date_format: date_format reads a TIMESTAMP_NTZ in the session zone (02:30 on 31 March becomes 03:30)
    rows = session.sql("SELECT CAST(wall AS STRING), unix_micros(instant) FROM default.responses ORDER BY id").collect()
    expected = _duck_rows(duck, "SELECT CAST(wall AS VARCHAR), instant FROM responses ORDER BY id")
    assert [tuple(r) for r in rows] == expected


@pytest.mark.spark
def test_spark_copy_of_many_rows_agrees(duck, spark_copy):
    spark = spark_copy.session.sql("SELECT count(*), sum(k), sum(x), max(y), unix_micros(min(instant)), "
                                   "unix_micros(max(instant)), max(wall), count(DISTINCT channel) "
                                   "FROM default.bulk").first()
    expected = _duck_rows(duck, "SELECT count(*), sum(k), sum(x), max(y), min(instant), max(instant), max(wall), "
                                "count(DISTINCT channel) FROM bulk")
    assert [tuple(spark)] == expected


@pytest.mark.spark
def test_spark_connect_reads_the_copied_tables(duck, spark_copy, spark_connect_url):
    assert spark_connect_url.startswith("sc://127.0.0.1:")
    remote = spark_copy.connect()
    try:
        assert type(remote).__module__ == "pyspark.sql.connect.session"
        rows = remote.sql(f"SELECT {_spark_select(COLUMNS)} FROM default.responses ORDER BY id").collect()
        assert [tuple(r) for r in rows] == _duck_rows(duck, "SELECT * FROM responses ORDER BY id")
        assert remote.sql("SELECT current_timezone()").first()[0] == "UTC"
    finally:
        remote.stop()
