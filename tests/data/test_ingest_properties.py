"""Random CSV files loaded into a DuckDB file on disk: every record is accounted for, row for row.

Each example writes a file (delimiter , ; | or tab; utf-8, utf-8 with BOM, utf-16 or latin-1; LF or CRLF;
minimal or full quoting) whose header mixes the spec's columns with odd names (spaces, unicode, quotes, cx_row),
and whose rows mix good values with bad ones (timestamps with impossible offsets or unknown zones, unknown
touchpoints, numbers that are none, answers off the scale), values starting with `#`, quoted delimiters and line
breaks, long values and blank lines. The test knows which rows are good and what they hold; it asserts that
read = loaded + rejected, that the table holds exactly the good rows with the values they should have, and that
the rejected table holds exactly the bad records and the blank lines, by record number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cxgov.data import ingest
from cxgov.data.engines.duckdb import Database
from cxgov.errors import DataError
from cxgov.spec.model import Journey, Metric, Program, Source, Spec, Touchpoint

PROGRAM = "Europe/London"
TOUCHPOINTS = ("web-form", "phone-line")
SOURCE = Source(id="events", table="events", timestamp="at", touchpoint="tp")
SPEC = Spec(root=Path("specs"), files=(), digest="sha256:x", program=Program(id="p", name="P", timezone=PROGRAM),
            journeys=(Journey(id="j", name="J", stages=("s",)),),
            touchpoints=tuple(Touchpoint(id=t, name=t, journey="j", stage="s", channel="web", owner="o")
                              for t in TOUCHPOINTS),
            sources=(SOURCE,), metrics=(Metric(id="nps", kind="nps", source="events", column="score"),
                                        Metric(id="wait", kind="mean", source="events", column="n")))
ID = "row id"  # an extra column (a name with a space) that tells the rows apart
ODD_NAMES = ("cx_row", "cx_reason", "cx_record", "cx_bad", "note #", "Straße", "naïve é", 'say "hi"', "a;b", "x|y",
             "tab\tname", "reason", "loaded_at", "值")


@dataclass(frozen=True)
class Value:
    text: str
    good: bool
    loaded: object  # what the table holds for a good value


def _instant(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo(PROGRAM)).replace(tzinfo=None)


@st.composite
def timestamps(draw) -> Value:
    # noon: never at a daylight-saving change, whose rule tests/data/test_timestamps.py checks
    local = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))).replace(
        hour=12, minute=draw(st.integers(0, 59)), second=0, microsecond=0)
    form = draw(st.sampled_from(("naive", "offset", "zone", "rfc9557", "bad", "bad-offset", "bad-zone")))
    if form == "naive":
        return Value(f"{local:%Y-%m-%d %H:%M:%S}", True, local)
    if form == "offset":
        hours = draw(st.integers(-12, 14))
        at = local.replace(tzinfo=timezone(timedelta(hours=hours)))
        return Value(f"{local:%Y-%m-%dT%H:%M:%S}{hours:+03d}:00", True,
                     at.astimezone(ZoneInfo(PROGRAM)).replace(tzinfo=None))
    zone = draw(st.sampled_from(("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")))
    if form == "zone":
        return Value(f"{local:%Y-%m-%d %H:%M} {zone}", True, _instant(local, zone))
    if form == "rfc9557":
        return Value(f"{local:%Y-%m-%dT%H:%M:%S}[{zone}]", True, _instant(local, zone))
    if form == "bad-offset":
        return Value(f"{local:%Y-%m-%dT%H:%M:%S}+25:00", False, None)
    if form == "bad-zone":
        return Value(f"{local:%Y-%m-%d %H:%M} Mars/Base", False, None)
    return Value(draw(st.sampled_from(("yesterday", "2026-02-30 10:00", "#2026-01-01", "12/01/2026"))), False, None)


numbers = st.one_of(
    st.integers(-1000, 1000).map(lambda n: Value(str(n), True, float(n))),
    st.integers(-10000, 10000).map(lambda n: Value(f"{n / 100:.2f}", True, float(f"{n / 100:.2f}"))),
    st.just(Value("", True, None)),
    st.sampled_from(("abc", "1,5", "#3", "1e")).map(lambda t: Value(t, False, None)),
)
scores = st.one_of(
    st.integers(0, 10).map(lambda n: Value(str(n), True, n)),
    st.just(Value("", True, None)),
    st.sampled_from(("11", "-1", "7.5", "ten", "#9")).map(lambda t: Value(t, False, None)),
)
touchpoints = st.one_of(st.sampled_from(TOUCHPOINTS).map(lambda t: Value(t, True, t)),
                        st.sampled_from(("Web-Form", "#web-form", "nowhere", "")).map(lambda t: Value(t, False, None)))


def texts(latin: bool):
    alphabet = st.characters(max_codepoint=255 if latin else 0x2FFFF, exclude_categories=("Cs", "Cc"))
    pieces = st.one_of(st.text(alphabet, max_size=12), st.sampled_from(("#1234", "#", ",", ";", "|", "\t", '"', '""',
                                                                         "a\nb", "a\r\nb", " ", "NULL", "\\N")))
    long = st.integers(2_000, 20_000).map(lambda n: "x" * n)
    return st.one_of(st.lists(pieces, max_size=4).map("".join), long)


@dataclass(frozen=True)
class Example:
    content: bytes
    delimiter: str
    encoding: str
    header: tuple[str, ...]
    records: tuple[tuple[Value, ...] | None, ...]  # None: a blank line


@st.composite
def examples(draw) -> Example:
    encoding = draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "latin-1")))
    latin = encoding == "latin-1"
    delimiter = draw(st.sampled_from((",", ";", "|", "\t")))
    odd = draw(st.lists(st.sampled_from([n for n in ODD_NAMES if not latin or n.isascii() or n != "值"]),
                        max_size=3, unique=True))
    header = ["at", "tp", "n", "score", ID, *odd]
    order = draw(st.permutations(range(len(header))))
    n = draw(st.integers(0, 25))
    records: list[tuple[Value, ...] | None] = []
    for i in range(n):
        if draw(st.integers(0, 9)) == 0:
            records.append(None)
            continue
        values = [draw(timestamps()), draw(touchpoints), draw(numbers), draw(scores), Value(f"#{i}", True, f"#{i}")]
        values += [(lambda t: Value(t, True, t or None))(draw(texts(latin))) for _ in odd]
        records.append(tuple(values[j] for j in order))
    names = tuple(header[j] for j in order)
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
    newline = draw(st.sampled_from(("\n", "\r\n")))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(names)
    text = out.getvalue()
    for record in records:
        if record is None:
            text += newline
            continue
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline).writerow(
            [v.text for v in record])
        text += out.getvalue()
    return Example(text.encode(encoding), delimiter, encoding, names, tuple(records))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(examples())
def test_every_record_is_loaded_or_rejected_exactly(tmp_path_factory, example):
    folder = tmp_path_factory.mktemp("load")
    path, db = folder / "export.csv", folder / "m.duckdb"
    path.write_bytes(example.content)
    encoding = {"latin-1": "latin-1"}.get(example.encoding)  # the others are told by their BOM, or UTF-8
    report = ingest.load(SPEC, "events", [path], db, delimiter=example.delimiter, encoding=encoding)
    f = report.files[0]
    assert f.read == len(example.records) and f.reconciles()
    good = {i: r for i, r in enumerate(example.records, start=1) if r is not None and all(v.good for v in r)}
    assert (f.loaded, f.rejected, f.duplicates) == (len(good), len(example.records) - len(good), 0)
    with Database.open(db) as database:
        columns = list(database.table_columns("events")) if good or database.table_exists("events") else []
        loaded = database.execute("SELECT * FROM events") if columns else []
        rejected = database.execute("SELECT source_row FROM events_rejected ORDER BY source_row")
    assert [r for (r,) in rejected] == [i for i in range(1, len(example.records) + 1) if i not in good]
    if not good:
        return
    assert sorted(columns) == sorted(example.header)
    by_id = {row[columns.index(ID)]: dict(zip(columns, row)) for row in loaded}
    expected = {record[example.header.index(ID)].text: {name: v.loaded for name, v in zip(example.header, record)}
                for record in good.values()}
    assert by_id == expected


def test_a_header_naming_a_column_of_cxgov_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("at,tp,n,score,__cxgov_x\n2026-01-01 10:00,web-form,1,5,y\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        ingest.load(SPEC, "events", [path], tmp_path / "m.duckdb")
    assert str(err.value).startswith(f"{path}:1: column 5 of the header is named '__cxgov_x': names starting with "
                                     "__cxgov_ are cxgov's own")
    with Database.open(tmp_path / "m.duckdb") as database:
        assert database.execute("SELECT count(*) FROM information_schema.tables") == [(0,)]
