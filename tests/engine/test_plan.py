"""The plan: one scan per source over every window, the grouping sets each rule needs, metrics computed once."""

from __future__ import annotations

from datetime import datetime

import pytest

from cxgov.data.scan import ROWS
from cxgov.engine.plan import plan
from cxgov.errors import UsageError
from cxgov.spec.model import Scope, Selector
from engine_fixtures import AS_OF, kpi, make_spec, standard


def test_rules_on_one_source_share_one_scan_and_metrics_are_computed_once():
    spec = make_spec(
        standards=[standard("csat-a"), standard("csat-b"),
                   standard("nps-web", metric="nps", window="4w", applies_to=Selector(channel=("web",)))],
        kpis=[kpi("nps-28", window="28d"), kpi("nps-by-segment", window="28d", by="segment"),
              kpi("nps-journey", window="28d", scope=Scope("journey", "open-account")),
              kpi("nps-journey-stage", window="28d", scope=Scope("journey", "open-account"), by="stage"),
              kpi("fcr", metric="fcr", window="28d"), kpi("nps-quarter", window="quarter")])
    scans = plan(spec, AS_OF)
    assert [(s.request.source.id, [f.name for f in s.frames]) for s in scans] == \
        [("surveys", ["28d", "quarter"]), ("tickets", ["28d"])]
    surveys = scans[0]
    assert surveys.metrics == (("csat", "m0_"), ("nps", "m1_"))
    names = [a.name for a in surveys.request.aggregates]
    assert len(names) == len(set(names))
    assert names[-1] == ROWS  # the data health's count of rows
    assert {n.split("_")[0] for n in names[:-1]} == {"m0", "m1"}
    assert surveys.request.health == ("touchpoint",)
    assert surveys.request.grouping_sets == ((), ("journey",), ("segment",), ("touchpoint",), ("journey", "stage"))
    assert [p.label for p in surveys.request.periods] == \
        ["28d current", "28d previous", "quarter current", "quarter previous"]
    assert surveys.request.periods[0].start == datetime(2026, 10, 24)
    assert surveys.request.periods[0].end == datetime(2026, 11, 21)
    assert surveys.request.periods[1].start == datetime(2026, 9, 26)
    assert (surveys.request.periods[2].start, surveys.request.periods[3].end) == \
        (datetime(2026, 7, 1), datetime(2026, 7, 1))
    by_rule = {t.rule.id: t.frame.name for t in surveys.targets}
    assert by_rule["nps-web"] == by_rule["nps-28"] == "28d" and by_rule["nps-quarter"] == "quarter"
    # a holistic aggregate is computed only for the grouping sets its rules read
    assert all(a.sets is not None for a in surveys.request.aggregates)
    assert surveys.request.dimensions["web-form"] == {"journey": "open-account", "stage": "purchase", "channel": "web"}


def test_targets_name_the_row_each_result_reads():
    spec = make_spec(
        standards=[standard("csat-web", applies_to=Selector(channel=("web", "app")))],
        kpis=[kpi("nps", window="28d"), kpi("by-seg", window="28d", by="segment"),
              kpi("journey-stage", window="28d", scope=Scope("journey", "open-account"), by="stage"),
              kpi("phone", window="28d", scope=Scope("channel", "phone"))])
    (scan,) = plan(spec, AS_OF)
    sets = scan.request.grouping_sets
    got = [(t.rule.id, t.scope, sets[t.grouping], t.key) for t in scan.targets]
    assert got == [
        ("csat-web", (("touchpoint", "web-form"),), ("touchpoint",), ("web-form",)),
        ("csat-web", (("touchpoint", "app-onboarding"),), ("touchpoint",), ("app-onboarding",)),
        ("nps", (("program", "northwind"),), (), ()),
        ("by-seg", (("segment", "retail"),), ("segment",), ("retail",)),
        ("by-seg", (("segment", "premier"),), ("segment",), ("premier",)),
        ("by-seg", (("segment", "student"),), ("segment",), ("student",)),
        ("journey-stage", (("journey", "open-account"), ("stage", "purchase")), ("journey", "stage"),
         ("open-account", "purchase")),
        ("journey-stage", (("journey", "open-account"), ("stage", "onboarding")), ("journey", "stage"),
         ("open-account", "onboarding")),
        ("phone", (("channel", "phone"),), ("channel",), ("phone",)),
    ]


def test_retired_touchpoints_are_not_planned():
    spec = make_spec(standards=[standard(applies_to=Selector(journey=("resolve-a-problem",)))])
    (scan,) = plan(spec, AS_OF)
    assert [t.touchpoint.id for t in scan.targets] == ["phone-complaints", "chat-complaints"]


def test_by_values_found_only_in_the_data_are_added_after_the_declared_ones():
    spec = make_spec(kpis=[kpi("by-seg", window="28d", by="segment")])
    (scan,) = plan(spec, AS_OF)
    rows = [{"grouping": 0, "period": "28d current", "segment": s} for s in ("retail", "vip", None, "agency")]
    rows.append({"grouping": 0, "period": "quarter current", "segment": "other-window"})  # another rule's window
    scopes = [t.scope for t in scan.expand(rows)]
    assert scopes[-2:] == [(("segment", "agency"),), (("segment", "vip"),)]
    assert len(scopes) == 5


def test_only_selects_rules_and_unknown_ids_are_a_usage_error():
    spec = make_spec(standards=[standard("a"), standard("b", metric="nps")])
    assert [t.rule.id for s in plan(spec, AS_OF, only=["b"]) for t in s.targets] == ["b"] * 4
    with pytest.raises(UsageError, match="'nope'"):
        plan(spec, AS_OF, only=["nope"])
