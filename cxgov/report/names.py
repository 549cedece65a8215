"""Human names for the ids in result records, looked up in the spec (the id itself when the spec has none)."""

from __future__ import annotations

from typing import Iterable

from cxgov.spec.model import Spec

SCOPE_TITLES = {"program": "Program", "journey": "Journey", "stage": "Stage", "segment": "Segment",
                "channel": "Channel", "touchpoint": "Touchpoint", "root_cause": "Root cause", "category": "Category"}


class Names:
    """Display names for owners, touchpoints, journeys, segments, rules and scopes of one spec."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self._principles = {p.id: p.name for p in (spec.program.intent.principles if spec.program.intent else ())}

    def _name(self, section: str, entity_id: str | None) -> str:
        if entity_id is None:
            return ""
        entity = self.spec.by_id[section].get(entity_id)
        name = getattr(entity, "name", None) if entity is not None else None
        return name or entity_id

    def owner(self, owner_id: str | None) -> str:
        return self._name("owners", owner_id)

    def touchpoint(self, touchpoint_id: str | None) -> str:
        return self._name("touchpoints", touchpoint_id)

    def journey(self, journey_id: str | None) -> str:
        return self._name("journeys", journey_id)

    def segment(self, segment_id: str | None) -> str:
        return self._name("segments", segment_id)

    def metric(self, metric_id: str | None) -> str:
        return self._name("metrics", metric_id)

    def principle(self, principle_id: str | None) -> str:
        if principle_id is None:
            return ""
        return self._principles.get(principle_id, principle_id)

    def rule(self, rule_id: str) -> str:
        rule = self.spec.rule(rule_id) or self.spec.problem(rule_id)
        return rule.label if rule is not None else rule_id

    def root_cause(self, cause_id: str | None) -> str:
        return self._name("root_causes", cause_id)

    def scope_value(self, key: str, value: str) -> str:
        lookup = {"journey": self.journey, "segment": self.segment, "touchpoint": self.touchpoint,
                  "root_cause": self.root_cause}.get(key)
        if key == "program":
            return self.spec.program.name
        return lookup(value) if lookup else value

    def scope(self, pairs: Iterable[tuple[str, str]]) -> str:
        """"Segment: Retail customers · Channel: phone"; "Program" for the whole program."""
        parts = [SCOPE_TITLES.get(k, k.title()) if k == "program"
                 else f"{SCOPE_TITLES.get(k, k.title())}: {self.scope_value(k, v)}" for k, v in pairs]
        return " · ".join(parts) or "Program"
