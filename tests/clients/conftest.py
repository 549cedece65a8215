"""One real YAML language server (the npm package editors run, pinned in package-lock.json) for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp import LanguageServer
from support import npm_tools

REPO = Path(__file__).resolve().parents[2]
# What an editor sends: validation and hovers on, and no schema store (no network; the modeline names the schema).
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "format": {"enable": False},
                     "schemaStore": {"enable": False}, "yamlVersion": "1.2"}}


@pytest.fixture(scope="session")
def yaml_server():
    server = LanguageServer(npm_tools.yaml_language_server(), REPO, SETTINGS)
    try:
        yield server
    finally:
        server.close()
