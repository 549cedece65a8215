"""Results as display-ready rows for the scorecard, with the text a rule's results share worked out once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cxgov import wording
from cxgov.engine.results import Result, Scope, Span
from cxgov.report import display
from cxgov.report.display import DASH
from cxgov.report.names import Names
from cxgov.speed import identity_memo

TrendKey = tuple[str, Scope]  # (rule, sorted scope pairs): how the run history's trends are found


@dataclass(frozen=True)
class Row:
    """One result, display-ready."""

    rule: str
    rule_label: str
    kind: str
    scope: str
    touchpoint: str | None
    status: str
    status_text: str  # "Breach", "Waived (breach)"
    underlying: str | None
    value: str
    exact: str  # the unrounded value, for a tooltip
    interval: str
    target: str
    n: int
    owner: str
    severity: str
    window: str
    key: TrendKey | tuple[()] = ()


def span_text(span: Span | None) -> str:
    return wording.span(span) if span else DASH


class Rows:
    """Makes a Row of a result. The rule label, target, window and owner names are computed once per value, not
    once per result: a scorecard can hold tens of thousands of rows."""

    def __init__(self, names: Names):
        self.names = names
        self._rules: dict[tuple[str, str | None, str, float, float | None], tuple[str, str]] = {}
        self._windows: dict[tuple[date, date], str] = {}
        self._owners: dict[str | None, str] = {}
        self._status: dict[tuple[str, str | None], str] = {}
        self._scopes: dict[tuple[Scope, str | None], tuple[str, Scope]] = {}
        self._made = identity_memo(self._row)  # a breach is shown in its group and in the standards

    def rule_text(self, result: Result) -> tuple[str, str]:
        """(label, target) of a result's rule."""
        t = result.threshold
        key = (result.rule, result.rule_name, t.op, t.fail, t.warn)  # plain values: hashed in C
        found = self._rules.get(key)
        if found is None:
            target = wording.threshold(t)
            if result.problem is not None:  # a Pareto bar: what makes it pass is an open action on a vital cause
                target = (f"an open action on each vital cause (the first {display.number(result.problem.vital_share)}"
                          f"%)" + (f", share {target}" if t.fail < 100 else ""))
            found = self._rules[key] = (result.rule_name or self.names.rule(result.rule), target)
        return found

    def window(self, span: Span) -> str:
        key = (span.start, span.end)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = span_text(span)
        return found

    def owner(self, owner: str | None) -> str:
        found = self._owners.get(owner)
        if found is None:
            found = self._owners[owner] = self.names.owner(owner) or DASH
        return found

    def __call__(self, result: Result) -> Row:
        return self._made(result)

    def scope(self, result: Result) -> tuple[str, Scope]:
        """(scope text, scope pairs in sorted order) of a result."""
        key = (result.scope, result.touchpoint)
        found = self._scopes.get(key)
        if found is None:
            pairs = display.scope_pairs(result)
            text = self.names.touchpoint(result.touchpoint) if result.touchpoint and not pairs else \
                self.names.scope(pairs)
            found = self._scopes[key] = (text, tuple(sorted(result.scope)))
        return found

    def _row(self, result: Result) -> Row:
        scope, sorted_scope = self.scope(result)
        label, target = self.rule_text(result)
        status_key = (result.status, result.underlying_status)
        status_text = self._status.get(status_key)
        if status_text is None:
            status_text = self._status[status_key] = display.status_label(result.status) + (
                f" ({result.underlying_status})" if result.underlying_status else "")
        t = result.threshold
        return Row(
            rule=result.rule,
            rule_label=label,
            kind=result.kind,
            scope=scope,
            touchpoint=result.touchpoint,
            status=result.status,
            status_text=status_text,
            underlying=result.underlying_status,
            value=display.value_text(result.value, result.unit, result.metric_kind, (t.fail, t.warn)),
            exact=DASH if result.value is None else repr(result.value),
            interval=display.interval_text(result.ci_low, result.ci_high),
            target=target,
            n=result.n,
            owner=self.owner(result.owner),
            severity=result.severity,
            window=self.window(result.window),
            key=(result.rule, sorted_scope),
        )
