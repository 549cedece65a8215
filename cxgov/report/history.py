"""`cxgov history` as text or JSON: the recorded runs, or one rule's value and status across them.

Pure functions of the records cxgov.audit.history returns (cxgov.audit.records); nothing here reads the history.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Sequence

from cxgov.audit.records import Point, RunRecord, breached_since, latest_per_as_of, scope_tuple
from cxgov import wording
from cxgov.engine.results import Scope, ThresholdInfo
from cxgov.metrics.stats import round_half_away
from cxgov.vocabulary import RESULT_STATUSES as STATUSES


def scope_label(scope: Scope) -> str:
    """`touchpoint=web-chat, segment=retail`; `(program)` for a result of the whole program."""
    return ", ".join(f"{k}={v}" for k, v in scope) or "(program)"


def _fmt_value(value: float | None) -> str:
    return "-" if value is None else f"{round_half_away(value):.1f}"


def _fmt_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = []
    for row in (header, *rows):
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return lines


def render_runs(records: Sequence[RunRecord], fmt: str, path: Path, schema_version: int) -> str:
    """`cxgov history HISTORY`: one line per run (text) or a JSON document (with the history's `schema_version`,
    cxgov.audit.history.SCHEMA_VERSION)."""
    if fmt == "json":
        return json.dumps({"history": str(path), "schema_version": schema_version,
                           "runs": [r.to_dict() for r in records]}, indent=2) + "\n"
    if not records:
        return f"{path}: no runs recorded yet\n"
    header = ("run", "recorded at (UTC)", "as-of", "spec commit", *STATUSES)
    rows = [(str(r.id), _fmt_time(r.recorded_at), r.as_of.isoformat(), (r.spec_commit or "-")[:12],
             *(str(r.counts.get(s, 0)) for s in STATUSES)) for r in records]
    right = {0, *range(4, 4 + len(STATUSES))}
    return "\n".join([f"{path}: {wording.counted(len(records), 'run')}", *_table(header, rows, right)]) + "\n"


def render_rule_history(rule: str, scope: str | None, points: Sequence[Point], fmt: str) -> str:
    """`cxgov history HISTORY --rule ID`: the rule's value and status in every run, grouped by scope."""
    if fmt == "json":
        return json.dumps({"rule": rule, "scope": json.loads(scope) if scope else None,
                           "points": [p.to_dict() for p in points]}, indent=2) + "\n"
    if not points:
        where = f" with scope {scope_label(scope_tuple(scope))}" if scope else ""
        return f"rule {rule}: no recorded results{where}\n"
    by_scope: dict[Scope, list[Point]] = {}
    for point in points:
        by_scope.setdefault(point.scope, []).append(point)
    lines = [f"rule {rule}"]
    for key in sorted(by_scope):
        scoped = by_scope[key]
        lines.append("")
        lines.append(f"scope {scope_label(key)}")
        rows = [(str(p.run_id), p.as_of.isoformat(), _fmt_time(p.recorded_at), _fmt_value(p.value), str(p.n),
                 p.status if not p.underlying_status else f"{p.status} ({p.underlying_status})",
                 _threshold_text(p.threshold)) for p in scoped]
        lines.extend("  " + line for line in _table(
            ("run", "as-of", "recorded at (UTC)", "value", "n", "status", "threshold"), rows, {0, 3, 4}))
        since = breached_since(latest_per_as_of(scoped))
        if since is not None:
            lines.append(f"  breached since {since.isoformat()}")
    return "\n".join(lines) + "\n"


def _threshold_text(threshold: ThresholdInfo | None) -> str:
    return "-" if threshold is None else wording.threshold(threshold)
