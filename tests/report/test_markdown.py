"""Markdown summary for CI step summaries and pull-request comments, read back with a real Markdown parser
(markdown-it-py with GFM tables, as GitHub renders them)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from markdown_it import MarkdownIt

from cxgov.engine.results import ActionInfo, FailPolicy, WaiverInfo
from cxgov.errors import Location
from cxgov.report import markdown
from run_fixtures import BREACH, ERROR, INSUFFICIENT, PASS, WAIVED, WARN, sample_run

# Inline tokens that spec text must never turn into: emphasis, code, links, images, HTML, strikethrough.
MARKUP = {"em_open", "strong_open", "code_inline", "link_open", "image", "html_inline", "s_open"}
PLANTED = "a|b `tick` *star* _under_ [link](http://x.example) <b>tag</b> ~~strike~~ $x$ \\| #h &amp; ![i](y)\nnext"


def parse(text: str) -> list:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).parse(text)


def tables(text: str) -> list[dict]:
    """Each table as parsed: its header cells and its rows of cells, every cell with its inline tokens."""
    found: list[dict] = []
    row: list | None = None
    part = "head"
    for token in parse(text):
        if token.type == "table_open":
            found.append({"head": [], "rows": []})
        elif token.type in ("thead_open", "tbody_open"):
            part = token.type[:5]
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.children or [])
        elif token.type == "tr_close":
            if part == "thead":
                found[-1]["head"] = row
            else:
                found[-1]["rows"].append(row)
            row = None
    return found


def cell_text(children) -> str:
    return "".join(c.content for c in children if c.type == "text")  # entities decoded by the parser


def assert_tables_intact(text: str) -> list[dict]:
    """Every row has as many cells as its header, and no cell holds markup made from its text."""
    found = tables(text)
    for table in found:
        width = len(table["head"])
        for row in table["rows"]:
            assert len(row) == width, [cell_text(c) for c in row]
            for cell in row:
                made = {c.type for c in cell} & MARKUP
                assert not made, (made, cell_text(cell))
    return found


def body_rows(out: str) -> list[list[str]]:
    return [[cell_text(c) for c in row] for table in assert_tables_intact(out) for row in table["rows"]
            if table["head"] and cell_text(table["head"][0]) == "Status"]


def test_headline_counts_and_what_needs_attention_first():
    out = markdown.render(sample_run())
    assert out.startswith("## cxgov check: northwind-bank, as of 2026-11-20\n")
    assert "**2 results fail the check** (fail on breach, from severity low)." in out
    assert "🔴 2 breach" in out and "🟢 1 pass" in out
    rows = [r for r in body_rows(out) if r[0]]
    assert [r[0] for r in rows] == ["🔴 breach", "🔴 breach", "⛔ error", "🟠 warn", "🟠 warn", "⚪ waived (breach)",
                                    "❔ insufficient", "🟢 pass"]
    assert rows[1][2:] == ["Complaints resolved within 24 hours (complaints-resolved-24h)", "phone-complaints",
                           "87.5%", ">= 90 (warn 95)", "240", "service-operations", "specs/standards.yaml:12"]
    assert out.index("### Needs attention") < out.index("<summary>Not enough data (1)</summary>") \
        < out.index("<summary>Passing (1)</summary>")
    assert "leaves out" not in out


def test_details_rows_read_back_as_written():
    details = [r[2] for r in body_rows(markdown.render(sample_run())) if not r[0]]
    assert "↳ action act-9 (open, due 2026-11-01, overdue, owner contact-centre): Retrain | escalate <fast>" in details
    assert "↳ waiver w-branch-queue until 2026-12-31: Queue system replacement, see change CHG-1042" in details


def test_all_clear_and_policy_wording():
    out = markdown.render(sample_run([PASS]), policy=FailPolicy("warn", "high"))
    assert "**No result fails the check** (fail on warn, from severity high)." in out
    assert "### Needs attention" not in out
    assert "**1 result fails the check**" in markdown.render(sample_run([BREACH, PASS]))


def _planted_run():
    action = ActionInfo("act-1", PLANTED, BREACH.actions[0].due, "open", PLANTED)
    waiver = WaiverInfo("w-1", PLANTED, "coo", WAIVED.waiver.expires, True)  # type: ignore[union-attr]
    return sample_run([replace(BREACH, rule_name=PLANTED, owner=PLANTED, actions=(action,), notes=(PLANTED,)),
                       replace(WAIVED, waiver=waiver), replace(ERROR, notes=(PLANTED,)),
                       replace(PASS, scope=(("touchpoint", PLANTED),), touchpoint=PLANTED)])


def test_spec_text_reads_as_itself_in_every_table_cell():
    out = markdown.render(_planted_run())
    rows = body_rows(out)
    assert len(rows) == 8  # 4 results, 4 detail rows
    flat = PLANTED.replace("\n", " ")
    breach = rows[0]
    assert breach[2] == f"{flat} (complaints-resolved-24h)" and breach[7] == flat
    assert f"↳ action act-1 (open, due 2026-12-15, owner {flat}): {flat}" in [r[2] for r in rows]
    assert f"↳ waiver w-1 until 2026-12-31: {flat}" in [r[2] for r in rows]
    assert [r[3] for r in rows if r[0].endswith("pass")] == [flat]


def test_spec_text_in_the_title_makes_no_markup():
    spec = type("S", (), {"program": type("P", (), {"name": PLANTED})()})()
    out = markdown.render(sample_run([PASS]), spec)  # type: ignore[arg-type]
    heading = parse(out)[1]
    assert heading.type == "inline" and not {c.type for c in heading.children or []} & MARKUP
    assert cell_text(heading.children) == f"cxgov check: {PLANTED.replace(chr(10), ' ')}, as of 2026-11-20"


def test_no_absolute_path_of_the_machine_is_shown():
    where = "/home/runner/work/cx/cx/specs"
    located = Location(f"{where}/standards.yaml", 12, 5)
    note = f"{where}/data.yaml:33:11: no file matches (looked for /srv/feeds/app-sessions/x.parquet)"
    run = replace(sample_run([replace(BREACH, location=located, notes=(note,)), replace(ERROR, notes=(note,))]),
                  spec_path=where)
    out = markdown.render(run)
    assert "/home" not in out and "/srv" not in out and "runner" not in out
    assert "specs/standards.yaml:12" in out and "specs/data.yaml:33:11: no file matches" in out
    assert "(looked for …/x.parquet)" in out and "<sub>spec specs `sha256:" in out


def _large_run(count: int = 7000):
    """A program whose rule names are long: several thousand results, every status, actions on breaches."""
    long_name = "Complaints about card payments abroad resolved within one working day, escalations included " * 2
    statuses = (BREACH, WARN, PASS, INSUFFICIENT, ERROR, WAIVED)
    results = [replace(statuses[i % len(statuses)], rule=f"rule-{i % 40:02}", rule_name=f"{long_name}{i % 40}",
                       scope=(("touchpoint", f"touchpoint-with-a-long-id-{i:05}"),),
                       touchpoint=f"touchpoint-with-a-long-id-{i:05}") for i in range(count)]
    return sample_run(results)


def test_a_large_program_stays_under_the_comment_limit_and_says_what_it_left_out():
    run = _large_run()
    out = markdown.render(run, full_reports=("`out/results.json`", "`out/scorecard.html`"))
    assert markdown.size(out) <= markdown.BUDGET < markdown.LIMIT
    assert_tables_intact(out)
    rows = [r for r in body_rows(out) if r[0]]
    assert 50 < len(rows) < 7000
    assert rows[0][0] == "🔴 breach"  # the most pressing first
    summary = run.summary()
    shown = {status: sum(1 for r in rows if r[0].split()[1] == status) for status in summary}
    left = {status: summary[status] - shown[status] for status in summary}
    assert f"> This summary leaves out {sum(left.values()):,} of 7,000 results" in out
    assert f"{left['pass']:,} pass" in out
    assert "every result is in `out/results.json`, `out/scorecard.html`." in out
    assert out.rstrip().endswith("cxgov 0.1.0</sub>")  # the footer always fits


@pytest.mark.parametrize("budget", [2_000, 8_000, 30_000])
def test_any_budget_is_kept_and_each_cut_table_says_so(budget):
    out = markdown.render(_large_run(600), budget=budget)
    assert markdown.size(out) <= budget
    assert_tables_intact(out)
    assert re.search(r"more not shown here \(\d[^)]*\): `cxgov check --json PATH`", out)


def test_a_very_long_cell_is_cut_not_the_table():
    long = "x" * 5000
    out = markdown.render(sample_run([replace(BREACH, notes=(long,))]))
    note = [r[2] for r in body_rows(out) if r[2].startswith("↳ x")]
    assert note and len(note[0]) <= markdown.CELL_MAX + 2 and note[0].endswith("…")


def test_the_pointer_names_reports_and_the_workflow_run():
    env = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/cx", "GITHUB_RUN_ID": "42"}
    assert markdown.where_from(["out/r.json", None, "/tmp/abs/scorecard.html", "-"], env) == (
        "`out/r.json`", "`scorecard.html`",
        "the artifacts of [this workflow run](https://github.com/acme/cx/actions/runs/42)")
    assert markdown.where_from([], env) == ()
    assert markdown.where_from(["a`b|c.json"], {}) == ("`a'b/c.json`",)
