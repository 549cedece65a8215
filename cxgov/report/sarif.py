"""`cxgov check --sarif`: SARIF 2.1.0 for code-scanning views (GitHub, GitLab, IDEs).

Each rule (standard or KPI) is a reportingDescriptor, with help and a link to the docs. By default only the
results that need attention are SARIF results, at their rule's spec file and line: unwaived breaches, warns when
the check fails on warn, and rules that could not be evaluated (also tool execution notifications, the invocation
marked unsuccessful). GitHub code scanning ignores suppressions, so a waived breach left in would open an alert.
`everything` puts every result in (for SARIF viewers and archives), each with `suppressions`: a waived result's
waiver, and an empty list for the others.

With a Checkout, file URIs are relative to the repository root (`%SRCROOT%`, declared in originalUriBaseIds) and
the run names the repository, commit and branch (versionControlProvenance).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from cxgov import resources
from cxgov.engine.provenance import Checkout
from cxgov import wording
from cxgov.engine.results import FailPolicy, Result, Run
from cxgov.errors import Location
from cxgov.report import format as fmt
from cxgov.report.json import dumps, stable
from cxgov.spec.model import Spec
from cxgov.speed import memo
from cxgov.vocabulary import SEVERE

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
# the docs section (docs/<page>#<anchor>) that explains each kind of rule
HELP_PAGES = {"standard": ("spec-language.md", "standards"), "kpi": ("spec-language.md", "kpis")}


def needs_attention(result: Result, policy: FailPolicy) -> bool:
    """What goes into the SARIF by default: an unwaived breach, a warn when the check fails on warn, a rule that
    could not be evaluated. Whatever the severity: code scanning filters by level."""
    return result.status in ("breach", "error") or (result.status == "warn" and policy.fail_on == "warn")


def render(run: Run, spec: Spec | None = None, policy: FailPolicy = FailPolicy(), everything: bool = False) -> str:
    """SARIF 2.1.0 of the run; locations are relative to the checkout the run carries (a check with `checkout`)."""
    checkout = run.checkout
    rule_ids = sorted({r.rule for r in run.results})  # every rule that ran, so code scanning can close alerts
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    firsts: dict[str, Result] = {}
    for result in run.results:
        firsts.setdefault(result.rule, result)
    results, notifications = [], []
    for result in run.results:
        if result.status == "error":
            notifications.append(_notification(result, index[result.rule], checkout))
        if everything or needs_attention(result, policy):
            results.append(_result(result, index[result.rule], checkout, everything))
    driver = {
        "name": "cxgov",
        "fullName": f"cxgov {run.cxgov_version}: customer-experience governance as code",
        "version": run.cxgov_version,
        "semanticVersion": run.cxgov_version,
        "rules": [_descriptor(firsts[rule_id], spec) for rule_id in rule_ids],
    }
    information = resources.project_uri()
    if information:
        driver["informationUri"] = information
    document_run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"cxgov/{run.program}/{run.as_of.isoformat()}"},
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
        "results": results,
        "properties": {"as_of": run.as_of.isoformat(), "program": run.program, "spec_path": run.spec_path,
                       "spec_digest": run.spec_digest, "data_digest": run.data_digest,
                       "git_commit": run.git_commit, "summary": run.summary(),
                       "results": "all" if everything else "needing attention"},
    }
    if checkout is not None:
        document_run["originalUriBaseIds"] = {SRCROOT: {
            "uri": Path(checkout.root).as_uri().rstrip("/") + "/",
            "description": {"text": "The root of the repository holding the spec (else the spec folder)."}}}
        provenance = _provenance(run, checkout)
        if provenance:
            document_run["versionControlProvenance"] = [provenance]
    document = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [document_run]}
    return dumps(stable(document), expand=4)  # runs[0].results: one result per line


def level(result: Result) -> str:
    """SARIF level by status and severity: breaches of critical/high rules are errors, warns of them warnings; a
    rule that could not be evaluated is an error."""
    status = result.effective_status
    if status == "error":
        return "error"
    if status == "breach":
        return "error" if result.severity in SEVERE else "warning"
    if status == "warn":
        return "warning" if result.severity in SEVERE else "note"
    return "none"


def _kind(result: Result) -> str:
    status = result.effective_status
    if status in ("breach", "warn", "error"):
        return "fail"
    return "open" if status == "insufficient" else "pass"  # open: too little data to decide


def _descriptor(result: Result, spec: Spec | None) -> dict[str, Any]:
    rule = spec.rule(result.rule) if spec is not None else None
    name = result.rule_name or result.rule
    summary = (f"{result.metric} {wording.threshold(result.threshold)} over each "
               f"{'touchpoint' if result.kind == 'standard' else 'scope'}; {result.severity} severity")
    description = getattr(rule, "description", None) or summary
    page, anchor = HELP_PAGES.get(result.kind, ("spec-language.md", ""))
    descriptor = {
        "id": result.rule,
        "name": _pascal(result.rule),
        "shortDescription": {"text": name},
        "fullDescription": {"text": description},
        "help": {"text": f"{name}: {summary}. Defined at {fmt.location(result)}.",
                 "markdown": _help_markdown(result, name, description)},
        "defaultConfiguration": {"level": "error" if result.severity in SEVERE else "warning"},
        "properties": {"kind": result.kind, "metric": result.metric, "metric_kind": result.metric_kind,
                       "severity": result.severity, "threshold": result.threshold.to_dict(),
                       "tags": ["cx-governance", result.kind, result.severity]},
    }
    help_uri = resources.docs_uri(page, anchor)
    if help_uri:
        descriptor["helpUri"] = help_uri
    return descriptor


def _help_markdown(result: Result, name: str, description: str) -> str:
    """The rule's help as code scanning shows it beside an alert: what the rule is, and what to do."""
    lines = [f"**{name}** ({'standard' if result.kind == 'standard' else 'KPI'} `{result.rule}`, "
             f"{result.severity} severity)", "", description, "",
             f"- Measures: `{result.metric}` ({result.metric_kind}), {wording.threshold(result.threshold)}",
             f"- Defined at `{fmt.location(result)}`"]
    if result.kind == "standard":
        lines.append("- One result per touchpoint it applies to")
    waiver, action = (_link(word, anchor) for word, anchor in (("waiver", "waivers"), ("action", "actions")))
    lines += ["", f"To accept a breach for a while, add a time-boxed {waiver}; to record what is being done, an "
                  f"{action}."]
    return "\n".join(lines)


def _link(word: str, anchor: str) -> str:
    """`word`, linked to its section of the spec language docs where they can be found."""
    uri = resources.docs_uri("spec-language.md", anchor)
    return f"[{word}]({uri})" if uri else word


def _result(result: Result, rule_index: int, checkout: Checkout | None, everything: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": result.rule,
        "ruleIndex": rule_index,
        "kind": _kind(result),
        "level": level(result),
        "message": {"text": _message(result)},
        "locations": [_location(result.location, checkout)],
        "partialFingerprints": {"cxgovResult/v1": _fingerprint(result)},
        "properties": {"status": result.status, "underlying_status": result.underlying_status,
                       "scope": dict(result.scope), "value": result.value, "unit": result.unit, "n": result.n,
                       "ci_low": result.ci_low, "ci_high": result.ci_high, "owner": result.owner,
                       "window": result.window.to_dict(), "severity": result.severity},
    }
    if everything:  # SARIF: suppressions on every result or on none
        entry["suppressions"] = []
    if result.status == "waived" and result.waiver is not None:
        entry["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": result.waiver.justification,
            "properties": {"waiver": result.waiver.id, "approved_by": result.waiver.approved_by,
                           "expires": result.waiver.expires.isoformat()},
        }]
    return entry


def _notification(result: Result, rule_index: int, checkout: Checkout | None) -> dict[str, Any]:
    return {
        "level": "error",
        "message": {"text": _message(result)},
        "locations": [_location(result.location, checkout)],
        "associatedRule": {"id": result.rule, "index": rule_index},
    }


def _message(result: Result) -> str:
    if result.status == "error":
        text = f"{result.rule_name or result.rule} at {fmt.scope(result)} could not be evaluated: " + \
            "; ".join(result.notes)
        return text if text.endswith(".") else text + "."
    text = f"{fmt.status(result).capitalize()}: {fmt.headline(result)}."
    if result.notes:
        text += " " + " ".join(f"{note[0].upper()}{note[1:]}." for note in result.notes)
    return text


def _location(location: Location, checkout: Checkout | None) -> dict[str, Any]:
    """A spec file and line as a SARIF location: the file relative to the repository root with a Checkout."""
    relative = checkout.relative(location.file) if checkout is not None else None
    artifact = {"uri": _uri(relative), "uriBaseId": SRCROOT} if relative is not None else {"uri": _uri(location.file)}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line > 0:
        physical["region"] = {"startLine": location.line, **({"startColumn": location.column}
                                                            if location.column > 0 else {})}
    return {"physicalLocation": physical}


@memo(1024)
def _uri(file: str) -> str:
    """A path as a SARIF artifact URI (a run has few files and thousands of results)."""
    path = PurePath(file)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _provenance(run: Run, checkout: Checkout) -> dict[str, Any] | None:
    """versionControlProvenance for a git work tree: the remote (else the repository's own folder), the commit
    and the branch; None outside git or before the first commit."""
    if not checkout.git or not run.git_commit:
        return None
    commit = run.git_commit.removesuffix("-dirty")
    details: dict[str, Any] = {"repositoryUri": checkout.repository_uri or Path(checkout.root).as_uri() + "/",
                     "revisionId": commit, "mappedTo": {"uriBaseId": SRCROOT}}
    if checkout.branch:
        details["branch"] = checkout.branch
    if commit != run.git_commit:
        details["properties"] = {"uncommitted_changes": True}
    return details


def _fingerprint(result: Result) -> str:
    key = json.dumps([result.rule, list(map(list, result.scope))])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-") if part)
