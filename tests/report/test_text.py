"""Terminal output: breaches first with everything needed to act, then counts by status."""

from __future__ import annotations

from dataclasses import replace

from cxgov.engine.results import FailPolicy
from cxgov.report import text
from run_fixtures import INSUFFICIENT, sample_run


def test_breaches_come_first_with_rule_scope_value_threshold_n_owner_and_location():
    out = text.render(sample_run())
    lines = out.splitlines()
    assert lines[0] == "cxgov check: northwind-bank as of 2026-11-20"
    firsts = [line.split()[0] for line in lines[2:] if line and not line.startswith(" ")]
    assert firsts[:2] == ["BREACH", "BREACH"] and firsts[2] == "ERROR"
    assert "PASS" not in firsts
    block = out[out.index("BREACH   complaints-resolved-24h @ phone-complaints [high]"):]
    assert "87.5% (n 240, 95% CI 82.7–91.1) against >= 90 (warn 95)" in block
    assert "owner service-operations · window 2026-10-24..2026-11-20 · specs/standards.yaml:12" in block
    assert "action act-9 (open, due 2026-11-01, OVERDUE, owner contact-centre)" in block


def test_insufficient_results_say_whether_there_was_any_data():
    out = text.render(sample_run([INSUFFICIENT, replace(INSUFFICIENT, touchpoint="fax", n=0, value=None)]))
    assert "LOW N    complaints-resolved-24h @ letter-complaints [high]" in out
    assert "NO DATA  complaints-resolved-24h @ fax [high]" in out


def test_summary_counts_every_status():
    last = text.render(sample_run()).splitlines()[-1]
    assert last == "8 results: 1 pass, 2 warn, 2 breach, 1 insufficient, 1 waived, 1 error"


def test_waived_results_show_the_waiver_and_errors_their_message():
    out = text.render(sample_run())
    assert "waived by w-branch-queue until 2026-12-31 (approved by chief-operating-officer): Queue system" in out
    assert "note: specs/data.yaml:30:5: source 'app-analytics': table 'app_sessions' not found" in out


def test_verbose_lists_passes_and_the_policy_explains_what_does_not_fail():
    out = text.render(sample_run(), verbose=True, policy=FailPolicy("warn", "high"))
    assert "PASS     complaints-resolved-24h @ email-complaints" in out
    low_warn = out[out.index("WARN     student-nps"):]
    assert "(does not fail the check: --fail-on warn, --min-severity high)" in low_warn.split("\n\n")[0]


def test_an_interval_below_zero_reads_low_to_high_without_a_double_minus():
    from cxgov.report import format as fmt

    result = sample_run().results[0]
    assert fmt.interval(replace(result, ci_low=-1.44, ci_high=-1.0)) == "95% CI -1.4 to -1.0"
    assert fmt.interval(replace(result, ci_low=82.7, ci_high=91.1)) == "95% CI 82.7–91.1"
