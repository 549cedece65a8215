"""The OSCAL assessment results: one result set for the run, each rule's result an observation with its
evidence, each unwaived breach a finding, each active waiver a risk accepted until its expiry, and each action a
remediation of the risk it answers. A problems analysis's results are observations too, one per root cause (the
cause the subject, its share, interval, count and total the evidence); a vital cause nobody works on a finding."""

from __future__ import annotations

from typing import Any, Iterable

from cxgov import wording
from cxgov.engine.results import ActionInfo, Result
from cxgov.report import display
from cxgov.report import format as fmt
from cxgov.report.oscal_context import Context
from cxgov.report.oscal_parts import code_block, compact, md, md_line, prop, props, scope_key, uid
from cxgov.spec.model import Waiver


def results(ctx: Context, plan_href: str) -> dict[str, Any]:
    run, spec = ctx.run, ctx.spec
    short = run.spec_digest.partition(":")[2][:12]
    data = run.data_digest.partition(":")[2][:12]
    waiver_risks = [_waiver_risk(ctx, w) for w in sorted(spec.waivers, key=lambda w: w.id) if w.active_on(run.as_of)]
    gap_risks = {(r.rule, r.scope): _gap_risk(ctx, r) for r in ctx.results if _has_gap_risk(r)}
    starts = [r.window.start for r in ctx.results]
    summary = dict.fromkeys(run.summary(), 0)  # of the results the documents hold
    for result in ctx.results:
        summary[result.status] += 1
    return {
        "uuid": uid("assessment-results", run.spec_digest, run.as_of),
        "metadata": ctx.metadata(f"{spec.program.name}: CX governance assessment results as of {run.as_of}",
                                 f"{run.as_of.isoformat()}.spec-{short}.data-{data}"),
        "import-ap": {"href": plan_href},
        "results": [compact({
            "uuid": uid("result", run.spec_digest, run.as_of),
            "title": md_line(f"CX governance check of {spec.program.name} as of {run.as_of.isoformat()}"),
            "description": md(
                f"Every standard, KPI and problems analysis of the spec evaluated as of {run.as_of.isoformat()}: "
                + ", ".join(f"{count} {status}" for status, count in summary.items()) + "."),
            "start": ctx.clock.start_of(min(starts)) if starts else ctx.now,
            "end": ctx.now,
            "props": props(prop("as-of", run.as_of), prop("spec-digest", run.spec_digest),
                           prop("git-commit", run.git_commit), prop("data-digest", run.data_digest),
                           *(prop(f"results-{status}", count) for status, count in summary.items())),
            "reviewed-controls": ctx.reviewed_controls(),
            "observations": [_observation(ctx, r) for r in ctx.results],
            "risks": waiver_risks + list(gap_risks.values()),
            "findings": [_finding(ctx, r, gap_risks[r.rule, r.scope]["uuid"]) for r in ctx.results
                         if r.status == "breach"],
        })],
        "back-matter": {"resources": [ctx.spec_resource_entry(), _data_resource(ctx),
                                      *(_query_resource(ctx, rule_id) for rule_id in sorted(ctx.sql))]},
    }


def _measurement(result: Result) -> dict[str, Any]:
    """The evidence of what was measured: the value (a cause's share), n, interval, window and previous window;
    for a Pareto bar also the total, rank, cumulative share, vital, the change's test and the score's gap."""
    common = (prop("value", result.value), prop("unit", result.unit), prop("n", result.n),
              prop("ci-low", result.ci_low), prop("ci-high", result.ci_high),
              prop("window-start", result.window.start), prop("window-end", result.window.end),
              prop("missing", result.missing or None), prop("invalid", result.invalid or None),
              prop("previous-value", result.previous.value if result.previous else None),
              prop("previous-n", result.previous.n if result.previous else None))
    info = result.problem
    if info is None:
        return {"description": md(f"{fmt.measured(result)} over {wording.span(result.window)} against "
                                  f"{wording.threshold(result.threshold)}: {fmt.status(result)}."),
                "props": props(*common)}
    gap = info.score
    parts = ", ".join(f"{key} {count:,}" for key, count in info.parts)
    return {
        "description": md(f"{fmt.measured(result)} of the {info.total:,} problems over {wording.span(result.window)}, "
                          f"{fmt.pareto_place(result)}: {fmt.status(result)}."
                          + (f" {'Categories' if info.by == 'category' else 'Themes'}: {parts}." if parts else "")),
        "props": props(
            *common, prop("root-cause", info.root_cause), prop("category", dict(result.scope).get("category")),
            prop("total", info.total), prop("rank", info.rank), prop("cumulative", info.cumulative),
            prop("vital", info.vital), prop("vital-share", info.vital_share),
            prop("change", info.change), prop("change-p-value", info.p_value),
            prop("change-significant", info.significant if info.p_value is not None else None),
            prop("unmatched", info.unmatched or None),
            *((prop("score", gap.metric), prop("score-with", gap.with_value), prop("score-with-n", gap.with_n),
               prop("score-without", gap.without_value), prop("score-without-n", gap.without_n),
               prop("score-gap", gap.difference), prop("score-gap-ci-low", gap.ci_low),
               prop("score-gap-ci-high", gap.ci_high)) if gap is not None else ())),
    }


def _observation(ctx: Context, result: Result) -> dict[str, Any]:
    run = ctx.run
    evidence = [
        _measurement(result),
        {"href": f"#{ctx.spec_resource}", "description": md(f"The rule as written at {fmt.location(result)}."),
         "props": props(prop("spec-digest", run.spec_digest), prop("git-commit", run.git_commit),
                        prop("spec-location", fmt.location(result)))},
        {"href": f"#{ctx.data_resource()}", "description": "The metric data.",
         "props": [prop("data-digest", run.data_digest)]},
    ]
    if result.rule in ctx.sql:
        evidence.append({"href": f"#{ctx.query_resource(result.rule)}", "description": "The SQL statement."})
    return compact({
        "uuid": ctx.observation(result),
        "title": md_line(f"{result.rule_name or result.rule} at {ctx.scope_title(result)}"),
        "description": md(fmt.headline(result) + "."),
        "props": props(prop("rule", result.rule), prop("status", result.status),
                       prop("underlying-status", result.underlying_status), prop("severity", result.severity),
                       prop("owner", result.owner), prop("waiver", result.waiver.id if result.waiver else None)),
        "methods": ["TEST"],
        "types": ["control-objective"],
        "origins": [ctx.tool_origin(result.rule)],
        "subjects": [s.reference() for s in ctx.result_subjects(result)],
        "relevant-evidence": evidence,
        "collected": ctx.now,
        "remarks": _notes(result.notes),
    })


def _finding(ctx: Context, result: Result, risk_uuid: str) -> dict[str, Any]:
    name = result.rule_name or result.rule
    return {
        "uuid": uid("finding", ctx.run.spec_digest, ctx.run.as_of, result.rule, scope_key(result.scope)),
        "title": md_line(f"{name} breached at {ctx.scope_title(result)}"),
        "description": md(fmt.headline(result) + "."),
        "props": props(prop("rule", result.rule), prop("severity", result.severity), prop("owner", result.owner)),
        "origins": [ctx.tool_origin(result.rule)],
        "target": {"type": "objective-id", "target-id": ctx.objective_id(result.rule), "title": md_line(name),
                   "status": {"state": "not-satisfied", "reason": "fail"}},
        "related-observations": [{"observation-uuid": ctx.observation(result)}],
        "related-risks": [{"risk-uuid": risk_uuid}],
    }


def _has_gap_risk(result: Result) -> bool:
    """An unwaived breach, or a result with actions under no active waiver (the waiver's risk holds those)."""
    if result.waiver is not None and result.waiver.active:
        return False
    return result.status == "breach" or bool(result.actions)


def _gap_risk(ctx: Context, result: Result) -> dict[str, Any]:
    name, where = result.rule_name or result.rule, ctx.scope_title(result)
    status = result.effective_status
    key = ("risk", ctx.run.spec_digest, ctx.run.as_of, result.rule, scope_key(result.scope))
    open_actions = [a for a in result.actions if a.status != "done"]
    if result.problem is not None and status in ("breach", "warn"):
        statement = _problem_statement(result, status, bool(open_actions))
    elif status in ("breach", "warn"):
        statement = f"A {status}: the customers at {where} do not get the experience the standard promises."
    else:
        statement = f"Actions are on record; the result is now {fmt.status(result)}."
    return compact({
        "uuid": uid(*key),
        "title": md_line(f"{name} at {where}"),
        "description": md(fmt.headline(result) + "."),
        "statement": md(statement),
        "props": props(prop("rule", result.rule), prop("result-status", result.status),
                       prop("severity", result.severity), prop("owner", result.owner)),
        "status": "remediating" if open_actions else ("closed" if status == "pass" else "open"),
        "origins": [ctx.tool_origin(result.rule)],
        "deadline": ctx.clock.end_of(max(a.due for a in open_actions)) if open_actions else None,
        "remediations": _remediations(ctx, key, result.actions),
        "related-observations": [{"observation-uuid": ctx.observation(result)}],
    })


def _problem_statement(result: Result, status: str, working: bool) -> str:
    info = result.problem
    assert info is not None
    what = f"A {status}: {info.name} causes {fmt.in_units(result.value, result)} of the problems customers meet"
    if status == "warn":
        return f"{what}, a vital cause whose every open action is overdue."
    if info.vital and not working:
        return f"{what}, a vital cause nobody is working on."
    return f"{what}, more than the {display.number(result.threshold.fail)}% the analysis allows."


def _waiver_risk(ctx: Context, waiver: Waiver) -> dict[str, Any]:
    name = ctx.names.rule(waiver.rule)
    covered = [r for r in ctx.results if r.waiver is not None and r.waiver.id == waiver.id and r.waiver.active]
    named = waiver.root_causes if waiver.problem else waiver.touchpoints
    where = ", ".join(named) if named else "every scope it covers"
    actions = {a.id: a for r in covered for a in r.actions}
    key = ("waiver", ctx.run.spec_digest, ctx.run.as_of, waiver.id)
    approver = ctx.party_uuids(waiver.approved_by)
    log = [compact({"uuid": uid(*key, "approved"), "title": "Deviation approved",
            "description": md(f"Approved by {ctx.names.owner(waiver.approved_by)}."),
            "start": ctx.clock.start_of(waiver.granted),
            "props": [prop("type", "dr-approved", ns=None)],
            "logged-by": [{"party-uuid": p, "role-id": "waiver-approver"} for p in approver],
            "status-change": "deviation-approved"})] if waiver.granted else []
    return compact({
        "uuid": uid(*key),
        "title": md_line(f"Waiver {waiver.id}: {name}"),
        "description": md(waiver.justification),
        "statement": md(f"Warns and breaches of {name} at {where} are accepted until "
                        f"{waiver.expires.isoformat()}, approved by {ctx.names.owner(waiver.approved_by)}."),
        "props": props(prop("waiver", waiver.id), prop("rule", waiver.rule),
                       prop("approved-by", waiver.approved_by), prop("granted", waiver.granted),
                       prop("expires", waiver.expires), prop("spec-location", waiver.location)),
        "status": "deviation-approved",
        "origins": [ctx.tool_origin()],
        "deadline": ctx.clock.end_of(waiver.expires),
        "remediations": _remediations(ctx, key, sorted(actions.values(), key=lambda a: (a.due, a.id))),
        "risk-log": {"entries": log} if log else None,
        "related-observations": [{"observation-uuid": ctx.observation(r)} for r in covered],
    })


def _remediations(ctx: Context, risk_key: tuple[object, ...], actions: Iterable[ActionInfo]) -> list[dict[str, Any]]:
    out = []
    for action in actions:
        key = (*risk_key, "remediation", action.id)
        owner = ctx.party_uuids(action.owner)
        out.append(compact({
            "uuid": uid(*key),
            "lifecycle": "completed" if action.status == "done" else "planned",
            "title": md_line(f"Action {action.id}"),
            "description": md(action.description or f"Action {action.id} of {ctx.names.owner(action.owner)}."),
            "props": props(prop("action", action.id), prop("action-status", action.status),
                           prop("owner", action.owner), prop("due", action.due),
                           prop("overdue", action.overdue or None)),
            "origins": [{"actors": [{"type": "party", "actor-uuid": p, "role-id": "action-owner"}]} for p in owner],
            "tasks": [compact({"uuid": uid(*key, "task"), "type": "milestone",
                               "title": md_line(f"Action {action.id} due"),
                               "timing": {"on-date": {"date": ctx.clock.end_of(action.due)}},
                               "responsible-roles": [r for r in (ctx.responsible("action-owner", action.owner),)
                                                     if r]})],
        }))
    return out


def _data_resource(ctx: Context) -> dict[str, Any]:
    sources = [f"- {md(h.source)}: {md(fmt.health(h))}" for h in ctx.run.health]
    return {"uuid": ctx.data_resource(), "title": "Metric data",
            "description": md(f"The metric data the results were computed from, digest {ctx.run.data_digest}.")
            + ("\n\nWhat the evaluation read of each source:\n\n" + "\n".join(sources) if sources else ""),
            "props": props(prop("data-digest", ctx.run.data_digest))}


def _query_resource(ctx: Context, rule_id: str) -> dict[str, Any]:
    return {"uuid": ctx.query_resource(rule_id), "title": md_line(f"Query behind {ctx.names.rule(rule_id)}"),
            "description": md(f"The SQL statement, its parameters written in, that computes {rule_id} as of "
                              f"{ctx.run.as_of.isoformat()}. It is planned for this rule alone, as "
                              "cxgov explain shows it; a check batches the same aggregates into fewer scans."),
            "props": props(prop("rule", rule_id)),
            "remarks": code_block(ctx.sql[rule_id], "sql")}


def _notes(notes: tuple[str, ...]) -> str | None:
    return "\n".join(f"- {md(note)}" for note in notes) or None
