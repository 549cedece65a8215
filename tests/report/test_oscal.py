"""`cxgov report oscal`: an OSCAL 1.1 assessment plan and results that compliance-trestle's OSCAL models load
and validate, mapping the example program's standards, KPIs, problems analyses, results, breaches, waivers and
actions."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from trestle.common import const
from trestle.core.validator_factory import validator_factory
from trestle.oscal import OSCAL_VERSION_REGEX
from trestle.oscal.assessment_plan import AssessmentPlan
from trestle.oscal.assessment_results import AssessmentResults

from cxgov.cli import main
from cxgov.engine.check import check
from cxgov.engine.results import WaiverInfo
from cxgov.report import oscal
from cxgov.spec.model import Waiver
from report_samples import (AS_OF, EXAMPLE_SPEC, PAYLOAD, example_db, problem_results, sample_run, sample_spec,
                            with_problems)

NS = "https://cxgov.dev/ns/oscal"
STAMP = "2026-11-21T08:30:00Z"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return example_db(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def out(db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("oscal") / "out"
    result = invoke("report", "oscal", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out", folder)
    assert result.exit_code == 0, result.output
    assert f"cxgov: wrote {folder / oscal.PLAN_FILE}" in result.output
    return folder


@pytest.fixture(scope="module")
def evaluated(db):
    """The example's spec, Run and SQL, as the command computes them."""
    checked = check(EXAMPLE_SPEC, db, AS_OF, evidence=True)
    return checked.spec, checked.run, checked.run.evidence


@pytest.fixture(scope="module")
def ap(out):
    return json.loads((out / oscal.PLAN_FILE).read_text(encoding="utf-8"))["assessment-plan"]


@pytest.fixture(scope="module")
def ar(out):
    return json.loads((out / oscal.RESULTS_FILE).read_text(encoding="utf-8"))["assessment-results"]


def props(entity: dict) -> dict[str, str]:
    """cxgov's properties of an OSCAL object, by name."""
    return {p["name"]: p["value"] for p in entity.get("props", []) if p.get("ns") == NS}


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), ZoneInfo("Europe/London"))


def test_both_documents_load_and_validate_with_trestles_oscal_models(out, evaluated):
    plan = AssessmentPlan.oscal_read(out / oscal.PLAN_FILE)
    results = AssessmentResults.oscal_read(out / oscal.RESULTS_FILE)
    # trestle's every validator, as `trestle validate` runs them: duplicate UUIDs, role references, links
    everything = validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    for model in (plan, results):
        assert everything.model_is_valid(model, quiet=True), everything.error_msg()
        assert model.metadata.oscal_version.__root__ == "1.1.3"
    assert re.match(OSCAL_VERSION_REGEX, "1.1.3")  # the models trestle has are OSCAL 1.1's
    # the results import the plan written beside them; the plan's system is the spec, a back-matter resource
    assert results.import_ap.href == oscal.PLAN_FILE
    assert plan.import_ssp.href == "#" + plan.back_matter.resources[0].uuid
    spec_resource = props(plan.back_matter.resources[0].dict(by_alias=True))
    assert spec_resource["spec-digest"] == evaluated[1].spec_digest and spec_resource["spec-path"] == "specs"


def test_metadata_names_the_program_its_owners_and_roles(ap, ar, evaluated):
    spec, run, _ = evaluated
    for doc in (ap, ar):
        meta = doc["metadata"]
        assert meta["oscal-version"] == "1.1.3" and meta["version"] and meta["title"].startswith("Northwind Bank")
        assert [p["short-name"] for p in meta["parties"]] == sorted(o.id for o in spec.owners)
        kinds = {p["short-name"]: p["type"] for p in meta["parties"]}
        assert kinds["ana-lopez"] == "person" and kinds["cx-office"] == "organization"
        roles = {r["id"] for r in meta["roles"]}
        assert {"accountable", "responsible", "rule-owner", "action-owner", "waiver-approver"} <= roles
        owner = {r["role-id"]: r["party-uuids"] for r in meta["responsible-parties"]}["program-owner"]
        assert owner == [p["uuid"] for p in meta["parties"] if p["short-name"] == spec.program.owner]
    assert ap["metadata"]["last-modified"] == end_of(AS_OF).isoformat()


def test_one_objective_per_standard_kpi_and_problems_analysis(ap, ar, evaluated):
    spec = evaluated[0]
    rule_ids = sorted(r.id for r in (*spec.standards, *spec.kpis, *spec.problems))
    assert {"complaint-reasons", "what-customers-write"} <= set(rule_ids)
    objectives = ap["local-definitions"]["objectives-and-methods"]
    assert [o["control-id"] for o in objectives] == rule_ids
    for objective in objectives:
        objective_part, method = objective["parts"]
        assert objective_part["name"] == "assessment-objective"
        assert method["name"] == "assessment-method"
        assert {"name": "method", "value": "TEST"} in method["props"]
        assert {"name": "method-id", "value": method["id"]} in objective_part["props"]
    csat = next(o for o in objectives if o["control-id"] == "digital-csat")
    assert props(csat)["threshold"] == ">= 75 (warn 80)" and props(csat)["min-sample"] == "50"
    covered = evaluated[0].covered_touchpoints(evaluated[0].by_id["standards"]["digital-csat"])
    assert f"at each of the {len(covered)} touchpoints it applies to: " in csat["parts"][0]["prose"]
    for doc in (ap, ar["results"][0]):
        reviewed = doc["reviewed-controls"]
        assert [c["control-id"] for c in reviewed["control-selections"][0]["include-controls"]] == rule_ids
        assert [o["objective-id"] for o in reviewed["control-objective-selections"][0]["include-objectives"]] == \
            [o["parts"][0]["id"] for o in objectives]
    tasks = {t["title"].split(" as of ")[0].removeprefix("Evaluate "): t for t in ap["tasks"]}
    assert len(ap["tasks"]) == len(ap["local-definitions"]["activities"]) == len(rule_ids)
    assert all(t["timing"]["on-date"]["date"] == end_of(AS_OF).isoformat() for t in tasks.values())


def test_an_observation_per_result_with_its_evidence(ap, ar, evaluated):
    spec, run, sql = evaluated
    result_set = ar["results"][0]
    observations = result_set["observations"]
    assessed = run.results  # every result, a problems analysis's root causes too
    assert any(r.kind == "problem" for r in assessed)
    assert len(observations) == len(assessed) and len({o["uuid"] for o in observations}) == len(observations)
    components = {c["uuid"]: c for c in ap["local-definitions"]["components"]}
    users = {u["uuid"]: u for u in ap["local-definitions"]["users"]}
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    subjects = {**components, **users}

    def key(observation: dict) -> tuple:
        scope = tuple((props(subjects[s["subject-uuid"]])["subject-kind"], props(subjects[s["subject-uuid"]])["id"])
                      for s in observation["subjects"])
        return props(observation)["rule"], scope

    by_key = {key(o): o for o in observations}
    for result in assessed:
        observation = by_key[result.rule, result.scope]
        assert observation["methods"] == ["TEST"] and props(observation)["status"] == result.status
        measurement, spec_evidence, data_evidence, *query = observation["relevant-evidence"]
        measured = props(measurement)
        assert int(measured["n"]) == result.n
        if result.ci_low is not None:
            assert float(measured["ci-low"]) == pytest.approx(result.ci_low)
            assert float(measured["ci-high"]) == pytest.approx(result.ci_high)
        assert props(spec_evidence)["spec-digest"] == run.spec_digest == spec.digest
        assert props(spec_evidence)["git-commit"] == run.git_commit
        assert props(data_evidence)["data-digest"] == run.data_digest
        assert resources[data_evidence["href"][1:]]["title"] == "Metric data"
        (query_evidence,) = query
        assert sql[result.rule] in resources[query_evidence["href"][1:]]["remarks"]
    # a touchpoint is a service component with its RACI; a segment is a user of the program
    phone = next(c for c in components.values() if props(c).get("id") == "phone-complaints")
    assert phone["type"] == "service" and phone["status"]["state"] == "operational"
    assert {r["role-id"] for r in phone["responsible-roles"]} >= {"accountable"}
    assert {props(u)["id"] for u in users.values()} >= {"premier"}


def test_a_finding_per_unwaived_breach_whose_objective_is_not_satisfied(ar, evaluated):
    run = evaluated[1]
    result_set = ar["results"][0]
    breaches = [r for r in run.results if r.status == "breach"]
    findings = result_set["findings"]
    assert len(breaches) >= 2 and len(findings) == len(breaches) and any(r.kind == "problem" for r in breaches)
    observations = {o["uuid"]: o for o in result_set["observations"]}
    risks = {r["uuid"]: r for r in result_set["risks"]}
    for finding in findings:
        target = finding["target"]
        assert target["type"] == "objective-id" and target["status"] == {"state": "not-satisfied", "reason": "fail"}
        (related,) = finding["related-observations"]
        observation = observations[related["observation-uuid"]]
        assert props(observation)["status"] == "breach"
        assert target["target-id"] == props(observation)["rule"] + "_obj"
        (risk,) = finding["related-risks"]
        assert risks[risk["risk-uuid"]]["status"] in ("open", "remediating")
    assert sorted(props(f)["rule"] for f in findings) == sorted(r.rule for r in breaches)


def test_active_waivers_are_approved_deviations_until_their_expiry(ar, evaluated):
    spec, run, _ = evaluated
    active = [w for w in spec.waivers if w.active_on(AS_OF)]
    deviations = [r for r in ar["results"][0]["risks"] if r["status"] == "deviation-approved"]
    assert len(active) == 2 and [props(r)["waiver"] for r in deviations] == sorted(w.id for w in active)
    observations = {o["uuid"]: props(o) for o in ar["results"][0]["observations"]}
    for waiver, risk in zip(sorted(active, key=lambda w: w.id), deviations):
        assert datetime.fromisoformat(risk["deadline"]) == end_of(waiver.expires)
        assert risk["description"] == waiver.justification  # plain prose: nothing to escape
        covered = sorted(r.touchpoint for r in run.results if r.waiver and r.waiver.id == waiver.id)
        related = sorted(observations[o["observation-uuid"]]["waiver"] for o in risk["related-observations"])
        assert related == [waiver.id] * len(covered) and covered
        (entry,) = risk["risk-log"]["entries"]
        assert entry["status-change"] == "deviation-approved" and entry["start"].startswith(waiver.granted.isoformat())


def test_every_action_is_a_remediation_with_its_owner_and_due_date(ar, evaluated):
    spec, run, _ = evaluated
    parties = {p["uuid"]: p["short-name"] for p in ar["metadata"]["parties"]}
    remediations = {props(m)["action"]: m for risk in ar["results"][0]["risks"] for m in risk.get("remediations", [])}
    attached = {a.id for r in run.results for a in r.actions}
    assert attached == {a.id for a in spec.actions} and set(remediations) == attached  # on root causes too
    for action in spec.actions:
        remediation = remediations[action.id]
        assert remediation["lifecycle"] == ("completed" if action.status == "done" else "planned")
        (origin,) = remediation["origins"]
        assert [parties[a["actor-uuid"]] for a in origin["actors"]] == [action.owner]
        (task,) = remediation["tasks"]
        assert datetime.fromisoformat(task["timing"]["on-date"]["date"]) == end_of(action.due)
        assert [parties[p] for p in task["responsible-roles"][0]["party-uuids"]] == [action.owner]
    statuses = {props(r).get("rule"): r["status"] for r in ar["results"][0]["risks"] if "waiver" not in props(r)}
    assert statuses["first-contact-resolution"] == "closed"  # its one action is done and the result passes
    assert statuses["reopened-cases"] == "remediating"


def test_a_problems_analysis_is_a_control_its_root_causes_subjects_with_evidence(ap, ar, evaluated):
    spec, run, sql = evaluated
    objectives = {o["control-id"]: o for o in ap["local-definitions"]["objectives-and-methods"]}
    complaints = objectives["complaint-reasons"]
    assert props(complaints)["kind"] == "problem" and props(complaints)["category"] == "reason"
    assert props(complaints)["vital-share"] == "80.0" and props(objectives["what-customers-write"])["score"] == "csat"
    assert "Every vital cause (those making up the first 80% of problems) has an open or in-progress action" in \
        complaints["parts"][0]["prose"]
    components = {(props(c)["subject-kind"], props(c)["id"]): c for c in ap["local-definitions"]["components"]}
    parties = {p["uuid"]: p["short-name"] for p in ap["metadata"]["parties"]}
    for cause in spec.root_causes:
        component = components["root_cause", cause.id]
        assert component["type"] == "process-procedure" and component["title"] == f"Root cause: {cause.name}"
        roles = {r["role-id"]: [parties[u] for u in r["party-uuids"]] for r in component.get("responsible-roles", [])}
        assert roles.get("accountable") == ([cause.owner] if cause.owner else None)
    assert components["category", "other"]["type"] == "process-procedure"  # found in the data, mapped to none
    task = next(t for t in ap["tasks"] if t["title"].startswith("Evaluate Why customers complain"))
    chosen = {s["subject-uuid"] for s in task["associated-activities"][0]["subjects"][0]["include-subjects"]}
    assert {components["root_cause", c]["uuid"] for c in spec.problem("complaint-reasons").cause_ids} <= chosen
    assert task["responsible-roles"][0]["role-id"] == "problem-owner"

    result_set = ar["results"][0]
    observations = {o["uuid"]: o for o in result_set["observations"]}
    by_cause = {}
    for o in observations.values():
        if props(o)["rule"] == "complaint-reasons":
            (subject,) = o["subjects"]
            by_cause[next(k for k, c in components.items() if c["uuid"] == subject["subject-uuid"])] = o
    problems = [r for r in run.results if r.rule == "complaint-reasons"]
    assert len(by_cause) == len(problems) == 9
    resources = {r["uuid"]: r for r in ar["back-matter"]["resources"]}
    for result in problems:
        observation = by_cause[result.scope[-1]]
        measurement, _, _, query = observation["relevant-evidence"]
        measured = props(measurement)
        assert float(measured["value"]) == pytest.approx(result.value) and int(measured["n"]) == result.n
        assert float(measured["ci-low"]) == pytest.approx(result.ci_low)
        assert float(measured["ci-high"]) == pytest.approx(result.ci_high)
        assert int(measured["total"]) == result.problem.total and int(measured["rank"]) == result.problem.rank
        assert measured["vital"] == str(result.problem.vital).lower()
        assert float(measured["cumulative"]) == pytest.approx(result.problem.cumulative)
        assert sql["complaint-reasons"] in resources[query["href"][1:]]["remarks"]
    breached = by_cause["root_cause", "app-authentication"]
    assert props(breached)["status"] == "breach"
    total = problems[0].problem.total
    assert f"of {total:,} problems, rank 3" in breached["description"]  # its place, no threshold of 100%
    (finding,) = [f for f in result_set["findings"]
                  if f["related-observations"] == [{"observation-uuid": breached["uuid"]}]]
    assert finding["target"] == {"type": "objective-id", "target-id": "complaint-reasons_obj",
                                 "title": "Why customers complain", "status": {"state": "not-satisfied",
                                                                               "reason": "fail"}}
    risks = {r["uuid"]: r for r in result_set["risks"]}
    risk = risks[finding["related-risks"][0]["risk-uuid"]]
    assert risk["status"] == "open" and "a vital cause nobody is working on" in risk["statement"]
    assert not any(f["related-observations"][0]["observation-uuid"] == by_cause["category", "other"]["uuid"]
                   for f in result_set["findings"])
    # with a score, the gap and its interval are evidence too
    written = next(o for o in observations.values() if props(o)["rule"] == "what-customers-write")
    gap = props(written["relevant-evidence"][0])
    assert gap["score"] == "csat" and float(gap["score-gap-ci-low"]) <= float(gap["score-gap"]) <= \
        float(gap["score-gap-ci-high"])


def test_every_reference_resolves_and_every_uuid_is_unique(ap, ar):
    defined: list[set[str]] = []
    for doc in (ap, ar):
        uuids = [value for key, value in _walk(doc) if key == "uuid"]
        assert len(uuids) == len(set(uuids))
        defined.append(set(uuids))
    # the same subjects in both documents: the parties, and the spec (one resource, in both back-matters)
    shared = {p["uuid"] for p in ap["metadata"]["parties"]} | {ap["back-matter"]["resources"][0]["uuid"]}
    assert defined[0] & defined[1] == shared
    defined_anywhere = defined[0] | defined[1]
    references = ("party-uuids", "party-uuid", "actor-uuid", "subject-uuid", "task-uuid", "activity-uuid",
                  "observation-uuid", "risk-uuid", "component-uuid", "member-of-organizations")
    roles = {r["id"] for r in ap["metadata"]["roles"]}
    objectives = {o["parts"][0]["id"] for o in ap["local-definitions"]["objectives-and-methods"]}
    for doc in (ap, ar):
        for key, value in _walk(doc):
            for ref in (value if isinstance(value, list) else [value]):
                if key in references:
                    assert ref in defined_anywhere, (key, ref)
                elif key == "role-id":
                    assert ref in roles
                elif key in ("objective-id", "target-id"):
                    assert ref in objectives
                elif key == "href" and ref.startswith("#"):
                    assert ref[1:] in defined_anywhere


def test_no_member_is_null_empty_or_a_float(ap, ar):
    """OSCAL has no nulls and no empty arrays; numbers are written as property text, the same on every run."""
    for doc in (ap, ar):
        for key, value in _walk(doc):
            assert value is not None and value != [] and not isinstance(value, float), key


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_the_same_inputs_give_byte_identical_documents(db, out, tmp_path):
    again = tmp_path / "again"
    result = invoke("report", "oscal", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out", again)
    assert result.exit_code == 0, result.output
    for name in (oscal.PLAN_FILE, oscal.RESULTS_FILE):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    stamped = tmp_path / "stamped"
    assert invoke("report", "oscal", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out", stamped,
                  "--generated-at", STAMP).exit_code == 0
    plan = json.loads((stamped / oscal.PLAN_FILE).read_text())["assessment-plan"]
    assert plan["metadata"]["last-modified"] == "2026-11-21T08:30:00+00:00"
    assert plan["uuid"] == json.loads((out / oscal.PLAN_FILE).read_text())["assessment-plan"]["uuid"]


def test_a_file_or_stdout_as_out_is_bad_usage(db, tmp_path):
    taken = tmp_path / "taken.json"
    taken.write_text("{}")
    for target in (taken, "-"):
        result = invoke("report", "oscal", EXAMPLE_SPEC, "--data", db, "--as-of", AS_OF.isoformat(), "--out", target)
        assert result.exit_code == 2 and "need a folder" in result.output and "hint: give a folder" in result.output
    assert taken.read_text() == "{}" and not Path("-").exists()


def test_an_invalid_spec_or_missing_data_cannot_run(tmp_path):
    broken = tmp_path / "spec"
    broken.mkdir()
    (broken / "program.yaml").write_text("version: 1\nprogram: {id: x, name: X, timezone: Nowhere/Else}\n")
    result = invoke("report", "oscal", broken, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "program.yaml:2" in result.output
    result = invoke("report", "oscal", EXAMPLE_SPEC, "--as-of", AS_OF.isoformat(), "--out", tmp_path / "out")
    assert result.exit_code == 2 and "--data is required" in result.output
    assert not (tmp_path / "out").exists()


def test_an_objective_names_the_touchpoints_a_standard_applies_to_by_their_count():
    spec = sample_spec()
    plan = json.loads(oscal.documents(sample_run(spec), spec)[oscal.PLAN_FILE])["assessment-plan"]
    prose = {o["control-id"]: o["parts"][0]["prose"] for o in plan["local-definitions"]["objectives-and-methods"]}
    assert [len(spec.covered_touchpoints(s)) for s in spec.standards if s.id in ("app-sessions", "digital-csat")] \
        == [5, 1]
    assert "at the one touchpoint it applies to: " in prose["app-sessions"]
    assert "at each of the 5 touchpoints it applies to: " in prose["digital-csat"]


def test_spec_text_reaches_markup_fields_escaped():
    spec = sample_spec(lambda s: s + PAYLOAD)
    documents = oscal.documents(replace(sample_run(spec, lambda s: s + PAYLOAD), evidence={"digital-csat": "SELECT 1"}), spec)
    markup = ("title", "description", "statement", "prose", "remarks")  # Markdown fields; the rest is plain text
    for name, text in documents.items():
        fields = [value for key, value in _walk(json.loads(text)) if key in markup]
        planted = [value for value in fields if "pwned" in value]
        assert planted, name
        for value in planted:  # shown as written by a Markdown renderer, never run as HTML
            assert not re.search(r"(?<!\\)<", value) and "\\<script>" in value, value
    ar = json.loads(documents[oscal.RESULTS_FILE])["assessment-results"]
    (deviation,) = [r for r in ar["results"][0]["risks"] if r["status"] == "deviation-approved"]
    assert deviation["related-observations"] and props(deviation)["waiver"] == "w-chat"


def test_a_waiver_on_root_causes_is_a_deviation_of_the_problems_analysis(tmp_path):
    spec = with_problems(sample_spec())
    waiver = Waiver(id="w-billing", standard="", problem="complaint-causes", root_causes=("billing-errors",),
                    justification="New billing system in January.", approved_by="daniel-okafor",
                    expires=date(2027, 1, 31), granted=date(2026, 11, 1))
    spec = replace(spec, waivers=(*spec.waivers, waiver))
    info = WaiverInfo(waiver.id, waiver.justification, waiver.approved_by, waiver.expires, True)
    results = tuple(replace(r, status="waived", underlying_status="breach", waiver=info)
                    if dict(r.scope).get("root_cause") == "billing-errors" else r for r in problem_results(spec))
    base = sample_run(spec)
    documents = oscal.documents(replace(base, results=(*base.results, *results)), spec)
    for name, text in documents.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    AssessmentPlan.oscal_read(tmp_path / oscal.PLAN_FILE)
    ar = AssessmentResults.oscal_read(tmp_path / oscal.RESULTS_FILE).dict(by_alias=True, exclude_none=True)
    result_set = ar["results"][0]
    (risk,) = [r for r in result_set["risks"] if props(r).get("waiver") == "w-billing"]
    assert risk["status"] == "deviation-approved" and props(risk)["rule"] == "complaint-causes"
    assert risk["statement"].startswith("Warns and breaches of Why customers complain at billing-errors are accepted")
    (related,) = risk["related-observations"]
    observation = next(o for o in result_set["observations"] if o["uuid"] == related["observation-uuid"])
    assert props(observation)["waiver"] == "w-billing" and props(observation)["underlying-status"] == "breach"
    breached = [props(f)["rule"] for f in result_set["findings"]]
    assert breached.count("complaint-causes") == 1  # website-usability; the waived cause is no finding
