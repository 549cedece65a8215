"""Time on every engine: a program in Europe/Berlin whose windows hold a daylight-saving change, its timestamps as
TIMESTAMP, TIMESTAMP WITH TIME ZONE and text, evaluated on DuckDB, PostgreSQL (a server whose default zone is
Tokyo) and Spark (a session and a Python process in other zones): the same results everywhere."""

from __future__ import annotations

import os
import random
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from cxgov.engine.evaluate import evaluate
from cxgov.spec.model import Duration, Metric, Source
from engine.engine_fixtures import METRICS, SOURCES, TOUCHPOINTS, kpi, make_spec, standard, threshold
from engine_stores import Copies, differences

pytestmark = [pytest.mark.engines, pytest.mark.postgres, pytest.mark.spark]
ZONE = ZoneInfo("Europe/Berlin")
ELSEWHERE = ZoneInfo("America/New_York")
TYPES = ("TIMESTAMP", "TIMESTAMPTZ", "VARCHAR")
# as-of dates whose 28-day windows hold Berlin's changes: 29 March (02:00 -> 03:00) and 25 October (03:00 -> 02:00)
AS_OFS = (date(2026, 4, 5), date(2026, 11, 1))
CHANGES = (datetime(2026, 3, 29, 1, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, tzinfo=timezone.utc))


def _instants(rng: random.Random, count: int) -> list[datetime]:
    """UTC instants: half within three hours of a change, the rest over the two months before each."""
    out = []
    for i in range(count):
        change = CHANGES[i % 2]
        if i % 4 < 2:
            out.append(change + timedelta(seconds=rng.uniform(-3 * 3600, 3 * 3600)))
        else:
            out.append(change + timedelta(days=rng.uniform(-60, 8)))
    return [t.replace(microsecond=t.microsecond - t.microsecond % 1000) for t in out]


def _text(instant: datetime, rng: random.Random) -> str | None:
    """`instant` written in one of the forms a text timestamp may take, or (rarely) as no timestamp at all."""
    local = instant.astimezone(ZONE)
    unambiguous = ZONE.utcoffset(local.replace(tzinfo=None, fold=0)) == ZONE.utcoffset(local.replace(tzinfo=None,
                                                                                                      fold=1))
    form = rng.randrange(12)
    if form == 0:
        return rng.choice(["n/a", "2026-02-30 10:00", "", "yesterday", "2026-10-25 25:00"])
    if form == 1 or (form == 2 and unambiguous):  # wall-clock time in the program's zone
        return local.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if form == 1 else local.strftime("%Y-%m-%dT%H:%M")
    if form == 3:
        return instant.strftime("%Y-%m-%d %H:%M:%SZ")
    if form == 4:
        return local.isoformat(sep=" ", timespec="milliseconds")  # with its offset, +01:00 or +02:00
    if form == 5:
        other = instant.astimezone(ELSEWHERE)
        return other.strftime("%Y-%m-%d %H:%M:%S ") + "America/New_York"
    if form == 6:
        return local.isoformat(timespec="seconds") + "[Europe/Berlin]"
    if form == 7:
        return instant.astimezone(timezone(timedelta(hours=-3, minutes=-30))).strftime("%Y-%m-%d %H:%M:%S%z")
    if form == 8 and unambiguous:  # one-digit month, day and hour
        return f"{local.year}-{local.month}-{local.day} {local.hour}:{local:%M:%S}"
    if form == 9:  # t, nine fraction digits, z
        return f"{instant:%Y-%m-%dt%H:%M:%S}.{instant.microsecond:06d}999z"
    if form == 10:  # a zone in brackets, in lower case, with no offset where the time says the instant
        other = instant.astimezone(ELSEWHERE)
        alone = ELSEWHERE.utcoffset(other.replace(tzinfo=None, fold=0)) == ELSEWHERE.utcoffset(
            other.replace(tzinfo=None, fold=1))
        return (f"{other:%Y-%m-%dT%H:%M:%S}" if alone else other.isoformat(timespec="seconds")) + "[america/new_york]"
    return local.isoformat(sep=" ", timespec="microseconds") + " europe/berlin"  # an offset and the zone's name


def _as(instant: datetime | None, type_: str, rng: random.Random) -> object:
    if instant is None:
        return None
    if type_ == "TIMESTAMP":
        return instant.astimezone(ZONE).replace(tzinfo=None)
    if type_ == "TIMESTAMPTZ":
        return instant
    return _text(instant, rng)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Surveys and tickets, the same instants in a table per timestamp type."""
    rng = random.Random(20261025)
    ids = [tp.id for tp in TOUCHPOINTS] + ["Web-Form", "unknown-desk"]
    surveys = [(t, rng.choice(ids), rng.choice(["retail", "premier", None]), rng.choice(["satisfaction",
                                                                                      "recommend"]),
                rng.choice([1, 2, 3, 4, 5, 5, 4, 9, 10, 0, 7, None]))
               for t in _instants(rng, 3000)]
    tickets = []
    for t in _instants(rng, 3000):
        resolved = None if rng.random() < 0.1 else t + timedelta(hours=rng.choice([0.5, 1, 2, 23.5, 24, 25, 70])
                                                                  * rng.uniform(0.8, 1.2))
        tickets.append((t, resolved, rng.choice(ids), rng.choice(["retail", "premier"]), rng.random() < 0.7))
    db = tmp_path_factory.mktemp("zones") / "zones.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        for type_ in TYPES:
            con.execute(f"CREATE TABLE surveys_{type_} (responded_at {type_}, touchpoint_id VARCHAR, segment VARCHAR, "
                        "question VARCHAR, score INTEGER)")
            con.executemany(f"INSERT INTO surveys_{type_} VALUES (?, ?, ?, ?, ?)",
                            [(_as(r[0], type_, rng), *r[1:]) for r in surveys])
            con.execute(f"CREATE TABLE tickets_{type_} (opened_at {type_}, resolved_at {type_}, touchpoint_id VARCHAR, "
                        "segment VARCHAR, first_contact_resolved BOOLEAN)")
            con.executemany(f"INSERT INTO tickets_{type_} VALUES (?, ?, ?, ?, ?)",
                            [(_as(r[0], type_, rng), _as(r[1], type_, rng), *r[2:]) for r in tickets])
    return db


@pytest.fixture(scope="module")
def copies(data, tmp_path_factory, pg_server, local_spark) -> Copies:
    return Copies(data, pg_server, local_spark, tmp_path_factory.mktemp("zones-spark"), pg_timezone="Asia/Tokyo")


def _spec(type_: str):
    """Every kind of rule over the tables of `type_`, in Berlin."""
    sources = tuple(replace(s, table=f"{s.id}_{type_}") for s in SOURCES)
    hours = Duration("opened_at", "resolved_at", "hours")
    metrics = METRICS + (
        Metric(id="sla", kind="sla", source="tickets", duration=hours, within=24),
        Metric(id="p90", kind="percentile", source="tickets", duration=hours, percentile=90),
    )
    rules = [standard("csat-28d", metric="csat", window="28d"), standard("csat-month", metric="csat", window="month",
                                                                           line=20),
             standard("sla-28d", metric="sla", window="28d", line=30, threshold=threshold(">=", 60, 70)),
             standard("p90-28d", metric="p90", window="28d", line=40, threshold=threshold("<=", 30, 25)),
             standard("fcr-28d", metric="fcr", window="28d", line=60, threshold=threshold(">=", 60, 70))]
    kpis = [kpi("nps-28d", window="28d"), kpi("contacts-7d", metric="contacts", window="7d", line=20)]
    return make_spec(standards=rules, kpis=kpis, timezone="Europe/Berlin", min_sample=3, sources=sources,
                     metrics=metrics)


def _results(run) -> list[dict]:
    return [{"rule": r.rule, "scope": r.scope, "status": r.status, "value": r.value, "n": r.n, "missing": r.missing,
             "invalid": r.invalid, "ci_low": r.ci_low, "ci_high": r.ci_high, "notes": r.notes, **r.extra,
             "previous": r.previous, "trend": r.trend} for r in run.results]


@pytest.fixture
def elsewhere():
    """The Python process (Spark's driver, psycopg's client) in another zone for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Auckland"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("as_of", AS_OFS, ids=str)
@pytest.mark.parametrize("type_", TYPES)
@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_a_program_across_a_daylight_saving_change_evaluates_the_same_everywhere(copies, local_spark, elsewhere,
                                                                                engine, type_, as_of):
    spec = _spec(type_)
    with copies.store("duckdb") as duck:
        expected = evaluate(spec, duck, as_of)
    local_spark.session.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")  # the engine sets UTC
    with copies.store(engine) as other:
        got = evaluate(spec, other, as_of)
    want, have = _results(expected), _results(got)
    assert [r["status"] for r in want].count("error") == 0
    assert sum(r["n"] for r in want) > 500
    assert len(want) == len(have)
    assert [(r["rule"], r["scope"]) for r in want] == [(r["rule"], r["scope"]) for r in have]
    problems = [p for a, b in zip(want, have) for p in differences(a, b, f"{a['rule']} {a['scope']}")]
    assert "\n".join(problems[:8]) == ""
    assert differences({"health": expected.health}, {"health": got.health}, "data health") == []
