"""The generator: deterministic for a seed, plausible data shaped by the spec's metrics and rules."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cxgov.data import themes
from cxgov.data.generate import build_world, generate
from cxgov.data.engines.duckdb import Database
from cxgov.data.store import Period, ScanRequest, Store
from cxgov.errors import UsageError
from cxgov.metrics import kinds
from cxgov.spec.model import (Duration, Filter, Journey, Metric, Problem, Program, RootCause, Scale, Segment,
                              Source, Spec, Standard, Theme, Threshold, Touchpoint, Waiver, Window)

AS_OF = date(2026, 11, 20)
TOUCHPOINTS = tuple(Touchpoint(id=f"tp-{i:02d}", name=f"Touchpoint {i}", journey="j", stage="service",
                               channel="phone", owner="o") for i in range(20))
SURVEYS = Source(id="surveys", table="survey_responses", timestamp="responded_at", touchpoint="touchpoint_id",
                 segment="segment", key="response_id")
TICKETS = Source(id="tickets", table="tickets", timestamp="opened_at", touchpoint="touchpoint_id", segment="segment")
SERVQUAL = Source(id="servqual", table="servqual_responses", timestamp="responded_at", touchpoint="touchpoint_id")
FILES = Source(id="files", path="data/*.csv", timestamp="at")
HOURS = Duration(start="opened_at", end="resolved_at", unit="hours")
METRICS = (
    Metric(id="nps", kind="nps", source="surveys", column="score", where=Filter((("question", ("recommend",)),))),
    Metric(id="csat", kind="csat", source="surveys", column="score", scale=Scale(1, 5),
           where=Filter((("question", ("satisfaction",)),))),
    Metric(id="ces", kind="ces", source="surveys", column="score", where=Filter((("question", ("effort",)),))),
    Metric(id="sla", kind="sla", source="tickets", duration=HOURS, within=24),
    Metric(id="p90", kind="percentile", source="tickets", duration=HOURS, percentile=90),
    Metric(id="fcr", kind="ratio", source="tickets", condition=Filter((("first_contact_resolved", (True,)),))),
    Metric(id="gap", kind="gap", source="servqual", expectation="expected", perception="perceived"),
    Metric(id="reliability", kind="gap", source="servqual", expectation="expected", perception="perceived",
           where=Filter((("dimension", ("reliability",)),))),
    Metric(id="files-count", kind="count", source="files"),
)
STANDARDS = (
    Standard(id="csat-std", metric="csat", threshold=Threshold(op=">=", fail=75, warn=80), window=Window("28d", 28)),
    Standard(id="sla-std", metric="sla", threshold=Threshold(op=">=", fail=90, warn=95), window=Window("28d", 28)),
)
SPEC = Spec(root=Path("specs"), files=(), digest="sha256:x", program=Program(id="p", name="P"),
            segments=(Segment(id="retail", name="Retail"), Segment(id="premier", name="Premier")),
            journeys=(Journey(id="j", name="J", segments=("retail", "premier"), stages=("service",)),),
            touchpoints=TOUCHPOINTS, sources=(SURVEYS, TICKETS, SERVQUAL, FILES), metrics=METRICS,
            standards=STANDARDS)


def _generated(tmp_path_factory, spec: Spec, name: str):
    db = tmp_path_factory.mktemp("gen") / name
    return db, generate(spec, db, rows=40_000, seed=5, as_of=AS_OF)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return _generated(tmp_path_factory, SPEC, "metrics.duckdb")


def query(db: Path, sql: str, params=()):
    with Database.open(db) as database:
        return database.execute(sql, params)


def digest(db: Path) -> list:
    """Every generated table's row count and an order-independent checksum of its rows."""
    with Database.open(db) as database:
        tables = [t for (t,) in database.execute("SELECT table_name FROM information_schema.tables ORDER BY 1")]
        return [database.execute(f'SELECT count(*), sum(hash(t)::HUGEINT) FROM "{table}" t')[0] for table in tables]


def test_tables_columns_and_row_counts(generated):
    db, written = generated
    assert set(written) == {"survey_responses", "tickets", "servqual_responses"}  # path sources are not generated
    assert sum(written.values()) == 40_000
    for table, count in written.items():
        assert query(db, f'SELECT count(*) FROM "{table}"')[0][0] == count
    with Database.open(db) as database:
        assert database.table_columns("survey_responses") == {
            "response_id": "VARCHAR", "responded_at": "TIMESTAMP", "touchpoint_id": "VARCHAR",
            "segment": "VARCHAR", "question": "VARCHAR", "score": "INTEGER"}
        assert database.table_columns("tickets") == {
            "ticket_id": "VARCHAR", "opened_at": "TIMESTAMP", "touchpoint_id": "VARCHAR", "segment": "VARCHAR",
            "resolved_at": "TIMESTAMP", "first_contact_resolved": "BOOLEAN", "category": "VARCHAR"}
        assert set(database.table_columns("servqual_responses")) == {
            "response_id", "responded_at", "touchpoint_id", "dimension", "expected", "perceived"}


def test_same_seed_same_data_other_seed_other_data(generated, tmp_path):
    db, _ = generated
    again = tmp_path / "again.duckdb"
    other = tmp_path / "other.duckdb"
    generate(SPEC, again, rows=40_000, seed=5, as_of=AS_OF)
    generate(SPEC, other, rows=40_000, seed=6, as_of=AS_OF)
    assert digest(again) == digest(db)
    assert digest(other) != digest(db)


def test_history_is_twelve_months_ending_at_the_as_of(generated):
    db, _ = generated
    first, last = query(db, "SELECT min(responded_at), max(responded_at) FROM survey_responses")[0]
    assert first >= datetime(2025, 11, 21) and last < datetime(2026, 11, 21)
    assert (last - first).days >= 360
    weekdays = dict(query(db, "SELECT isodow(responded_at), count(*) FROM survey_responses GROUP BY 1"))
    assert weekdays[7] < 0.7 * weekdays[2]  # fewer answers on Sundays


def test_answers_on_scale_with_a_few_skipped_and_out_of_scale(generated):
    db, _ = generated
    rows = query(db, "SELECT question, count(*), count(*) FILTER (WHERE score IS NULL), "
                     "count(*) FILTER (WHERE score < 0 OR score > CASE question WHEN 'recommend' THEN 10 "
                     "WHEN 'satisfaction' THEN 5 ELSE 7 END), min(score), max(score) "
                     "FROM survey_responses GROUP BY 1")
    by_question = {q: (n, nulls, bad) for q, n, nulls, bad, _, _ in rows}
    assert set(by_question) == {"recommend", "satisfaction", "effort"}
    for n, nulls, bad in by_question.values():
        assert 0.005 * n < nulls < 0.05 * n
        assert 0 < bad < 0.01 * n


def test_tickets_open_ones_and_plausible_durations(generated):
    db, _ = generated
    n, open_, negative, fcr, median_h = query(db, """
        SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL),
               count(*) FILTER (WHERE resolved_at < opened_at), avg(first_contact_resolved::INTEGER),
               median(epoch(resolved_at) - epoch(opened_at)) / 3600 FROM tickets""")[0]
    assert 0 < open_ < 0.05 * n and negative == 0
    assert 0.4 < fcr < 0.95
    assert 0.5 < median_h < 24
    late = query(db, "SELECT count(*) FROM tickets WHERE resolved_at >= TIMESTAMP '2026-11-21'")[0][0]
    assert late == 0  # nothing is resolved after the as-of
    categories = query(db, "SELECT category, count(*) c FROM tickets GROUP BY 1 ORDER BY c DESC")
    assert len(categories) >= 8 and categories[0][1] > 3 * categories[-1][1]  # a Pareto-like spread


def test_servqual_dimensions_and_gap(generated):
    db, _ = generated
    dims = dict(query(db, "SELECT dimension, avg(perceived - expected) FROM servqual_responses GROUP BY 1"))
    assert set(dims) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    assert all(-3 < gap < 1 for gap in dims.values())
    low, high = query(db, "SELECT min(expected), max(perceived) FROM servqual_responses")[0]
    assert 1 <= low and high <= 7


def measure_by_touchpoint(db: Path, metric: Metric, source: Source) -> dict[str, kinds.Measurement]:
    end = datetime(2026, 11, 21)
    request = ScanRequest(source, "UTC", (Period("current", end - timedelta(days=120), end),), {},
                          (("touchpoint",),), kinds.aggregates(metric, source, end, "m_"))
    with Store.open(db) as store:
        return {r["touchpoint"]: kinds.finalize(metric, r, "m_") for r in store.scan(request)}


def test_touchpoints_differ_some_struggle_some_are_thin(generated):
    db, _ = generated
    csat = measure_by_touchpoint(db, METRICS[1], SURVEYS)
    values = sorted(m.value for m in csat.values() if m.n >= 30)
    assert values[0] < 75 and values[-1] > 80  # breaches and passes against csat-std
    counts = sorted(m.n for m in csat.values())
    assert counts[0] < 30 < counts[-1]  # a touchpoint with too little data to judge
    sla = measure_by_touchpoint(db, METRICS[3], TICKETS)
    assert min(m.value for m in sla.values() if m.n >= 30) < 90 < max(m.value for m in sla.values())


def test_exclude_and_errors(tmp_path):
    written = generate(SPEC, tmp_path / "m.duckdb", rows=1000, seed=1, as_of=AS_OF, exclude=["tickets"])
    assert "tickets" not in written and sum(written.values()) == 1000
    with pytest.raises(UsageError, match="names no source"):
        generate(SPEC, tmp_path / "m.duckdb", rows=10, exclude=["nope"])
    with pytest.raises(UsageError):
        generate(SPEC, tmp_path / "m.duckdb", rows=0)


def test_example_spec_generates(tmp_path):
    from cxgov.spec.api import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "specs")
    written = generate(spec, tmp_path / "demo.duckdb", rows=5000, seed=0, as_of=AS_OF, exclude=["app-analytics"])
    assert sum(written.values()) == 5000
    with Store.open(tmp_path / "demo.duckdb") as store:
        for source in spec.sources:
            if source.id == "app-analytics":
                continue
            columns = store.columns(source)
            for metric in spec.metrics:
                if metric.source == source.id:
                    kinds.check_columns(metric, source, columns)


def test_touchpoints_under_a_waiver_struggle():
    waiver = Waiver(id="w", standard="csat-std", justification="refurbishment", approved_by="o",
                    expires=date(2027, 1, 31), touchpoints=("tp-13",))
    for seed in range(5):
        assert "tp-13" in build_world(replace(SPEC, waivers=(waiver,)), random.Random(seed)).struggling


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 20])
def test_a_small_program_keeps_a_healthy_touchpoint_that_does_not_fall(n):
    """Some touchpoints struggle, some are near their warning level, some are thin, one falls during the year; in a
    program of a few touchpoints at least one of them stays healthy throughout."""
    spec = replace(SPEC, touchpoints=TOUCHPOINTS[:n])
    for seed in range(10):
        world = build_world(spec, random.Random(seed))
        healthy = [i for i, q in enumerate(world.tp_quality) if q > 0 and world.tp_ids[i] not in world.thin]
        assert set(healthy) - {world.drop_tp}, (n, seed, world)
        assert (world.drop_tp >= 0) == (len(healthy) > 1)
        assert len(world.struggling) == (0 if n == 1 else max(1, round(0.12 * n)))


def test_the_starter_program_s_generated_data_passes_and_breaches(tmp_path, monkeypatch):
    """`cxgov init`, `cxgov data generate`, `cxgov check`: a new user's first run shows what a pass, a warning or
    a breach looks like, not only breaches (its two touchpoints once both struggled)."""
    from click.testing import CliRunner

    from cxgov.cli import main

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "starter"]).exit_code == 0
    for seed in range(3):
        db = f"m{seed}.duckdb"
        made = runner.invoke(main, ["data", "generate", "--db", db, "--spec", "starter", "--seed", str(seed),
                                    "--rows", "60000", "--as-of", AS_OF.isoformat()])
        assert made.exit_code == 0, made.output
        checked = runner.invoke(main, ["check", "starter", "--data", db, "--as-of", AS_OF.isoformat()])
        summary = checked.output.strip().splitlines()[-1]
        assert " 0 pass," not in summary and " 0 breach," not in summary, summary


THEMES = (Theme(id="waiting", root_cause="capacity", patterns=("slow", "wait*", "took ages")),
          Theme(id="rude", root_cause="training", patterns=("rude", "impolite")),
          Theme(id="fees", root_cause="fees", patterns=("hidden fee", "charge*")))
PROBLEMS = (
    Problem(id="reasons", source="tickets", window=Window("quarter", period="quarter"), category="reason",
            causes=(("unexpected-fee", "fees"), ("long-hold", "capacity"), ("rude-agent", "training"),
                    ("fee-not-refunded", "fees"))),
    Problem(id="comments", source="surveys", window=Window("28d", 28), text="comment",
            where=Filter((("question", ("satisfaction",)),)), score="csat", themes=THEMES),
)
WITH_PROBLEMS = replace(SPEC, root_causes=tuple(RootCause(id=c, name=c) for c in ("capacity", "training", "fees")),
                        problems=PROBLEMS)


@pytest.fixture(scope="module")
def with_problems(tmp_path_factory):
    return _generated(tmp_path_factory, WITH_PROBLEMS, "problems.duckdb")


def test_problems_add_their_columns_and_leave_the_others_as_they_were(generated, with_problems):
    db, written = generated
    db2, written2 = with_problems
    assert written2 == written
    with Database.open(db2) as database:
        surveys, tickets = database.table_columns("survey_responses"), database.table_columns("tickets")
    assert list(surveys)[-1] == "comment" and list(tickets)[-1] == "reason"
    for table, column in (("survey_responses", "comment"), ("tickets", "reason")):
        others = ", ".join(f't."{c}"' for c in (surveys if table == "survey_responses" else tickets) if c != column)
        sql = f'SELECT count(*), sum(hash({others})::HUGEINT) FROM "{table}" t'
        assert query(db2, sql) == query(db, sql)
    again = Path(str(db2) + ".again")
    generate(WITH_PROBLEMS, again, rows=40_000, seed=5, as_of=AS_OF)
    assert digest(again) == digest(db2)


def test_reasons_are_the_mapped_categories_skewed_with_other_and_a_few_missing(with_problems):
    db, _ = with_problems
    counts = dict(query(db, "SELECT reason, count(*) FROM tickets GROUP BY 1"))
    n = sum(counts.values())
    assert set(counts) == {"unexpected-fee", "long-hold", "rude-agent", "fee-not-refunded", "other", None}
    assert counts["unexpected-fee"] > 1.6 * counts["long-hold"] > 1.6 * 0.75 * counts["fee-not-refunded"]
    assert 0.002 * n < counts[None] < 0.03 * n and 0.01 * n < counts["other"] < 0.06 * n


def test_comments_phrase_the_themes_with_noise_that_does_not_match(with_problems):
    db, _ = with_problems
    rows = query(db, "SELECT question, comment, score FROM survey_responses")
    assert all(c is None for q, c, _ in rows if q != "satisfaction")
    comments = [(c, s) for q, c, s in rows if q == "satisfaction"]
    blank = sum(1 for c, _ in comments if c is None or not c.strip())
    assert 0.15 * len(comments) < blank < 0.35 * len(comments)
    texts = [(c, s) for c, s in comments if c and c.strip()]
    every = [p for t in THEMES for p in t.patterns]
    matched = {t.id: {c for c, _ in texts if themes.matches(c, t.patterns)} for t in THEMES}
    assert len(matched["waiting"]) >= 20 and len(matched["rude"]) >= 10 and len(matched["fees"]) >= 10
    phrasings = {c.lower() for c in matched["waiting"]}
    for phrasing in ("waiting", "wait", "took ages", "slow"):
        assert any(phrasing in c for c in phrasings), phrasing
    assert any(c.isupper() for c in matched["rude"]) and any(c[0].isupper() for c in matched["rude"])
    unmatched = {c for c, _ in texts if not themes.matches(c, every)}
    near = {c.lower() for c in unmatched}
    for miss in ("await", "slower", "took many ages", "ruder", "rudeness"):
        assert any(miss in c for c in near), miss  # near misses are there, and match nothing
    share = lambda rows_: sum(1 for c, _ in rows_ if themes.matches(c, every)) / max(len(rows_), 1)
    low = [(c, s) for c, s in texts if s is not None and s < 3]
    high = [(c, s) for c, s in texts if s is not None and s >= 3]
    assert share(low) > share(high) + 0.2  # low scores mention themes more often: the key-driver gap shows
