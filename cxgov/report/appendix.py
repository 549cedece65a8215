"""The scorecard's evidence appendix: each rule as written, how it is measured, and the SQL behind its numbers.

Rules that run the same statement (the same metric over the same window) show it once and refer to it; a long
line that several statements share (such as the table of every touchpoint's journey, stage and channel that a
KPI by journey joins) is shown once, as a shared part, and linked from where it belongs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from cxgov import wording
from cxgov.engine.results import Result
from cxgov.metrics.registry import kind_of
from cxgov.report import display
from cxgov.report.approvals import ApprovalView
from cxgov.report.names import Names
from cxgov.report.rows import span_text
from cxgov.spec.model import Filter, Kpi, Metric, Spec, Standard

SHARED_LINE = 5_000  # characters: a line this long (a table of values, not logic) in several statements is shown once
PART_HEAD = 72  # characters of a shared line shown where it is left out



@dataclass(frozen=True)
class Statement:
    """A SQL statement as shown: in segments of (text, "") and, for each shared line, (its start, part anchor)."""

    anchor: str  # "sql-<rule>": where it is shown, in the evidence of the first rule that runs it
    first: str
    first_label: str
    rules: tuple[str, ...]  # every rule it computes, in spec order
    segments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SqlPart:
    anchor: str  # "sql-part-1"
    number: int
    text: str
    statements: int  # how many statements contain it


@dataclass(frozen=True)
class SharedSql:
    by_rule: Mapping[str, Statement]
    parts: tuple[SqlPart, ...]


@dataclass(frozen=True)
class Evidence:
    rule: str
    label: str
    kind: str
    facts: tuple[tuple[str, str], ...]
    sql: Statement | None
    approvals: tuple[ApprovalView, ...] = ()  # the approvals naming this rule, newest first

    @property
    def shows_sql(self) -> bool:
        """Whether this rule's evidence holds its statement (others refer to the first rule that runs it)."""
        return self.sql is not None and self.sql.first == self.rule


def min_sample(spec: Spec, rule: Standard | Kpi | None) -> int:
    if rule is not None and rule.min_sample is not None:
        return rule.min_sample
    return spec.program.defaults.min_sample


def share(sql: Mapping[str, str], order: Sequence[str], labels: Mapping[str, str]) -> SharedSql:
    """Each distinct statement of `sql` (rule id -> statement) once, with the long lines several share factored
    out; `order` is the spec order of the rules, `labels` their names."""
    rules = [r for r in order if r in sql] + sorted(set(sql) - set(order))
    statements: dict[str, list[str]] = {}
    for rule in rules:
        statements.setdefault(sql[rule], []).append(rule)
    uses = Counter(line for text in statements for line in set(text.split("\n")) if len(line) >= SHARED_LINE)
    parts: dict[str, SqlPart] = {}
    by_rule: dict[str, Statement] = {}
    for text, sharing in statements.items():
        segments: list[tuple[str, str]] = []
        literal = ""
        for i, line in enumerate(text.split("\n")):
            literal += "\n" if i else ""
            if uses.get(line, 0) < 2:
                literal += line
                continue
            part = parts.get(line)
            if part is None:
                part = parts[line] = SqlPart(f"sql-part-{len(parts) + 1}", len(parts) + 1, line, uses[line])
            segments += [(literal, ""), (f"{line[:PART_HEAD]}… [{len(line):,} characters: shared part "
                                         f"{part.number}, shown once at the end of this appendix]", part.anchor)]
            literal = ""
        segments.append((literal, ""))
        first = sharing[0]
        statement = Statement(f"sql-{first}", first, labels.get(first, first), tuple(sharing),
                              tuple(s for s in segments if s[0]))
        by_rule.update(dict.fromkeys(sharing, statement))
    return SharedSql(by_rule, tuple(parts.values()))


def _filter_text(f: Filter) -> str:
    def term(column: str, values: tuple[object, ...]) -> str:
        shown = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
        return f"{column} = {shown[0]}" if len(shown) == 1 else f"{column} in ({', '.join(shown)})"
    return " and ".join(term(c, v) for c, v in f.terms)


def _metric_facts(spec: Spec, metric: Metric) -> list[tuple[str, str]]:
    facts = [("Metric", f"{metric.label} ({metric.id}), kind {metric.kind}"),
             ("Definition", kind_of(metric).definition)]
    source = spec.source(metric.source) if metric.source in spec.by_id["sources"] else None
    where = "" if source is None else f"table {source.table}" if source.table else (
        f"files {source.path}" if source.path else "")
    facts.append(("Source", f"{metric.source}" + (f" ({where})" if where else "")))
    measured = []
    if metric.column:
        measured.append(f"column {metric.column}")
    if metric.duration:
        d = metric.duration
        measured.append(f"duration {d.end} − {d.start} in {d.unit}")
    if metric.within is not None:
        measured.append(f"within {display.exact(metric.within)}")
    if metric.percentile is not None:
        measured.append(f"percentile {display.exact(metric.percentile)}")
    if metric.scale:
        measured.append(f"scale {display.exact(metric.scale.min)} to {display.exact(metric.scale.max)}")
    if metric.expectation or metric.perception:
        measured.append(f"perception {metric.perception} − expectation {metric.expectation}")
    if metric.condition:
        measured.append(f"condition {_filter_text(metric.condition)}")
    if measured:
        facts.append(("Measured", "; ".join(measured)))
    if metric.where:
        facts.append(("Rows", f"where {_filter_text(metric.where)}"))
    return facts


def evidence(spec: Spec, rule: Standard | Kpi, results: list[Result], names: Names, sql: SharedSql,
             approvals: tuple[ApprovalView, ...] = ()) -> Evidence:
    """A rule's evidence: what it promises, how it is measured, over which rows and windows, and its SQL."""
    is_standard = isinstance(rule, Standard)
    facts: list[tuple[str, str]] = [("Rule", f"{'Standard' if is_standard else 'KPI'} {rule.id}")]
    if rule.description:
        facts.append(("Description", rule.description))
    metric = spec.metric(rule.metric) if rule.metric in spec.by_id["metrics"] else None
    facts.extend(_metric_facts(spec, metric) if metric else [("Metric", rule.metric)])
    if isinstance(rule, Standard):
        facts.append(("Applies to", wording.selector(rule.applies_to)))
    else:
        scope = names.scope(((rule.scope.kind, rule.scope.value or ""),))
        facts.append(("Scope", scope + (f", one result per {rule.by}" if rule.by else "")))
    t = rule.threshold
    facts.append(("Threshold", wording.threshold(t) + "; compared at full precision"))
    spans = sorted({r.window for r in results}, key=lambda s: (s.start, s.end))
    facts.append(("Window", rule.window.text + (": " + ", ".join(span_text(s) for s in spans) if spans else "")))
    previous = sorted({r.previous.window for r in results if r.previous and r.previous.window},
                      key=lambda s: (s.start, s.end))
    if previous:
        facts.append(("Previous window", ", ".join(span_text(s) for s in previous)))
    if isinstance(rule, Kpi) and rule.trend:
        facts.append(("Trend", f"breach on a significant drop of more than {display.exact(rule.trend.max_drop)}"))
    facts.append(("Minimum sample", str(min_sample(spec, rule))))
    facts.append(("Severity", rule.severity))
    owner = names.owner(rule.owner) if rule.owner else "each touchpoint's owner"
    facts.append(("Owner", owner))
    if rule.principle:
        facts.append(("Principle", names.principle(rule.principle)))
    counts = display.status_counts(results)
    facts.append(("Results", f"{len(results)}" + (f": {display.counts_text(counts)}" if counts else "")))
    if results:
        total_n = sum(r.n for r in results)
        facts.append(("Sample", f"n = {total_n} in all (missing {sum(r.missing for r in results)}, "
                                f"invalid {sum(r.invalid for r in results)}, left out of n)"))
    facts.append(("Defined at", str(rule.location)))
    return Evidence(rule.id, rule.label, "standard" if is_standard else "kpi", tuple(facts),
                    sql.by_rule.get(rule.id), approvals)
