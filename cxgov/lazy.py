"""Modules loaded on first use: what `cxgov validate` never calls (the query machinery: sqlglot, the database
driver) is not imported by the modules it does read, such as the metric kinds' declarations."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """The module `name`, executed when one of its attributes is first read (importlib's LazyLoader)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    spec.loader.exec_module(found)
    return found


class Attribute:
    """`getattr(owner, name)` read when first used: `exp = Attribute(sql, "exp")` for a lazily loaded `sql`."""

    def __init__(self, owner: ModuleType, name: str):
        self._owner, self._name = owner, name

    def __getattr__(self, attribute: str) -> object:
        return getattr(getattr(self._owner, self._name), attribute)
