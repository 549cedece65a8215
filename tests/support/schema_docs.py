"""Walk the spec JSON Schema as an editor does: which schema describes the value at a document path, and what
its description is (a property's own, else that of the definition it refers to)."""

from __future__ import annotations

from typing import Any, Iterator

from cxgov.spec import schema as spec_schema

ROOT: dict = spec_schema.schema()


def resolve(node: dict) -> dict:
    """`node` with its `$ref` followed; the node's own keywords win over the definition's (as editors merge them)."""
    if "$ref" not in node:
        return node
    target = ROOT
    for part in node["$ref"].removeprefix("#/").split("/"):
        target = target[part]
    return {**resolve(target), **{k: v for k, v in node.items() if k != "$ref"}}


def child(node: dict, step: str | int, value: Any = None) -> tuple[str, dict | None]:
    """The name and schema of the key or list index `step` below a value described by `node` (`value`: that
    value, for the KPI scope's if/then/else). Names are as `properties` gives them: `[]` for a list item, `*` for
    a free key of a mapping."""
    node = resolve(node)
    if isinstance(step, int):
        items = node.get("items")
        return "[]", items if isinstance(items, dict) else None
    if "else" in node and isinstance(value, dict):
        node = resolve(node["else"])
    if step in node.get("properties", {}):
        return step, node["properties"][step]
    extra = node.get("additionalProperties")
    return "*", extra if isinstance(extra, dict) else None


def description(node: dict | None) -> str | None:
    return resolve(node).get("description") if node is not None else None


def keys(data: Any, node: dict = ROOT, path: tuple = (), name: str = "") -> Iterator[tuple[tuple, str, dict | None]]:
    """(path, name, schema) for every mapping key in `data` (a document): the path ends with the key, the name
    is the key's in `properties`."""
    if isinstance(data, dict):
        for key, value in data.items():
            label, sub = child(node, key, data)
            yield path + (key,), name + label, sub
            if sub is not None:
                yield from keys(value, sub, path + (key,), f"{name}{label}.")
    elif isinstance(data, list):
        label, sub = child(node, 0)
        for index, value in enumerate(data):
            if sub is not None:
                yield from keys(value, sub, path + (index,), f"{name}{label}.")


def properties(node: dict = ROOT, trail: str = "", seen: frozenset = frozenset()) -> Iterator[tuple[str, dict]]:
    """(dotted name, schema) of every key the schema describes, including the free keys of mappings
    (additionalProperties, named `*`), reached from the top of a file."""
    node = resolve(node) if "$ref" not in node or node["$ref"] not in seen else node
    seen = seen | {node.get("$ref", "")}
    branches = [node] + [resolve(node[k]) for k in ("then", "else") if isinstance(node.get(k), dict)]
    for branch in branches:
        for key, sub in branch.get("properties", {}).items():
            yield f"{trail}{key}", sub
            yield from properties(sub, f"{trail}{key}.", seen)
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            yield f"{trail}*", extra
            yield from properties(extra, f"{trail}*.", seen)
        items = branch.get("items")
        if isinstance(items, dict):
            yield from properties(items, f"{trail}[].", seen)


def example_document() -> dict:
    """A valid document holding every key the schema describes, each with a value (its first example, else one
    built from its parts): what an editor is tested on beyond the keys the example program happens to use."""
    return _value(ROOT)


def _value(node: dict) -> Any:
    node = resolve(node)
    examples = node.get("examples")
    if examples and not isinstance(examples[0], dict):
        return examples[0]
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "properties" in node:
        return _objects(node)[0]
    if examples:
        return examples[0]
    if isinstance(node.get("items"), dict):
        items = resolve(node["items"])
        return _objects(items) if "properties" in items else [_value(items)]
    types = node.get("type")
    kind = types[0] if isinstance(types, list) else types
    return {"string": "x", "integer": 1, "number": 1, "boolean": True}[kind]


def _objects(node: dict) -> list[dict]:
    """A mapping with every property of `node`; one per branch when it must hold exactly one of some keys (a
    source's `table` or `path`)."""
    built = {key: _value(sub) for key, sub in node["properties"].items()}
    choices = [branch["required"] for branch in node.get("oneOf", ()) if set(branch) == {"required"}]
    if not choices:
        return [built]
    others = {key for keys in choices for key in keys}
    return [{k: v for k, v in built.items() if k not in others - set(keys)} for keys in choices]
