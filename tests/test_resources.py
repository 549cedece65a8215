"""Where cxgov's own docs are, for the links reports carry (SARIF's helpUri and informationUri)."""

from __future__ import annotations

import json
from importlib import metadata

import pytest

from cxgov import resources


class _Distribution:
    def __init__(self, record):
        self.record = record

    def read_text(self, name):
        return json.dumps(self.record) if name == "direct_url.json" else None


@pytest.fixture
def installed_from(monkeypatch):
    def install(record):
        monkeypatch.setattr(metadata, "distribution", lambda name: _Distribution(record))
        resources._installed_from.cache_clear()

    yield install
    resources._installed_from.cache_clear()


def test_installed_from_git_links_to_the_docs_at_that_commit(installed_from):
    installed_from({"url": "https://token:x@github.com/acme/cxgov.git",
                    "vcs_info": {"vcs": "git", "commit_id": "abc123", "requested_revision": "v0.1.0"}})
    assert resources.docs_uri("spec-language.md", "standards") == \
        "https://github.com/acme/cxgov/blob/abc123/docs/spec-language.md#standards"
    assert resources.project_uri() == "https://github.com/acme/cxgov/tree/abc123"


@pytest.mark.parametrize("record", [
    {"url": "file:///src/cxgov", "dir_info": {"editable": True}},
    {"url": "ssh://git@github.com/acme/cxgov", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
    {"url": "file:///wheels/cxgov-0.1.0-py3-none-any.whl", "archive_info": {}},
])
def test_otherwise_the_docs_of_the_source_tree_it_runs_from(installed_from, record):
    installed_from(record)
    uri = resources.docs_uri("ci.md")
    assert uri == (resources._PKG.parent / "docs" / "ci.md").as_uri()  # the tests run from the source tree
    assert resources.project_uri() == resources._PKG.parent.as_uri() + "/"
