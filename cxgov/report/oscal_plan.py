"""The OSCAL assessment plan: what cxgov assesses (each standard, KPI and problems analysis an objective, tested by
an activity and a task), on which subjects (touchpoints, KPI scopes, root causes), with which tool, and the spec it
all comes from."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cxgov import wording
from cxgov.report.oscal_context import COMPONENT_STATE, COMPONENT_TYPE, Context, Subject
from cxgov.report.oscal_parts import compact, md, md_line, prop, props, uid
from cxgov.spec.model import Filter, Kpi, Problem, Standard

METHODOLOGY = (
    "cxgov evaluates every standard once per touchpoint it applies to (retired touchpoints are not evaluated) and "
    "every KPI once per scope and `by` value, from the rows of the metric's source in the rule's window as of "
    "the as-of date. A result is a breach when its value fails the threshold, a warn when it misses the warn "
    "level, insufficient when fewer rows than the minimum sample are in the window, and waived when an active "
    "waiver covers a warn or breach. Thresholds compare the exact value, never a rounded one; values come with "
    "their sample size and, where the metric has one, a 95% confidence interval. A problems analysis ranks the "
    "problems in its window by root cause (a Pareto analysis): each cause's share of all problems, with its Wilson "
    "interval; the causes that together make up its vital share are the vital few, and a vital cause with no open "
    "or in-progress action is a breach (as is a share above `max_share`, where one is set).")


def plan(ctx: Context) -> dict[str, Any]:
    run, spec = ctx.run, ctx.spec
    subjects = list(ctx.subjects.values())
    return compact({
        "uuid": uid("assessment-plan", run.spec_digest),
        "metadata": ctx.metadata(f"{spec.program.name}: CX governance assessment plan",
                                 f"spec-{run.spec_digest.partition(':')[2][:12]}"),
        "import-ssp": {"href": f"#{ctx.spec_resource}",
                       "remarks": md("The system assessed is the customer-experience program its cxgov spec "
                                     "describes; the back-matter resource names that spec.")},
        "local-definitions": compact({
            "components": [_component(ctx, s) for s in subjects if s.type == "component"],
            "users": [_user(ctx, s) for s in subjects if s.type == "user"],
            "objectives-and-methods": [_objective(ctx, rule) for rule in ctx.assessed],
            "activities": [_activity(ctx, rule) for rule in ctx.assessed],
        }),
        "terms-and-conditions": {"parts": [{"name": "methodology", "title": "How results are judged",
                                            "prose": md(METHODOLOGY)}]},
        "reviewed-controls": ctx.reviewed_controls(),
        "assessment-subjects": _selection(subjects),
        "assessment-assets": {
            "components": [compact({"uuid": ctx.tool, "type": "software", "title": "cxgov",
                                    "description": md("Customer-experience governance as code: validates the spec "
                                                      "and evaluates its standards and KPIs against metric data."),
                                    "props": props(prop("version", run.cxgov_version, ns=None)),
                                    "status": {"state": "operational"}})],
            "assessment-platforms": [{"uuid": ctx.platform, "title": f"cxgov {run.cxgov_version}".strip(),
                                      "uses-components": [{"component-uuid": ctx.tool}]}],
        },
        "tasks": [_task(ctx, rule) for rule in ctx.assessed],
        "back-matter": {"resources": [ctx.spec_resource_entry()]},
    })


def _component(ctx: Context, subject: Subject) -> dict[str, Any]:
    spec = ctx.spec
    roles: list[dict[str, Any] | None] = []
    description, state = subject.title, "operational"
    extra: list[dict[str, Any] | None] = []
    if subject.kind == "touchpoint" and subject.value in spec.by_id["touchpoints"]:
        tp = spec.touchpoint(subject.value)
        description = tp.description or (f"{tp.name}: the {tp.stage} stage of the {ctx.names.journey(tp.journey)} "
                                         f"journey, through {tp.channel}.")
        state = COMPONENT_STATE.get(tp.status, "other")
        roles = [ctx.responsible("accountable", tp.owner), ctx.responsible("responsible", *tp.responsible),
                 ctx.responsible("consulted", *tp.consulted), ctx.responsible("informed", *tp.informed)]
        extra = [prop("journey", tp.journey), prop("stage", tp.stage), prop("channel", tp.channel),
                 prop("touchpoint-status", tp.status), prop("moment-of-truth", tp.moment_of_truth or None)]
    elif subject.kind == "journey" and subject.value in spec.by_id["journeys"]:
        journey = spec.by_id["journeys"][subject.value]
        description = getattr(journey, "description", None) or description
        roles = [ctx.responsible("accountable", getattr(journey, "owner", None))]
    elif subject.kind == "root_cause" and (cause := spec.root_cause(subject.value)) is not None:
        description = cause.description or f"A root cause of customers' problems: {cause.name}."
        roles = [ctx.responsible("accountable", cause.owner)]
    elif subject.kind == "category":
        description = (f"Category {subject.value} of a problems analysis, found in the data and mapped to no root "
                       "cause.")
    elif subject.kind == "program":
        description = spec.program.description or f"The customer-experience program {spec.program.name}."
        roles = [ctx.responsible("accountable", spec.program.owner)]
    return compact({"uuid": subject.uuid, "type": COMPONENT_TYPE.get(subject.kind, "service"),
                    "title": md_line(subject.title), "description": md(description),
                    "props": props(prop("subject-kind", subject.kind), prop("id", subject.value), *extra),
                    "status": {"state": state}, "responsible-roles": [r for r in roles if r]})


def _user(ctx: Context, subject: Subject) -> dict[str, Any]:
    segment = ctx.spec.by_id["segments"].get(subject.value)
    description = getattr(segment, "description", None) or f"The customers of segment {subject.value}."
    return {"uuid": subject.uuid, "title": md_line(subject.title), "short-name": subject.value,
            "description": md(description),
            "props": props(prop("subject-kind", "segment"), prop("id", subject.value),
                           prop("basis", getattr(segment, "basis", None)))}


def _objective(ctx: Context, rule: Standard | Kpi | Problem) -> dict[str, Any]:
    if isinstance(rule, Problem):
        return _objective_parts(ctx, rule, props(
            prop("kind", "problem"), prop("source", rule.source), prop("category", rule.category),
            prop("text", rule.text), prop("themes", len(rule.themes) or None), prop("score", rule.score),
            prop("vital-share", rule.vital_share), prop("max-share", rule.max_share),
            prop("window", rule.window.text), prop("min-sample", ctx.spec.min_sample(rule)),
            prop("severity", rule.severity), prop("owner", rule.owner), prop("spec-location", rule.location)))
    metric = ctx.spec.metric(rule.metric)
    return _objective_parts(ctx, rule, props(
        prop("kind", "standard" if isinstance(rule, Standard) else "kpi"), prop("metric", metric.id),
        prop("metric-kind", metric.kind), prop("threshold", wording.threshold(rule.threshold)),
        prop("window", rule.window.text),
        prop("min-sample", ctx.spec.min_sample(rule)), prop("severity", rule.severity), prop("owner", rule.owner),
        prop("principle", rule.principle), prop("spec-location", rule.location)))


def _objective_parts(ctx: Context, rule: Standard | Kpi | Problem, properties: list[dict[str, Any]]) -> dict[str, Any]:
    method = ctx.method_id(rule.id)
    return {
        "control-id": ctx.control_id(rule.id),
        "description": md(rule.description or rule.label),
        "props": properties,
        "parts": [
            {"id": ctx.objective_id(rule.id), "name": "assessment-objective", "title": md_line(rule.label),
             "props": [prop("method-id", method, ns=None)], "prose": md(_objective_text(ctx, rule))},
            {"id": method, "name": "assessment-method", "props": [prop("method", "TEST", ns=None)],
             "parts": [{"name": "assessment-objects", "prose": md(_objects_text(ctx, rule))}]},
        ],
    }


def _objective_text(ctx: Context, rule: Standard | Kpi | Problem) -> str:
    if isinstance(rule, Problem):
        return _problem_text(ctx, rule)
    metric = ctx.names.metric(rule.metric)
    judged = (f"{metric} {wording.threshold(rule.threshold)} over {wording.window(rule.window)}, with at least "
              f"{ctx.spec.min_sample(rule)} rows in the window")
    if isinstance(rule, Standard):
        covered = [tp.id for tp in ctx.spec.covered_touchpoints(rule)]
        listed = f": {', '.join(covered)}" if covered else ""
        at = "the one touchpoint" if len(covered) == 1 else f"each of the {len(covered)} touchpoints"
        return f"{rule.label}: {judged}, at {at} it applies to{listed}."
    scope = "the whole program" if rule.scope.kind == "program" else f"{rule.scope.kind} {rule.scope.value}"
    text = f"{rule.label}: {judged}, for {scope}" + (f", by {rule.by}" if rule.by else "") + "."
    if rule.trend is not None:
        text += (f" A significant drop of more than {wording.number(rule.trend.max_drop)} against the previous window "
                 "is a breach too.")
    return text


def _problem_text(ctx: Context, problem: Problem) -> str:
    counted = (f"one problem per row, by its category in column {problem.category}" if problem.category else
               f"one mention per row and root cause whose themes match the text in column {problem.text}")
    scope = "the whole program" if problem.scope.kind == "program" else f"{problem.scope.kind} {problem.scope.value}"
    text = (f"{problem.label}: the problems of {wording.window(problem.window)} ({counted}), for {scope}"
            + (f", by {problem.by}" if problem.by else "") + f", ranked by root cause ({len(problem.cause_ids)}: "
            f"{', '.join(problem.cause_ids)}), with at least {ctx.spec.min_sample(problem)} problems. Every vital cause "
            f"(those making up the first {wording.number(problem.vital_share)}% of problems) has an open or in-progress "
            "action")
    if problem.max_share is not None:
        text += f", and no cause makes up more than {wording.number(problem.max_share)}%"
    return text + "."


def _objects_text(ctx: Context, rule: Standard | Kpi | Problem) -> str:
    if isinstance(rule, Problem):
        source, where_terms = ctx.spec.source(rule.source), rule.where
        scope = "each result is one root cause (or a category mapped to none) of its analysis."
    else:
        metric = ctx.spec.metric(rule.metric)
        source, where_terms = ctx.spec.source(metric.source), metric.where
        scope = "each result is computed from the rows of its touchpoint or scope."
    where = f"table {source.table}" if source.table else f"files {source.path}"
    text = f"The rows of source {source.id} ({where}) with a {source.timestamp} in the window"
    if where_terms:
        text += f", where {_filter(where_terms)}"
    return f"{text}; {scope}"


def _filter(terms: Filter) -> str:
    return " and ".join(f"{column} = {values[0]}" if len(values) == 1
                        else f"{column} in ({', '.join(map(str, values))})" for column, values in terms.terms)


def _activity(ctx: Context, rule: Standard | Kpi | Problem) -> dict[str, Any]:
    key = (ctx.run.spec_digest, rule.id)
    problem = isinstance(rule, Problem)
    computed = ("each cause's count, share and interval, and its rank" if problem
                else "the value, its sample size and interval")
    judged = ("Mark the vital few, judge each vital cause by its open actions"
              + (" and each share against max_share" if isinstance(rule, Problem) and rule.max_share is not None
                 else "") if problem
              else "Compare each value with the threshold") + \
        ", apply the minimum sample and any active waiver, and record the result with its evidence."
    return compact({
        "uuid": ctx.activity(rule.id),
        "title": md_line(f"Evaluate {rule.label}"),
        "description": md(_objective_text(ctx, rule)),
        "props": [prop("method", "TEST", ns=None)],
        "steps": [
            {"uuid": uid("step", *key, "measure"), "title": "Measure",
             "description": md(f"{_objects_text(ctx, rule)} cxgov computes {computed} with one SQL statement "
                               "per source, read-only.")},
            {"uuid": uid("step", *key, "judge"), "title": "Judge", "description": md(judged)},
        ],
        "related-controls": {
            "control-selections": [{"include-controls": [{"control-id": ctx.control_id(rule.id)}]}],
            "control-objective-selections": [{"include-objectives": [{"objective-id": ctx.objective_id(rule.id)}]}],
        },
        "responsible-roles": [r for r in (ctx.responsible(*_owner_role(rule)),) if r],
    })


def _owner_role(rule: Standard | Kpi | Problem) -> tuple[str, str | None]:
    return ("problem-owner" if isinstance(rule, Problem) else "rule-owner"), rule.owner


def _task(ctx: Context, rule: Standard | Kpi | Problem) -> dict[str, Any]:
    subjects = {s.uuid: s for r in ctx.results if r.rule == rule.id for s in ctx.result_subjects(r)}
    if isinstance(rule, Standard):
        subjects.update({s.uuid: s for s in (ctx.subjects[("touchpoint", tp.id)]
                                             for tp in ctx.spec.covered_touchpoints(rule))})
    elif isinstance(rule, Problem):
        subjects.update({s.uuid: s for s in (ctx.subjects[("root_cause", c)] for c in rule.cause_ids)})
    chosen = sorted(subjects.values(), key=lambda s: (s.kind, s.value)) or \
        [ctx.subjects[("program", ctx.spec.program.id)]]
    return compact({
        "uuid": ctx.task(rule.id),
        "type": "action",
        "title": md_line(f"Evaluate {rule.label} as of {ctx.run.as_of.isoformat()}"),
        "timing": {"on-date": {"date": ctx.now}},
        "associated-activities": [{"activity-uuid": ctx.activity(rule.id), "subjects": _selection(chosen)}],
        "responsible-roles": [r for r in (ctx.responsible(*_owner_role(rule)),) if r],
    })


def _selection(subjects: list[Subject]) -> list[dict[str, Any]]:
    """Subjects as OSCAL assessment subjects: one entry per type, each naming its subjects."""
    by_type: dict[str, list[Subject]] = defaultdict(list)
    for subject in subjects:
        by_type[subject.type].append(subject)
    return [{"type": kind, "include-subjects": [{"subject-uuid": s.uuid, "type": kind} for s in chosen]}
            for kind, chosen in sorted(by_type.items())]


