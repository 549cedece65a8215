"""The scan statement: time slices for overlapping periods, partial results rolled up exactly, holistic aggregates
per grouping set, and naive timestamps read in UTC the way DuckDB's own time zone lookup reads them."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace
from datetime import datetime, timedelta

import duckdb
import pytest

from sqlglot import exp

from cxgov.data import sql, themes
from cxgov.data.scan import Aggregate, Columns, Period, ScanRequest, build, transitions, utc_offsets
from cxgov.data.engines.duckdb import Database
from cxgov.data.store import Store
from cxgov.spec.model import Source

SOURCE = Source(id="events", table="events", timestamp="at", touchpoint="tp", segment="seg")
DIMS = {"a": {"journey": "j1", "stage": "s1", "channel": "web"},
        "b": {"journey": "j1", "stage": "s2", "channel": "phone"},
        "c": {"journey": "j2", "stage": "s1", "channel": "web"}}
JAN = Period("jan", datetime(2026, 1, 1), datetime(2026, 2, 1))
Q1 = Period("q1", datetime(2026, 1, 1), datetime(2026, 4, 1))
LATE_JAN = Period("late", datetime(2026, 1, 20), datetime(2026, 2, 10))  # overlaps both
MARCH = Period("march", datetime(2026, 3, 1), datetime(2026, 4, 1))  # a gap in February between jan and march


def events(path, rows):
    with Database.open(path) as db:
        db.execute('CREATE TABLE events ("at" TIMESTAMP, tp VARCHAR, seg VARCHAR, v DOUBLE)')
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    return path


def random_rows(seed: int, count: int, scale: float = 1.0, offset: float = 0.0):
    rng = random.Random(seed)
    start = datetime(2025, 12, 1)
    return [(start + timedelta(minutes=rng.randrange(0, 60 * 24 * 140)), rng.choice("abcd"),
             rng.choice(["retail", "premier", None]),
             None if rng.random() < 0.05 else offset + scale * rng.gauss(0, 1)) for _ in range(count)]


def scan(db, periods, sets, aggregates):
    request = ScanRequest(SOURCE, "UTC", periods, DIMS, sets, aggregates)
    with Store.open(db) as store:
        return store.scan(request)


def expected_rows(rows, period, keep):
    return [r for r in rows if period.start <= r[0] < period.end and keep(r)]


V = sql.col("v")


def present() -> exp.Expression:
    return exp.Not(this=exp.Is(this=sql.col("v"), expression=exp.Null()))


AGGREGATES = (Aggregate("n"), Aggregate("k", condition=exp.GT(this=V, expression=sql.value(0.0))),
              Aggregate("values", "count", V, present()),
              Aggregate("mean", "avg", V, present()), Aggregate("var", "var_samp", V, present()),
              Aggregate("total", "sum", V),
              Aggregate("p90", "quantile_cont", V, present(), fraction=0.9))


@pytest.mark.parametrize("scale, offset", [(1.0, 0.0), (1.0, 1e6), (0.01, 1e3), (1e6, -3e7)])
def test_rolled_up_aggregates_equal_a_direct_computation_in_every_period_and_grouping(tmp_path, scale, offset):
    """Counts, sums, means and variances combined from slices match statistics over the same rows, also for
    values far from zero (the variance is combined around a shift, not from raw sums of squares: it stays
    within 1e-9 of the exact value while the mean is up to a million standard deviations from zero)."""
    rows = random_rows(7, 3000, scale, offset)
    db = events(tmp_path / "m.duckdb", rows)
    periods = (JAN, Q1, LATE_JAN, MARCH)
    sets = ((), ("touchpoint",), ("journey",), ("segment", "channel"))
    got = scan(db, periods, sets, AGGREGATES)
    groups = {
        0: lambda r: (), 1: lambda r: (r[1],), 2: lambda r: (DIMS.get(r[1], {}).get("journey"),),
        3: lambda r: (r[2], DIMS.get(r[1], {}).get("channel")),
    }
    checked = 0
    for record in got:
        period = next(p for p in periods if p.label == record["period"])
        dims = [d for d in ("touchpoint", "segment", "journey", "stage", "channel") if d in sets[record["grouping"]]]
        key = tuple(record[d] for d in sorted(dims, key=("touchpoint", "segment", "journey", "stage",
                                                              "channel").index))
        mine = expected_rows(rows, period, lambda r: groups[record["grouping"]](r) == key
                             if record["grouping"] != 3 else (r[2], DIMS.get(r[1], {}).get("channel")) == key)
        values = [r[3] for r in mine if r[3] is not None]
        assert record["n"] == len(mine) and record["values"] == len(values)
        assert record["k"] == sum(v > 0 for v in values)
        if values:
            assert record["total"] == pytest.approx(sum(values), rel=1e-9, abs=1e-6 * scale)
            assert record["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12, abs=1e-9 * scale)
        if len(values) > 1:
            assert record["var"] == pytest.approx(statistics.variance(values), rel=1e-9)
            checked += 1
        else:
            assert record["var"] is None
    assert checked > 40


def test_a_row_in_overlapping_periods_counts_in_each_and_rows_in_no_period_in_none(tmp_path):
    rows = [(datetime(2026, 1, 25), "a", "retail", 1.0),  # jan, q1 and late
            (datetime(2026, 2, 5), "a", "retail", 2.0),  # q1 and late
            (datetime(2026, 2, 20), "a", "retail", 3.0),  # q1 only (the gap between late and march)
            (datetime(2026, 4, 1), "a", "retail", 4.0)]  # no period: they end before it
    db = events(tmp_path / "m.duckdb", rows)
    got = {r["period"]: r["n"] for r in scan(db, (JAN, Q1, LATE_JAN, MARCH), ((),), AGGREGATES[:1])}
    assert got == {"jan": 1, "q1": 3, "late": 2}


def test_holistic_aggregates_are_computed_for_the_grouping_sets_that_need_them(tmp_path):
    rows = [(datetime(2026, 1, d), tp, "retail", float(v))
            for d, tp, v in ((2, "a", 1), (3, "a", 2), (4, "a", 3), (5, "b", 10), (6, "c", 7), (7, "c", 9))]
    db = events(tmp_path / "m.duckdb", rows)
    p50 = Aggregate("p50", "quantile_cont", V, present(), fraction=0.5, sets=(1, 2))
    got = scan(db, (JAN,), ((), ("touchpoint",), ("journey",)), (Aggregate("n"), p50))
    by = {(r["grouping"], r.get("touchpoint"), r.get("journey")): (r["n"], r["p50"]) for r in got}
    assert by[(0, None, None)] == (6, None)  # the program total does not need it
    assert by[(1, "a", None)] == (3, 2.0) and by[(1, "c", None)] == (2, 8.0)
    assert by[(2, None, "j1")] == (4, 2.5) and by[(2, None, "j2")] == (2, 8.0)


@pytest.mark.parametrize("timestamp_type, stored", [("TIMESTAMP", "NOT MATERIALIZED"), ("VARCHAR", "MATERIALIZED")])
def test_on_duckdb_a_percentile_reads_the_table_again_unless_its_timestamps_are_text(timestamp_type, stored):
    request = ScanRequest(SOURCE, "UTC", (JAN, Q1), DIMS, ((), ("touchpoint",)), AGGREGATES)
    columns = Columns(sql.table("events", "metrics"), {"at": timestamp_type, "tp": "VARCHAR", "seg": "VARCHAR",
                                                       "v": "DOUBLE"}, "at", timestamp_type, "tp", "seg")
    duck = build(request, columns, "duckdb").sql
    assert duck.count("MATERIALIZED (") == 1 and f'"__cxgov_src" AS {stored} (' in duck
    for dialect in ("postgres", "spark"):  # their planners decide
        assert "MATERIALIZED" not in build(request, columns, dialect).sql


def test_rows_read_again_give_what_stored_rows_give(tmp_path):
    db = events(tmp_path / "m.duckdb", random_rows(5, 2000))
    request = ScanRequest(SOURCE, "UTC", (JAN, Q1, LATE_JAN), DIMS, ((), ("touchpoint",), ("segment",)), AGGREGATES,
                          health=("touchpoint",))
    with Store.open(db) as store:
        query = store.statement(request)
        assert query is not None and "NOT MATERIALIZED" in query.sql
        again = store.engine.run(SOURCE, query)
        kept = store.engine.run(SOURCE, replace(query, sql=query.sql.replace("NOT MATERIALIZED", "MATERIALIZED")))
    assert len(again) > 10 and any(r[-1] is not None for r in again)
    # the same rows, floats to the last bits that DuckDB's parallel sums leave to the order of its threads
    exact = lambda row: repr([v for v in row if not isinstance(v, float)])  # noqa: E731
    assert sorted(map(exact, again)) == sorted(map(exact, kept))
    for one, other in zip(sorted(again, key=exact), sorted(kept, key=exact)):
        assert [v for v in one if isinstance(v, float)] == pytest.approx(
            [v for v in other if isinstance(v, float)], rel=1e-12, abs=1e-12)


def test_only_holistic_aggregates_and_no_grouping_left_for_them(tmp_path):
    db = events(tmp_path / "m.duckdb", [(datetime(2026, 1, 2), "a", "retail", 5.0)])
    p50 = Aggregate("p50", "quantile_cont", V, present(), fraction=0.5, sets=())
    assert scan(db, (JAN,), ((),), (p50,)) == [{"period": "jan", "grouping": 0, "p50": None}]
    p50 = Aggregate("p50", "quantile_cont", V, present(), fraction=0.5)
    assert scan(db, (JAN,), ((),), (p50,)) == [{"period": "jan", "grouping": 0, "p50": 5.0}]


def test_values_are_named_parameters_never_pasted_into_the_statement():
    hostile = "x'); DROP TABLE t; --"
    request = ScanRequest(SOURCE, "Europe/London", (JAN,), DIMS, (("touchpoint",),),
                          (Aggregate("k", condition=exp.EQ(this=sql.col("tp"), expression=sql.value(hostile))),))
    columns = Columns(sql.table("events", "metrics"), {"at": "TIMESTAMP WITH TIME ZONE", "tp": "VARCHAR"}, "at",
                      "TIMESTAMP WITH TIME ZONE", "tp", None)
    for dialect in sql.DIALECTS:
        query = build(request, columns, dialect)
        assert "DROP" not in query.sql and hostile in query.params.values()
        assert "Europe/London" not in query.sql and "Europe/London" in query.params.values()


def test_a_row_expression_several_aggregates_compute_is_computed_once_per_row(tmp_path):
    """A derived value (here v/10 + 1) tested by several aggregates is one column of the scan's rows; a
    conversion inside a CASE branch stays there (it may be guarded by the condition), yet the results are the
    same as computing each aggregate on its own."""
    scaled = lambda: exp.Add(this=exp.Div(this=V.copy(), expression=sql.value(10.0)), expression=sql.value(1.0))  # noqa: E731
    guarded = lambda: sql.case((exp.GT(this=V.copy(), expression=sql.value(0.0)),  # noqa: E731
                                sql.TryCast(this=sql.col("tp"), to=exp.DataType.build("DOUBLE"))))
    aggregates = (Aggregate("low", condition=exp.LT(this=scaled(), expression=sql.value(1.0))),
                  Aggregate("high", condition=exp.GTE(this=scaled(), expression=sql.value(1.0))),
                  Aggregate("mean", "avg", scaled(), present()),
                  Aggregate("p50", "quantile_cont", scaled(), present(), fraction=0.5),
                  Aggregate("g1", "count", guarded()), Aggregate("g2", "sum", guarded()))
    rows = random_rows(3, 500)
    db = events(tmp_path / "m.duckdb", rows)
    columns = Columns(sql.table("events"), {"at": "TIMESTAMP", "tp": "VARCHAR", "v": "DOUBLE"}, "at", "TIMESTAMP",
                      "tp", None)
    query = build(ScanRequest(SOURCE, "UTC", (JAN,), DIMS, ((),), aggregates), columns)
    rows_cte = query.sql[query.sql.index('"__cxgov_rows" AS'):query.sql.index('"__cxgov_fine" AS')]
    assert rows_cte.count("/ $") == 1 and query.sql.count("/ $") == 1  # v/10 + 1 once, in the rows
    assert 'AS DOUBLE) AS "__cxgov_x' not in rows_cte  # the guarded conversion is not taken out of its CASE
    together = {r["grouping"]: r for r in scan(db, (JAN,), ((),), aggregates)}[0]
    for aggregate in aggregates:
        alone = scan(db, (JAN,), ((),), (aggregate,))[0][aggregate.name]
        assert together[aggregate.name] == (alone if alone is None else pytest.approx(alone, rel=1e-12))
    values = [r[3] / 10 + 1 for r in expected_rows(rows, JAN, lambda r: r[3] is not None)]
    assert together["high"] == sum(v >= 1 for v in values)
    assert together["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12)


def test_the_text_for_reading_writes_values_as_each_engine_does():
    request = ScanRequest(SOURCE, "UTC", (JAN,), DIMS, (("journey",),), (Aggregate("n"),))
    columns = Columns(sql.table("events"), {"at": "TIMESTAMP", "tp": "VARCHAR"}, "at", "TIMESTAMP", "tp", None)
    texts = {d: build(request, columns, d).text for d in sql.DIALECTS}
    assert "ARRAY['a', 'b', 'c']" in texts["postgres"]
    for given in ("duckdb", "spark"):  # a table the engine is given: named, with its size
        assert texts[given].startswith("-- __cxgov_dims_rows: 3 rows (tp, journey, stage, channel)")
    assert all("$p" not in t and "%(p" not in t and ":p0" not in t for t in texts.values())


def test_aggregate_declarations_are_checked():
    with pytest.raises(ValueError, match="unknown aggregate function"):
        Aggregate("x", "median", V)
    with pytest.raises(ValueError, match="needs a value"):
        Aggregate("x", "avg")
    with pytest.raises(ValueError, match="fraction"):
        Aggregate("x", "quantile_cont", V)


ZONES = ("Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Kolkata",
         "Pacific/Chatham", "America/St_Johns", "UTC")


@pytest.mark.parametrize("zone", ZONES)
def test_naive_times_read_in_utc_exactly_as_the_time_zone_lookup_reads_them(zone):
    """Around every transition (skipped and repeated local times included) and outside the covered range, the
    CASE over transitions gives the instant DuckDB's timezone() gives."""
    lo, hi = datetime(2017, 6, 1), datetime(2019, 6, 1)  # Sao Paulo still changed its clocks then
    _, found = transitions(zone, lo, hi)
    points = [t + timedelta(minutes=m) for t, _ in found for m in range(-150, 151, 15)]
    points += [t + timedelta(microseconds=d) for t, _ in found for d in (-1, 0, 1)]
    rng = random.Random(zone)
    points += [lo + timedelta(seconds=rng.randrange(0, int((hi - lo).total_seconds()))) for _ in range(200)]
    points += [lo - timedelta(days=400), hi + timedelta(days=30), lo, hi - timedelta(microseconds=1)]
    to_utc = utc_offsets(zone, lo, hi, lambda x: sql.UtcFromLocal(this=x, zone=sql.value(zone)))
    icu = sql.UtcFromLocal(this=exp.column("x"), zone=sql.value(zone))
    query = exp.select(exp.column("x"), exp.alias_(to_utc(exp.column("x")), "mine"), exp.alias_(icu, "icu")) \
        .from_("t")
    statement = sql.render(exp.select("*").from_(exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("q"))))
                           .where("mine IS DISTINCT FROM icu"), "duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x TIMESTAMP)")
    con.executemany("INSERT INTO t VALUES (?)", [[p] for p in points])
    differ = con.execute(statement.sql, dict(statement.params)).fetchall()
    assert differ == []
    if zone in ("Europe/London", "America/New_York", "America/Sao_Paulo"):
        assert len(found) == 4  # two changes a year, both ways


def test_a_zone_without_transitions_in_the_range_is_one_offset():
    assert transitions("Asia/Kolkata", datetime(2026, 1, 1), datetime(2027, 1, 1)) == (timedelta(hours=5.5), [])
    first, found = transitions("Europe/London", datetime(2026, 1, 1), datetime(2027, 1, 1))
    assert first == timedelta(0)
    assert found == [(datetime(2026, 3, 29, 2, 0), timedelta(hours=1)), (datetime(2026, 10, 25, 1, 0), timedelta(0))]


def test_theme_matches_are_bits_of_a_row_key_and_aggregates_over_them_sum_partials_by_key(tmp_path):
    """Each distinct theme match is computed once per row as a bit of an integer key the partials are grouped by;
    counts, means and variances over the rows matching a theme (or not) are the partials of all the rows summed
    over the keys with the bit set (or not): the same numbers as plain Python over the rows."""
    rng = random.Random(11)
    words = ["slow", "Waited", "rude", "fine", "queue", "await", "thanks", "CAFÉ"]
    rows = [(datetime(2026, 1, 1) + timedelta(hours=rng.randrange(0, 24 * 30)), rng.choice("abc"),
             " ".join(rng.sample(words, rng.randrange(0, 4))) if rng.random() < 0.9 else None,
             rng.choice([None, *range(1, 6)])) for _ in range(800)]
    db = tmp_path / "t.duckdb"
    with Database.open(db) as database:
        database.execute('CREATE TABLE events ("at" TIMESTAMP, tp VARCHAR, comment VARCHAR, v DOUBLE)')
        database.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
    themes_ = {"waiting": ["slow", "wait*", "queue"], "rude": ["rude"], "cafe": ["cafe"]}

    def matching(patterns: list[str]) -> exp.Expression:
        return sql.Matches(this=sql.Folded(this=sql.col("comment")), pattern=sql.value(themes.regex(patterns)),
                           words=[sql.value(f"%{w}%") for w in themes.literals(patterns)])

    aggregates = []
    for name, patterns in themes_.items():
        aggregates += [Aggregate(f"{name}_n", condition=matching(patterns)),
                       Aggregate(f"{name}_other", condition=exp.Not(this=matching(patterns))),
                       Aggregate(f"{name}_mean", "avg", V, sql.and_(present(), exp.Paren(this=matching(patterns)))),
                       Aggregate(f"{name}_var", "var_samp", V, sql.and_(present(), exp.Paren(this=matching(patterns)))),
                       Aggregate(f"{name}_p50", "quantile_cont", V, sql.and_(present(), exp.Paren(
                           this=matching(patterns))), fraction=0.5)]
    aggregates.append(Aggregate("any", condition=exp.or_(*(exp.Paren(this=matching(p)) for p in themes_.values()))))
    columns = Columns(sql.table("events"), {"at": "TIMESTAMP", "tp": "VARCHAR", "comment": "VARCHAR", "v": "DOUBLE"},
                      "at", "TIMESTAMP", "tp", None)
    request = ScanRequest(Source(id="events", table="events", timestamp="at", touchpoint="tp"), "UTC", (JAN,), DIMS,
                          ((), ("touchpoint",)), tuple(aggregates))
    query = build(request, columns)
    fine = query.sql[query.sql.index('"__cxgov_fine" AS'):query.sql.index('"__cxgov_roll" AS')]
    assert 'GROUP BY "__cxgov_slice", "__cxgov_touchpoint", "__cxgov_bits0"' in fine
    # one per theme in the rows' key, over lower() for ASCII texts and over the fold table for the others
    assert query.sql.count("REGEXP_MATCHES(") == 2 * 3
    postgres = build(request, columns, "postgres").sql
    assert postgres.count(" ~ ") == 3 and postgres.count("OFFSET 0") == 2
    with Store.open(db) as store:
        got = {(r["grouping"], r.get("touchpoint")): r for r in store.scan(request)}
    for (grouping, tp), record in got.items():
        kept = [r for r in rows if JAN.start <= r[0] < JAN.end and (tp is None or r[1] == tp)]
        for name, patterns in themes_.items():
            hit = [r for r in kept if themes.matches(r[2], patterns)]
            values = [r[3] for r in hit if r[3] is not None]
            assert record[f"{name}_n"] == len(hit) and record[f"{name}_other"] == len(kept) - len(hit)
            if len(values) > 1:
                assert record[f"{name}_mean"] == pytest.approx(statistics.fmean(values), rel=1e-12)
                assert record[f"{name}_var"] == pytest.approx(statistics.variance(values), rel=1e-9)
                assert record[f"{name}_p50"] == pytest.approx(statistics.median(values), rel=1e-12)
        assert record["any"] == sum(any(themes.matches(r[2], p) for p in themes_.values()) for r in kept)


@pytest.mark.parametrize("value", [3.0, 4.5, -120.0])
def test_a_group_whose_values_are_all_the_same_has_a_variance_of_exactly_zero(tmp_path, value):
    """Touchpoint a answers `value` every time, over many slices (days, segments); the others vary, so the
    combining shift (the mean of every row) is far from `value`: the cancelling terms must not leave a rounding
    residue (it would make the interval's half-width about 1e-8, and differ from run to run)."""
    rng = random.Random(3)
    start = datetime(2026, 1, 1)
    rows = [(start + timedelta(hours=i * 7), "a", rng.choice(["retail", "premier", None]), value)
            for i in range(700)]
    rows += [(start + timedelta(hours=i * 5), rng.choice("bc"), "retail", rng.gauss(50, 20)) for i in range(700)]
    got = scan(events(tmp_path / "m.duckdb", rows), (JAN, Q1), ((), ("touchpoint",), ("segment",)),
               (Aggregate("values", "count", V, present()), Aggregate("var", "var_samp", V, present())))
    by_tp = {(r["period"], r["touchpoint"]): r for r in got if r["grouping"] == 1}
    assert by_tp[("q1", "a")]["var"] == 0.0 and by_tp[("jan", "a")]["var"] == 0.0
    others = [r for r in got if r["grouping"] == 1 and r["touchpoint"] in ("b", "c")]
    assert others and all(r["var"] > 100 for r in others)  # a real spread is left alone
    whole = {r["period"]: r for r in got if r["grouping"] == 0}
    expected = statistics.variance([r[3] for r in rows if r[0] < Q1.end])
    assert whole["q1"]["var"] == pytest.approx(expected, rel=1e-9)


def test_the_checksum_is_summed_for_the_data_health_rows_only(tmp_path):
    from cxgov.data.scan import CHECKSUM, ROWS, SPAN, UNTIMED, scanned

    rows = random_rows(11, 300) + [(None, "a", "retail", 1.0)]
    db = events(tmp_path / "m.duckdb", rows)
    request = ScanRequest(SOURCE, "UTC", (JAN, Q1), DIMS, ((), ("touchpoint",)), AGGREGATES[:3],
                          health=("touchpoint",))
    with Store.open(db) as store:
        got = store.scan(request)
    health = [r for r in got if r["grouping"] is None]
    assert {r["period"] for r in health} == {SPAN, UNTIMED}
    assert all(r[CHECKSUM] is None for r in got if r["grouping"] is not None)
    assert all(type(r[CHECKSUM]) is int for r in health)
    assert all(type(r[name]) is int for r in got for name in ("n", "k", "values", ROWS) if r.get(name) is not None)
    in_span = [r for r in rows if r[0] is None or Q1.start <= r[0] < Q1.end]
    with duckdb.connect(str(db), read_only=True) as con:
        # the columns the scan reads (no grouping set asks for the segment), in its order
        (total,), = con.execute("SELECT sum(CAST(hash(\"at\", tp, v) AS HUGEINT)) FROM events "
                                "WHERE \"at\" IS NULL OR (\"at\" >= ? AND \"at\" < ?)", [Q1.start, Q1.end]).fetchall()
    assert scanned(got) == (len(in_span), int(total))
