"""The scorecard's "Problems and root causes": one Pareto view per problems analysis (and per `by` value), built
from its `kind: problem` results: the chart, the same numbers as a table, and the vital few with their owners and
actions, those nobody is working on called out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from markupsafe import Markup

from cxgov.engine.results import Result, Scope
from cxgov.report import display, pareto_chart
from cxgov.report.rows import Rows
from cxgov.spec.model import Spec
from cxgov.vocabulary import LIVE_ACTION_STATUSES



@dataclass(frozen=True)
class CauseRow:
    rank: int
    name: str
    key: str  # root cause id, or the unmapped category
    unmapped: bool
    count: int
    share: str
    interval: str
    cumulative: str
    vital: bool
    change: str  # against the previous window, in points, with its significance
    parts: str  # the categories or themes with their counts
    owner: str
    actions: tuple[str, ...]  # "act-1 (open, due 2027-01-31, owner X)"
    unhandled: bool  # vital, and no open or in-progress action
    status: str


@dataclass(frozen=True)
class ParetoView:
    id: str  # anchor
    rule: str
    name: str
    scope: str
    basis: str  # "complaint categories in column reason of tickets" / "themes in column comment of surveys"
    window: str
    total: int
    vital_share: str
    missing: int
    unmatched: int
    rows: tuple[CauseRow, ...]
    chart: Markup

    @property
    def vital(self) -> tuple[CauseRow, ...]:
        return tuple(r for r in self.rows if r.vital)

    @property
    def unhandled(self) -> tuple[CauseRow, ...]:
        return tuple(r for r in self.rows if r.unhandled)


def _change(result: Result) -> str:
    info = result.problem
    if info is None or info.change is None:
        return display.DASH
    text = display.signed(info.change)
    return f"{text} ({'significant' if info.significant else 'not significant'})"


def _row(result: Result, rows: Rows) -> CauseRow:
    info = result.problem
    assert info is not None
    live = [a for a in result.actions if a.status in LIVE_ACTION_STATUSES]
    return CauseRow(
        rank=info.rank, name=info.name, key=info.root_cause or dict(result.scope).get("category", ""),
        unmapped=info.unmapped, count=result.n, share=display.number(result.value),
        interval=rows(result).interval, cumulative=display.number(info.cumulative), vital=info.vital,
        change=_change(result), parts=", ".join(f"{k} {c}" for k, c in info.parts), owner=rows.owner(result.owner),
        actions=tuple(f"{a.id} ({a.status.replace('_', ' ')}, due {a.due.isoformat()}"
                      f"{', overdue' if a.overdue else ''}, owner {rows.owner(a.owner)})" for a in result.actions),
        unhandled=info.vital and not info.unmapped and not live and result.status != "insufficient",
        status=result.status)


def views(spec: Spec, results: Iterable[Result], rows: Rows) -> tuple[ParetoView, ...]:
    """One view per analysis and scope (without the cause), in spec order, causes by rank."""
    groups: dict[tuple[str, Scope], list[Result]] = defaultdict(list)
    for result in results:
        if result.kind == "problem" and result.problem is not None:
            scope = tuple(kv for kv in result.scope if kv[0] not in ("root_cause", "category"))
            groups[(result.rule, scope)].append(result)
    order = {p.id: i for i, p in enumerate(spec.problems)}
    out = []
    for n, ((rule, scope), members) in enumerate(sorted(groups.items(), key=lambda kv: (
            order.get(kv[0][0], len(order)), kv[0]))):
        members.sort(key=lambda r: r.problem.rank if r.problem else 0)
        problem = spec.problem(rule)
        first = members[0]
        info = first.problem
        assert info is not None
        if problem is not None and problem.text:
            basis = f"themes found in column {problem.text} of source {problem.source}"
        elif problem is not None:
            basis = f"categories in column {problem.category} of source {problem.source}"
        else:
            basis = "categories"
        label = first.rule_name or rule
        cause_rows = tuple(_row(r, rows) for r in members)
        bars = [pareto_chart.ChartBar(r.rank, r.name, r.count, m.value, m.problem.cumulative if m.problem else None,
                                      r.vital) for r, m in zip(cause_rows, members)]
        scope_text = ", ".join(f"{k} {v}" for k, v in scope) or "the whole program"
        out.append(ParetoView(
            id=f"pareto-{rule}" + (f"-{n}" if scope else ""), rule=rule, name=label, scope=scope_text, basis=basis,
            window=rows.window(first.window), total=info.total, vital_share=display.number(info.vital_share),
            missing=first.missing, unmatched=info.unmatched, rows=cause_rows,
            chart=pareto_chart.chart(bars, info.vital_share, info.total, f"{label} ({scope_text})")))
    return tuple(out)
