"""A review of evaluation semantics against DESIGN.md sections 1-3 and DOMAIN.md: windows (leap years, DST),
timezones of timestamp columns, path sources, `where` filters, statuses, waivers, trends and determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data.engines.duckdb import Database
from cxgov.data.store import Store
from cxgov.engine import windows
from cxgov.engine.evaluate import evaluate, status_of
from cxgov.engine.results import Span
from cxgov.metrics.kinds import Measurement
from cxgov.errors import Location
from cxgov.spec.model import Duration, Filter, Metric, Selector, Source, Threshold
from engine_fixtures import (AS_OF, SOURCES, SURVEY_COLUMNS, answers, csat_scores, kpi, make_spec,
                             parse_window, standard, surveys_db, threshold, waiver, write_table)
from support.spec_files import write_files

WEB_ONLY = Selector(touchpoints=("web-form",))


def run(spec, db, as_of=AS_OF):
    with Store.open(db) as store:
        return evaluate(spec, store, as_of)


# -- windows ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, as_of, current, previous", [
    ("7d", date(2024, 3, 1), (date(2024, 2, 24), date(2024, 3, 1)), (date(2024, 2, 17), date(2024, 2, 23))),
    ("2w", date(2024, 3, 13), (date(2024, 2, 29), date(2024, 3, 13)), (date(2024, 2, 15), date(2024, 2, 28))),
    ("month", date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 1), date(2024, 1, 31))),
    ("month", date(2024, 2, 28), (date(2024, 1, 1), date(2024, 1, 31)), (date(2023, 12, 1), date(2023, 12, 31))),
    ("month", date(2024, 3, 31), (date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 2, 1), date(2024, 2, 29))),
    ("quarter", date(2024, 3, 31), (date(2024, 1, 1), date(2024, 3, 31)), (date(2023, 10, 1), date(2023, 12, 31))),
    ("quarter", date(2024, 12, 31), (date(2024, 10, 1), date(2024, 12, 31)), (date(2024, 7, 1), date(2024, 9, 30))),
    ("quarter", date(2024, 1, 1), (date(2023, 10, 1), date(2023, 12, 31)), (date(2023, 7, 1), date(2023, 9, 30))),
    ("year", date(2025, 1, 1), (date(2024, 1, 1), date(2024, 12, 31)), (date(2023, 1, 1), date(2023, 12, 31))),
])
def test_windows_around_leap_days_and_period_ends(text, as_of, current, previous):
    window = parse_window(text)
    assert windows.span(window, as_of) == Span(*current)
    assert windows.previous(window, as_of) == Span(*previous)


def test_a_month_in_london_runs_from_local_midnight_to_local_midnight_across_the_dst_change(tmp_path):
    """March 2026 in London: 1 March 00:00 GMT (= UTC) to 1 April 00:00 BST (= 31 March 23:00 UTC)."""
    columns = dict(SURVEY_COLUMNS, responded_at="TIMESTAMPTZ")
    rows = [("2026-02-28 23:59:00+00", "web-form", "retail", "satisfaction", 1),   # February locally
            ("2026-03-01 00:00:00+00", "web-form", "retail", "satisfaction", 5),   # first instant of March
            ("2026-03-31 22:59:00+00", "web-form", "retail", "satisfaction", 5),   # 23:59 BST on 31 March
            ("2026-03-31 23:00:00+00", "web-form", "retail", "satisfaction", 1)]   # 00:00 BST on 1 April
    db = write_table(tmp_path / "m.duckdb", "survey_responses", columns, rows)
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY, window="month")], timezone="Europe/London",
                     min_sample=1)
    (result,) = run(spec, db, as_of=date(2026, 4, 15)).results
    assert result.window == Span(date(2026, 3, 1), date(2026, 3, 31))
    assert (result.n, result.value) == (2, 100.0)
    assert (result.previous.n, result.previous.value) == (1, 0.0)


# -- durations: elapsed time, whatever the column type -----------------------------------------------------

TICKETS = Source(id="tickets", table="tickets", timestamp="opened_at", touchpoint="touchpoint_id")
SLA = Metric(id="sla", kind="sla", source="tickets", duration=Duration("opened_at", "resolved_at", "hours"),
             within=24)


def sla_spec(timezone="Europe/London"):
    return make_spec(standards=[standard(metric="sla", applies_to=WEB_ONLY, threshold=threshold(">=", 50, None))],
                     timezone=timezone, min_sample=1, sources=(SOURCES[0], TICKETS), metrics=(SLA,))


@pytest.mark.parametrize("column_type, opened, resolved", [
    # the night the clocks go back (25 October 2026): 24.5 hours elapse, the wall clock moves 23.5 hours
    ("TIMESTAMPTZ", "2026-10-24 11:00:00+00", "2026-10-25 11:30:00+00"),
    ("TIMESTAMP", "2026-10-24 12:00:00", "2026-10-25 11:30:00"),  # the same instants, as London wall-clock time
    ("VARCHAR", "2026-10-24T12:00:00+01:00", "2026-10-25T11:30:00Z"),  # text with offsets
])
def test_sla_durations_are_elapsed_time_across_a_dst_change(tmp_path, column_type, opened, resolved):
    columns = {"opened_at": column_type, "resolved_at": column_type, "touchpoint_id": "VARCHAR"}
    db = write_table(tmp_path / "t.duckdb", "tickets", columns, [(opened, resolved, "web-form")])
    (result,) = run(sla_spec(), db, as_of=date(2026, 11, 5)).results
    assert (result.n, result.value, result.extra["breached"]) == (1, 0.0, 1)


def test_text_durations_with_an_offset_are_read_at_that_offset(tmp_path):
    """10:00+02:00 is 08:00 UTC: resolved at 09:00 UTC is one hour later (a wall-clock reading says -1 hour)."""
    columns = {"opened_at": "VARCHAR", "resolved_at": "VARCHAR", "touchpoint_id": "VARCHAR"}
    rows = [("2026-11-10 10:00:00+02:00", "2026-11-10 09:00:00Z", "web-form"),
            ("2026-11-10 10:00:00", "2026-11-10 13:00:00", "web-form")]  # no offset: local (UTC) time, 3 h
    db = write_table(tmp_path / "t.duckdb", "tickets", columns, rows)
    metric = Metric(id="sla", kind="sla", source="tickets", duration=Duration("opened_at", "resolved_at", "hours"),
                    within=2)
    spec = make_spec(standards=[standard(metric="sla", applies_to=WEB_ONLY, threshold=threshold(">=", 50, None))],
                     timezone="UTC", min_sample=1, sources=(SOURCES[0], TICKETS), metrics=(metric,))
    (result,) = run(spec, db).results
    assert (result.extra["met"], result.extra["breached"], result.invalid) == (1, 1, 0)


# -- statuses -----------------------------------------------------------------------------------------------


def measured(value, n=100):
    return Measurement(value, n, 0, 0, None, None)


@pytest.mark.parametrize("op, fail, warn, cases", [
    (">=", 90, 95, [(89.99, "breach"), (90, "warn"), (94.99, "warn"), (95, "pass")]),
    (">", 90, 95, [(90, "breach"), (90.01, "warn"), (95, "warn"), (95.01, "pass")]),
    ("<=", 10, 5, [(10.01, "breach"), (10, "warn"), (5.01, "warn"), (5, "pass")]),
    ("<", 10, 5, [(10, "breach"), (9.99, "warn"), (5, "warn"), (4.99, "pass")]),
])
def test_warn_and_fail_for_every_operator(op, fail, warn, cases):
    for value, expected in cases:
        assert status_of(Threshold(op=op, fail=fail, warn=warn), measured(value), 30) == expected, (op, value)


def test_a_value_that_rounds_to_the_bound_still_misses_it():
    assert status_of(Threshold(op=">=", fail=90), measured(89.96), 30) == "breach"  # shown as 90.0
    assert status_of(Threshold(op="<", fail=10), measured(10.0000001), 30) == "breach"


def test_min_sample_comes_from_the_program_unless_the_rule_sets_it(tmp_path):
    db = surveys_db(tmp_path, answers("web-form", csat_scores(9, 10)))
    spec = make_spec(standards=[standard("default", applies_to=WEB_ONLY),
                                standard("own", applies_to=WEB_ONLY, min_sample=10, line=20)], min_sample=11)
    results = {r.rule: r for r in run(spec, db).results}
    assert results["default"].status == "insufficient"
    assert "below the minimum sample of 11" in results["default"].notes[0]
    assert results["own"].status == "pass"


def test_a_waiver_covers_only_its_touchpoints_and_keeps_the_underlying_status(tmp_path):
    spec = make_spec(standards=[standard(applies_to=Selector(channel=("web", "app")))],
                     waivers=[waiver(touchpoints=["app-onboarding"])], min_sample=5)
    db = surveys_db(tmp_path, answers("web-form", csat_scores(5, 10)) + answers("app-onboarding", csat_scores(5, 10)))
    results = {r.touchpoint: r for r in run(spec, db).results}
    assert (results["web-form"].status, results["web-form"].waiver) == ("breach", None)
    assert (results["app-onboarding"].status, results["app-onboarding"].underlying_status) == ("waived", "breach")


def test_a_waiver_never_covers_insufficient_data(tmp_path):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)], waivers=[waiver()], min_sample=30)
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", [1] * 3))).results
    assert (result.status, result.underlying_status) == ("insufficient", None)


# -- where filters ------------------------------------------------------------------------------------------


def test_where_with_a_list_and_several_columns_of_text_numbers_and_booleans(tmp_path):
    columns = {"responded_at": "TIMESTAMP", "touchpoint_id": "VARCHAR", "question": "VARCHAR", "wave": "INTEGER",
               "verified": "BOOLEAN", "score": "INTEGER"}
    at = datetime(2026, 11, 10, 12)
    rows = [(at, "web-form", "satisfaction", 1, True, 5), (at, "web-form", "overall", 2, True, 5),
            (at, "web-form", "satisfaction", 3, True, 1),  # wave 3: out
            (at, "web-form", "satisfaction", 2, False, 1),  # not verified: out
            (at, "web-form", "effort", 1, True, 1),  # another question: out
            (at, "web-form", "overall", 1, None, 1)]  # verified NULL: out
    db = write_table(tmp_path / "m.duckdb", "survey_responses", columns, rows)
    metric = Metric(id="csat", kind="csat", source="surveys", column="score",
                    where=Filter((("question", ("satisfaction", "overall")), ("wave", (1, 2)), ("verified", (True,)))))
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)], metrics=(metric,), min_sample=1)
    (result,) = run(spec, db).results
    assert (result.n, result.value) == (2, 100.0)


def test_a_number_in_where_matches_a_text_column_holding_that_number(tmp_path):
    """`where: {wave: 2}` on a text column with other texts in it selects the rows reading "2"; it does not make
    the whole scan fail converting the other texts to numbers."""
    columns = {"responded_at": "TIMESTAMP", "touchpoint_id": "VARCHAR", "question": "VARCHAR", "wave": "VARCHAR",
               "score": "INTEGER"}
    at = datetime(2026, 11, 10, 12)
    rows = [(at, "web-form", "satisfaction", "2", 5), (at, "web-form", "satisfaction", "pilot", 1),
            (at, "web-form", "satisfaction", "3", 1)]
    db = write_table(tmp_path / "m.duckdb", "survey_responses", columns, rows)
    csat = Metric(id="csat", kind="csat", source="surveys", column="score", where=Filter((("wave", (2,)),)))
    both = Metric(id="nps", kind="nps", source="surveys", column="score", where=Filter((("wave", ("pilot", 3)),)))
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY), standard("other", metric="nps", applies_to=WEB_ONLY,
                                                                        threshold=threshold(">=", -100, None))],
                     metrics=(csat, both), min_sample=1)
    results = {r.rule: r for r in run(spec, db).results}
    assert (results["csat-standard"].status, results["csat-standard"].n, results["csat-standard"].value) == \
        ("pass", 1, 100.0)
    assert (results["other"].status, results["other"].n) == ("pass", 2)


# -- trends -------------------------------------------------------------------------------------------------


def test_trend_of_a_lower_is_better_kpi_breaches_on_a_significant_rise(tmp_path):
    """A KPI with `<=` (e.g. share of detractors via a csat-like ratio) drops when the value rises."""
    current, previous = csat_scores(150, 200), csat_scores(100, 200)  # 75% now, 50% before
    rows = answers("web-form", current) + answers("web-form", previous, day=AS_OF - timedelta(days=30))
    spec = make_spec(kpis=[kpi(metric="csat", window="28d", trend=5, threshold=threshold("<=", 90, 80))],
                     min_sample=30)
    (result,) = run(spec, surveys_db(tmp_path, rows)).results
    assert result.trend.change == pytest.approx(25.0)
    assert result.trend.significant and result.trend.breached and result.status == "breach"


# -- path sources end to end, and determinism ---------------------------------------------------------------

PROGRAM = """\
version: 1
program:
  id: acme
  name: Acme
  timezone: Europe/London
  owner: cx-office
  defaults: {min_sample: 1}
owners:
  - {id: cx-office, name: CX office, kind: team}
channels: [web, phone]
journeys:
  - {id: buy, name: Buy, owner: cx-office, stages: [purchase]}
touchpoints:
  - {id: web-form, name: Web form, journey: buy, stage: purchase, channel: web, owner: cx-office}
"""

DATA = """\
version: 1
sources:
  - {id: surveys, path: files/surveys.csv, timestamp: responded_at, touchpoint: touchpoint_id}
  - {id: tickets, path: files/tickets-*.parquet, timestamp: opened_at, touchpoint: touchpoint_id}
metrics:
  - {id: csat, kind: csat, source: surveys, column: score, where: {question: satisfaction}}
  - {id: sla, kind: sla, source: tickets, within: 24, duration: {start: opened_at, end: resolved_at, unit: hours}}
standards:
  - {id: web-csat, metric: csat, applies_to: {channel: [web]}, threshold: {op: ">=", fail: 60}, window: month,
     severity: high}
  - {id: web-sla, metric: sla, applies_to: {channel: [web]}, threshold: {op: ">=", fail: 40}, window: month,
     severity: high}
"""

CSV = """\
responded_at,touchpoint_id,question,score
2026-10-01T00:30:00+01:00,web-form,satisfaction,5
2026-09-30T23:30:00Z,web-form,satisfaction,1
2026-10-31T23:30:00Z,web-form,satisfaction,4
2026-11-01T00:30:00Z,web-form,satisfaction,4
2026-10-15T12:00:00Z,web-form,effort,1
"""


@pytest.fixture
def path_project(tmp_path, monkeypatch):
    """Spec files in project/specs (the data sources in a sub-folder), run from another folder."""
    specs = write_files(tmp_path / "project" / "specs",
                        {"program.yaml": PROGRAM, "cx/data.yaml": DATA, "cx/files/surveys.csv": CSV})
    # opened, resolved (UTC): 23 h met; 24.5 h across the clock change breached; still open days later: breached
    with Database.open(tmp_path / "scratch.duckdb") as db:
        for name, rows in {"a": "(TIMESTAMPTZ '2026-10-10 11:00+00', TIMESTAMPTZ '2026-10-11 10:00+00')",
                           "b": "(TIMESTAMPTZ '2026-10-24 11:00+00', TIMESTAMPTZ '2026-10-25 11:30+00'), "
                                "(TIMESTAMPTZ '2026-10-31 10:00+00', NULL)"}.items():
            target = specs / "cx" / "files" / f"tickets-{name}.parquet"
            db.execute(f"COPY (SELECT t.*, 'web-form' AS touchpoint_id FROM (VALUES {rows}) "
                       f"t(opened_at, resolved_at)) TO '{target}' (FORMAT parquet)")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return specs


def test_csv_and_parquet_path_sources_are_read_relative_to_their_spec_file(path_project):
    result = CliRunner().invoke(main, ["check", str(path_project), "--as-of", "2026-11-05", "--json", "out.json"])
    assert result.exit_code == 1, result.output  # the SLA breaches
    records = {r["rule"]: r for r in json.loads(Path("out.json").read_text())["results"]}
    csat = records["web-csat"]
    # October in London: 00:30 BST on 1 October (both first rows) and 23:30 GMT on 31 October; not 1 November
    assert (csat["n"], csat["window"]) == (3, {"start": "2026-10-01", "end": "2026-10-31"})
    assert csat["value"] == pytest.approx(200 / 3, abs=1e-6) and csat["status"] == "pass"
    sla = records["web-sla"]
    assert (sla["n"], sla["value"], sla["status"]) == (3, pytest.approx(100 / 3, abs=1e-6), "breach")


def test_the_same_inputs_give_byte_identical_json(path_project):
    outputs = []
    for name in ("one.json", "two.json"):
        CliRunner().invoke(main, ["check", str(path_project), "--as-of", "2026-11-05", "--json", name])
        outputs.append(Path(name).read_bytes())
    assert outputs[0] == outputs[1] and b'"web-sla"' in outputs[0]


def test_a_kpi_split_by_segment_on_a_source_without_segments_errors_alone(tmp_path):
    """Standards sharing the scan still evaluate when one KPI asks for a split the source cannot give."""
    no_segment = tuple(replace(s, segment=None) if s.id == "surveys" else s for s in SOURCES)
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)], kpis=[kpi(metric="csat", window="28d", by="segment")],
                     sources=no_segment, min_sample=1)
    results = {r.rule: r for r in run(spec, surveys_db(tmp_path, answers("web-form", [5] * 3))).results}
    assert (results["csat-standard"].status, results["csat-standard"].n) == ("pass", 3)
    kpi_result = next(r for r in run(spec, surveys_db(tmp_path, [], name="empty.duckdb")).results
                      if r.rule == "nps-kpi")
    assert kpi_result.status == "error" and "segment" in kpi_result.notes[0]


def test_text_in_where_on_a_number_column_errors_only_its_metric_naming_the_key(tmp_path):
    columns = dict(SURVEY_COLUMNS, wave="INTEGER")
    db = write_table(tmp_path / "m.duckdb", "survey_responses", columns,
                     [row + (1,) for row in answers("web-form", [5] * 3)])
    pilot = Metric(id="pilot", kind="csat", source="surveys", column="score", where=Filter((("wave", ("pilot",)),)),
                   locations={"where.wave": Location("specs/data.yaml", 30, 28)})
    second = Metric(id="second", kind="csat", source="surveys", column="score", where=Filter((("wave", ("1",)),)))
    spec = make_spec(standards=[standard("a", metric="pilot", applies_to=WEB_ONLY),
                                standard("b", metric="second", applies_to=WEB_ONLY)],
                     metrics=(pilot, second), min_sample=1)
    results = {r.rule: r for r in run(spec, db).results}
    assert (results["b"].status, results["b"].n) == ("pass", 3)  # "1" reads as the number 1
    assert results["a"].status == "error"
    assert "column 'wave'" in results["a"].notes[0] and "'pilot'" in results["a"].notes[0]
    assert "specs/data.yaml:30" in results["a"].notes[0]
