"""One wording for thresholds, spans, windows and selectors, whichever output shows them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import cxgov
from cxgov import wording
from cxgov.engine.results import Span, ThresholdInfo
from cxgov.spec import model as m


def test_numbers_are_shown_as_written():
    assert [wording.number(x) for x in (90, 90.0, 89.95, -1.5, 0.1, 1234567.0, 1e-7)] == \
        ["90", "90", "89.95", "-1.5", "0.1", "1234567", "1e-07"]


def test_a_threshold_reads_as_the_spec_writes_it():
    assert wording.threshold(ThresholdInfo(">=", 90, 95)) == ">= 90 (warn 95)"
    assert wording.threshold(ThresholdInfo("<", 89.95)) == "< 89.95"
    assert wording.threshold(m.Threshold("<=", 120.0, 72.0)) == "<= 120 (warn 72)"


def test_a_span_names_both_days():
    assert wording.span(Span(date(2026, 10, 24), date(2026, 11, 20))) == "2026-10-24..2026-11-20"


def test_a_window_says_what_it_covers():
    assert wording.window(m.Window("28d", days=28)) == "the 28 days ending with the as-of date"
    assert wording.window(m.Window("4w", days=28)) == "the 28 days ending with the as-of date"
    assert wording.window(m.Window("quarter", period="quarter")) == "the last complete quarter ending on or before the as-of date"


def test_a_selector_names_every_filter_in_order():
    assert wording.selector(m.Selector()) == "every touchpoint"
    assert wording.selector(m.Selector(touchpoints=("a", "b"))) == "touchpoints a, b"
    selector = m.Selector(touchpoints=("a",), journey=("claims",), channel=("phone", "chat"), moment_of_truth=True,
                          labels={"tier": ("gold",)})
    assert wording.selector(selector) == "touchpoints a; journey claims; channel phone, chat; moments of truth; " \
                                         "label tier gold"
    assert wording.selector(m.Selector(status=("planned",), moment_of_truth=False)) == \
        "status planned; not moments of truth"


def test_no_other_module_words_a_threshold_or_a_span():
    package = Path(cxgov.__file__).parent
    offenders = [p.relative_to(package).as_posix() for p in sorted(package.rglob("*.py"))
                 if p.name != "wording.py" and any(s in p.read_text(encoding="utf-8")
                                                   for s in ("(warn {", "isoformat()}..", "isoformat()} .."))]
    assert offenders == []


def test_a_count_names_one_thing_or_many():
    assert wording.counted(1, "touchpoint") == "1 touchpoint"
    assert [wording.counted(n, "run") for n in (0, 2)] == ["0 runs", "2 runs"]
    assert wording.counted(1, "result fails", "results fail") == "1 result fails"
    assert wording.counted(3, "result fails", "results fail") == "3 results fail"


def test_no_output_says_thing_s():
    """Counts say "1 touchpoint" or "3 touchpoints" (wording.counted), never "touchpoint(s)". The two notes of a
    result that still do are in its JSON record, which stays as it is until that output's wording is revised."""
    package = Path(cxgov.__file__).parent
    found = sorted((p.relative_to(package).as_posix(), word) for p in package.rglob("*.py")
                   for word in re.findall(r"\} ([a-z]+)\(s\)", p.read_text(encoding="utf-8")))
    assert found == [("engine/evaluate.py", "value"), ("engine/problems.py", "row")]
