"""The HTML reports in a real Chromium: no requests, no console errors, accessible, printable, and spec text
that never runs as script. Skipped (with the reason) where /usr/bin/chromium is not installed; CI has it."""

from __future__ import annotations

from dataclasses import replace

import subprocess

import pytest
from click.testing import CliRunner

from browser_support import (WIDTHS, Browser, axe_source, axe_violations, layout_problems, pdf_page_sizes,
                             pdf_page_texts, pdf_pages, pdftotext, require_browser, unpainted_blocks)
from cxgov.cli import main
from cxgov.report import html, journeys, raci
from report_samples import (AS_OF, EXAMPLE_SPEC, GENERATED_AT, SAMPLE_SQL, crowded_raci, example_db,
                            plant_payload, sample_run, sample_spec)

STAMP = "2026-11-21T08:30:00Z"
REPORTS = ("scorecard", "raci", "journeys", "inventory")


@pytest.fixture(scope="module")
def browser():
    require_browser()
    chromium = Browser()
    yield chromium
    chromium.close()


def _cli_reports(spec_dir, db, out) -> dict[str, object]:
    """The example's four HTML reports, written by the command line."""
    day = AS_OF.isoformat()
    commands = {
        "scorecard": ["report", "scorecard", spec_dir, "--data", db, "--as-of", day],
        "raci": ["report", "raci", spec_dir],
        "journeys": ["report", "journeys", spec_dir, "--data", db, "--as-of", day],
        "inventory": ["report", "journeys", spec_dir],
    }
    paths = {}
    for name, args in commands.items():
        path = out / f"{name}.html"
        result = CliRunner().invoke(main, [str(a) for a in args] + ["--out", str(path), "--generated-at", STAMP])
        assert result.exit_code == 0, result.output
        paths[name] = path
    return paths


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The real example program's reports, on generated data."""
    folder = tmp_path_factory.mktemp("example")
    return _cli_reports(EXAMPLE_SPEC, example_db(folder), folder)


@pytest.fixture(scope="module")
def fixture_reports(tmp_path_factory):
    """Reports of the fixture run, which has one result of every status."""
    folder = tmp_path_factory.mktemp("fixture")
    spec = sample_spec()
    run = sample_run(spec)
    pages = {"scorecard": html.scorecard(replace(run, evidence=SAMPLE_SQL), spec, GENERATED_AT),
             "raci": raci.html(spec, GENERATED_AT), "journeys": journeys.html(spec, run, GENERATED_AT),
             "inventory": journeys.html(spec, None, GENERATED_AT)}
    paths = {}
    for name, page in pages.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(page, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The example spec with a script payload in every free-text field, through the command line."""
    folder = tmp_path_factory.mktemp("planted")
    spec_dir = folder / "specs"
    assert plant_payload(EXAMPLE_SPEC, spec_dir) > 300
    return _cli_reports(spec_dir, example_db(folder), folder)


KEY_CONTENT = {
    "scorecard": ("CX governance scorecard", "Northwind Bank", "Experience intent", "Relationship NPS by segment",
                  "Breaches and waivers", "Problems and root causes", "Evidence appendix", "2026-11-20"),
    "raci": ("RACI report", "Governance activities × owners", "Touchpoints × owners", "Load per owner"),
    "journeys": ("Journey map and touchpoint inventory", "Open an account", "Systems:", "Processes:"),
    "inventory": ("The touchpoint inventory without statuses", "Resolve a problem", "Systems:"),
}


@pytest.mark.parametrize("name", REPORTS)
def test_the_example_reports_load_nothing_and_log_no_errors(browser, example, name, tmp_path):
    with browser.open(example[name]) as opened:
        shot = opened.page.screenshot()
        text = opened.page.inner_text("body")
        assert opened.foreign_requests() == []
        assert opened.console_errors == [] and opened.page_errors == []
        assert opened.page.evaluate("document.scripts.length") == 0
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 30_000
    (tmp_path / f"{name}.png").write_bytes(shot)
    for content in KEY_CONTENT[name]:
        assert content.casefold() in text.casefold(), content  # the kicker is shown in capitals


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", [*REPORTS, "fixture-scorecard"])
def test_no_serious_or_critical_accessibility_violations(browser, example, fixture_reports, name, width):
    # the fixture scorecard has a result of every status, so every status colour is checked for contrast; on a
    # phone, the tables scroll in boxes a keyboard can reach
    path = fixture_reports["scorecard"] if name == "fixture-scorecard" else example[name]
    # axe is injected as a script, which the reports' own Content Security Policy forbids
    with browser.open(path, bypass_csp=True, width=width) as opened:
        violations = axe_violations(opened.page, axe_source())
    assert violations == [], [(v["id"], v["help"], [n["html"][:100] for n in v["nodes"][:3]]) for v in violations]


@pytest.mark.parametrize("bypass_csp", [True, False], ids=["escaping-alone", "with-csp"])
@pytest.mark.parametrize("name", REPORTS)
def test_planted_scripts_never_run_and_show_as_text(browser, planted, name, bypass_csp):
    # With the CSP bypassed, only the escaping stands between the payload and the page.
    with browser.open(planted[name], bypass_csp=bypass_csp) as opened:
        pwned = opened.page.evaluate("window.__pwned")
        images = opened.page.evaluate("document.images.length")
        text = opened.page.inner_text("body")
        requests = opened.foreign_requests()
        dialogs = opened.dialogs
    assert pwned is None and images == 0 and dialogs == []
    assert requests == []  # an injected <img src=x> would have asked for file:///.../x
    assert "<script>window.__pwned=1</script>" in text and 'onerror="window.__pwned=2"' in text


def test_the_fixture_scorecard_shows_every_status_in_words(browser, fixture_reports):
    with browser.open(fixture_reports["scorecard"]) as opened:
        tiles = opened.page.locator(".tile").all_inner_texts()
        callout = opened.page.locator(".callout").inner_text()
    labels = [" ".join(t.split()[1:]) for t in tiles]
    assert labels == ["✗ Breach", "⚠ Error", "! Warn", "⊘ Waived", "… Insufficient data", "✓ Pass"]
    assert "3 breaches have no action and no waiver" in callout


def test_collapsed_groups_open_in_print(browser, fixture_reports):
    # The all-pass "Consideration" stage is collapsed on screen; the printed page shows its rows.
    row = "details.stage:not([open]) table.results tbody tr:not(.tp)"
    with browser.open(fixture_reports["scorecard"]) as opened:
        page = opened.page
        assert page.locator(row).count() == 1
        assert not page.locator(row).is_visible()
        page.emulate_media(media="print")
        assert page.locator(row).is_visible()
        assert not page.locator("nav.toc").is_visible()


def test_the_scorecard_prints_to_readable_pdf_pages(browser, example, tmp_path):
    with browser.open(example["scorecard"]) as opened:
        pdf = opened.page.pdf(prefer_css_page_size=True, print_background=True)
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    assert 5 <= pdf_pages(pdf) <= 80
    assert pdf_page_sizes(pdf) == {(595, 842)}  # A4 portrait
    assert b"/ToUnicode" in pdf and b"/Font" in pdf  # text is selectable and extractable
    tool = pdftotext()
    if tool:
        text = subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        for content in ("Northwind Bank", "Experience intent", "Evidence appendix"):
            assert content in text


@pytest.mark.parametrize("width", [390, 1400])
def test_the_pareto_charts_are_drawn_readable_and_inside_the_page(browser, example, width):
    with browser.open(example["scorecard"], width=width) as opened:
        page = opened.page
        charts = page.locator("svg.pareto")
        assert charts.count() == 2  # the example's two problems analyses
        for i in range(2):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box["width"] >= 500 and box["height"] >= 230  # drawn at a size its labels can be read
            assert chart.locator("rect.p-vital").count() >= 1 and chart.locator("rect.p-trivial").count() >= 1
            assert chart.locator("path.cumulative").count() == chart.locator("path.vital-line").count() == 1
            # the text is at least 9 px on screen, however narrow the page
            smallest = chart.evaluate("svg => Math.min(...[...svg.querySelectorAll('text')]"
                                      ".map(t => t.getBoundingClientRect().height))")
            assert smallest >= 9
        # a chart wider than a phone scrolls in its own box; the page itself never scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") == width
        assert page.locator("#problems table tbody tr").count() == 14  # 9 + 5 causes, as in the check


def test_the_printed_scorecard_shows_the_pareto_charts(browser, example, tmp_path):
    with browser.open(example["scorecard"]) as opened:
        opened.page.emulate_media(media="print")
        boxes = [opened.page.locator("svg.pareto").nth(i).bounding_box() for i in range(2)]
        pdf = opened.page.pdf(prefer_css_page_size=True, print_background=True)
    assert all(box and box["width"] > 300 and box["height"] > 150 for box in boxes)
    path = tmp_path / "scorecard.pdf"
    path.write_bytes(pdf)
    tool = pdftotext()
    if tool:
        text = subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True,
                              text=True).stdout
        assert "Problems and root causes" in text
        assert text.count("vital share 80.0%") == 2  # each chart's vital-share label, printed as text


def test_the_raci_and_journey_map_print_on_landscape_pages(browser, example):
    for name in ("raci", "journeys"):
        with browser.open(example[name]) as opened:
            pdf = opened.page.pdf(prefer_css_page_size=True, print_background=True)
        assert pdf.startswith(b"%PDF-") and 1 <= pdf_pages(pdf) <= 40 and b"/ToUnicode" in pdf
        assert pdf_page_sizes(pdf) == {(842, 595)}  # A4 landscape, from the stylesheet


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """The RACI report of the example with 30 more owners and 120 more activities: many pages when printed."""
    folder = tmp_path_factory.mktemp("crowded")
    names = crowded_raci(EXAMPLE_SPEC, folder / "specs")
    out = folder / "raci.html"
    result = CliRunner().invoke(main, ["report", "raci", str(folder / "specs"), "--out", str(out),
                                       "--generated-at", STAMP])
    assert result.exit_code == 0, result.output
    return out, names


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", [*REPORTS, "fixture-scorecard", "crowded-raci"])
def test_readable_from_a_phone_to_a_desktop(browser, example, fixture_reports, crowded, name, width):
    path = {"fixture-scorecard": fixture_reports["scorecard"], "crowded-raci": crowded[0]}.get(name) \
        or example[name]
    with browser.open(path, width=width) as opened:
        found = layout_problems(opened.page)
        scrollers = opened.page.evaluate("[...document.querySelectorAll('.scroll')]"
                                         ".filter(e => e.scrollWidth > e.clientWidth).length")
    assert found["page"] == found["screen"] == width, "the page scrolls sideways"
    assert found["outside"] == [], found["outside"][:10]
    assert found["overlaps"] == [], found["overlaps"][:10]
    if width == 390 and name in ("scorecard", "raci", "crowded-raci"):
        assert scrollers > 0  # the wide tables scroll in their own boxes


@pytest.mark.parametrize("width", [390, 1400])
@pytest.mark.parametrize("name", ["scorecard", "raci", "journeys"])
def test_a_full_page_capture_shows_every_block_of_text(browser, example, name, width, tmp_path):
    with browser.open(example[name], width=width) as opened:
        # what leaves gaps: content-visibility skips drawing what is off screen, and a capture is off screen
        skipped = opened.page.evaluate("[...document.querySelectorAll('*')]"
                                       ".filter(e => getComputedStyle(e).contentVisibility === 'auto').length")
        blank = unpainted_blocks(browser, opened.page, tmp_path)
    assert skipped == 0 and blank == [], blank[:10]


def test_a_printed_raci_repeats_the_owner_headers_on_every_page(browser, crowded):
    path, names = crowded
    with browser.open(path) as opened:
        pdf = opened.page.pdf(prefer_css_page_size=True, print_background=True)
    pages = pdf_page_texts(pdf)
    activities = [text for text in pages if "regional-act-" in text]
    assert len(activities) >= 4, "the activities matrix should run over several pages"
    for number, text in enumerate(activities, 1):
        missing = [owner for owner in names if owner not in " ".join(text.split())]
        assert "Activity" in text and missing == [], (number, missing[:5])
    touchpoints = [text for text in pages if "Touchpoint" in text and "account-web-product-pages" not in text
                   and "-complaints" in text]
    assert all("Contact Centre" in " ".join(t.split()) for t in touchpoints)
