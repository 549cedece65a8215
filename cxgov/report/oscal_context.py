"""What the OSCAL assessment plan and results share: identities, parties and roles, subjects, objectives' ids,
the metadata and the spec resource. Both documents are made from one Context, so their references agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Mapping

from cxgov.engine.results import Result, Run, Scope
from cxgov.report.names import SCOPE_TITLES, Names
from cxgov.report.oscal_parts import (OSCAL_VERSION, Clock, compact, md, md_line, moment, prop, props,
                                      scope_key, token, uid)
from cxgov.spec.model import Kpi, Owner, Problem, Spec, Standard

# (id, title, description): the roles parties play in the documents
ROLES = (
    ("program-owner", "CX program owner", "Accountable for the customer-experience program."),
    ("program-sponsor", "CX program sponsor", "Sponsors the customer-experience program."),
    ("accountable", "Accountable", "Accountable (RACI A) for a touchpoint or journey."),
    ("responsible", "Responsible", "Responsible (RACI R) for a touchpoint."),
    ("consulted", "Consulted", "Consulted (RACI C) about a touchpoint."),
    ("informed", "Informed", "Informed (RACI I) about a touchpoint."),
    ("rule-owner", "Standard or KPI owner", "Owns a quality standard or KPI and answers for its results."),
    ("action-owner", "Action owner", "Carries out an action that closes a gap, by its due date."),
    ("waiver-approver", "Waiver approver", "Approved a time-boxed exception to a standard or KPI."),
    ("problem-owner", "Problems analysis owner", "Owns a Pareto analysis of customers' problems by root cause."),
)
COMPONENT_STATE = {"active": "operational", "redesign": "operational", "planned": "under-development",
                   "retired": "disposition"}
# the OSCAL component type of each kind of subject; customer segments are users of the program instead
COMPONENT_TYPE = {"program": "this-system", "touchpoint": "service", "journey": "process-procedure",
                  "stage": "process-procedure", "channel": "service", "root_cause": "process-procedure",
                  "category": "process-procedure"}


@dataclass(frozen=True)
class Subject:
    """A touchpoint or a KPI scope value, as an OSCAL component (or, for a customer segment, a user)."""

    kind: str  # program|touchpoint|journey|stage|segment|channel|root_cause|category (one mapped to no cause)
    value: str
    uuid: str
    title: str

    @property
    def type(self) -> str:
        return "user" if self.kind == "segment" else "component"

    def reference(self) -> dict[str, Any]:
        return {"subject-uuid": self.uuid, "type": self.type, "title": md_line(self.title)}


class Context:
    """One run seen through OSCAL: everything both documents name, each with its identity."""

    def __init__(self, run: Run, spec: Spec, generated_at: datetime | None = None):
        # every control: the standards, KPIs and problems analyses (one id space: CX101), by id
        self.assessed: tuple[Standard | Kpi | Problem, ...] = tuple(sorted(
            (*spec.standards, *spec.kpis, *spec.problems), key=lambda r: r.id))
        self.problems: tuple[Problem, ...] = tuple(r for r in self.assessed if isinstance(r, Problem))
        ids = {r.id for r in self.assessed}
        self.run, self.spec, self.sql = run, spec, {k: v for k, v in run.evidence.items() if k in ids}
        self.names = Names(spec)
        self.clock = Clock(spec.program.timezone)
        # the documents' time: injected, or the end of the as-of day, so the same inputs give the same bytes
        self.now = moment(generated_at) if generated_at else self.clock.end_of(run.as_of)
        self.results: tuple[Result, ...] = tuple(sorted((r for r in run.results if r.rule in ids),
                                                        key=lambda r: (r.rule, r.scope)))
        self.tool = uid("tool", "cxgov")
        self.platform = uid("assessment-platform", "cxgov")
        self.spec_resource = uid("spec", run.spec_digest)

    # --- identities -----------------------------------------------------------------------------------------

    def control_id(self, rule_id: str) -> str:
        return token(rule_id)

    def objective_id(self, rule_id: str) -> str:
        return f"{token(rule_id)}_obj"

    def method_id(self, rule_id: str) -> str:
        return f"{token(rule_id)}_asm-test"

    def activity(self, rule_id: str) -> str:
        return uid("activity", self.run.spec_digest, rule_id)

    def task(self, rule_id: str) -> str:
        return uid("task", self.run.spec_digest, self.run.as_of, rule_id)

    def observation(self, result: Result) -> str:
        return self._observations[result.rule, result.scope]

    @cached_property
    def _observations(self) -> Mapping[tuple[str, Scope], str]:
        run = self.run
        return {(r.rule, r.scope): uid("observation", run.spec_digest, run.as_of, r.rule, scope_key(r.scope))
                for r in self.results}

    def query_resource(self, rule_id: str) -> str:
        return uid("query", self.run.spec_digest, self.run.as_of, rule_id)

    def data_resource(self) -> str:
        return uid("data", self.run.data_digest)

    # --- parties and subjects -------------------------------------------------------------------------------

    @cached_property
    def parties(self) -> Mapping[str, str]:
        """owner id -> party UUID, for every owner of the spec."""
        return {o.id: uid("party", self.spec.program.id, o.id) for o in self.spec.owners}

    def party_uuids(self, *owner_ids: str | None) -> list[str]:
        """The parties of the owners named that the spec knows, each once, in the order named."""
        found = [self.parties[o] for o in owner_ids if o and o in self.parties]
        return list(dict.fromkeys(found))

    def responsible(self, role: str, *owner_ids: str | None) -> dict[str, Any] | None:
        """A responsible-role (or -party) entry, or None when none of the owners is a known party."""
        uuids = self.party_uuids(*owner_ids)
        return {"role-id": role, "party-uuids": uuids} if uuids else None

    @cached_property
    def subjects(self) -> Mapping[tuple[str, str], Subject]:
        """(kind, value) -> Subject: the program, every touchpoint a standard covers, every scope of a result."""
        keys: dict[tuple[str, str], None] = {("program", self.spec.program.id): None}
        for standard in self.spec.standards:
            keys.update({("touchpoint", tp.id): None for tp in self.spec.covered_touchpoints(standard)})
        for problem in self.problems:
            keys.update({("root_cause", cause): None for cause in problem.cause_ids})
        for result in self.results:
            keys.update({pair: None for pair in result.scope})
        return {key: Subject(key[0], key[1], uid("subject", self.spec.program.id, *key), self._title(*key))
                for key in sorted(keys)}

    def _title(self, kind: str, value: str) -> str:
        if kind == "program":
            return self.spec.program.name
        return f"{SCOPE_TITLES.get(kind, kind.title())}: {self.names.scope_value(kind, value)}"

    def result_subjects(self, result: Result) -> list[Subject]:
        return [self.subjects[pair] for pair in result.scope]

    def scope_title(self, result: Result) -> str:
        return self.names.scope(result.scope)

    # --- the pieces both documents carry --------------------------------------------------------------------

    def metadata(self, title: str, version: str) -> dict[str, Any]:
        program = self.spec.program
        return compact({
            "title": md_line(title),
            "last-modified": self.now,
            "version": version,
            "oscal-version": OSCAL_VERSION,
            "props": props(prop("program", program.id), prop("spec-digest", self.run.spec_digest),
                           prop("git-commit", self.run.git_commit), prop("cxgov-version", self.run.cxgov_version)),
            "roles": [{"id": rid, "title": title, "description": md(text)} for rid, title, text in ROLES],
            "parties": [self._party(o) for o in sorted(self.spec.owners, key=lambda o: o.id)],
            "responsible-parties": [entry for entry in (self.responsible("program-owner", program.owner),
                                                        self.responsible("program-sponsor", program.sponsor))
                                    if entry],
        })

    def _party(self, owner: Owner) -> dict[str, Any]:
        teams = sorted(o.id for o in self.spec.owners if owner.id in o.members)
        return compact({
            "uuid": self.parties[owner.id],
            "type": "person" if owner.kind == "person" else "organization",
            "name": " ".join(owner.name.split()) or owner.id,
            "short-name": owner.id,
            "props": props(prop("owner-kind", owner.kind), prop("job-title", owner.title)),
            "email-addresses": [owner.email] if owner.email else [],
            "member-of-organizations": self.party_uuids(*teams),
        })

    def spec_resource_entry(self) -> dict[str, Any]:
        """The back-matter resource that stands for the spec: the plan's import-ssp points at it."""
        run = self.run
        commit = f", git commit {run.git_commit}" if run.git_commit else ""
        return {
            "uuid": self.spec_resource,
            "title": md_line(f"{self.spec.program.name}: CX governance spec"),
            "description": md(
                f"The cxgov spec folder {run.spec_path} (digest {run.spec_digest}{commit}): the program's "
                "experience intent, touchpoint inventory, owners, standards, KPIs, waivers and actions, in YAML. "
                "It stands where a system security plan would: cxgov governs a customer-experience program, "
                "which no OSCAL system security plan describes."),
            "props": props(prop("spec-path", run.spec_path), prop("spec-digest", run.spec_digest),
                           prop("git-commit", run.git_commit), prop("program", self.spec.program.id)),
        }

    def reviewed_controls(self) -> dict[str, Any]:
        """Every standard, KPI and problems analysis of the spec as a control, and its objective."""
        return {
            "description": md("The standards, KPIs and problems analyses of the cxgov spec, each a control "
                              "identified by its id, with one assessment objective; the spec is the baseline "
                              "(there is no OSCAL catalog or profile)."),
            "control-selections": [compact({"include-controls": [{"control-id": self.control_id(r.id)}
                                                                 for r in self.assessed]})],
            "control-objective-selections": [
                compact({"include-objectives": [{"objective-id": self.objective_id(r.id)} for r in self.assessed]})],
        }

    def tool_origin(self, rule_id: str | None = None) -> dict[str, Any]:
        """The origin of everything cxgov observed: the tool, and the task that evaluated the rule."""
        origin: dict[str, Any] = {"actors": [{"type": "tool", "actor-uuid": self.tool}]}
        if rule_id is not None:
            origin["related-tasks"] = [{"task-uuid": self.task(rule_id)}]
        return origin
