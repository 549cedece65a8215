"""Every validator rule: a stable code, a severity and a one-line summary. docs/rules.md is generated from here.

Codes by stage: CX0xx reading files and the schema, CX1xx errors in the spec's meaning, CX2xx governance warnings
(of which the `check` stage ones need the data, so `cxgov check` reports them, not `cxgov validate`).
Codes are never reused or renumbered; users silence and search for them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A validator rule: its stable code, severity, summary and the step that reports it."""

    code: str
    severity: str  # "error" | "warning"
    summary: str
    stage: str  # "load" | "schema" | "build" | "lint": which step of validate reports it; "check": `cxgov check`


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("CX001", "error", "a spec file cannot be read: missing permissions, over 2 MiB, not a regular file, not "
         "text in UTF-8 (or UTF-16/UTF-32 with a byte-order mark), a NUL byte, or empty", "load"),
    Rule("CX002", "error", "YAML syntax error, including tabs used for indentation, several documents in one file, "
         "characters YAML does not allow and values nested more than 64 levels deep", "load"),
    Rule("CX003", "error", "a key appears twice in the same mapping", "load"),
    Rule("CX004", "error", "a YAML tag that is not plain data (such as !!python/object or !custom), or a value its "
         "tag does not allow", "load"),
    Rule("CX005", "error", "aliases that expand out of proportion (\"billion laughs\") or refer to themselves", "load"),
    Rule("CX006", "error", "the spec folder holds no .yaml or .yml file", "load"),
    Rule("CX007", "error", "a file outside the spec's repository: a source `path:` that is absolute, leads out "
         "with `..` or matches a file through a symbolic link that leads out (or a hidden file), or a symbolic "
         "link to a spec file or folder outside; unless its folder is allowed with --allow-root or "
         "CXGOV_ALLOW_ROOTS", "load"),
    Rule("CX008", "error", "a symbolic link in the spec folder that loops or leads to nothing", "load"),
    Rule("CX009", "error", "a text value or key holding a control character (C0 but tab and newline, DEL, C1), a "
         "surrogate or a noncharacter, or an escape that writes no character", "load"),
    Rule("CX014", "warning", "a text value or key holding a bidirectional control character (U+202A-U+202E, "
         "U+2066-U+2069), which can make text display differently from what it says", "load"),
    Rule("CX010", "error", "unknown key (with a \"did you mean\" hint)", "schema"),
    Rule("CX011", "error", "a value of the wrong type", "schema"),
    Rule("CX012", "error", "a required key is missing", "schema"),
    Rule("CX013", "error", "an invalid value: not one of the allowed choices, badly formed, out of range, not a real "
         "date, an unknown time zone; a number that is NaN, infinite or beyond ±1e15, a date outside 1900-01-01 to "
         "9997-12-31, a rolling window longer than 3660 days", "schema"),
    Rule("CX100", "error", "the spec has no `program`, or more than one", "build"),
    Rule("CX101", "error", "an id is defined twice in a section (across all files), or a KPI has a standard's id",
         "build"),
    Rule("CX104", "error", "unknown reference: an id that names nothing defined", "build"),
    Rule("CX105", "error", "a touchpoint is on a stage its journey does not have", "build"),
    Rule("CX111", "error", "a theme pattern that cannot be matched: no word in it, characters other than letters, "
         "digits, spaces, ' and -, or a `*` not at its end", "build"),
    Rule("CX106", "error", "a RACI activity does not have exactly one A (accountable)", "lint"),
    Rule("CX107", "error", "a RACI activity has no R (responsible)", "lint"),
    Rule("CX108", "error", "an inconsistent threshold: warn not stricter than fail, or a bound the metric can never "
         "reach", "lint"),
    Rule("CX109", "error", "a waiver expires beyond the allowed horizon (defaults.max_waiver_days) or before it was "
         "granted", "lint"),
    Rule("CX110", "error", "a metric's fields do not fit its kind (e.g. an sla without within)", "lint"),
    Rule("CX112", "error", "a problems analysis whose `score` metric reads another source, or two analyses of one "
         "source that read their categories from different columns", "lint"),
    Rule("CX201", "warning", "a touchpoint no standard applies to (ungoverned); retired ones are exempt", "lint"),
    Rule("CX202", "warning", "a moment of truth no standard applies to", "lint"),
    Rule("CX203", "warning", "a journey stage with no touchpoint", "lint"),
    Rule("CX204", "warning", "a step of the CX management cycle with no RACI activity that has an A", "lint"),
    Rule("CX205", "warning", "an owner with no assignment: named nowhere in the spec", "lint"),
    Rule("CX206", "warning", "a person accountable for more than defaults.max_accountable items", "lint"),
    Rule("CX207", "warning", "the program review is overdue for its cadence", "lint"),
    Rule("CX208", "warning", "a waiver that matches nothing its standard or KPI covers", "lint"),
    Rule("CX209", "warning", "a waiver that has expired", "lint"),
    Rule("CX210", "warning", "an action past its due date that is not done", "lint"),
    Rule("CX211", "warning", "a committee named as accountable (A or owner)", "lint"),
    Rule("CX212", "warning", "a standard that applies to no touchpoint", "lint"),
    Rule("CX213", "warning", "a root cause no problems analysis uses (no category or theme counts for it)", "lint"),
    Rule("CX214", "warning", "a category mapped twice: two `causes` values of one analysis that differ only in case "
         "or spaces, or a theme pattern two themes of one analysis share", "lint"),
    Rule("CX215", "warning", "a category found in the data that `causes` maps to no root cause (reported by `cxgov "
         "check`, which reads the data: the category is its own unmapped bar, status pass)", "check"),
)}


def severity(code: str) -> str:
    return RULES[code].severity


def markdown() -> str:
    """docs/rules.md: the rule table, generated from RULES (`cxgov rules --markdown`)."""
    lines = [
        "# cxgov validate: rules",
        "",
        "Generated by `cxgov rules --markdown` from `cxgov/spec/rules.py`; do not edit by hand.",
        "",
        "Every message `cxgov validate` prints names the file, line and column, the rule code and its severity,",
        "for example:",
        "",
        "```",
        "specs/touchpoints.yaml:42:5: CX104 error: touchpoint 'web-chat' names owner 'digtal-team', which is not "
        "defined (did you mean 'digital-team'?)",
        "```",
        "",
        "Errors make `cxgov validate` exit 1 and `cxgov check` refuse the spec; warnings are governance findings,",
        "shown but not fatal unless `--strict` is given. Codes are stable: CX0xx reading files and the schema,",
        "CX1xx errors in the spec's meaning, CX2xx governance warnings. A warning that needs the data (CX215) is",
        "reported by `cxgov check`, on stderr and in its JSON's `diagnostics`; it does not change the exit code.",
        "",
        "| code | severity | rule |",
        "|---|---|---|",
    ]
    for rule in RULES.values():
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| {rule.code} | {rule.severity} | {summary} |")
    return "\n".join(lines) + "\n"
