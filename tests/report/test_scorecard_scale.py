"""A scorecard of many results stays small: every result in full once, what results share written once.

Sizes only: nothing here is timed (bench/bench_scorecard.py measures time, on 20,000 results).
"""

from __future__ import annotations

import re
from dataclasses import replace

from cxgov.report import appendix, html
from report_samples import GENERATED_AT, sample_run, sample_spec, section

COPIES = 300  # touchpoints like the complaints line, each with the same breached standards


def _many():
    """The sample program with COPIES more complaints lines, each breaching two standards with no action."""
    spec = sample_spec()
    base = spec.touchpoint("phone-complaints")
    extra = tuple(replace(base, id=f"phone-{i:03d}", name=f"Complaints line {i:03d}") for i in range(COPIES))
    spec = replace(spec, touchpoints=(*spec.touchpoints, *extra))
    run = sample_run(spec)
    breaches = [r for r in run.results if r.touchpoint == "phone-complaints"]
    copies = tuple(replace(r, touchpoint=tp.id, scope=(("touchpoint", tp.id),), actions=(),
                           value=r.value - i / 1000) for i, tp in enumerate(extra) for r in breaches)
    return spec, replace(run, results=run.results + copies)


SPEC, RUN = _many()
PAGE = html.scorecard(RUN, SPEC, GENERATED_AT)


def test_a_breach_is_not_a_second_copy_of_its_record():
    breaches = section(PAGE, "breaches")
    unhandled = breaches[:breaches.index("Waived results")]
    # the rule, its target, severity and window: once per rule, however many breaches it has
    assert unhandled.count("Solved in the first contact") == 1
    assert unhandled.count("target &gt;= 70 (warn 75)") == 1
    assert unhandled.count("window 2026-10-24..2026-11-20") == 3  # three rules over 28 days
    assert f"{COPIES + 1} breaches, {COPIES + 1} with no action and no waiver" in unhandled
    # each breach is one compact row: scope, value, interval, n, owner, what is being done
    rows = re.findall(r'<tr class="u"><th>Complaints line \d{3}<td>[\d.]+%<td>[\d.]+ to [\d.]+<td>\d+<td>'
                      r'Contact Centre<td>no action, no waiver\n', unhandled)
    assert len(rows) == COPIES


def test_every_result_is_in_the_standards_table_once():
    standards = section(PAGE, "standards")
    for i in (0, 150, COPIES - 1):
        assert standards.count(f">Complaints line {i:03d} <") == 1
    rows = standards.count("\n<tr><th>")
    assert rows == sum(r.kind == "standard" for r in RUN.results)


def test_each_added_result_costs_a_compact_row_in_each_table_that_lists_it():
    small = html.scorecard(sample_run(SPEC), SPEC, GENERATED_AT)
    added = len(RUN.results) - len(sample_run(SPEC).results)

    def growth(name: str) -> float:
        return (len(section(PAGE, name).encode()) - len(section(small, name).encode())) / added

    # a breach row: scope, value, interval, n, owner, "no action, no waiver" (about 115 bytes)
    assert growth("breaches") < 130
    # a standards row, with the "approved change" link and its standard's own owner here, and half of its
    # touchpoint's heading (about 275 bytes)
    assert growth("standards") < 300
    assert growth("evidence") < 1 and growth("kpis") == 0


def test_identical_statements_are_shown_once_and_referred_to():
    select = "SELECT count(*) AS n FROM metrics.tickets"
    sql = {"complaints-resolved-24h": select, "first-contact-resolution": select, "digital-csat": "SELECT 1"}
    page = html.scorecard(replace(RUN, evidence=sql), SPEC, GENERATED_AT)
    evidence = section(page, "evidence")
    assert evidence.count(select) == 1
    assert '<pre class="sql" id="sql-complaints-resolved-24h"' in evidence
    assert ('SQL: the statement shown under <a href="#sql-complaints-resolved-24h">Complaints resolved within 24 '
            "hours</a> (<code>complaints-resolved-24h</code>) computes this rule's numbers too.") in evidence
    assert "The same statement computes 1 more rule: first-contact-resolution." in evidence
    assert "cxgov explain app-sessions" in evidence  # no SQL given for it


def test_a_long_line_several_statements_share_is_shown_once():
    table = "__cxgov_dims(tp, journey) AS (VALUES " + ", ".join(f"('tp-{i:05d}', 'j')" for i in range(400)) + ")"
    assert len(table) >= appendix.SHARED_LINE
    sql = {rule: f"WITH p AS (SELECT 1),\n{table}\nSELECT {i} FROM p" for i, rule in
           enumerate(("relationship-nps", "premier-nps"))}
    shared = appendix.share(sql, ["digital-csat", "relationship-nps", "premier-nps"], {})
    assert [p.text for p in shared.parts] == [table] and shared.parts[0].statements == 2
    first = shared.by_rule["relationship-nps"]
    assert [anchor for _, anchor in first.segments] == ["", "sql-part-1", ""]
    assert "".join(text for text, anchor in first.segments if not anchor) == "WITH p AS (SELECT 1),\n\nSELECT 0 FROM p"
    assert first.segments[1][0] == (f"{table[:appendix.PART_HEAD]}… [{len(table):,} characters: shared part 1, "
                                    "shown once at the end of this appendix]")
    page = html.scorecard(replace(RUN, evidence=sql), SPEC, GENERATED_AT)
    assert page.count("tp-00399") == 1  # the table's last row, in the shared part only
    assert page.count('<a href="#sql-part-1">') == 2 and 'id="sql-part-1"' in page


def test_a_short_line_is_never_cut_out_of_a_statement():
    line = "SELECT " + "x, " * 100 + "y"  # shorter than SHARED_LINE, in two different statements
    shared = appendix.share({"a": f"{line}\nFROM one", "b": f"{line}\nFROM two"}, ["a", "b"], {})
    assert shared.parts == ()
    assert shared.by_rule["a"].segments == ((f"{line}\nFROM one", ""),)
