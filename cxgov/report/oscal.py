"""`cxgov report oscal`: the run as an OSCAL 1.1 assessment plan and assessment results (JSON), for GRC tools.

Each standard, KPI and problems analysis is an assessment objective; each result an observation (method TEST,
its touchpoint, scope or root cause as subject, the spec, data and query as evidence); each unwaived breach a
finding whose objective is not satisfied; each active waiver a risk with status deviation-approved; each action a
remediation. docs/audit.md has the whole mapping.

`documents(run, spec, sql, generated_at)` is a pure function of its arguments: identifiers are UUIDs derived from
stable keys, times come from the as-of date (or the injected time), arrays are sorted, so the same inputs give
byte-identical files. Members are written in the order of the OSCAL model (uuid and metadata first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxgov.engine.results import Run
from cxgov.report.json import dumps
from cxgov.report.oscal_context import Context
from cxgov.report.oscal_plan import plan
from cxgov.report.oscal_results import results
from cxgov.spec.model import Spec

PLAN_FILE = "assessment-plan.json"
RESULTS_FILE = "assessment-results.json"
EXPAND = 5  # members nested less deep one per line: each observation, finding and risk on a line of its own


def documents(run: Run, spec: Spec, generated_at: datetime | None = None) -> dict[str, str]:
    """File name -> JSON text: the assessment plan, and the assessment results that import it from beside it.

    The SQL statement behind each rule comes from `run.evidence`; `generated_at` is the time written into the
    documents, by default the end of the as-of day in the program's time zone.
    """
    ctx = Context(run, spec, generated_at)
    return {PLAN_FILE: _json({"assessment-plan": plan(ctx)}),
            RESULTS_FILE: _json({"assessment-results": results(ctx, PLAN_FILE)})}


def _json(document: dict[str, Any]) -> str:
    # members in the OSCAL model's order; every number is a property's text already, so no float to make stable
    return dumps(document, expand=EXPAND, sort_keys=False)
