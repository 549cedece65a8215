"""load_spec (what check, report and explain use): errors refuse the spec, governance warnings are not looked for;
the Spec's lookups and coverage agree with the plain definitions."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from cxgov.errors import SpecError
from cxgov.spec import lint
from cxgov.spec import model as m
from cxgov.spec.api import load_spec, validate
from cxgov.spec.rules import RULES
from spec_fixtures import REPO, TODAY, patched, write_spec

DAY = date.fromisoformat(TODAY)
WARNINGS = sorted(code for code in lint.CHECKS if RULES[code].severity == "warning")


def test_load_spec_does_not_look_for_warnings(spec_dir, monkeypatch):
    folder = write_spec(spec_dir, patched("rules.yaml", "{journey: [get-help]}", "{channel: [phone]}"))
    assert {d.code for d in validate(folder, DAY).warnings} == {"CX201"}  # web-form is ungoverned

    def must_not_run(ctx):
        raise AssertionError("load_spec ran a warning check")

    for code in WARNINGS:
        monkeypatch.setitem(lint.CHECKS, code, must_not_run)
    spec = load_spec(folder, DAY)
    assert [tp.id for tp in spec.touchpoints] == ["web-form", "phone-line"]


def test_load_spec_still_refuses_lint_errors(spec_dir):
    folder = write_spec(spec_dir, patched("rules.yaml", "fail: 75, warn: 85", "fail: 85, warn: 75"))
    with pytest.raises(SpecError) as raised:
        load_spec(folder, DAY)
    assert [(d.code, str(d.location)) for d in raised.value.diagnostics] == [("CX108", "specs/rules.yaml:6:43")]


def test_coverage_is_what_the_selectors_match():
    spec = load_spec(REPO / "specs", DAY)
    for standard in spec.standards:
        expected = tuple(tp for tp in spec.touchpoints if tp.evaluated and standard.applies_to.matches(tp))
        assert spec.covered_touchpoints(standard) == expected == spec.coverage[standard.id], standard.id
    other = dataclasses.replace(spec.standards[0], applies_to=m.Selector(channel=("phone",)))  # not the spec's own
    assert spec.covered_touchpoints(other) == tuple(tp for tp in spec.touchpoints
                                                    if tp.evaluated and tp.channel == "phone")


def test_coverage_of_selectors_that_name_several_attributes():
    spec = load_spec(REPO / "specs", DAY)
    tps = spec.touchpoints
    selectors = [m.Selector(touchpoints=(tps[0].id, tps[3].id), stage=(tps[3].stage,)),
                 m.Selector(journey=(tps[0].journey, tps[-1].journey), channel=("phone", "chat")),
                 m.Selector(stage=(tps[1].stage,), channel=(tps[1].channel,), moment_of_truth=tps[1].moment_of_truth),
                 m.Selector(status=("planned", "redesign", "retired"), channel=("video", "web", "app", "phone")),
                 m.Selector(journey=("open-account",), moment_of_truth=True, labels={"region": ("uk",)}),
                 m.Selector(touchpoints=("no-such-touchpoint",)), m.Selector()]  # s5, s6
    standards = tuple(dataclasses.replace(spec.standards[0], id=f"s{i}", applies_to=sel)
                      for i, sel in enumerate(selectors))
    spec = dataclasses.replace(spec, standards=standards)
    for standard in standards:
        expected = tuple(tp for tp in tps if tp.evaluated and standard.applies_to.matches(tp))
        assert spec.covered_touchpoints(standard) == expected, standard.applies_to
        assert expected or standard.id == "s5", "each case but s5 should match something"
    assert spec.coverage["s6"] == tuple(tp for tp in tps if tp.evaluated) and spec.coverage["s5"] == ()


def test_lookups():
    spec = load_spec(REPO / "specs", DAY)
    metric, source = spec.metrics[0], spec.sources[0]
    assert spec.metric(metric.id) is metric and spec.source(source.id) is source
    assert spec.touchpoint(spec.touchpoints[-1].id) is spec.touchpoints[-1]
    assert spec.rule(spec.kpis[0].id) is spec.kpis[0] and spec.rule("nothing") is None
    assert spec.owner("nobody") is None and spec.by_id["owners"][spec.owners[0].id] is spec.owners[0]
