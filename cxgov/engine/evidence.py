"""The SQL behind each rule, as the engine runs it, for the evidence that reports show.

Each rule is planned on its own (as `cxgov explain` does), so the statement shown computes that rule's numbers
and nothing else; a full check batches the same aggregates into fewer scans.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Collection

from cxgov.engine.evaluate import column_types
from cxgov.engine.plan import plan, select_problems, select_rules
from cxgov.errors import CxgovError
from cxgov.spec.model import Spec

if TYPE_CHECKING:
    from cxgov.data.store import Store


def rule_sql(spec: Spec, as_of: date, store: Store, only: Collection[str] | None = None) -> dict[str, str]:
    """rule (or problems analysis) id -> the SQL statement (parameters written in) that computes it as of `as_of`.

    When the statement cannot be built (its source cannot be read), the rule's aggregate expressions instead.
    """
    out: dict[str, str] = {}
    types = column_types(spec, store, only)  # as a check reads them
    for rule in (*select_rules(spec, only), *select_problems(spec, only)):
        scans = plan(spec, as_of, [rule.id], types)
        if not scans:
            continue
        request = scans[0].request
        try:
            sql = store.sql(request)  # the statement only: the engine's plan is `cxgov explain`'s business
        except CxgovError as exc:
            lines = [f"-- the statement could not be built: {exc.message}", "-- its aggregate expressions:"]
            lines += [f"{a.name}: {a.text()}" for a in request.aggregates]
            sql = "\n".join(lines)
        out[rule.id] = sql.rstrip()
    return out
