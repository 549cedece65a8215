"""JSON output: the result records as documented by schemas/cxgov-results-v1.json, byte-stable."""

from __future__ import annotations

import json

import jsonschema
import pytest

from cxgov.report import json as json_report
from cxgov.resources import schema_path
from run_fixtures import sample_run


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(schema_path("cxgov-results-v1.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_status_validates_against_the_schema(validator):
    document = json.loads(json_report.render(sample_run()))
    validator.validate(document)
    assert [r["status"] for r in document["results"]] == \
        ["breach", "warn", "pass", "waived", "insufficient", "error", "breach", "warn"]
    assert document["summary"] == {"pass": 1, "warn": 2, "breach": 2, "insufficient": 1, "waived": 1, "error": 1}


def test_the_schema_rejects_drift(validator):
    document = json.loads(json_report.render(sample_run()))
    document["results"][0]["status"] = "failed"
    assert not validator.is_valid(document)
    document = json.loads(json_report.render(sample_run()))
    document["results"][0]["surprise"] = 1
    assert not validator.is_valid(document)


def test_output_is_sorted_identical_every_time_and_one_result_per_line():
    first, second = json_report.render(sample_run()), json_report.render(sample_run())
    assert first == second and first.endswith("}\n")
    document = json.loads(first)
    assert list(document) == sorted(document)
    lines = first.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert [line.split(":")[0].strip() for line in lines[1:-1] if line.startswith('  "')] == \
        [json.dumps(key) for key in sorted(document)]  # each top-level key on its own line
    start = lines.index('  "results": [') + 1
    per_line = [json.loads(line.strip().rstrip(",")) for line in lines[start:start + len(document["results"])]]
    assert per_line == document["results"] and lines[start + len(per_line)] == "  ],"
    for result in per_line:
        assert json.dumps(result, sort_keys=True, ensure_ascii=False) in first  # keys sorted inside each result


def test_an_empty_run_is_still_one_document():
    document = json.loads(json_report.render(sample_run(())))
    assert document["results"] == [] and document["summary"]["pass"] == 0


def test_floats_are_made_stable():
    assert json_report.stable({"a": 0.1 + 0.2, "b": -0.0, "c": float("nan"), "d": [1.0000000000001, 2],
                               "e": True, "f": -1e-12, "g": (float("inf"), {"h": 2.0000000001})}) == \
        {"a": 0.3, "b": 0.0, "c": None, "d": [1.0, 2], "e": True, "f": 0.0, "g": [None, {"h": 2.0}]}
    assert json.dumps(json_report.stable(-1e-12)) == "0.0"
    # written through a memo of floats: equal keys (-0.0 and 0.0, 1.0 and 1) still written as their own kind
    assert [json_report._number(v) for v in (-0.0, 0.0, 1.0, 1, True, float("nan"), float("inf"), 1e-10)] == \
        ["0.0", "0.0", "1.0", "1", "true", "null", "null", "0.0"]
    with pytest.raises(TypeError, match="not JSON-ready: object"):
        json_report.stable({"x": object()})


def test_lines_written_ahead_give_the_same_document():
    run = sample_run()
    results = run.results
    ahead = json_report.Ahead()
    ahead.add(results[len(results) // 2:][::-1])  # a later scan's results first, in another order
    assert json_report.render(run, ahead) == json_report.render(run)
    assert all(ahead._lines.get(r) is None for r in results)  # each line handed over, none kept
    ahead.add(results)
    assert ahead.take(results[-1]) == json_report.result_line(results[-1])
    assert json_report.render(run, ahead) == json_report.render(run)
    assert json_report.render(run, json_report.Ahead()) == json_report.render(run)


def _generic_line(result) -> str:
    return json_report._ENCODER.encode(json_report.stable(result.to_dict()))


def test_a_result_line_is_what_the_encoder_writes_of_its_dict():
    from dataclasses import replace

    from cxgov.engine.results import ProblemInfo

    bar = ProblemInfo("staff-training", "Lack of training", 1, 62.5, True, 80.0, 160, (("impolite-agent", 60),),
                      "category", change=4.5, z=1.5571, p_value=0.1194)
    results = sample_run().results
    for result in results + (replace(results[0], kind="problem", problem=bar),):
        assert json_report.result_line(result) == _generic_line(result)


def test_lines_of_a_run_share_a_rules_parts_only_while_they_hold_the_same_objects():
    from dataclasses import replace

    results = sample_run().results
    first = results[0]
    same_rule = replace(first, touchpoint="elsewhere", n=first.n + 1)  # first's rule objects, other numbers
    renamed = replace(first, rule_name=first.rule_name + " (renamed)")
    moved = replace(first, threshold=replace(first.threshold, fail=1.5), window=results[-1].window)
    lines = json_report._ResultLines()
    for result in (first, same_rule, renamed, moved, first, *results):
        assert lines(result) == _generic_line(result)


from hypothesis import given, settings, strategies as st  # noqa: E402

from cxgov.engine.results import ActionInfo, PreviousInfo, Span, TrendInfo, WaiverInfo  # noqa: E402

_numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**6).map(float))
_texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_days = st.dates()


@settings(max_examples=200, deadline=None)
@given(base=st.sampled_from(sample_run().results), value=_numbers, low=_numbers, extra=st.dictionaries(_texts, _numbers,
       max_size=3), notes=st.lists(_texts, max_size=2), text=_texts, day=_days, flag=st.booleans(),
       scope=st.lists(st.tuples(_texts, _texts), max_size=2, unique_by=lambda p: p[0]))
def test_a_result_line_agrees_with_the_encoder_on_any_values(base, value, low, extra, notes, text, day, flag, scope):
    from dataclasses import replace

    result = replace(base, value=value, ci_low=low, ci_high=value, extra=extra, notes=tuple(notes), owner=text or None,
                     rule_name=text, scope=tuple(scope), window=Span(day, day),
                     previous=PreviousInfo(value, 3, Span(day, day) if flag else None),
                     trend=TrendInfo(1.5, value, low, value, flag, not flag) if flag else None,
                     waiver=WaiverInfo(text, text, text, day, flag) if not flag else None,
                     actions=(ActionInfo(text, text, day, "open", text or None, flag),) if flag else ())
    assert json_report.result_line(result) == _generic_line(result)
