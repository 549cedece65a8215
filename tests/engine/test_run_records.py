"""The Run from a real evaluation: byte-identical JSON for the same inputs, valid against the results schema."""

from __future__ import annotations

import json
from datetime import date

import jsonschema

from cxgov.data.store import Store
from cxgov.engine.evaluate import evaluate
from cxgov.report import json as json_report
from cxgov.resources import schema_path
from cxgov.spec.model import Scope, Selector
from engine_fixtures import (AS_OF, action, answers, counts, csat_scores, kpi, make_spec, standard, surveys_db,
                             threshold, waiver)


def spec_with_every_status():
    return make_spec(
        standards=[standard(applies_to=Selector(channel=("web", "app", "phone", "chat")),
                            threshold=threshold(">=", 75, 80)),
                   standard("fcr", metric="fcr", line=30)],  # no tickets table: error results
        kpis=[kpi("nps-by-segment", window="28d", by="segment", trend=5),
              kpi("nps-journey", window="month", scope=Scope("journey", "open-account"))],
        waivers=[waiver(touchpoints=["chat-complaints"])],
        actions=[action(touchpoint="web-form", due=date(2026, 11, 1))])


def rows():
    return (answers("web-form", csat_scores(6, 10)) + answers("app-onboarding", csat_scores(78, 100))
            + answers("phone-complaints", csat_scores(2, 3)) + answers("chat-complaints", csat_scores(1, 10))
            + answers("web-form", counts({10: 40, 7: 7, 3: 13}), question="recommend")
            + answers("app-onboarding", counts({9: 20, 8: 3, 1: 10}), question="recommend", segment="premier",
                      day=date(2026, 10, 12)))


def test_every_status_is_produced_and_the_json_is_byte_identical_and_valid(tmp_path):
    spec = spec_with_every_status()
    db = surveys_db(tmp_path, rows())
    outputs = []
    for _ in range(2):
        with Store.open(db) as store:
            outputs.append(json_report.render(evaluate(spec, store, AS_OF, git_commit="f00d")))
    assert outputs[0] == outputs[1]
    document = json.loads(outputs[0])
    jsonschema.Draft202012Validator(json.loads(schema_path("cxgov-results-v1.json").read_text())).validate(document)
    statuses = {r["status"] for r in document["results"]}
    assert statuses == {"pass", "warn", "breach", "insufficient", "waived", "error"}
    assert document["summary"]["error"] == 4 and document["spec"]["git_commit"] == "f00d"
    web = next(r for r in document["results"] if r["rule"] == "csat-standard" and r["touchpoint"] == "web-form")
    assert web["status"] == "breach" and web["actions"][0]["overdue"] is True
    assert web["location"] == {"file": "specs/standards.yaml", "line": 10}


def test_a_different_as_of_or_data_changes_the_json(tmp_path):
    spec = spec_with_every_status()
    db = surveys_db(tmp_path, rows())
    other = surveys_db(tmp_path, rows()[:-1], "other.duckdb")
    with Store.open(db) as store:
        base = json_report.render(evaluate(spec, store, AS_OF))
        later = json_report.render(evaluate(spec, store, date(2026, 11, 21)))
    with Store.open(other) as store:
        changed = json.loads(json_report.render(evaluate(spec, store, AS_OF)))
    assert base != later
    assert changed["data"]["digest"] != json.loads(base)["data"]["digest"]
