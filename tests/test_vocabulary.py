"""The JSON Schemas enumerate some of the words cxgov.vocabulary defines: they must agree, word for word and in
order (the schemas are written by hand, not generated)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cxgov import vocabulary as v
from cxgov.resources import schema_path


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return loaded


def at(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for key in pointer.strip("/").split("/"):
        node = node[key]
    return node


SPEC = {
    "$defs/severity/enum": v.SEVERITIES,
    "$defs/threshold/properties/op/enum": v.OPS,
    "$defs/program/properties/review/properties/cadence/enum": v.CADENCES,
    "$defs/owner/properties/kind/enum": v.OWNER_KINDS,
    "$defs/segment/properties/basis/enum": v.SEGMENT_BASES,
    "$defs/touchpoint/properties/status/enum": v.TOUCHPOINT_STATUSES,
    "$defs/selector/properties/status/enum": v.TOUCHPOINT_STATUSES,
    "$defs/selector/properties/status/items/enum": v.TOUCHPOINT_STATUSES,
    "$defs/metric/properties/kind/enum": v.METRIC_KINDS,
    "$defs/metric/properties/duration/properties/unit/enum": v.DURATION_UNITS,
    "$defs/kpi/properties/by/enum": v.BY_DIMENSIONS,
    "$defs/problem/properties/by/enum": v.BY_DIMENSIONS,
    "$defs/action/properties/status/enum": v.ACTION_STATUSES,
    "$defs/raci/properties/cycle_step/enum": v.CYCLE_STEPS,
}

RESULTS = {
    "$defs/status/enum": v.RESULT_STATUSES,
    "properties/summary/required": v.RESULT_STATUSES,
    "$defs/diagnostic/properties/severity/enum": v.DIAGNOSTIC_SEVERITIES,
    "$defs/result/properties/kind/enum": v.RULE_KINDS,
    "$defs/result/properties/metric_kind/enum": (*v.METRIC_KINDS, "problem"),
    "$defs/result/properties/threshold/properties/op/enum": v.OPS,
    "$defs/result/properties/severity/enum": v.SEVERITIES,
    "$defs/result/properties/actions/items/properties/status/enum": v.ACTION_STATUSES,
}


@pytest.mark.parametrize("pointer", sorted(SPEC))
def test_the_spec_schema_enumerates_the_vocabulary(pointer):
    assert tuple(at(schema("cxgov-spec-v1.json"), pointer)) == SPEC[pointer]


@pytest.mark.parametrize("pointer", sorted(RESULTS))
def test_the_results_schema_enumerates_the_vocabulary(pointer):
    assert tuple(at(schema("cxgov-results-v1.json"), pointer)) == RESULTS[pointer]


def test_the_spec_schema_has_a_list_for_every_section():
    top = tuple(schema("cxgov-spec-v1.json")["properties"])
    assert set(top) == {"version", "program", "channels", *v.SECTIONS}
    assert all(section in v.SECTION_NOUNS for section in top if section != "version")


def test_the_window_pattern_names_the_calendar_periods():
    pattern = schema("cxgov-spec-v1.json")["$defs"]["window"]["pattern"]
    periods = re.fullmatch(r"\^\(\[1-9\]\[0-9\]\{0,7\}\[dw\]\|(.*)\)\$", pattern)
    assert periods is not None and tuple(periods.group(1).split("|")) == tuple(v.PERIOD_MONTHS)
    assert set(v.PERIOD_DAYS) == set(v.PERIOD_MONTHS)


def test_the_orders_cover_their_words():
    assert set(v.STATUS_ORDER) == set(v.RESULT_STATUSES)
    assert tuple(v.SEVERITY_ORDER) == v.SEVERITIES and set(v.SEVERE) <= set(v.SEVERITIES)
    assert v.DEFAULT_CADENCE in v.CADENCES and v.DEFAULT_DURATION_UNIT in v.DURATION_UNITS
    assert set(v.UNIT_SECONDS) == set(v.UNIT_SYMBOLS) == set(v.DURATION_UNITS)
    assert set(v.LIVE_ACTION_STATUSES) <= set(v.ACTION_STATUSES) and set(v.RULE_SECTIONS) <= set(v.SECTIONS)
    assert set(v.BY_DIMENSIONS) < set(v.SCOPE_KINDS) and set(v.HIGHER_IS_BETTER) < set(v.OPS)


def test_the_data_suffixes_are_lower_case_and_distinct():
    suffixes = (*v.CSV_SUFFIXES, *v.PARQUET_SUFFIXES)
    assert all(s == s.lower() and s.startswith(".") for s in suffixes) and len(set(suffixes)) == len(suffixes)


def test_the_raci_formats_follow_from_the_suffixes():
    assert v.RACI_FORMATS == ("html", "csv", "md")
