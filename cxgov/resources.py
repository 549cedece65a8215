"""Locate files shipped with cxgov: JSON Schemas and Jinja2 templates.

In a wheel they sit inside the package (cxgov/schemas, cxgov/templates, cxgov/example); in a source checkout at
the top of the repository (schemas/, templates/, and specs/ for the example program).
"""

from __future__ import annotations

from pathlib import Path

from cxgov.speed import memo, once

_PKG = Path(__file__).resolve().parent


_CHECKOUT_NAMES = {"example": "specs"}


@memo(None)
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


@once
def _installed_from() -> tuple[str, str] | None:
    """(web URL, commit) of the git repository this cxgov was installed from over http(s), as the installer
    recorded it (PEP 610 direct_url.json: `pip install "cxgov @ git+https://..."`); None otherwise."""
    import json
    from importlib import metadata
    from urllib.parse import urlsplit, urlunsplit

    try:
        record = json.loads(metadata.distribution("cxgov").read_text("direct_url.json") or "null")
    except (metadata.PackageNotFoundError, ValueError):
        return None
    vcs = record.get("vcs_info", {}) if isinstance(record, dict) else {}
    parts = urlsplit(record.get("url", "")) if vcs.get("vcs") == "git" and vcs.get("commit_id") else None
    if parts is None or parts.scheme not in ("http", "https"):
        return None
    path = parts.path.removesuffix("/").removesuffix(".git")
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], path, "", "")), vcs["commit_id"]


def docs_uri(page: str, anchor: str = "") -> str | None:
    """Where a page of cxgov's docs/ (at a heading's `anchor`) can be read for the running version: on the git host
    it was installed from, at that commit; in the source tree it runs from; None when neither is known."""
    fragment = f"#{anchor}" if anchor else ""
    origin = _installed_from()
    if origin is not None:
        return f"{origin[0]}/blob/{origin[1]}/docs/{page}{fragment}"
    local = _PKG.parent / "docs" / page
    return local.as_uri() + fragment if local.is_file() else None


def project_uri() -> str | None:
    """The cxgov project the running version comes from: its repository at that commit, or its source tree."""
    origin = _installed_from()
    if origin is not None:
        return f"{origin[0]}/tree/{origin[1]}"
    return _PKG.parent.as_uri() + "/" if (_PKG.parent / "docs").is_dir() else None
