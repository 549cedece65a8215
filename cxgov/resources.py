"""Locate files shipped with cxgov: JSON Schemas and Jinja2 templates.

In a wheel they sit inside the package (cxgov/schemas, cxgov/templates, cxgov/example); in a source checkout at
the top of the repository (schemas/, templates/, and specs/ for the example program).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


_CHECKOUT_NAMES = {"example": "specs"}


@lru_cache(maxsize=None)
def resource_dir(name: str) -> Path:
    """The folder holding the shipped `name` files ("schemas", "templates" or "example")."""
    for candidate in (_PKG / name, _PKG.parent / _CHECKOUT_NAMES.get(name, name)):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cxgov installation is incomplete: no '{name}' folder next to {_PKG}")


def schema_path(filename: str) -> Path:
    return resource_dir("schemas") / filename


def templates_dir() -> Path:
    return resource_dir("templates")


def example_dir() -> Path:
    """The example program (Northwind Bank) that `cxgov demo` runs on."""
    return resource_dir("example")
