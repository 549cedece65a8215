"""The scorecard's sparkline of a rule's last runs, and its text alternative (drawn from the run history's series in
tests/audit/test_history_trends.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from cxgov.report.sparkline import describe, sparkline


def test_sparkline_edge_cases():
    assert describe([], "x") == "x: no recorded runs"
    empty = ET.fromstring(str(sparkline([])))
    assert empty.get("aria-label") == "no recorded runs" and not empty.findall("circle")

    class P:
        as_of = date(2026, 11, 1)
        value = 50.0
        status = "pass"

    single = ET.fromstring(str(sparkline([P()], width=100)))
    (dot,) = single.findall("circle")
    assert float(dot.get("cx")) == 50.0
