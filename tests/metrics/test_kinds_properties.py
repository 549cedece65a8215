"""Property tests: for every kind, the SQL result equals an independent computation on the same random rows
(NULLs, out-of-scale and non-integer answers included, and rows the metric's `where` leaves out)."""

from __future__ import annotations

import math
import statistics
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxgov.metrics import kinds, stats
from cxgov.spec.model import Duration, Filter, Metric, Scale

from metric_rows import AS_OF_END, OnEngine, measure_rows

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WHERE = Filter((("q", ("a",)),))
question = st.sampled_from(["a", "a", "b"])
rating = st.one_of(st.none(), st.integers(-2, 12), st.sampled_from([2.5, 7.5]))
number = st.one_of(st.none(), st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))


@pytest.fixture(scope="module")
def pg_metrics(request):
    server = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("spark", marks=pytest.mark.spark)])
def db(request, tmp_path):
    """Where the metric is computed: the same rows on DuckDB, PostgreSQL and Spark, checked against the same
    independent computation."""
    engine = request.param
    return OnEngine(tmp_path / "metrics.duckdb", engine,
                    pg_url=request.getfixturevalue("pg_metrics") if engine == "postgres" else None,
                    spark=request.getfixturevalue("spark_session") if engine == "spark" else None)


def selected(rows):
    return [r[1:] for r in rows if r[0] == "a"]


def check_counts(m, values, valid):
    assert m.n == len(valid)
    assert m.missing == sum(v is None for v in values)
    assert m.invalid == len(values) - len(valid) - m.missing


def check_mean(m, valid):
    if not valid:
        assert m.value is None and m.ci_low is None
        return
    assert m.value == pytest.approx(statistics.fmean(valid), rel=1e-9, abs=1e-9)
    if len(valid) >= 2:
        var = statistics.variance(valid)
        assert m.stats["var"] == pytest.approx(var, rel=1e-6, abs=1e-6)
        half = stats.Z95 * math.sqrt(var / len(valid))
        assert m.ci_high - m.value == pytest.approx(half, rel=1e-6, abs=1e-6)
    else:
        assert m.ci_low is None


def on_scale(v, lo, hi):
    return v is not None and float(v).is_integer() and lo <= v <= hi


@SETTINGS
@given(st.lists(st.tuples(question, rating), max_size=60))
def test_nps(db, rows):
    metric = Metric(id="m", kind="nps", source="facts", column="score", where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "score": "DOUBLE"}, rows)
    values = [v for (v,) in selected(rows)]
    valid = [v for v in values if on_scale(v, 0, 10)]
    check_counts(m, values, valid)
    if not valid:
        assert m.value is None
        return
    scored = np.array([1 if v >= 9 else -1 if v <= 6 else 0 for v in valid], dtype=float)
    assert m.value == pytest.approx(100 * scored.mean())
    assert m.stats["var"] == pytest.approx(scored.var(), abs=1e-12)  # population variance of +1/0/-1
    half = stats.Z95 * 100 * math.sqrt(scored.var() / len(valid))
    assert m.ci_low == pytest.approx(max(-100, 100 * scored.mean() - half))


@SETTINGS
@given(st.lists(st.tuples(question, rating), max_size=60), st.sampled_from([(1, 5), (1, 7), (0, 10)]))
def test_csat(db, rows, bounds):
    lo, hi = bounds
    metric = Metric(id="m", kind="csat", source="facts", column="score", where=WHERE, scale=Scale(lo, hi))
    m = measure_rows(db, metric, {"q": "VARCHAR", "score": "DOUBLE"}, rows)
    values = [v for (v,) in selected(rows)]
    valid = [v for v in values if on_scale(v, lo, hi)]
    check_counts(m, values, valid)
    if not valid:
        assert m.value is None and m.ci_low is None
        return
    top = sum(v >= hi - 1 for v in valid)
    assert m.value == pytest.approx(100 * top / len(valid))
    assert m.extra["mean"] == pytest.approx(statistics.fmean(valid))
    low, high = stats.wilson(top, len(valid))
    assert (m.ci_low, m.ci_high) == (pytest.approx(100 * low), pytest.approx(100 * high))


@SETTINGS
@given(st.lists(st.tuples(question, rating), max_size=60))
def test_ces(db, rows):
    metric = Metric(id="m", kind="ces", source="facts", column="score", where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "score": "DOUBLE"}, rows)
    values = [v for (v,) in selected(rows)]
    valid = [v for v in values if on_scale(v, 1, 7)]
    check_counts(m, values, valid)
    check_mean(m, valid)
    if valid:
        assert m.extra["easy"] == pytest.approx(100 * sum(v >= 5 for v in valid) / len(valid))


@SETTINGS
@given(st.lists(st.tuples(question, number), max_size=60))
def test_mean(db, rows):
    metric = Metric(id="m", kind="mean", source="facts", column="x", where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "x": "DOUBLE"}, rows)
    values = [v for (v,) in selected(rows)]
    valid = [v for v in values if v is not None]
    check_counts(m, values, valid)
    check_mean(m, valid)


@SETTINGS
@given(st.lists(st.tuples(question, number, number), max_size=60))
def test_gap(db, rows):
    metric = Metric(id="m", kind="gap", source="facts", expectation="e", perception="p", where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "e": "DOUBLE", "p": "DOUBLE"}, rows)
    pairs = selected(rows)
    valid = [p - e for e, p in pairs if e is not None and p is not None]
    assert m.missing == len(pairs) - len(valid) and m.invalid == 0
    assert m.n == len(valid)
    check_mean(m, valid)


@SETTINGS
@given(st.lists(st.tuples(question, st.one_of(st.none(), st.booleans())), max_size=60))
def test_ratio(db, rows):
    metric = Metric(id="m", kind="ratio", source="facts", where=WHERE, condition=Filter((("ok", (True,)),)))
    m = measure_rows(db, metric, {"q": "VARCHAR", "ok": "BOOLEAN"}, rows)
    values = [v for (v,) in selected(rows)]
    valid = [v for v in values if v is not None]
    assert (m.n, m.missing) == (len(valid), len(values) - len(valid))
    if valid:
        assert m.value == pytest.approx(100 * sum(valid) / len(valid))
    else:
        assert m.value is None


@SETTINGS
@given(st.lists(st.tuples(question, st.integers(0, 3)), max_size=60))
def test_count(db, rows):
    metric = Metric(id="m", kind="count", source="facts", where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "x": "INTEGER"}, rows)
    n = len(selected(rows))
    assert m.n == n and m.value == (float(n) if n else None)


@SETTINGS
@given(st.lists(st.tuples(question, number), max_size=60), st.sampled_from([10, 50, 90, 95, 99]))
def test_percentile_of_a_column(db, rows, p):
    metric = Metric(id="m", kind="percentile", source="facts", column="x", percentile=p, where=WHERE)
    m = measure_rows(db, metric, {"q": "VARCHAR", "x": "DOUBLE"}, rows)
    valid = [v for (v,) in selected(rows) if v is not None]
    assert m.n == len(valid)
    if valid:
        assert m.value == pytest.approx(float(np.quantile(valid, p / 100, method="linear")), rel=1e-9, abs=1e-6)
    else:
        assert m.value is None


# Tickets: opened some hours before the as-of; resolved after a duration (None: still open); the duration may be
# negative (bad data) or end after the as-of (not known yet at the as-of: still open then).
# Whole minutes, so that the boundary (exactly `within`) comes up.
ticket = st.tuples(question, st.integers(30, 42000).map(lambda m: m / 60),
                   st.one_of(st.none(), st.integers(-300, 12000).map(lambda m: m / 60)))


def ticket_rows(rows):
    out = []
    for q, age, duration in rows:
        opened = AS_OF_END - timedelta(hours=age)
        out.append((q, opened, None if duration is None else opened + timedelta(hours=duration)))
    return out


def known_duration(age, duration):
    """The duration as known at the as-of, or None while open then."""
    return None if duration is None or duration > age else duration


@SETTINGS
@given(st.lists(ticket, max_size=60), st.sampled_from([4.0, 24.0, 72.0]))
def test_sla(db, rows, within):
    metric = Metric(id="m", kind="sla", source="facts", where=WHERE, within=within,
                    duration=Duration(start="opened", end="resolved", unit="hours"))
    m = measure_rows(db, metric, {"q": "VARCHAR", "opened": "TIMESTAMP", "resolved": "TIMESTAMP"},
                     ticket_rows(rows))
    met = breached = invalid = 0
    for q, age, duration in rows:
        if q != "a":
            continue
        d = known_duration(age, duration)
        if d is None:
            breached += age > within
        elif d < 0:
            invalid += 1
        elif d <= within:
            met += 1
        else:
            breached += 1
    assert (m.extra["met"], m.extra["breached"], m.invalid) == (met, breached, invalid)
    assert m.n == met + breached
    assert m.value == (pytest.approx(100 * met / (met + breached)) if met + breached else None)


@SETTINGS
@given(st.lists(ticket, max_size=60), st.sampled_from([50, 90]), st.sampled_from(["minutes", "hours", "days"]))
def test_percentile_of_a_duration(db, rows, p, unit):
    metric = Metric(id="m", kind="percentile", source="facts", where=WHERE, percentile=p,
                    duration=Duration(start="opened", end="resolved", unit=unit))
    m = measure_rows(db, metric, {"q": "VARCHAR", "opened": "TIMESTAMP", "resolved": "TIMESTAMP"},
                     ticket_rows(rows))
    per_hour = {"minutes": 60, "hours": 1, "days": 1 / 24}[unit]
    known = [known_duration(age, d) for q, age, d in rows if q == "a"]
    valid = [d * per_hour for d in known if d is not None and d >= 0]
    assert m.n == len(valid)
    assert m.missing == sum(d is None for d in known)
    if valid:
        expected = float(np.quantile(valid, p / 100, method="linear"))
        assert m.value == pytest.approx(expected, rel=1e-6, abs=1e-3 * per_hour)
    else:
        assert m.value is None


def test_trend_kinds_without_a_test_give_only_the_change():
    metric = Metric(id="m", kind="count", source="facts")
    cur = kinds.Measurement(120.0, 120, 0, 0, None, None)
    prev = kinds.Measurement(100.0, 100, 0, 0, None, None)
    assert kinds.trend(metric, cur, prev) == (20.0, None, None)
    assert kinds.trend(metric, cur, kinds.Measurement(None, 0, 0, 0, None, None)) == (None, None, None)
