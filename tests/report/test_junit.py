"""JUnit XML: a testsuite per rule, a testcase per touchpoint or scope, parsed with junitparser."""

from __future__ import annotations

from junitparser import Error, Failure, JUnitXml, Skipped

from cxgov.engine.results import FailPolicy
from cxgov.report import junit
from run_fixtures import sample_run


def parse(xml: str) -> JUnitXml:
    return JUnitXml.fromstring(xml)


def outcomes(xml: str) -> dict[tuple[str, str], str]:
    got = {}
    for suite in parse(xml):
        for case in suite:
            kinds = [type(r).__name__.lower() for r in case.result]
            got[suite.name, case.name] = kinds[0] if kinds else "passed"
    return got


def test_suites_per_rule_and_cases_per_scope_with_outcomes_by_status():
    xml = junit.render(sample_run())
    assert [suite.name for suite in parse(xml)] == \
        ["app-session-length", "complaints-resolved-24h", "relationship-nps", "student-nps"]
    assert outcomes(xml) == {
        ("app-session-length", "app-login"): "error",
        ("complaints-resolved-24h", "phone-complaints"): "failure",
        ("complaints-resolved-24h", "chat-complaints"): "passed",  # a warn does not fail by default
        ("complaints-resolved-24h", "email-complaints"): "passed",
        ("complaints-resolved-24h", "branch-complaints"): "skipped",  # waived
        ("complaints-resolved-24h", "letter-complaints"): "skipped",  # insufficient
        ("relationship-nps", "segment retail"): "failure",
        ("student-nps", "segment student"): "passed",
    }


def test_counts_messages_and_properties():
    xml = parse(junit.render(sample_run()))
    suites = {suite.name: suite for suite in xml}
    sla = suites["complaints-resolved-24h"]
    assert (sla.tests, sla.failures, sla.errors, sla.skipped) == (5, 1, 0, 2)
    properties = {p.name: p.value for p in sla.properties()}
    assert properties["threshold"] == ">= 90 (warn 95)" and properties["location"] == "specs/standards.yaml:12"
    phone = next(case for case in sla if case.name == "phone-complaints")
    (failure,) = phone.result
    assert isinstance(failure, Failure)
    assert failure.message == ("Complaints resolved within 24 hours at phone-complaints: 87.5% (n 240, "
                               "95% CI 82.7–91.1) against >= 90 (warn 95); owner service-operations")
    waived = next(case for case in sla if case.name == "branch-complaints")
    assert isinstance(waived.result[0], Skipped) and "w-branch-queue" in waived.result[0].message
    error = next(iter(suites["app-session-length"]))
    assert isinstance(error.result[0], Error) and "app_sessions" in error.result[0].message
    root = parse(junit.render(sample_run()))
    assert (root.tests, root.failures, root.errors, root.skipped) == (8, 2, 1, 2)


def test_the_fail_policy_decides_what_is_a_failure():
    warn_on = outcomes(junit.render(sample_run(), FailPolicy("warn")))
    assert warn_on["complaints-resolved-24h", "chat-complaints"] == "failure"
    assert warn_on["student-nps", "segment student"] == "failure"
    critical = outcomes(junit.render(sample_run(), FailPolicy("warn", "critical")))
    assert critical["complaints-resolved-24h", "phone-complaints"] == "passed"
    assert critical["relationship-nps", "segment retail"] == "failure"
    assert junit.render(sample_run()) == junit.render(sample_run())


HOSTILE = "tp\x1b[31m\x00\x08\ufffe\ud800\x7f\x85end"  # a value XML 1.0 cannot hold as it is


def test_characters_xml_cannot_hold_are_written_as_escapes_so_the_report_stays_well_formed():
    from dataclasses import replace
    from xml.etree import ElementTree as ET

    from run_fixtures import BREACH, ERROR

    results = (replace(BREACH, scope=(("touchpoint", HOSTILE),), touchpoint=HOSTILE, rule_name="name\x0c"),
               replace(ERROR, notes=(f"source 's': cannot read {HOSTILE}",)))
    xml = junit.render(sample_run(results))
    root = ET.fromstring(xml.encode("utf-8"))  # well-formed, and encodable as UTF-8
    escaped = "tp\\x1b[31m\\x00\\x08\\ufffe\\ud800\x7f\x85end"  # DEL and C1 controls are XML characters
    assert escaped in [case.get("name") for case in root.iter("testcase")]
    (error,) = root.iter("error")
    assert error.get("message") == f"source 's': cannot read {escaped}"
    assert {p.get("name"): p.get("value") for p in root.iter("property")}["rule_name"] == "name\\x0c"
    assert len(parse(xml)) == 2


def test_every_other_character_is_kept_as_it_is():
    from dataclasses import replace
    from xml.etree import ElementTree as ET

    from run_fixtures import BREACH

    name = "a\tb\nc é 😀 \u202e \ud7ff \ue000"
    root = ET.fromstring(junit.render(sample_run((replace(BREACH, rule_name=name),))))
    assert {p.get("name"): p.get("value") for p in root.iter("property")}["rule_name"] == name
