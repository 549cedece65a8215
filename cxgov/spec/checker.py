"""Compile a JSON Schema (the Draft 2020-12 subset the spec schema uses) into a Python function value -> valid?

jsonschema interprets the schema on every value, which is too slow for specs with thousands of touchpoints; this
writes the same checks out as Python source, one function per `$defs` entry and per loop, and compiles it once.
tests/spec/test_schema.py keeps it in agreement with jsonschema. Only the shipped schema is ever compiled.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

# Annotations: cxgov's own messages (x-messages), and those the YAML language server shows (errorMessage,
# patternErrorMessage), which cxgov shows too (spec/schema.py).
ANNOTATIONS = {"$schema", "$id", "title", "description", "x-messages", "errorMessage", "patternErrorMessage", "default",
               "examples", "$defs"}
KEYWORDS = {"$ref", "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "required", "minProperties", "maxProperties", "propertyNames",
            "properties", "additionalProperties", "items", "minItems", "uniqueItems", "oneOf", "anyOf", "if", "then",
            "else"}

_TYPES = {
    "string": "isinstance({v}, str)",
    "integer": "(isinstance({v}, int) and not isinstance({v}, bool) or isinstance({v}, float) and {v}.is_integer())",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "array": "isinstance({v}, list)",
    "object": "isinstance({v}, dict)",
}
# Keywords that only constrain values of one type (they hold for any other value), by that type.
_GROUPS = (("string", ("pattern", "minLength", "maxLength"), _TYPES["string"]),
           ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"), _TYPES["number"]),
           ("object", ("required", "minProperties", "maxProperties", "propertyNames", "properties",
                       "additionalProperties"), _TYPES["object"]),
           ("array", ("items", "minItems", "uniqueItems"), _TYPES["array"]))
_COMPARE = {"minLength": ("len({v}) >= {b!r}"), "maxLength": "len({v}) <= {b!r}", "minItems": "len({v}) >= {b!r}",
            "minProperties": "len({v}) >= {b!r}", "maxProperties": "len({v}) <= {b!r}", "minimum": "{v} >= {b!r}",
            "maximum": "{v} <= {b!r}", "exclusiveMinimum": "{v} > {b!r}", "exclusiveMaximum": "{v} < {b!r}"}
_MISSING = object()


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON Schema means it: true and 1 differ, 1 and 1.0 do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def unique(items: list[Any]) -> bool:
    """No two items equal in the JSON sense (uniqueItems)."""
    if len(items) < 2:
        return True
    frozen = [json.dumps(x, sort_keys=True) if isinstance(x, (list, dict)) else (type(x) is bool, x) for x in items]
    return len(set(frozen)) == len(frozen)


def _operand(expr: str) -> str:
    """`expr`, in parentheses when it has an operator that binds less tightly than `and`."""
    return f"({expr})" if any(op in expr for op in (" or ", " if ", " == ")) else expr


def compile_schema(root: dict[str, Any]) -> Callable[[Any], bool]:
    """Compile `root` (a schema using local $refs only) into a function value -> valid?"""
    compiler = _Compiler(root)
    compiler.function("check", root)
    namespace = dict(compiler.constants)
    exec(compile("\n".join(compiler.source), "<cxgov spec schema>", "exec"), namespace)  # noqa: S102 - our schema
    check: Callable[[Any], bool] = namespace["check"]
    return check


class _Compiler:
    """Writes one function per `$ref` target and per loop; everything else becomes an inline expression."""

    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.source: list[str] = []
        self.constants: dict[str, Any] = {"json_equal": json_equal, "unique": unique, "MISSING": _MISSING}
        self.refs: dict[str, str] = {}
        self.names = 0

    def name(self, hint: str) -> str:
        """A new name for a function or constant, readable in tracebacks: `touchpoint_12`."""
        self.names += 1
        return f"{re.sub(r'[^A-Za-z0-9_]', '_', hint)}_{self.names}"

    def constant(self, value: Any, hint: str = "c") -> str:
        name = self.name(hint)
        self.constants[name] = value
        return name

    def function(self, name: str, schema: Any) -> str:
        """Define `name(v)`: whether `v` is valid against `schema`."""
        return self.define(name, [f"return {self.expr(schema, 'v')}"])

    def define(self, name: str, body: list[str]) -> str:
        """Define `name(v)` with the statements `body`; it returns True unless they return False first."""
        if not body[-1].startswith("return "):
            body = [*body, "return True"]
        self.source.append(f"def {name}(v):\n" + "".join(f"    {line}\n" for line in body))
        return name

    def loop(self, hint: str, head: str, var: str, schema: Any) -> str:
        """A function that checks `var` against `schema` for each turn of the loop `head`: `for x in v:`."""
        return self.define(self.name(hint), [head, f"    if not ({self.expr(schema, var)}): return False"])

    def ref(self, pointer: str) -> str:
        if pointer not in self.refs:
            if pointer != "#" and not pointer.startswith("#/"):
                raise ValueError(f"only local $ref is supported, not {pointer}")
            target: Any = self.root
            for part in pointer[2:].split("/") if pointer != "#" else ():
                target = target[part]
            # named before its body is written: the body may refer to it again
            self.refs[pointer] = name = self.name(pointer.rsplit("/", 1)[-1] if pointer != "#" else "root")
            self.function(name, target)
        return self.refs[pointer]

    def expr(self, schema: Any, v: str) -> str:
        """A Python expression that is true when the value named `v` is valid against `schema`."""
        if schema is True or schema == {}:
            return "True"
        if schema is False:
            return "False"
        unknown = set(schema) - ANNOTATIONS - KEYWORDS
        if unknown:
            raise ValueError(f"schema keyword(s) not supported by the fast checker: {sorted(unknown)}")
        parts = []
        if "$ref" in schema:
            parts.append(f"{self.ref(schema['$ref'])}({v})")
        types = schema.get("type")
        types = [types] if isinstance(types, str) else types
        if types:
            parts.append(" or ".join(_TYPES[t].format(v=v) for t in types))
        if "enum" in schema:
            options = schema["enum"]
            if all(isinstance(o, str) for o in options):
                parts.append(f"isinstance({v}, str) and {v} in {self.constant(frozenset(options), 'enum')}")
            else:
                parts.append(f"any(json_equal({v}, o) for o in {self.constant(tuple(options), 'enum')})")
        if "const" in schema:
            parts.append(f"json_equal({v}, {self.constant(schema['const'], 'const')})")
        for group, keywords, guard in _GROUPS:
            checks = self.group(schema, group, keywords, v)
            if not checks:
                continue
            if types and not ({group, "integer"} if group == "number" else {group}) & set(types):
                continue  # the value is never of this type, so these keywords hold
            if types and len(types) == 1:
                parts.extend(checks)  # the type check before them has made sure of the type
            else:
                parts.append(f"not {guard.format(v=v)} or {' and '.join(map(_operand, checks))}")
        if "oneOf" in schema:
            parts.append(" + ".join(f"({self.expr(s, v)})" for s in schema["oneOf"]) + " == 1")
        if "anyOf" in schema:
            parts.append(" or ".join(map(_operand, (self.expr(s, v) for s in schema["anyOf"]))))
        if "if" in schema:
            parts.append(f"({self.expr(schema.get('then', True), v)}) if ({self.expr(schema['if'], v)}) "
                         f"else ({self.expr(schema.get('else', True), v)})")
        return " and ".join(map(_operand, parts)) if parts else "True"

    def group(self, schema: dict[str, Any], group: str, keywords: tuple[str, ...], v: str) -> list[str]:
        """The checks of the keywords that apply to values of type `group`, assuming `v` is of that type."""
        checks = [_COMPARE[k].format(v=v, b=schema[k]) for k in keywords if k in _COMPARE and k in schema]
        if "pattern" in schema and group == "string":
            checks.append(f"{self.constant(re.compile(schema['pattern']).search, 'pattern')}({v}) is not None")
        if group == "object":
            checks.extend(f"{key!r} in {v}" for key in schema.get("required", ()))
            if "propertyNames" in schema:
                checks.append(f"{self.loop('names', 'for k in v:', 'k', schema['propertyNames'])}({v})")
            if "properties" in schema or "additionalProperties" in schema:
                checks.append(f"{self.properties(schema)}({v})")
        if group == "array":
            if "items" in schema:
                checks.append(f"{self.loop('items', 'for x in v:', 'x', schema['items'])}({v})")
            if schema.get("uniqueItems"):
                checks.append(f"unique({v})")
        return checks

    def properties(self, schema: dict[str, Any]) -> str:
        """A function checking each property of a mapping, and that no other key is there (or that others fit)."""
        props = schema.get("properties", {})
        body = [f"if (x := v.get({key!r}, MISSING)) is not MISSING and not ({self.expr(sub, 'x')}): return False"
                for key, sub in props.items()]
        extra = schema.get("additionalProperties", True)
        known = self.constant(frozenset(props), "keys")
        if extra is False:
            body.append(f"if not {known}.issuperset(v): return False")
        elif extra is not True:
            body += ["for k, x in v.items():",
                     f"    if k not in {known} and not ({self.expr(extra, 'x')}): return False"]
        return self.define(self.name("properties"), body or ["return True"])
