"""The journey map: stages × channels grids, each touchpoint with its worst status, systems and processes."""

from __future__ import annotations

import re

from cxgov.report import journeys
from report_samples import GENERATED_AT, PAYLOAD, sample_run, sample_spec


def cells(grid) -> dict[str, journeys.TouchpointCell]:
    return {tp.id: tp for row in grid.rows for cell in row.cells for tp in cell}


def test_each_journey_is_a_grid_of_its_stages_by_the_channels_it_uses(spec, run):
    built = journeys.build(spec, run)
    assert [g.id for g in built.grids] == ["open-account", "resolve-a-problem"]
    grid = built.grids[0]
    assert grid.channels == ("web", "app", "post")  # in the program's channel order
    assert [r.stage for r in grid.rows] == ["consideration", "purchase", "onboarding"]
    purchase = grid.rows[1]
    assert [[tp.id for tp in cell] for cell in purchase.cells] == [["web-form"], ["app-form"], ["paper-form"]]
    assert built.grids[1].channels == ("phone", "chat")
    assert [r.empty for r in built.grids[1].rows] == [False, False]


def test_touchpoints_take_the_worst_status_of_their_standards(spec, run):
    grid = journeys.build(spec, run).grids
    tps = {**cells(grid[0]), **cells(grid[1])}
    assert tps["web-form"].status == "breach" and tps["web-form"].label == "Breach"
    assert tps["app-form"].status == "warn"
    assert tps["app-onboarding"].status == "error"
    assert tps["app-onboarding"].detail == "1 error, 1 insufficient data"
    assert tps["chat-complaints"].status == "waived" and tps["chat-complaints"].detail == "1 waived, 1 pass"
    assert tps["paper-form"].label == "Retired: not evaluated"
    assert tps["resolution-call"].label == "No standard applies"
    assert tps["web-help"].label == "Not evaluated in this run"  # covered by digital-csat, no result
    assert tps["web-form"].systems == ("web-portal", "kyc-service")
    assert tps["web-form"].processes == ("identity-verification",)


def test_without_a_run_it_is_the_inventory_alone(spec):
    built = journeys.build(spec)
    assert not built.with_status and built.statuses == ()
    assert {tp.status for g in built.grids for tp in cells(g).values()} == {"inventory"}
    page = journeys.html(spec, None, GENERATED_AT)
    assert "The touchpoint inventory without statuses" in page and "Data digest" not in page
    assert "Breach" not in page


def test_an_empty_stage_is_called_out(spec):
    from dataclasses import replace

    longer = replace(spec.journeys[1], stages=("report", "escalate", "resolve"))
    grid = journeys.build(replace(spec, journeys=(spec.journeys[0], longer))).grids[1]
    assert [r.empty for r in grid.rows] == [False, True, False]
    assert "No touchpoint at this stage" in journeys.html(replace(spec, journeys=(longer,)), None, GENERATED_AT)


def test_the_html_labels_status_in_text_and_lists_systems_and_processes(spec, run):
    page = journeys.html(spec, run, GENERATED_AT)
    assert '<html lang="en">' in page and "<caption>Open an account: touchpoints by stage and channel</caption>" in page
    web_form = re.search(r'<div class="tp b-breach">\s*<span class="name">Online application form</span>.*?</div>',
                         page, re.S).group(0)
    for text in ("moment of truth", "Breach", "(1 breach)", "Systems: web-portal, kyc-service",
                 "Processes: identity-verification", "Owner: Digital Sales"):
        assert text in web_form
    assert "2026-11-20" in page and run.data_digest in page
    assert journeys.html(spec, run, GENERATED_AT) == page
    assert "<script" not in page


def test_spec_text_is_escaped():
    spec = sample_spec(lambda s: s + PAYLOAD)
    page = journeys.html(spec, sample_run(spec), GENERATED_AT)
    assert "<script" not in page and "<img" not in page and page.count("&lt;script&gt;") >= 20
