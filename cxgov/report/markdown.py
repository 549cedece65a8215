"""`cxgov check --markdown`: a summary for CI step summaries and pull-request comments (GitHub-flavoured)."""

from __future__ import annotations

from cxgov.engine.results import STATUSES, FailPolicy, Result, Run
from cxgov.report import format as fmt
from cxgov.spec.model import Spec

ICONS = {"breach": "🔴", "error": "⛔", "warn": "🟠", "waived": "⚪", "insufficient": "❔", "pass": "🟢"}
COLUMNS = ("Status", "Severity", "Rule", "Scope", "Value", "Threshold", "n", "Owner", "Spec")
MAX_ROWS = 100  # per table: PR comments are limited to 65,536 characters


def render(run: Run, spec: Spec | None = None, policy: FailPolicy = FailPolicy()) -> str:
    results = run.sorted_results()
    failing = [r for r in results if policy.fails(r)]
    title = spec.program.name if spec is not None else (run.program or run.spec_path)
    counts = run.summary()
    verdict = (f"**{len(failing)} result(s) fail the check**" if failing
               else "**No result fails the check**")
    lines = [
        f"## cxgov check: {_cell(title)}, as of {run.as_of.isoformat()}",
        "",
        f"{verdict} (fail on {policy.fail_on}, from severity {policy.min_severity}).",
        "",
        " · ".join(f"{ICONS[s]} {counts[s]} {s}" for s in STATUSES),
        "",
    ]
    if run.findings:
        names = ", ".join(f"`{_cell(h.source)}`" for h in run.findings)
        lines += [f"⛔ **Data finding** in source {names}: see [Data](#data) below.", ""]
    attention = [r for r in results if r.status not in ("pass", "insufficient")]
    if attention:
        lines += ["### Needs attention", "", *_table(attention), ""]
    for status, heading in (("insufficient", "Not enough data"), ("pass", "Passing")):
        group = [r for r in results if r.status == status]
        if group:
            lines += [f"<details><summary>{heading} ({len(group)})</summary>", "", *_table(group), "",
                      "</details>", ""]
    if run.health:
        lines += ["### Data", "", "| Source | Rows the evaluation could not use |", "|---|---|"]
        lines += [f"| {'⛔ ' if h.finding else ''}{_cell(h.source)} | {_cell(fmt.health(h))}"
                  + (f" · **finding:** {_cell(h.finding)}" if h.finding else "") + " |" for h in run.health]
        lines.append("")
    commit = f" · commit `{run.git_commit[:12]}`" if run.git_commit else ""
    lines.append(f"<sub>spec `{_cell(run.spec_path)}` `{run.spec_digest[:19]}`{commit} · "
                 f"data `{run.data_digest[:19]}` · cxgov {run.cxgov_version}</sub>")
    return "\n".join(lines) + "\n"


def _table(results: list[Result]) -> list[str]:
    rows = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results[:MAX_ROWS]:
        value = "—" if r.status == "error" else fmt.in_units(r.value, r)
        cells = [f"{ICONS[r.status]} {fmt.status(r)}", r.severity, _rule(r), fmt.scope(r), value,
                 fmt.threshold(r.threshold), str(r.n), r.owner or "", fmt.location(r)]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        for detail in _details(r):
            rows.append("| | | " + _cell(detail) + " |" + " |" * (len(COLUMNS) - 3))
    if len(results) > MAX_ROWS:
        rows += ["", f"… and {len(results) - MAX_ROWS} more (the JSON, JUnit and SARIF reports list every result)."]
    return rows


def _rule(result: Result) -> str:
    return f"{result.rule_name} ({result.rule})" if result.rule_name else result.rule


def _details(result: Result) -> list[str]:
    details = []
    if result.waiver is not None and result.waiver.active and result.status == "waived":
        details.append(f"↳ waiver {result.waiver.id} until {result.waiver.expires.isoformat()}: "
                       f"{result.waiver.justification}")
    if result.status in ("breach", "warn", "waived"):
        details += [f"↳ action {a.id} ({a.status}, due {a.due.isoformat()}{', overdue' if a.overdue else ''}, "
                    f"owner {a.owner})" + (f": {a.description}" if a.description else "") for a in result.actions]
    if result.status in ("breach", "error", "warn"):
        details += [f"↳ {note}" for note in result.notes]
    return details


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: HTML escaped, pipes and newlines neutralised."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("\r", " ").replace("\n", " "))
