"""SARIF 2.1.0: valid against the OASIS schema, results at their rule's spec line, waivers as suppressions."""

from __future__ import annotations

import json

import jsonschema
import pytest

from cxgov.report import sarif
from pathlib import Path

from run_fixtures import SHARED_SARIF_SCHEMA, sample_run

# The official OASIS schema: from shared/ beside the repository when present, else the copy kept with the tests.
SARIF_SCHEMA = SHARED_SARIF_SCHEMA if SHARED_SARIF_SCHEMA.is_file() else Path(__file__).with_name("sarif-2.1.0.json")


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SARIF_SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def document():
    return json.loads(sarif.render(sample_run()))


def test_validates_against_the_sarif_schema(sarif_validator, document):
    sarif_validator.validate(document)
    assert document["version"] == "2.1.0"


def test_rules_are_the_rule_ids_with_names_and_descriptions(document):
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["app-session-length", "complaints-resolved-24h", "relationship-nps",
                                        "student-nps"]
    sla = rules[1]
    assert sla["name"] == "ComplaintsResolved24h"
    assert sla["shortDescription"]["text"] == "Complaints resolved within 24 hours"
    assert ">= 90 (warn 95)" in sla["fullDescription"]["text"]
    assert sla["defaultConfiguration"]["level"] == "error"


def test_results_sit_at_their_rules_spec_line_with_a_level_by_status_and_severity(document):
    results = document["runs"][0]["results"]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    got = [(r["ruleId"], r["properties"]["scope"], r["kind"], r["level"]) for r in results]
    assert got == [
        ("complaints-resolved-24h", {"touchpoint": "phone-complaints"}, "fail", "error"),
        ("complaints-resolved-24h", {"touchpoint": "chat-complaints"}, "fail", "warning"),
        ("complaints-resolved-24h", {"touchpoint": "branch-complaints"}, "fail", "error"),
        ("complaints-resolved-24h", {"touchpoint": "letter-complaints"}, "review", "none"),
        ("relationship-nps", {"segment": "retail"}, "fail", "error"),
        ("student-nps", {"segment": "student"}, "fail", "note"),  # a warn of a low-severity rule
    ]  # the pass is not a result; the error is a notification
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "specs/standards.yaml"},
                                                         "region": {"startLine": 12, "startColumn": 5}}
    assert first["message"]["text"].startswith(
        "Breach: Complaints resolved within 24 hours at phone-complaints: 87.5% (n 240")
    assert len({r["partialFingerprints"]["cxgovResult/v1"] for r in results}) == len(results)


def test_waived_results_carry_a_suppression_with_the_justification(document):
    results = document["runs"][0]["results"]
    waived = [r for r in results if "suppressions" in r]
    assert len(waived) == 1
    (suppression,) = waived[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == "Queue system replacement, see change CHG-1042"
    assert suppression["properties"]["waiver"] == "w-branch-queue"


def test_errors_are_tool_notifications_and_the_run_is_unsuccessful(document):
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"] == {"id": "app-session-length", "index": 0}
    assert "app_sessions" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 40


def test_deterministic():
    assert sarif.render(sample_run()) == sarif.render(sample_run())
