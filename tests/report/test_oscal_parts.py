"""The pieces of the OSCAL documents: derived UUIDs, tokens, Markdown escaping, properties, moments."""

from __future__ import annotations

import uuid
from datetime import date

from cxgov.report.oscal_parts import NS, Clock, code_block, md, md_line, prop, token, uid


def test_uuids_are_version_5_of_their_key_and_stable():
    first = uid("observation", "sha256:ab", date(2026, 11, 20), "rule", '[["touchpoint", "web"]]')
    assert uuid.UUID(first).version == 5
    assert first == uid("observation", "sha256:ab", "2026-11-20", "rule", '[["touchpoint", "web"]]')
    assert first != uid("observation", "sha256:ab", "2026-11-21", "rule", '[["touchpoint", "web"]]')
    assert uid("a|b", "c") != uid("a", "b|c")  # parts are kept apart, never joined into one text


def test_spec_ids_become_oscal_tokens():
    assert token("complaints-resolved-24h") == "complaints-resolved-24h"
    assert token("24h-resolution") == "_24h-resolution"  # a token starts with a letter or '_'


def test_markdown_punctuation_and_html_are_escaped_but_text_reads_the_same():
    assert md("a <b>bold</b> *claim* [link](x) `code` \\ snake_case") == \
        "a \\<b>bold\\</b> \\*claim\\* \\[link\\](x) \\`code\\` \\\\ snake\\_case"
    assert md("# not a heading\n- not a list\n> not a quote\n1. not a list") == \
        "\\# not a heading\n\\- not a list\n\\> not a quote\n1\\. not a list"
    assert md("score >= 90 - fine") == "score >= 90 - fine"  # mid-line, nothing to escape
    assert md_line("two\n  lines ") == "two lines"


def test_code_blocks_outlast_backticks_inside():
    assert code_block("SELECT 1", "sql") == "```sql\nSELECT 1\n```"
    assert code_block("SELECT `a````b`") == "`````\nSELECT `a````b`\n`````"


def test_properties_are_one_line_in_cxgovs_namespace_and_absent_without_a_value():
    assert prop("n", 240) == {"name": "n", "ns": NS, "value": "240"}
    assert prop("value", 87.50000000001) == {"name": "value", "ns": NS, "value": "87.5"}
    assert prop("note", "two\nlines")["value"] == "two lines"
    assert prop("method", "TEST", ns=None) == {"name": "method", "value": "TEST"}
    assert prop("owner", None) is None and prop("owner", " ") is None
    assert prop("overdue", True)["value"] == "true" and prop("due", date(2026, 12, 15))["value"] == "2026-12-15"


def test_days_end_at_their_last_second_in_the_program_time_zone():
    london = Clock("Europe/London")
    assert london.end_of(date(2027, 3, 31)) == "2027-03-31T23:59:59+01:00"  # summer time
    assert london.start_of(date(2026, 11, 20)) == "2026-11-20T00:00:00+00:00"
