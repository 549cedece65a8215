"""evaluate(): statuses, windows, timezones, scopes, waivers, trends, actions and errors, on real DuckDB files."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from cxgov.data.store import Store
from cxgov.engine.evaluate import evaluate
from cxgov.spec.model import Scope, Selector
from engine_fixtures import (AS_OF, SURVEY_COLUMNS, TICKET_COLUMNS, action, answers, counts, csat_scores, kpi,
                             make_spec, noon, standard, surveys_db, threshold, waiver, with_source, write_table)


def run(spec, db, as_of=AS_OF, **kwargs):
    with Store.open(db) as store:
        return evaluate(spec, store, as_of, **kwargs)


def by_scope(result_run):
    return {(r.rule, r.scope[-1][1]): r for r in result_run.results}


WEB_ONLY = Selector(touchpoints=("web-form",))


@pytest.mark.parametrize("top, fail, expected", [
    (9, 70, "pass"), (8, 70, "pass"),  # exactly at warn: meets it
    (7, 70, "warn"),  # exactly at fail: meets it, misses warn
    (6, 70, "breach"),
    (7, 70.0000001, "breach"),  # never rounded: 70 does not meet 70.0000001
])
def test_thresholds_compare_the_exact_value(tmp_path, top, fail, expected):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY, threshold=threshold(">=", fail, 80))])
    db = surveys_db(tmp_path, answers("web-form", csat_scores(top, 10)))
    (result,) = run(spec, db).results
    assert result.value == pytest.approx(top * 10)
    assert result.status == expected
    assert result.n == 10 and result.unit == "%"


def test_a_value_exactly_at_the_fail_bound_is_not_a_breach(tmp_path):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY, threshold=threshold(">=", 75, 80))])
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", csat_scores(6, 8)))).results
    assert result.value == 75.0 and result.status == "warn"
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY, threshold=threshold("<", 75, None))])
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", csat_scores(6, 8)), "b.duckdb")).results
    assert result.status == "breach"


def test_insufficient_below_min_sample_and_with_no_data(tmp_path):
    spec = make_spec(standards=[standard(applies_to=Selector(channel=("web", "app")), min_sample=5)],
                     min_sample=100)
    db = surveys_db(tmp_path, answers("web-form", [5, 5, 5, 5]) + answers("app-onboarding", [5] * 5))
    results = by_scope(run(spec, db))
    web, app = results["csat-standard", "web-form"], results["csat-standard", "app-onboarding"]
    assert (web.status, web.n, web.value) == ("insufficient", 4, 100.0)
    assert "below the minimum sample of 5" in web.notes[0]
    assert app.status == "pass"  # the rule's min_sample (5) wins over the program default (100)
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)])
    (empty,) = run(spec, surveys_db(tmp_path, answers("app-onboarding", [5] * 9), "c.duckdb")).results
    assert (empty.status, empty.n, empty.value) == ("insufficient", 0, None)
    assert empty.notes == ("no data in the window",)


def test_missing_and_invalid_answers_are_counted_not_scored(tmp_path):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)])
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", [5, 5, 4, 1, 1, None, 0, 6]))).results
    assert (result.n, result.missing, result.invalid) == (5, 1, 2)
    assert result.value == pytest.approx(60.0)
    assert any("2 value(s) outside" in note for note in result.notes)


@pytest.mark.parametrize("window, first, last", [("28d", date(2026, 10, 24), date(2026, 11, 20)),
                                                  ("month", date(2026, 10, 1), date(2026, 10, 31))])
def test_rows_on_the_first_and_last_day_count_and_rows_just_outside_do_not(tmp_path, window, first, last):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY, window=window)], min_sample=1)
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    rows = (answers("web-form", [5], at=start) + answers("web-form", [5], at=end - timedelta(microseconds=1))
            + answers("web-form", [1], at=start - timedelta(seconds=1)) + answers("web-form", [1], at=end))
    (result,) = run(spec, surveys_db(tmp_path, rows)).results
    assert (result.n, result.value) == (2, 100.0)
    assert (result.window.start, result.window.end) == (first, last)
    # the row just before the window is in the previous one (the one just after is in none)
    assert (result.previous.n, result.previous.value) == (1, 0.0)


def test_timestamptz_rows_fall_on_the_local_day_of_the_program_timezone(tmp_path):
    """23:30 UTC on 20 November is 00:30 on 21 November in Berlin: after an as-of of the 20th."""
    columns = dict(SURVEY_COLUMNS, responded_at="TIMESTAMPTZ")
    rows = [(f"2026-11-20 23:30:00+00", "web-form", "retail", "satisfaction", 1),
            (f"2026-10-23 23:30:00+00", "web-form", "retail", "satisfaction", 5),  # 24 Oct in Berlin: first day
            (f"2026-11-20 12:00:00+00", "web-form", "retail", "satisfaction", 5)]
    db = write_table(tmp_path / "tz.duckdb", "survey_responses", columns, rows)
    berlin = make_spec(standards=[standard(applies_to=WEB_ONLY)], timezone="Europe/Berlin", min_sample=1)
    (result,) = run(berlin, db).results
    assert (result.n, result.value) == (2, 100.0)
    utc = make_spec(standards=[standard(applies_to=WEB_ONLY)], timezone="UTC", min_sample=1)
    (result,) = run(utc, db).results
    assert (result.n, result.value) == (2, 50.0)


def test_naive_timestamps_are_already_local_time(tmp_path):
    rows = answers("web-form", [5], at=datetime(2026, 11, 20, 23, 30)) + \
        answers("web-form", [1], at=datetime(2026, 11, 21, 0, 30))
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)], timezone="Pacific/Auckland", min_sample=1)
    (result,) = run(spec, surveys_db(tmp_path, rows)).results
    assert (result.n, result.value) == (1, 100.0)


def test_selectors_pick_touchpoints_and_retired_ones_are_skipped(tmp_path):
    spec = make_spec(standards=[
        standard("complaints", applies_to=Selector(journey=("resolve-a-problem",))),
        standard("digital", applies_to=Selector(channel=("web", "app")), line=20)])
    db = surveys_db(tmp_path, [row for tp in ("web-form", "app-onboarding", "phone-complaints", "chat-complaints",
                                              "branch-complaints") for row in answers(tp, [5] * 6)])
    results = run(spec, db).results
    assert [(r.rule, r.touchpoint) for r in results] == [
        ("complaints", "phone-complaints"), ("complaints", "chat-complaints"),
        ("digital", "web-form"), ("digital", "app-onboarding")]
    assert results[0].owner == "contact-centre"  # the touchpoint's owner when the rule names none
    assert results[0].location.file == "specs/standards.yaml" and results[2].location.line == 20


def test_kpi_scopes_and_by(tmp_path):
    rows = (answers("web-form", counts({10: 6, 0: 2}), question="recommend", segment="retail")
            + answers("app-onboarding", counts({10: 3, 0: 3}), question="recommend", segment="premier")
            + answers("phone-complaints", counts({10: 1, 0: 5}), question="recommend", segment="retail")
            + answers("chat-complaints", counts({9: 2}), question="recommend", segment="agency")
            + answers("web-form", [5] * 7, question="satisfaction"))  # another question: left out
    spec = make_spec(kpis=[
        kpi("program", window="28d"),
        kpi("by-segment", window="28d", by="segment"),
        kpi("journey", window="28d", scope=Scope("journey", "open-account"), owner=None),
        kpi("journey-by-stage", window="28d", scope=Scope("journey", "open-account"), by="stage"),
        kpi("phone", window="28d", scope=Scope("channel", "phone")),
        kpi("premier", window="28d", scope=Scope("segment", "premier"))], min_sample=1)
    got = {(r.rule, tuple(r.scope)): (r.n, round(r.value, 6) if r.value is not None else None, r.status)
           for r in run(spec, surveys_db(tmp_path, rows)).results}
    assert got == {
        ("program", (("program", "northwind"),)): (22, round(100 * (12 - 10) / 22, 6), "breach"),
        ("by-segment", (("segment", "retail"),)): (14, round(100 * (7 - 7) / 14, 6), "breach"),
        ("by-segment", (("segment", "premier"),)): (6, 0.0, "breach"),
        ("by-segment", (("segment", "student"),)): (0, None, "insufficient"),
        ("by-segment", (("segment", "agency"),)): (2, 100.0, "pass"),  # found in the data, not declared
        ("journey", (("journey", "open-account"),)): (14, round(100 * (9 - 5) / 14, 6), "pass"),
        ("journey-by-stage", (("journey", "open-account"), ("stage", "purchase"))): (8, 50.0, "pass"),
        ("journey-by-stage", (("journey", "open-account"), ("stage", "onboarding"))): (6, 0.0, "breach"),
        ("phone", (("channel", "phone"),)): (6, round(100 * (1 - 5) / 6, 6), "breach"),
        ("premier", (("segment", "premier"),)): (6, 0.0, "breach"),
    }


def test_kpi_results_have_no_touchpoint_and_fall_back_to_journey_and_program_owners(tmp_path):
    spec = make_spec(kpis=[kpi("journey", window="28d", scope=Scope("journey", "open-account")),
                           kpi("program", window="28d"), kpi("named", window="28d", owner="ana")])
    results = {r.rule: r for r in run(spec, surveys_db(tmp_path, [])).results}
    assert results["journey"].touchpoint is None
    assert (results["journey"].owner, results["program"].owner, results["named"].owner) == \
        ("retail-banking", "cx-office", "ana")


def test_waivers_active_expired_and_unmatched(tmp_path):
    spec = make_spec(
        standards=[standard(applies_to=Selector(channel=("web", "app", "phone")), threshold=threshold(">=", 75, 80))],
        waivers=[waiver("w-active", touchpoints=["web-form"]),
                 waiver("w-expired", touchpoints=["app-onboarding"], expires=date(2026, 11, 19)),
                 waiver("w-other-touchpoint", touchpoints=["chat-complaints"]),
                 waiver("w-other-rule", rule="something-else")])
    db = surveys_db(tmp_path, answers("web-form", csat_scores(5, 10)) + answers("app-onboarding", csat_scores(5, 10))
                    + answers("phone-complaints", csat_scores(10, 10)))
    results = by_scope(run(spec, db))
    web, app, phone = (results["csat-standard", tp] for tp in ("web-form", "app-onboarding", "phone-complaints"))
    assert (web.status, web.underlying_status, web.waiver.id, web.waiver.active) == \
        ("waived", "breach", "w-active", True)
    assert web.waiver.justification == "Accepted while w-active is fixed"
    assert (app.status, app.underlying_status, app.waiver.id, app.waiver.active) == \
        ("breach", None, "w-expired", False)
    assert "waiver w-expired expired on 2026-11-19; evaluated without it" in app.notes
    assert (phone.status, phone.waiver) == ("pass", None)


def test_a_waiver_expiring_on_the_as_of_date_is_still_active_and_covers_warns(tmp_path):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY)],
                     waivers=[waiver(expires=AS_OF), waiver("w-late", expires=AS_OF, granted=AS_OF + timedelta(1))])
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", csat_scores(78, 100)))).results
    assert (result.status, result.underlying_status, result.waiver.id) == ("waived", "warn", "w-1")


NPS_PREVIOUS = counts({10: 100, 8: 50, 0: 50})  # n 200, NPS 25


@pytest.mark.parametrize("current, significant, status", [
    (counts({10: 110, 8: 60, 0: 80}), False, "pass"),  # NPS 12: -13 points, p 0.1047 (DOMAIN.md)
    (counts({10: 70, 8: 50, 0: 80}), True, "breach"),  # NPS -5: -30 points
])
def test_kpi_trend_breaches_only_on_a_significant_drop_larger_than_max_drop(tmp_path, current, significant, status):
    rows = (answers("web-form", current, question="recommend")
            + answers("web-form", NPS_PREVIOUS, question="recommend", day=AS_OF - timedelta(days=30)))
    spec = make_spec(kpis=[kpi(window="28d", trend=5, threshold=threshold(">=", -50, -40))], min_sample=30)
    (result,) = run(spec, surveys_db(tmp_path, rows)).results
    assert (result.previous.value, result.previous.n) == (pytest.approx(25.0), 200)
    assert result.trend.significant is significant and result.trend.breached is significant
    assert result.status == status
    if not significant:
        assert result.trend.change == pytest.approx(-13.0)
        assert result.trend.z == pytest.approx(-1.6225, abs=1e-4)
        assert result.trend.p_value == pytest.approx(0.1047, abs=1e-4)
        assert "not significant" in result.notes[-1]
    else:
        assert "significant drop of 30.0 points" in result.notes[-1]


def test_a_trend_is_not_tested_when_a_window_is_below_min_sample(tmp_path):
    rows = answers("web-form", counts({10: 2, 0: 8}), question="recommend")
    spec = make_spec(kpis=[kpi(window="28d", trend=5)], min_sample=5)
    (result,) = run(spec, surveys_db(tmp_path, rows)).results
    assert result.trend.significant is False and result.trend.p_value is None
    assert result.status == "breach"  # the threshold still applies: NPS -60 < 10
    assert "trend not tested" in result.notes[-1]


def test_actions_are_attached_to_their_standard_and_touchpoint(tmp_path):
    spec = make_spec(standards=[standard(applies_to=Selector(channel=("web", "app")))],
                     actions=[action("act-web", touchpoint="web-form", due=date(2026, 11, 1)),
                              action("act-all", due=date(2026, 12, 1), status="in_progress"),
                              action("act-done", touchpoint="web-form", due=date(2026, 10, 1), status="done"),
                              action("act-other", rule="another", touchpoint="web-form")])
    results = by_scope(run(spec, surveys_db(tmp_path, [])))
    web = results["csat-standard", "web-form"].actions
    assert [(a.id, a.overdue) for a in web] == [("act-done", False), ("act-web", True), ("act-all", False)]
    assert [a.id for a in results["csat-standard", "app-onboarding"].actions] == ["act-all"]


def test_a_missing_table_gives_error_results_and_the_run_goes_on(tmp_path):
    spec = make_spec(standards=[standard(applies_to=WEB_ONLY), standard("fcr", metric="fcr", applies_to=WEB_ONLY)])
    results = {r.rule: r for r in run(spec, surveys_db(tmp_path, answers("web-form", [5] * 9))).results}
    assert results["csat-standard"].status == "pass"
    error = results["fcr"]
    assert (error.status, error.value, error.n) == ("error", None, 0)
    assert "source 'tickets'" in error.notes[0] and "'tickets' not found" in error.notes[0]
    assert "specs/data.yaml" in error.notes[0]


def test_a_missing_column_errors_only_the_rules_of_its_metric_and_names_the_spec_line(tmp_path):
    columns = {k: v for k, v in TICKET_COLUMNS.items() if k != "first_contact_resolved"}
    db = write_table(tmp_path / "m.duckdb", "tickets", columns, [(noon(AS_OF), "web-form", "retail")] * 6)
    spec = make_spec(standards=[standard("fcr", metric="fcr", applies_to=WEB_ONLY),
                                standard("volume", metric="contacts", applies_to=WEB_ONLY,
                                         threshold=threshold(">=", 1, None))])
    results = {r.rule: r for r in run(spec, db).results}
    assert results["volume"].status == "pass" and results["volume"].value == 6
    error = results["fcr"]
    assert error.status == "error"
    assert "column 'first_contact_resolved'" in error.notes[0] and "specs/data.yaml:22" in error.notes[0]


def test_a_missing_timestamp_column_names_the_source_key(tmp_path):
    spec = with_source(make_spec(standards=[standard(applies_to=WEB_ONLY)]), "surveys", timestamp="answered_at")
    (result,) = run(spec, surveys_db(tmp_path, answers("web-form", [5] * 9))).results
    assert result.status == "error" and "column 'answered_at'" in result.notes[0]


class CountingStore:
    """A Store that counts the statements it has the engine run."""

    def __init__(self, store):
        self.store, self.scans = store, 0

    def fetch(self, request, query):
        self.scans += 1
        return self.store.fetch(request, query)

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_one_scan_per_source_however_many_rules_windows_and_touchpoints(tmp_path):
    spec = make_spec(
        standards=[standard("a"), standard("b", metric="nps"), standard("c", window="4w")],
        kpis=[kpi("d", window="28d", by="segment"), kpi("e", window="28d", scope=Scope("channel", "web")),
              kpi("f", window="month")])
    with Store.open(surveys_db(tmp_path, answers("web-form", [5] * 9))) as store:
        counting = CountingStore(store)
        result = evaluate(spec, counting, AS_OF)
    assert counting.scans == 1  # 28d (a, b, c, d, e) and month (f) alike
    assert len(result.results) == 3 * 4 + 3 + 1 + 1
    assert {r.rule: r.window.to_dict() for r in result.results if r.rule in ("c", "f")} == \
        {"c": {"start": "2026-10-24", "end": "2026-11-20"}, "f": {"start": "2026-10-01", "end": "2026-10-31"}}


def test_results_are_in_spec_order_and_the_run_carries_its_evidence(tmp_path):
    spec = make_spec(standards=[standard("z-first", metric="nps", window="month", applies_to=WEB_ONLY),
                                standard("a-second", applies_to=WEB_ONLY)],
                     kpis=[kpi("kpi-third", window="28d")])
    result = run(spec, surveys_db(tmp_path, []), git_commit="abc123")
    assert [r.rule for r in result.results] == ["z-first", "a-second", "kpi-third"]
    assert (result.as_of, result.spec_path, result.program, result.git_commit) == \
        (AS_OF, "specs", "northwind", "abc123")
    assert result.data_digest.startswith("sha256:") and result.cxgov_version
