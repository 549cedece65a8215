"""Terminal output: breaches first with everything needed to act, then counts by status."""

from __future__ import annotations

from dataclasses import replace

from cxgov.engine.results import FailPolicy, ThresholdInfo
from cxgov.report import text
from run_fixtures import BREACH, INSUFFICIENT, PASS, WARN, sample_run


def test_breaches_come_first_with_rule_scope_value_threshold_n_owner_and_location():
    out = text.render(sample_run())
    lines = out.splitlines()
    assert lines[0] == "cxgov check: northwind-bank as of 2026-11-20"
    firsts = [line.split()[0] for line in lines[2:] if line and not line.startswith(" ")]
    assert firsts[:2] == ["RULE", "BREACH"] and firsts[2:4] == ["RULE", "BREACH"]
    assert "PASS" not in firsts
    assert lines[2] == "RULE     relationship-nps (Relationship NPS) [critical]: 1 breach"
    assert ("RULE     complaints-resolved-24h (Complaints resolved within 24 hours) [high]: 1 breach, 1 warn, "
            "1 waived, 1 insufficient, 1 pass") in lines
    block = out[out.index("BREACH   complaints-resolved-24h @ phone-complaints [high]"):]
    assert "87.5% (n 240, 95% CI 82.7–91.1) against >= 90 (warn 95)" in block
    assert "owner service-operations · window 2026-10-24..2026-11-20 · specs/standards.yaml:12" in block
    assert "action act-9 (open, due 2026-11-01, OVERDUE, owner contact-centre)" in block


def _many(values, **fields):
    return [replace(BREACH, scope=(("touchpoint", f"tp-{i:04}"),), touchpoint=f"tp-{i:04}", value=v, **fields)
            for i, v in enumerate(values)]


def test_a_large_program_shows_per_rule_its_counts_and_worst_results():
    values = [89.0 - (i * 37 % 700) / 10 for i in range(700)]  # 700 breaches, in no order
    passing = [replace(PASS, rule="quiet-rule", rule_name=None, scope=(("touchpoint", f"q-{i}"),),
                       touchpoint=f"q-{i}") for i in range(300)]
    out = text.render(sample_run(_many(values) + [replace(WARN, touchpoint="w", scope=(("touchpoint", "w"),))]
                                 + passing))
    blocks = [line for line in out.splitlines() if line.startswith("BREACH") or line.startswith("WARN")]
    assert len(blocks) == text.SHOWN
    worst = sorted(values)[:text.SHOWN]
    shown = [float(line.split()[0].rstrip("%")) for line in out.splitlines() if line.startswith("         ")
             and line.split()[0].endswith("%")]
    assert shown == [round(v, 1) for v in worst]  # furthest below the bound first
    assert "         ... and 696 more (695 breach, 1 warn): --verbose lists every result" in out
    assert "RULE     quiet-rule [high]: 300 pass" in out
    assert out.count("\n") < 40
    verbose = text.render(sample_run(_many(values) + passing), verbose=True)
    assert sum(line.startswith("BREACH") for line in verbose.splitlines()) == 700
    assert sum(line.startswith("PASS") for line in verbose.splitlines()) == 300
    assert "more (" not in verbose


def test_worst_first_follows_the_direction_of_the_threshold():
    lower = ThresholdInfo("<=", 24, 12)
    out = text.render(sample_run(_many([30.0, 50.0, 26.0], threshold=lower)))
    order = [line.split("@ ")[1].split()[0] for line in out.splitlines() if line.startswith("BREACH")]
    assert order == ["tp-0001", "tp-0000", "tp-0002"]


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


def _problems_run(results=None):
    from report_samples import problem_results, sample_spec, with_problems

    spec = with_problems(sample_spec())
    return sample_run(results if results is not None else problem_results(spec)), spec


def test_a_problems_analysis_lists_every_cause_by_rank_in_one_table():
    run, spec = _problems_run()
    out = text.render(run, spec)
    start = out.index("RULE     complaint-causes")
    assert out[start:].splitlines()[:8] == [
        "RULE     complaint-causes (Why customers complain) [high]: 2 breach, 3 pass",
        "         Pareto: 125 problems · vital share 80% · window 2026-07-01..2026-09-30",
        "           rank  cause               count  share  95% CI     cumulative  vital  status",
        "              1  staff-training         50  40.0%  31.8–48.8       40.0%  yes    PASS",
        "              2  billing-errors         45  36.0%  28.1–44.7       76.0%  yes    BREACH",
        "              3  website-usability      15  12.0%  7.4–18.9        88.0%  yes    BREACH",
        "              4  late-delivery          10   8.0%  4.4–14.1        96.0%  no     PASS",
        "              5  parking (unmapped)      5   4.0%  1.7–9.0        100.0%  no     PASS",
    ]
    # the causes that need attention keep their block (why, owner, actions); passes are in the table only
    assert "BREACH   complaint-causes @ root_cause billing-errors [high]" in out
    assert "note: a vital cause with no open action: nobody is working on it" in out
    assert "PASS     complaint-causes" not in out and "more (" not in out
    assert text.render(run, spec, verbose=True).count("PASS     complaint-causes @") == 3


def test_each_by_value_is_its_own_table_and_a_score_gets_its_gap_column():
    from cxgov.engine.results import ScoreInfo

    run, spec = _problems_run()
    gap = ScoreInfo("csat", 60.0, 50, (46.2, 72.4), 80.0, 75, (69.6, 87.5), -20.0, -36.4, -3.6)
    by = [replace(r, scope=(("segment", segment), *r.scope), problem=replace(r.problem, score=gap))
          for segment in ("retail", "premier") for r in run.results]
    out = text.render(sample_run(by), spec)
    assert out.index("Pareto @ segment premier: 125 problems") < out.index("Pareto @ segment retail: 125 problems")
    assert out.count("  rank  cause ") == 2 and out.count("parking (unmapped)") == 2
    assert "status  csat gap (95% CI)" in out and "BREACH  -20.0 (-36.4 to -3.6)" in out


def test_other_kinds_and_errors_get_no_pareto_table():
    run, spec = _problems_run()
    errors = [replace(r, status="error", value=None, n=0, ci_low=None, ci_high=None, problem=None,
                      notes=("specs/data.yaml:9:5: source 'tickets': column 'reason' not found",))
              for r in run.results]
    out = text.render(sample_run(errors), spec)
    assert "Pareto" not in out and "ERROR    complaint-causes @ root_cause staff-training [high]" in out
    assert "Pareto" not in text.render(sample_run())
