"""Trends for the scorecard: series per as-of, "breached since", and the inline SVG sparkline."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

from markupsafe import Markup

from cxgov.audit import history
from cxgov.report.sparkline import sparkline, trend_svg, trend_text


def at(day: int, hour: int = 6):
    return lambda: datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def record_days(path, make_run, make_result, days):
    for day, value, status, underlying in days:
        history.record(make_run(date(2026, 11, day), [make_result(value=value, status=status, underlying=underlying)]),
                       path, clock=at(day))


def test_series_keeps_the_latest_run_per_as_of(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    record_days(path, make_run, make_result, [(1, 93.0, "pass", None), (2, 91.0, "warn", None)])
    # a re-run for 2 November recorded later replaces the earlier one in the series
    history.record(make_run(date(2026, 11, 2), [make_result(value=89.0, status="breach")]), path, clock=at(3))
    points = history.series(path, "complaints-resolved-24h", {"touchpoint": "phone-complaints"})
    assert [(p.as_of.day, p.value, p.status) for p in points] == [(1, 93.0, "pass"), (2, 89.0, "breach")]
    assert history.series(path, "complaints-resolved-24h", {"touchpoint": "phone-complaints"},
                          until=date(2026, 11, 1)) == points[:1]
    assert history.series(path, "complaints-resolved-24h", (("touchpoint", "phone-complaints"),), limit=1) == points[1:]
    assert history.series(path, "complaints-resolved-24h", {"touchpoint": "other"}) == []


def test_breached_since_is_the_start_of_the_current_streak(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    record_days(path, make_run, make_result, [
        (1, 85.0, "breach", None), (2, 93.0, "pass", None), (3, 88.0, "breach", None),
        (4, 87.0, "waived", "breach"), (5, 86.0, "breach", None)])
    points = history.series(path, "complaints-resolved-24h", {"touchpoint": "phone-complaints"})
    assert history.breached_since(points) == date(2026, 11, 3)  # a waived breach does not break the streak
    assert history.breached_since(points[:2]) is None
    assert history.breached_since([]) is None


def test_trends_add_the_current_run_as_the_latest_point(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    record_days(path, make_run, make_result, [(d, 80.0 + d, "breach", None) for d in range(1, 6)])
    # a run recorded later for a later as-of is not shown on a scorecard as of 20 November... only earlier ones
    history.record(make_run(date(2026, 11, 25), [make_result(value=99.0)]), path, clock=at(25))
    current = make_run(date(2026, 11, 20), [make_result(value=86.5, status="breach"),
                                            make_result(touchpoint="new-touchpoint", value=96.0)])
    trends = history.trends(path, current, limit=4)
    phone = trends[("complaints-resolved-24h", (("touchpoint", "phone-complaints"),))]
    assert [(p.as_of.day, p.value) for p in phone.points] == [(3, 83.0), (4, 84.0), (5, 85.0), (20, 86.5)]
    assert phone.breached_since == date(2026, 11, 3)  # the streak as far as the last 4 runs show it
    fresh = trends[("complaints-resolved-24h", (("touchpoint", "new-touchpoint"),))]
    assert [p.value for p in fresh.points] == [96.0] and fresh.breached_since is None
    assert "breached since 2026-11-03" in trend_text(phone)
    assert isinstance(trend_svg(phone), Markup)


def test_sparkline_is_valid_svg_with_a_text_alternative(tmp_path, make_run, make_result):
    path = tmp_path / "h.duckdb"
    record_days(path, make_run, make_result, [
        (1, 93.0, "pass", None), (2, None, "insufficient", None), (3, 91.0, "warn", None),
        (4, 88.0, "breach", None)])
    points = history.series(path, "complaints-resolved-24h", {"touchpoint": "phone-complaints"})
    svg = sparkline(points, label="Resolved <24h> & fast", breached_since=history.breached_since(points))
    root = ET.fromstring(str(svg))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag in ("svg", f"{ns}svg") and root.get("role") == "img"
    alt = root.get("aria-label")
    assert alt == ("Resolved <24h> & fast: last 4 runs: 2026-11-01 93.0 pass; 2026-11-02 — insufficient; "
                   "2026-11-03 91.0 warn; 2026-11-04 88.0 breach; breached since 2026-11-04")
    assert root.find("title").text == alt
    assert "&lt;24h&gt; &amp; fast" in str(svg)
    circles = root.findall("circle")
    assert [c.get("class") for c in circles] == ["f-pass", "f-warn", "f-breach"]
    assert [c.get("class") for c in root.findall("rect")] == ["f-insufficient"]
    # the gap (no value on 2 November) splits the line; the breach is drawn below the dashed 90 threshold
    assert len(root.findall("polyline")) == 1
    (line,) = root.findall("line")
    ys = {c.get("class"): float(c.get("cy")) for c in circles}
    assert ys["f-pass"] < float(line.get("y1")) < ys["f-breach"]
    assert all(re.fullmatch(r"[\d.]+", c.get("cx")) for c in circles)
