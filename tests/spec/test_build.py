"""spec.build reads each entity by its model class's fields: the schema's keys are the fields, a key not written
keeps the model's default, and what build assembles is what the class's constructor would make."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest

from cxgov.spec import build, loader, model as m, schema
from cxgov.spec.api import validate
from spec_fixtures import REPO, TODAY, write_spec

DAY = date.fromisoformat(TODAY)


def _definition(node: dict[str, Any]) -> dict[str, Any]:
    """The schema of an entity: `node` itself, or what its $ref names."""
    while "$ref" in node:
        node = schema.schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _plans() -> list[tuple[str, type, dict[str, Any]]]:
    """(where, class, schema) of every class build reads: the sections' entities, the program and what they nest."""
    top = schema.schema()["properties"]
    found = [("program", m.Program, _definition(top["program"]))]
    found += [(name, cls, _definition(top[name]["items"])) for name, cls in build.CLASSES.items()]
    seen: set[type] = set()
    for where, cls, node in found:
        seen.add(cls)
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            inner = [a for a in (get_args(hints[f.name]) or (hints[f.name],))
                     if a is not type(None)]
            nested = inner[0] if len(inner) == 1 else inner[0] if inner and inner[-1] is Ellipsis else None
            prop = node.get("properties", {}).get(f.name)
            if nested in build.PLANS and nested not in seen and prop is not None:
                prop = _definition(prop)
                found.append((f"{where}.{f.name}", nested, _definition(prop.get("items", prop))))
    return found


READ = _plans()


@pytest.mark.parametrize("where, cls, node", READ, ids=[where for where, _, _ in READ])
def test_the_schema_keys_are_the_model_fields(where, cls, node):
    read = build.plan(cls)
    assert set(node.get("properties", {})) == set(read.by_key), where
    assert read.required <= set(node.get("required", ())), where  # the schema may require more (journey stages)


def test_a_key_not_written_keeps_the_model_default(tmp_path):
    root = write_spec(tmp_path, {"waivers.yaml": """\
        version: 1
        waivers:
          - {id: w1, standard: help-csat, justification: J, approved_by: ana, expires: 2027-01-01}
          - {id: w2, problem: p, justification: J, approved_by: ana, expires: 2027-01-01}
        """})
    spec, found = build.build(loader.load_documents(root), root)
    assert spec is not None and [d.code for d in found] == ["CX104"]  # problems analysis p: not defined
    web = spec.touchpoint("web-form")  # written with its required keys only
    assert web == m.Touchpoint(id="web-form", name="Web form", journey="get-help", stage="report", channel="web",
                               owner="digital-team")
    assert web.labels is m.EMPTY and spec.owners[1].kind == "team"
    assert spec.standards[0].severity == "medium" and spec.kpis[0].severity == "high"
    assert spec.metrics[0].where == m.Filter() and spec.kpis[0].scope == m.Scope()
    assert spec.waivers[0].touchpoints == () and spec.waivers[1].standard == ""  # absent: "", not required
    assert spec.program.defaults == m.Defaults(min_sample=30, max_waiver_days=180, max_accountable=8)


def _twins(value: object) -> None:
    """Every model object in `value` equals, field for field and key for key, what its constructor makes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        state = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        twin = type(value)(**state)
        assert twin == value and repr(twin) == repr(value) and vars(twin).keys() == vars(value).keys(), value
        for v in state.values():
            _twins(v)
    elif isinstance(value, tuple):
        for v in value:
            _twins(v)


def _large(folder: Path, touchpoints: int) -> Path:
    """The base spec with `touchpoints` more touchpoints, each writing every key a touchpoint has."""
    lines = ["version: 1", "touchpoints:"]
    for i in range(touchpoints):
        lines.append(f"  - {{id: tp-{i}, name: T {i}, journey: get-help, stage: resolve, channel: web, owner: ana, "
                     f"responsible: [cx-office], consulted: [ana], informed: [cx-office], systems: [crm], "
                     f"processes: [p{i % 3}], principles: [effortless], segments: [retail], "
                     f"moment_of_truth: {str(i % 2 == 0).lower()}, status: {('active', 'planned')[i % 2]}, "
                     f"labels: {{region: uk, tier: {i % 4}, vip: true}}, description: D {i}}}")
    return write_spec(folder, {"more.yaml": "\n".join(lines) + "\n"})


@pytest.mark.parametrize("large", [False, True], ids=["example", "large"])
def test_what_build_assembles_is_what_the_constructors_make(tmp_path, large):
    root = _large(tmp_path, 2000) if large else REPO / "specs"
    result = validate(root, DAY, warnings=False)
    assert result.spec is not None, [d.format() for d in result.errors[:3]]
    spec = result.spec
    _twins(spec.program)
    for section in build.CLASSES:
        _twins(getattr(spec, section))
    if large:
        tp = spec.touchpoint("tp-3")
        assert tp.labels == {"region": "uk", "tier": "3", "vip": "true"} and tp.informed == ("cx-office",)
        assert tp.moment_of_truth is False and tp.status == "planned" and tp.at("labels.tier").line > 0


def test_each_section_of_the_vocabulary_has_its_model_class_in_order():
    from cxgov import vocabulary
    from cxgov.spec import build

    assert tuple(build.CLASSES) == vocabulary.SECTIONS
