"""Text timestamps on DuckDB against Python's zoneinfo: offsets, zone names, RFC 9557, daylight-saving edges, and
the reasons a text is no timestamp (tests/data/engines/test_text_timestamps.py: the same on every engine)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from sqlglot import exp

from cxgov.data import sql, timestamps
from cxgov.data.scan import local_time, utc_time
from data.timestamp_corpus import CORPUS, UNKNOWN, python_reading

PROGRAM = "Europe/London"
# zones whose rules DuckDB's ICU data and Python's tzdata agree on (Morocco's predicted Ramadan changes, for one,
# differ between versions of the data)
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC",
         "America/Sao_Paulo", "Europe/London")


def read(texts: list[str | None], tz: str = PROGRAM) -> list[tuple]:
    """(local, utc, problem) of each text, as the load and the scan read it."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    v, zone = exp.column("v"), sql.value(tz)
    query = sql.render(exp.select(local_time(v, "VARCHAR", zone), utc_time(v, "VARCHAR", zone),
                                  timestamps.problem(v)).from_("t").order_by("i"), "duckdb")
    rows = con.execute(query.sql, query.params).fetchall()
    con.close()
    return rows


def wall(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def zoned(local: datetime, tz: str) -> datetime:
    """The instant of local time `local` in `tz` by cxgov's rule: in a gap the offset before the change (fold=0),
    in an overlap the offset after it (fold=1)."""
    zone = ZoneInfo(tz)
    early, late = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    # by way of UTC: astimezone to the zone an aware time already has returns it as it is
    ambiguous = early.utcoffset() != late.utcoffset() and wall(early.astimezone(timezone.utc), tz) == local
    return (late if ambiguous else early).astimezone(
        timezone.utc)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, instant", [
    ("2026-03-29T02:30:00Z", utc(2026, 3, 29, 2, 30)),
    ("2026-03-29T02:30:00z", utc(2026, 3, 29, 2, 30)),
    ("2026-03-29T02:30:00+02:00", utc(2026, 3, 29, 0, 30)),
    ("2026-03-29 02:30:00 +0200", utc(2026, 3, 29, 0, 30)),
    ("2026-03-29T02:30-05", utc(2026, 3, 29, 7, 30)),
    ("2026-03-29T02:30:00.250+05:30", utc(2026, 3, 28, 21, 0, 0, 250000)),
    ("2026-01-15 09:00 Europe/Berlin", utc(2026, 1, 15, 8, 0)),
    ("2026-01-15 09:00 europe/berlin", utc(2026, 1, 15, 8, 0)),
    ("2026-07-15T09:00:00[America/New_York]", utc(2026, 7, 15, 13, 0)),
    ("2026-07-15T09:00:00-04:00[America/New_York]", utc(2026, 7, 15, 13, 0)),
    ("2026-07-15T09:00:00-04:00[!America/New_York][u-ca=gregory]", utc(2026, 7, 15, 13, 0)),
    ("2026-07-15T13:00:00Z[America/New_York]", utc(2026, 7, 15, 13, 0)),  # Z goes with any zone
    ("2026-03-29 02:30 Europe/Berlin", utc(2026, 3, 29, 1, 30)),  # skipped: the offset before (+01:00)
    ("2026-10-25 02:30 Europe/Berlin", utc(2026, 10, 25, 1, 30)),  # twice: the offset after (+01:00)
    ("2026-11-01 01:30 America/New_York", utc(2026, 11, 1, 6, 30)),  # twice: EST, the later
    ("2026-07-15 Asia/Kolkata", utc(2026, 7, 14, 18, 30)),
])
def test_offsets_and_zones_are_exact_instants(text, instant):
    [(local, as_utc, problem)] = read([text])
    assert problem is None
    assert as_utc == instant.replace(tzinfo=None)
    assert local == wall(instant, PROGRAM)


@pytest.mark.parametrize("text, local", [
    ("2026-03-29 02:30", datetime(2026, 3, 29, 2, 30)),
    ("2026-03-29T02:30:15.5", datetime(2026, 3, 29, 2, 30, 15, 500000)),
    ("2026-03-29", datetime(2026, 3, 29)),
    ("  2026-1-5 7:05  ", datetime(2026, 1, 5, 7, 5)),
])
def test_naive_text_is_local_time_in_the_program_zone(text, local):
    [(read_local, as_utc, problem)] = read([text])
    assert problem is None and read_local == local
    assert as_utc == zoned(local, PROGRAM).replace(tzinfo=None)


@pytest.mark.parametrize("text, problem", [
    ("yesterday", ""),
    ("2026-02-30 10:00", ""),
    ("2026-03-29 02:30 in Berlin", ""),
    ("2026-03-29 02:30 +02:00 CEST", ": unknown time zone 'CEST'"),
    ("2026-03-29", None),
    ("2026-03-29T02:30:00+25:00", ": the offset +25:00 is not between -23:59 and +23:59"),
    ("2026-03-29T02:30:00+02:60", ": the offset +02:60 is not between -23:59 and +23:59"),
    ("2026-03-29 02:30 Mars/Base", ": unknown time zone 'Mars/Base'"),
    ("2026-03-29T02:30:00[Mars/Base]", ": unknown time zone 'Mars/Base'"),
    ("2026-07-15T09:00:00+02:00[America/New_York]",
     ": the offset +02:00 is not the offset of America/New_York at that time"),
])
def test_what_is_no_timestamp_and_why(text, problem):
    [(local, as_utc, found)] = read([text])
    assert found == problem
    if problem is not None:
        assert local is None and as_utc is None


def test_empty_and_null_text_are_no_timestamp():
    assert [row[:2] for row in read(["", None, "   "])] == [(None, None)] * 3


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=0)), st.sampled_from(ZONES), st.sampled_from(("space", "rfc9557", "offset")))
def test_any_local_time_in_any_zone_matches_zoneinfo(local, zone, form):
    instant = zoned(local, zone)
    if form == "space":
        text = f"{local:%Y-%m-%d %H:%M:%S} {zone}"
    else:
        offset = instant.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        shown = wall(instant, zone)
        text = f"{shown:%Y-%m-%dT%H:%M:%S}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        if form == "rfc9557":
            text += f"[{zone}]"
    [(read_local, as_utc, problem)] = read([text])
    assert problem is None, text
    assert as_utc == instant.replace(tzinfo=None), text
    assert read_local == wall(instant, PROGRAM), text


def test_the_corpus_reads_as_python_reads_it():
    """Every documented form and its edges (tests/data/timestamp_corpus.py): DuckDB gives Python's instant, or
    NULL where Python finds no timestamp."""
    got = read(CORPUS)
    wrong = []
    for text, (local, as_utc, problem) in zip(CORPUS, got):
        expected = python_reading(text)
        if expected is UNKNOWN:
            continue
        if (local, as_utc) != expected or (problem is None) != (local is not None):
            wrong.append(f"{text!r}: {(local, as_utc, problem)} != {expected}")
    assert wrong == []
    assert sum(row[1] is not None for row in got) > 60 and sum(row[1] is None for row in got) > 50
