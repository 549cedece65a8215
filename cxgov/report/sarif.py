"""`cxgov check --sarif`: SARIF 2.1.0 for code-scanning views (GitHub, GitLab, IDEs).

Each rule (standard or KPI) is a reportingDescriptor; each result that is not a pass is a SARIF result at its
rule's spec file and line. Waived results carry a suppression with the waiver's justification. A rule that
could not be evaluated is a tool execution notification, and the invocation is marked unsuccessful.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import PurePath

from cxgov.engine.results import Result, Run
from cxgov.errors import Location
from cxgov.report import format as fmt
from cxgov.report.json import dumps, stable
from cxgov.spec.model import Spec

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SEVERE = ("critical", "high")


def render(run: Run, spec: Spec | None = None) -> str:
    rule_ids = sorted({r.rule for r in run.results})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    firsts = {}
    for result in run.results:
        firsts.setdefault(result.rule, result)
    results, notifications = [], []
    for result in run.results:
        if result.status == "error":
            notifications.append(_notification(result, index[result.rule]))
        elif result.status != "pass":
            results.append(_result(result, index[result.rule]))
    document = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cxgov",
                "version": run.cxgov_version,
                "semanticVersion": run.cxgov_version,
                "rules": [_descriptor(firsts[rule_id], spec) for rule_id in rule_ids],
            }},
            "automationDetails": {"id": f"cxgov/{run.program}/{run.as_of.isoformat()}"},
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {"as_of": run.as_of.isoformat(), "program": run.program, "spec_path": run.spec_path,
                           "spec_digest": run.spec_digest, "data_digest": run.data_digest,
                           "git_commit": run.git_commit, "summary": run.summary()},
        }],
    }
    return dumps(stable(document), expand=4)  # runs[0].results: one result per line


def level(result: Result) -> str:
    """SARIF level by status and severity: breaches of critical/high rules are errors, warns of them warnings."""
    status = result.effective_status
    if status == "breach":
        return "error" if result.severity in SEVERE else "warning"
    if status == "warn":
        return "warning" if result.severity in SEVERE else "note"
    return "none"


def _descriptor(result: Result, spec: Spec | None) -> dict:
    rule = spec.rule(result.rule) if spec is not None else None
    name = result.rule_name or result.rule
    summary = (f"{result.metric} {fmt.threshold(result.threshold)} over each "
               f"{'touchpoint' if result.kind == 'standard' else 'scope'}; {result.severity} severity")
    description = getattr(rule, "description", None) or summary
    return {
        "id": result.rule,
        "name": _pascal(result.rule),
        "shortDescription": {"text": name},
        "fullDescription": {"text": description},
        "help": {"text": f"{name}: {summary}. Defined at {fmt.location(result)}."},
        "defaultConfiguration": {"level": "error" if result.severity in SEVERE else "warning"},
        "properties": {"kind": result.kind, "metric": result.metric, "metric_kind": result.metric_kind,
                       "severity": result.severity, "threshold": result.threshold.to_dict(),
                       "tags": ["cx-governance", result.kind, result.severity]},
    }


def _result(result: Result, rule_index: int) -> dict:
    entry = {
        "ruleId": result.rule,
        "ruleIndex": rule_index,
        "kind": "fail" if result.effective_status in ("breach", "warn") else "review",
        "level": level(result),
        "message": {"text": _message(result)},
        "locations": [_location(result.location)],
        "partialFingerprints": {"cxgovResult/v1": _fingerprint(result)},
        "properties": {"status": result.status, "underlying_status": result.underlying_status,
                       "scope": dict(result.scope), "value": result.value, "unit": result.unit, "n": result.n,
                       "ci_low": result.ci_low, "ci_high": result.ci_high, "owner": result.owner,
                       "window": result.window.to_dict(), "severity": result.severity},
    }
    if result.status == "waived" and result.waiver is not None:
        entry["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": result.waiver.justification,
            "properties": {"waiver": result.waiver.id, "approved_by": result.waiver.approved_by,
                           "expires": result.waiver.expires.isoformat()},
        }]
    return entry


def _notification(result: Result, rule_index: int) -> dict:
    return {
        "level": "error",
        "message": {"text": f"{result.rule} at {fmt.scope(result)} could not be evaluated: "
                            + "; ".join(result.notes)},
        "locations": [_location(result.location)],
        "associatedRule": {"id": result.rule, "index": rule_index},
    }


def _message(result: Result) -> str:
    text = f"{fmt.status(result).capitalize()}: {fmt.headline(result)}."
    if result.notes:
        text += " " + " ".join(f"{note[0].upper()}{note[1:]}." for note in result.notes)
    return text


@lru_cache(maxsize=1024)
def _uri(file: str) -> str:
    """A spec file as a SARIF artifact URI (a run has few files and thousands of results)."""
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else path.as_posix()


def _location(location: Location) -> dict:
    physical: dict = {"artifactLocation": {"uri": _uri(location.file)}}
    if location.line > 0:
        physical["region"] = {"startLine": location.line, **({"startColumn": location.column}
                                                            if location.column > 0 else {})}
    return {"physicalLocation": physical}


def _fingerprint(result: Result) -> str:
    key = json.dumps([result.rule, list(map(list, result.scope))])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-") if part)
