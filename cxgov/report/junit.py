"""`cxgov check --junit`: a JUnit XML report for CI test views.

One testsuite per rule, one testcase per touchpoint or scope. Results that fail the check are failures,
`error` results errors, `insufficient` and `waived` results skipped (with the reason); the rest pass.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree as ET

from cxgov import wording
from cxgov.engine.results import FailPolicy, Result, Run
from cxgov.report import format as fmt


# characters XML 1.0 cannot hold at all, not even as character references (ElementTree writes them as they are)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def render(run: Run, policy: FailPolicy = FailPolicy()) -> str:
    by_rule: dict[str, list[Result]] = defaultdict(list)
    for result in run.results:
        by_rule[result.rule].append(result)
    root = ET.Element("testsuites", name=f"cxgov check {run.program}".strip())
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for rule in sorted(by_rule):
        suite = _suite(rule, by_rule[rule], run, policy)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _NOT_XML.sub(_visible, text) + "\n"


def _suite(rule: str, results: list[Result], run: Run, policy: FailPolicy) -> ET.Element:
    first = results[0]
    suite = ET.Element("testsuite", name=rule, timestamp=f"{run.as_of.isoformat()}T00:00:00",
                       file=first.location.file)
    properties = ET.SubElement(suite, "properties")
    for name, value in (("rule_name", first.rule_name), ("kind", first.kind), ("metric", first.metric),
                        ("threshold", wording.threshold(first.threshold)), ("severity", first.severity),
                        ("window", wording.span(first.window)), ("location", fmt.location(first)),
                        ("as_of", run.as_of.isoformat())):
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=str(value))
    counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
    for result in results:
        case = ET.SubElement(suite, "testcase", name=fmt.scope(result), classname=f"cxgov.{rule}",
                             file=result.location.file, line=str(result.location.line))
        outcome = _outcome(result, policy)
        if outcome is not None:
            tag, message = outcome
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]] += 1
            element = ET.SubElement(case, tag, message=message, type=fmt.status(result))
            element.text = _details(result)
        else:
            ET.SubElement(case, "system-out").text = _details(result)
    suite.set("tests", str(len(results)))
    for key, count in counts.items():
        suite.set(key, str(count))
    return suite


def _outcome(result: Result, policy: FailPolicy) -> tuple[str, str] | None:
    if result.status == "error":
        return "error", result.notes[0] if result.notes else "the rule could not be evaluated"
    if policy.fails(result):
        return "failure", fmt.headline(result)
    if result.status == "insufficient":
        return "skipped", f"insufficient data: {result.notes[0] if result.notes else f'n {result.n}'}"
    if result.status == "waived" and result.waiver is not None:
        return "skipped", (f"{result.underlying_status} waived by {result.waiver.id} until "
                           f"{result.waiver.expires.isoformat()}: {result.waiver.justification}")
    return None


def _details(result: Result) -> str:
    lines = [fmt.headline(result), f"status: {fmt.status(result)}", f"window: {wording.span(result.window)}",
             f"spec: {fmt.location(result)}"]
    lines += [f"action {a.id} ({a.status}, due {a.due.isoformat()}, owner {a.owner})" for a in result.actions]
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)
