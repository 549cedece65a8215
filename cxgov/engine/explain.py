"""`cxgov explain RULE`: how one rule (or problems analysis) is evaluated, its window spans, and the SQL (and plan)
behind its numbers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cxgov import wording
from cxgov.data import themes
from cxgov.engine import windows
from cxgov.engine.evaluate import column_types
from cxgov.engine.plan import Scan, declared_values, plan
from cxgov.spec.model import Kpi, Problem, Spec, Standard

if TYPE_CHECKING:
    from cxgov.data.store import Store


def explain(spec: Spec, rule_id: str, as_of: date, data: Path | str | None = None) -> str:
    """The explanation as text. With data (a DuckDB file or any form `--data` takes; read-only), or for a rule
    whose source reads files, the full SQL statement and the engine's plan; otherwise the aggregate expressions
    (the statement itself depends on the data's column types)."""
    from cxgov.data.store import Store

    rule = spec.rule(rule_id)
    reads_files = rule is not None and spec.source(spec.metric(rule.metric).source).path is not None
    if data is None and not reads_files:
        return _explain(spec, rule_id, as_of, None)
    with Store.open(data) as store:
        return _explain(spec, rule_id, as_of, store)


def _explain(spec: Spec, rule_id: str, as_of: date, store: Store | None) -> str:
    (scan,) = plan(spec, as_of, [rule_id], column_types(spec, store, [rule_id]) if store is not None else None)
    problem = spec.problem(rule_id)
    rule: Standard | Kpi | Problem
    if problem is not None:
        rule = problem
        lines = _problem(spec, problem)
    else:
        found = scan.targets[0].rule if scan.targets else spec.rule(rule_id)
        assert found is not None  # plan() refuses an id that names no rule
        rule = found
        lines = _rule(spec, found)
    lines += [""] + _windows(spec, scan, as_of) + [""] + _sharing(spec, scan, rule, as_of)
    lines.append("")
    if store is None:
        lines.append("-- aggregates (give --data DATA for the whole statement and the engine's plan)")
        for aggregate in scan.request.aggregates:
            lines.append(f"{aggregate.name}: {aggregate.text()}")
    else:
        sql, query_plan = store.explain(scan.request)
        lines += ["-- SQL (parameters written in for reading; cxgov binds them)", sql.rstrip(), "",
                  f"-- {store.engine.label} plan", query_plan.rstrip()]
    lines += ["", f"the numbers: cxgov check {spec.root} --rule {rule.id} --as-of {as_of.isoformat()} "
                  "--data DATA --verbose"]
    return "\n".join(lines) + "\n"


def _rule(spec: Spec, rule: Standard | Kpi) -> list[str]:
    metric = spec.metric(rule.metric)
    source = spec.source(metric.source)
    kind = "standard" if isinstance(rule, Standard) else "KPI"
    where = f"table {source.table}" if source.table else f"files {source.path}"
    min_sample = spec.min_sample(rule)
    lines = [f"{kind} {rule.id}: {rule.label}", f"  defined at {rule.location}",
             f"  metric {metric.id} ({metric.kind}): {metric.label}; source {source.id} ({where})",
             f"  threshold {wording.threshold(rule.threshold)}; min_sample {min_sample}; severity {rule.severity}; "
             f"owner {rule.owner or ('each touchpoint owner' if kind == 'standard' else spec.program.owner)}"]
    if isinstance(rule, Standard):
        covered = spec.covered_touchpoints(rule)
        listed = ", ".join(tp.id for tp in covered) or "none"
        lines.append(f"  applies to {wording.counted(len(covered), 'touchpoint')}: {listed}")
    else:
        scope = "the program" if rule.scope.kind == "program" else f"{rule.scope.kind} {rule.scope.value}"
        lines.append(f"  scope: {scope}" + (f", one result per {rule.by}: {', '.join(declared_values(spec, rule))}"
                                             if rule.by else ""))
        if rule.trend is not None:
            lines.append(f"  trend: breach on a significant drop of more than {rule.trend.max_drop:g} against the "
                         "previous window")
    return lines


def _problem(spec: Spec, problem: Problem) -> list[str]:
    source = spec.source(problem.source)
    where = f"table {source.table}" if source.table else f"files {source.path}"
    scope = "the program" if problem.scope.kind == "program" else f"{problem.scope.kind} {problem.scope.value}"
    share = f"; max_share {problem.max_share:g}%" if problem.max_share is not None else ""
    lines = [f"problems {problem.id}: {problem.label}", f"  defined at {problem.location}",
             f"  source {source.id} ({where})" + (f", rows where {_where(problem)}" if problem.where else ""),
             f"  scope: {scope}" + (f", one Pareto per {problem.by}" if problem.by else ""),
             f"  vital_share {problem.vital_share:g}%{share}; min_sample {spec.min_sample(problem)}; severity "
             f"{problem.severity}; owner {problem.owner or spec.program.owner}"]
    if problem.score:
        lines.append(f"  score {problem.score}: among the rows mentioning each cause against the rest")
    if problem.category:
        lines.append(f"  one problem per row, by its category in column {problem.category}; values not listed are "
                     "reported as unmapped categories:")
        for cause in problem.cause_ids:
            values = [v for v, c in problem.causes if c == cause]
            lines.append(f"    {cause}: {', '.join(values)}")
        return lines
    lines.append(f"  one mention per row and root cause whose themes match column {problem.text} (folded: lower "
                 "case, no accents); each theme is tested once per row, by the bound regular expression, on the "
                 "texts containing one of its words:")
    for cause in problem.cause_ids:
        lines.append(f"    {cause}:")
        for theme in (t for t in problem.themes if t.root_cause == cause):
            lines.append(f"      {theme.id}: {_visible(themes.regex(theme.patterns))}")
            lines.append(f"        words: {' '.join(themes.literals(theme.patterns))}")
    return lines


def _visible(pattern: str) -> str:
    """The regular expression with its whitespace characters written as escapes, as the engines read them."""
    return pattern.encode("unicode_escape").decode("ascii")


def _where(problem: Problem) -> str:
    return " and ".join(f"{column} in ({', '.join(map(str, values))})" for column, values in problem.where.terms)


def _windows(spec: Spec, scan: Scan, as_of: date) -> list[str]:
    (frame,) = scan.frames
    lines = [f"window {frame.window.text} as of {as_of.isoformat()} (program timezone {spec.program.timezone})"]
    for label, span in (("current", frame.current), ("previous", frame.previous)):
        start, end = windows.bounds(span)
        lines.append(f"  {label:<8}  {wording.span(span)}  local timestamps "
                     f"[{start:%Y-%m-%d %H:%M}, {end:%Y-%m-%d %H:%M})")
    return lines


def _sharing(spec: Spec, scan: Scan, rule: Standard | Kpi | Problem, as_of: date) -> list[str]:
    sets = ", ".join("(" + ", ".join(("period",) + s) + ")" for s in scan.request.grouping_sets)
    source = scan.request.source.id

    def served(s: Scan) -> set[str]:
        return {t.rule.id for t in s.targets} | {t.problem.id for t in s.problems}

    full = next(s for s in plan(spec, as_of) if rule.id in served(s))
    others = sorted(served(full) - {rule.id})
    lines = [f"one scan of source {source} over the current and the previous window, grouping sets {sets}"]
    if others:
        windows_read = ", ".join(f.name for f in full.frames)
        lines.append(f"  in a full check the same scan (windows {windows_read}) also serves: {', '.join(others)}")
    return lines


