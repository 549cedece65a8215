"""The words cxgov is written in, each defined once: spec sections, statuses, severities, cadences, periods, units,
file suffixes and the spec's other enumerations. Plain constants; every module imports them from here.

schemas/cxgov-spec-v1.json and schemas/cxgov-results-v1.json enumerate some of the same words:
tests/test_vocabulary.py keeps them in agreement.
"""

from __future__ import annotations

from typing import Final, Mapping

# --- spec sections ------------------------------------------------------------------------------------------------

SECTIONS: Final = ("owners", "segments", "journeys", "touchpoints", "sources", "metrics", "standards", "kpis",
                   "waivers", "actions", "raci", "approvals", "root_causes", "problems")
"""The spec's sections of entities with ids, in the order they are built (channels are plain names)."""

RULE_SECTIONS: Final = ("standards", "kpis")
"""The sections whose entries are threshold rules (an approval names a change to one of these)."""

SECTION_NOUNS: Final[Mapping[str, str]] = {
    "program": "program", "owners": "owner", "segments": "segment", "channels": "channel", "journeys": "journey",
    "touchpoints": "touchpoint", "sources": "source", "metrics": "metric", "standards": "standard", "kpis": "KPI",
    "waivers": "waiver", "actions": "action", "raci": "RACI activity", "approvals": "approval",
    "root_causes": "root cause", "problems": "problems analysis", "themes": "theme"}
"""What one entry of a section is called in messages: "standards" -> "standard"."""

# --- statuses -----------------------------------------------------------------------------------------------------

RESULT_STATUSES: Final = ("pass", "warn", "breach", "insufficient", "waived", "error")
"""A result's status, in the order the JSON summary counts them."""

STATUS_ORDER: Final[Mapping[str, int]] = {"breach": 0, "error": 1, "warn": 2, "waived": 3, "insufficient": 4,
                                          "pass": 5}
"""Most pressing first: the order results are listed in (breaches first)."""

TOUCHPOINT_STATUSES: Final = ("active", "planned", "redesign", "retired")
"""A touchpoint's status (`retired` ones are never evaluated)."""

ACTION_STATUSES: Final = ("open", "in_progress", "done")
"""An action's status."""

LIVE_ACTION_STATUSES: Final = ("open", "in_progress")
"""The action statuses that count as something being done about a cause."""

# --- severities ---------------------------------------------------------------------------------------------------

SEVERITIES: Final = ("critical", "high", "medium", "low")
"""A rule's severity, most severe first."""

SEVERITY_ORDER: Final[Mapping[str, int]] = {s: i for i, s in enumerate(SEVERITIES)}
"""A rule's severity -> its rank (0 most severe); unknown severities sort after every known one."""

SEVERE: Final = ("critical", "high")
"""The severities whose breaches are errors in code scanning (SARIF level error); the others are warnings."""

DIAGNOSTIC_SEVERITIES: Final = ("error", "warning")
"""A spec diagnostic's severity."""

# --- cadences and periods -----------------------------------------------------------------------------------------

CADENCE_MONTHS: Final[Mapping[str, int]] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
"""A review cadence -> the months between reviews."""

CADENCES: Final = tuple(CADENCE_MONTHS)
"""The review cadences, most frequent first."""

DEFAULT_CADENCE: Final = "quarterly"
"""The cadence of a program that names none."""

PERIOD_MONTHS: Final[Mapping[str, int]] = {"month": 1, "quarter": 3, "year": 12}
"""A calendar window (the last complete one) -> its length in months."""

PERIOD_DAYS: Final[Mapping[str, int]] = {"month": 30, "quarter": 91, "year": 365}
"""A calendar window -> its usual length in days, to compare it with a rolling window."""

# --- units --------------------------------------------------------------------------------------------------------

DURATION_UNITS: Final = ("minutes", "hours", "days")
"""The unit a duration metric is measured in."""

DEFAULT_DURATION_UNIT: Final = "hours"
"""The unit of a duration metric that names none."""

UNIT_SECONDS: Final[Mapping[str, int]] = {"minutes": 60, "hours": 3600, "days": 86400}
"""A duration unit -> seconds."""

UNIT_SYMBOLS: Final[Mapping[str, str]] = {"minutes": "min", "hours": "h", "days": "d"}
"""A duration unit -> the symbol a value is shown with: "4.2 h"."""

POINTS: Final = "points"
"""The unit of NPS values (and of their changes)."""

PERCENT: Final = "%"
"""The unit of shares: CSAT, ratios, SLAs, Pareto bars."""

# --- file suffixes ------------------------------------------------------------------------------------------------

SPEC_SUFFIXES: Final = (".yaml", ".yml")
"""Files of a spec directory that are read as spec documents."""

CSV_SUFFIXES: Final = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
"""Data files read as delimited text (lower case; `.tsv` in the name: tab-separated)."""

PARQUET_SUFFIXES: Final = (".parquet", ".pq")
"""Data files read as Parquet (lower case)."""

GZIP_SUFFIX: Final = ".gz"
"""A compressed delimited data file."""

RACI_SUFFIXES: Final[Mapping[str, str]] = {".html": "html", ".htm": "html", ".csv": "csv", ".md": "md",
                                           ".markdown": "md"}
"""`cxgov raci --out` file suffix -> the format written (lower case)."""

RACI_FORMATS: Final = tuple(dict.fromkeys(RACI_SUFFIXES.values()))
"""`cxgov raci --format`: html, csv, md."""

# --- the spec's other enumerations --------------------------------------------------------------------------------

METRIC_KINDS: Final = ("nps", "csat", "ces", "mean", "ratio", "percentile", "sla", "count", "gap")
"""How a metric's value is computed (DOMAIN.md)."""

OPS: Final = (">=", ">", "<=", "<")
"""A threshold's comparison."""

HIGHER_IS_BETTER: Final = (">=", ">")
"""The comparisons under which a higher value is better (the others: lower is better)."""

SCOPE_KINDS: Final = ("program", "journey", "stage", "segment", "channel")
"""What a KPI or problems analysis is scoped to."""

BY_DIMENSIONS: Final = ("segment", "journey", "stage", "channel")
"""What a KPI or problems analysis may split its results by."""

CYCLE_STEPS: Final = ("intent", "inventory", "redesign", "dialogue", "knowledge", "communication", "recognition",
                      "dashboard")
"""The steps of the CX management cycle, in order (a RACI activity's cycle_step)."""

OWNER_KINDS: Final = ("team", "person", "role", "committee")
"""What an owner is."""

SEGMENT_BASES: Final = ("geographic", "demographic", "behavioral", "lifecycle")
"""How a segment is defined."""

RULE_KINDS: Final = ("standard", "kpi", "problem")
"""A result's kind: which section its rule is in."""

FAIL_ON: Final = ("warn", "breach", "never")
"""`check --fail-on`: the status from which a result fails the run."""

DATA_FINDINGS: Final = ("error", "breach", "warn")
"""`check --data-findings`: what a data finding (unattributable rows, unreadable timestamps) counts as."""
