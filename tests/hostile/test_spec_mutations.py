"""Random mutations of a small valid spec never crash cxgov, and its reports stay well-formed.

Each example applies a few mutations (delete a key; replace a value with one of another YAML type or a hostile
number or string; duplicate a list entry; rename an id; point a reference elsewhere) to the spec of
hostile_fixtures, whose one source reads a CSV inside the spec folder, and runs `validate`, then `check` with every
report. Neither may exit 3 or print a traceback; when check writes its reports, the JSON parses, the JUnit XML
parses, the SARIF validates against the SARIF 2.1.0 schema and the HTML is well-formed.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_fixtures import AS_OF, SPEC, assert_reports, check_with_reports, cli, spec_files
from support.spec_files import write_files

BASE = {name: yaml.safe_load(textwrap.dedent(text)) for name, text in SPEC.items()}
REFERENCE_KEYS = ("metric", "source", "standard", "owner", "journey", "stage", "channel", "approved_by",
                  "touchpoint", "principle", "segment")
IDS = ("help-csat", "csat", "surveys", "ana", "get-help", "report", "web", "web-form", "nope", "effortless")

HOSTILE_NUMBERS = st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**30, -10**30, 10**400, 0, -1,
                                   0.5, 1e-300, 1e308, 2**63, 100, 101, -101])
HOSTILE_TEXT = st.sampled_from([
    "", " ", "x" * 5000, "é漢字🙂", "\u202eevil", "a\x07b", "\x1b[31mred\x1b[0m", "<script>alert(1)</script>",
    "]]><!--", "a\u0000b", "\ud7ff\ue000", "0d", "99999999d", "9999-12-31", "0001-01-01", "2026-02-30", ".nan",
    "1e400", "{{ x }}", "'; DROP TABLE surveys; --", "../../../etc/passwd", "/etc/passwd", "data/*.csv", "\t",
    "line\nbreak", "null", "yes", "NaN", "-", "Europe/Nowhere"])
SCALARS = st.one_of(HOSTILE_NUMBERS, HOSTILE_TEXT, st.booleans(), st.none(), st.integers(), st.floats(),
                    st.text(max_size=30), st.sampled_from([date(1, 1, 1), date(9999, 12, 31), date(2026, 11, 20)]))
TEXT_KEYS = ("name", "description", "justification", "reason", "statement", "title")
WINDOWS = st.sampled_from(["1d", "28d", "3660d", "1w", "522w", "month", "quarter", "year"])
DATES = st.dates(date(1900, 1, 1), date(9997, 12, 31))
NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([1e15, -1e15]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)


def _paths(data, prefix=()):
    """Every path (keys and list indexes) to a value in `data`."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append(prefix + (key,))
            found.extend(_paths(value, prefix + (key,)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.append(prefix + (i,))
            found.extend(_paths(value, prefix + (i,)))
    return found


def _parent(data, path):
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def mutation(draw, spec):
    """Mutate one file of `spec` (name -> data) in place; returns what was done, for the failure report."""
    name = draw(st.sampled_from(sorted(spec)))
    paths = _paths(spec[name])
    if not paths:
        return f"{name}: nothing to mutate"
    path = draw(st.sampled_from(paths))
    parent, last = _parent(spec[name], path), path[-1]
    kind = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "rename", "reference", "tweak", "tweak",
                                 "tweak", "tweak", "tweak"]))
    if kind == "tweak":  # a value validate may well accept: hostile text, an extreme number, date or window
        value = parent[last]
        text = st.one_of(HOSTILE_TEXT, st.text(min_size=1, max_size=40))
        if last == "window":
            parent[last] = draw(WINDOWS)
        elif isinstance(value, date):
            parent[last] = draw(DATES)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and last != "version":
            parent[last] = draw(NUMBERS)
        elif last in TEXT_KEYS:
            parent[last] = draw(text)
        else:  # a name or description for the entity the value belongs to
            entities = [q for q in paths if len(q) == 2 and isinstance(q[1], int) and isinstance(
                _parent(spec[name], q + (None,)), dict)]
            if entities:
                path = draw(st.sampled_from(entities))
                key = draw(st.sampled_from(["description", "name"]))
                _parent(spec[name], path + (None,))[key] = draw(text)
                path += (key,)
    elif kind == "delete":
        del parent[last]
    elif kind == "duplicate" and isinstance(parent, list):
        parent.insert(last, _copy(parent[last]))
    elif kind == "rename" and isinstance(parent, dict) and "id" in parent:
        parent["id"] = draw(st.sampled_from(IDS + ("", "Bad Id", "x" * 200)))
    elif kind == "reference":
        refs = [p for p in paths if p[-1] in REFERENCE_KEYS]
        if refs:
            path = draw(st.sampled_from(refs))
            parent, last = _parent(spec[name], path), path[-1]
        parent[last] = draw(st.sampled_from(IDS))
    else:
        kind = "replace"
        parent[last] = draw(VALUES)
    return f"{name}: {kind} {'.'.join(map(str, path))}"


def _copy(value):
    return yaml.safe_load(yaml.safe_dump(value))


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_spec_never_crashes_and_reports_stay_well_formed(data):
    spec = _copy(BASE)
    done = [data.draw(mutation(spec)) for _ in range(data.draw(st.sampled_from([1, 1, 2, 3])))]
    folder = Path(tempfile.mkdtemp(prefix="cxgov-mutation-"))
    try:
        files = spec_files({name: _dump(value) for name, value in spec.items()})
        root = write_files(folder / "specs", files)
        validated = cli("validate", root, "--today", AS_OF)
        assert validated.clean, (done, validated.output)
        assert validated.exit_code in (0, 1), (done, validated.output)
        checked = check_with_reports(root, folder / "out")
        assert checked.clean, (done, checked.output)
        assert checked.exit_code in (0, 1, 2), (done, checked.output)
        if validated.exit_code == 0 or (folder / "out" / "out.json").exists():
            assert (folder / "out" / "out.json").exists(), (done, checked.output)
            assert_reports(folder / "out")
        else:
            assert checked.exit_code == 2 and "cxgov validate" in checked.output, (done, checked.output)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
