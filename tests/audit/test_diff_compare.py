"""What each kind of spec change is called, and which way it moves governance (two spec folders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxgov.audit import diff
from cxgov.audit.compare import LOOSENS, NEUTRAL, TIGHTENS
from diff_fixtures import append, edit


def changes(base: Path, head: Path) -> dict[tuple[str, str | None], tuple[str, str]]:
    result = diff.run(str(base), str(head), head)
    found = {}
    for c in result.changes:
        key = (c.ref, c.field)
        assert key not in found, f"two changes for {key}"
        found[key] = (c.effect, c.message)
    return found


def test_identical_specs_have_no_changes(folders):
    base, head = folders
    result = diff.run(str(base), str(head), head)
    assert result.changes == () and result.unapproved == ()


def test_threshold_direction_for_higher_is_better(folders):
    base, head = folders
    edit(head, "standards.yaml", 'threshold: {op: ">=", fail: 90, warn: 95}', 'threshold: {op: ">=", fail: 85}')
    edit(head, "standards.yaml", 'threshold: {op: ">=", fail: 75, warn: 85}',
         'threshold: {op: ">=", fail: 80, warn: 88}')
    found = changes(base, head)
    assert found[("standards/resolved-24h", "threshold.fail")] == (
        LOOSENS, "fail threshold lowered from 90 to 85: values from 85 to 90 no longer breach")
    assert found[("standards/resolved-24h", "threshold.warn")] == (
        LOOSENS, "warn level 95 removed: nothing warns before it breaches")
    assert found[("standards/help-csat", "threshold.fail")] == (
        TIGHTENS, "fail threshold raised from 75 to 80: values from 75 to 80 now breach")
    assert found[("standards/help-csat", "threshold.warn")] == (TIGHTENS, "warn level raised from 85 to 88")


def test_threshold_direction_for_lower_is_better(folders):
    base, head = folders
    edit(head, "standards.yaml", 'threshold: {op: "<=", fail: 8, warn: 6}', 'threshold: {op: "<=", fail: 10}')
    found = changes(base, head)
    assert found[("standards/handle-time", "threshold.fail")] == (
        LOOSENS, "fail threshold raised from 8 to 10: values from 8 to 10 no longer breach")
    assert found[("standards/handle-time", "threshold.warn")][0] == LOOSENS


def test_threshold_strictness_and_reversal(folders):
    base, head = folders
    edit(head, "standards.yaml", 'threshold: {op: "<=", fail: 8, warn: 6}', 'threshold: {op: "<", fail: 8, warn: 6}')
    edit(head, "standards.yaml", 'threshold: {op: ">=", fail: 75, warn: 85}',
         'threshold: {op: "<=", fail: 75, warn: 65}')
    found = changes(base, head)
    assert found[("standards/handle-time", "threshold.fail")] == (
        TIGHTENS, "fail threshold changed from <= 8 to < 8: a value of exactly 8 now breaches")
    effect, message = found[("standards/help-csat", "threshold.op")]
    assert effect == LOOSENS and message.startswith("threshold direction reversed from >= 75 (warn 85) to <= 75")


def test_window_min_sample_and_severity(folders):
    base, head = folders
    edit(head, "standards.yaml", "window: 28d\n    min_sample: 30\n    severity: high",
         "window: quarter\n    min_sample: 50\n    severity: low")
    edit(head, "standards.yaml", "window: 28d\n    severity: medium\n  - id: resolved-24h",
         "window: 2w\n    severity: critical\n    min_sample: 20\n  - id: resolved-24h")
    edit(head, "kpis.yaml", "window: quarter", "window: 4w")
    found = changes(base, head)
    assert found[("standards/resolved-24h", "window")] == (
        LOOSENS, "window lengthened from 28d to quarter: a longer window smooths out recent drops")
    assert found[("standards/resolved-24h", "min_sample")] == (
        LOOSENS, "min_sample raised from 30 to 50: more results become 'insufficient' instead of being judged")
    assert found[("standards/resolved-24h", "severity")] == (LOOSENS, "severity lowered from high to low")
    assert found[("standards/help-csat", "window")] == (TIGHTENS, "window shortened from 28d to 2w")
    assert found[("standards/help-csat", "severity")] == (TIGHTENS, "severity raised from medium to critical")
    # help-csat had no min_sample of its own: the program default (30) applied
    assert found[("standards/help-csat", "min_sample")] == (
        TIGHTENS, "min_sample lowered from 30 to 20: fewer results are left 'insufficient'")
    assert found[("kpis/relationship-nps", "window")][0] == TIGHTENS


def test_program_defaults(folders):
    base, head = folders
    edit(head, "program.yaml", "defaults: {min_sample: 30, max_waiver_days: 180, max_accountable: 8}",
         "defaults: {min_sample: 40, max_waiver_days: 365, max_accountable: 8}")
    edit(head, "program.yaml", "review: {cadence: quarterly", "review: {cadence: annual")
    found = changes(base, head)
    effect, message = found[("program", "defaults.min_sample")]
    assert effect == LOOSENS
    assert message.startswith("default min_sample raised from 30 to 40 for the 3 rules without their own")
    assert found[("program", "defaults.max_waiver_days")] == (
        LOOSENS, "max_waiver_days raised from 180 to 365: waivers may run longer")
    assert found[("program", "review.cadence")] == (
        LOOSENS, "program review cadence changed from quarterly to annual")


def test_coverage_narrowed_and_touchpoints_retired(folders):
    base, head = folders
    edit(head, "standards.yaml", "applies_to: {stage: [resolve], channel: [phone, chat]}",
         "applies_to: {stage: [resolve], channel: [phone]}")
    edit(head, "journeys.yaml", "owner: digital-team}\n  - {id: phone-line",
         "owner: digital-team, status: retired}\n  - {id: phone-line")
    found = changes(base, head)
    assert found[("standards/resolved-24h", "applies_to")] == (
        LOOSENS, "applies_to changed from 'stage resolve; channel phone, chat' to 'stage resolve; channel phone': "
                 "no longer checks chat-line (covers 1 touchpoint instead of 2)")
    assert found[("touchpoints/web-form", "status")] == (
        LOOSENS, "retired (was active): no longer checked by help-csat")


def test_coverage_widened(folders):
    base, head = folders
    edit(head, "standards.yaml", "applies_to: {touchpoints: [phone-line]}",
         "applies_to: {touchpoints: [phone-line, chat-line]}")
    found = changes(base, head)
    assert found[("standards/handle-time", "applies_to")] == (
        TIGHTENS, "applies_to changed from 'touchpoints phone-line' to 'touchpoints phone-line, chat-line': "
                  "now also checks chat-line")


def test_rules_added_and_removed(folders):
    base, head = folders
    text = (head / "standards.yaml").read_text()
    (head / "standards.yaml").write_text(text[:text.index("  - id: handle-time")])
    (head / "kpis.yaml").write_text("version: 1\n")
    append(head, "standards.yaml", """\
  - id: chat-csat
    metric: csat
    applies_to: {channel: [chat]}
    threshold: {op: ">=", fail: 80}
    window: 28d
""")
    found = changes(base, head)
    assert found[("standards/handle-time", None)] == (
        LOOSENS, "standard handle-time removed: Phone cases closed quickly is no longer checked on phone-line")
    assert found[("kpis/relationship-nps", None)] == (
        LOOSENS, "KPI relationship-nps removed: Relationship NPS is no longer checked")
    assert found[("standards/chat-csat", None)] == (
        TIGHTENS, "standard chat-csat added: chat-csat (csat >= 80, 28d) on 1 touchpoint")


def test_kpi_trend(folders):
    base, head = folders
    edit(head, "kpis.yaml", "trend: {max_drop: 5}", "trend: {max_drop: 8}")
    assert changes(base, head)[("kpis/relationship-nps", "trend.max_drop")] == (
        LOOSENS, "trend max_drop raised from 5 to 8: a larger drop is tolerated")
    edit(head, "kpis.yaml", "    trend: {max_drop: 8}\n", "")
    assert changes(base, head)[("kpis/relationship-nps", "trend")][0] == LOOSENS


def test_waivers(folders):
    base, head = folders
    edit(head, "governance.yaml", "expires: 2026-12-31", "expires: 2027-02-28")
    edit(head, "governance.yaml", "    touchpoints: [chat-line]\n", "")
    found = changes(base, head)
    assert found[("waivers/w-chat", "expires")] == (LOOSENS, "extended: expires 2027-02-28 instead of 2026-12-31")
    assert found[("waivers/w-chat", "touchpoints")] == (
        LOOSENS, "now waives every touchpoint it covers (was chat-line)")


def test_waiver_added(folders):
    base, head = folders
    edit(head, "governance.yaml", "actions:", """\
  - id: w-csat
    standard: help-csat
    touchpoints: [web-status]
    justification: Page redesign
    approved_by: coo
    granted: 2026-11-01
    expires: 2027-01-31
actions:""")
    assert changes(base, head)[("waivers/w-csat", None)] == (
        LOOSENS, "waiver w-csat added: help-csat is waived for web-status until 2027-01-31 (approved by coo: "
                 "Page redesign)")


def test_neutral_changes_are_reported(folders):
    base, head = folders
    edit(head, "journeys.yaml", "channel: chat, owner: service-ops}", "channel: chat, owner: digital-team}")
    edit(head, "governance.yaml", "assignments: {cx-office: A, ana: R, digital-team: I}",
         "assignments: {cx-office: A, service-ops: R, digital-team: C}")
    edit(head, "standards.yaml", "owner: service-ops\n", "owner: cx-office\n")
    edit(head, "data.yaml", "where: {question: satisfaction}", "where: {question: [satisfaction, overall]}")
    edit(head, "program.yaml", "name: Acme Bank", "name: Acme Bank plc")
    edit(head, "program.yaml", "id: acme", "id: acme-bank")
    append(head, "journeys.yaml",
           "  - {id: chat-bot, name: Chat bot, journey: get-help, stage: report, channel: chat, owner: digital-team}\n")
    found = changes(base, head)
    assert found[("touchpoints/chat-line", "owner")] == (
        NEUTRAL, "given another owner (accountable): service-ops -> digital-team")
    assert found[("raci/maintain-intent", "assignments")] == (
        NEUTRAL, "RACI assignments changed: ana R -> -; digital-team I -> C; service-ops - -> R")
    assert found[("standards/resolved-24h", "owner")] == (
        NEUTRAL, "given another owner: service-ops -> cx-office")
    assert found[("metrics/csat", "where")] == (
        NEUTRAL, "definition changed: where changed from question in (satisfaction) to question in (satisfaction, "
                 "overall) (used by help-csat)")
    assert found[("program", "name")] == (NEUTRAL, "name changed from Acme Bank to Acme Bank plc")
    assert found[("program", "id")] == (NEUTRAL, "program id changed from acme to acme-bank")
    assert found[("touchpoints/chat-bot", None)] == (
        NEUTRAL, "touchpoint chat-bot added (Chat bot; get-help/report, chat, owner digital-team), checked by "
                 "help-csat")
    assert [k for k, (effect, _) in found.items() if effect != NEUTRAL] == []


def test_sla_target_direction(folders):
    base, head = folders
    edit(head, "data.yaml", "within: 24", "within: 48")
    assert changes(base, head)[("metrics/resolved-24h", "within")] == (
        LOOSENS, "definition changed: the SLA target raised from 24 to 48 hours (used by resolved-24h)")


def test_locations_point_at_the_head_file(folders):
    base, head = folders
    edit(head, "standards.yaml", 'fail: 90, warn: 95}', 'fail: 85, warn: 95}')
    (change,) = diff.run(str(base), str(head), head).changes
    assert str(change.location) == "head/standards.yaml:14:33"


@pytest.mark.parametrize("bad", ["version: 1\nstandards: 7\n", "version: 1\nprogram: {id: x}\n"])
def test_an_invalid_head_is_a_clear_error(folders, bad):
    from cxgov.errors import SpecError

    base, head = folders
    (head / "broken.yaml").write_text(bad)
    with pytest.raises(SpecError, match=r"the spec at head cannot be read for a diff .*\n  head/broken.yaml:2"):
        diff.run(str(base), str(head), head)


def test_a_touchpoint_moved_out_of_a_standards_reach(folders):
    base, head = folders
    edit(head, "journeys.yaml", "{id: chat-line, name: Chat, journey: get-help, stage: resolve",
         "{id: chat-line, name: Chat, journey: get-help, stage: report")
    found = changes(base, head)
    assert found[("standards/resolved-24h", "applies_to")] == (
        LOOSENS, "no longer checks chat-line (covers 1 touchpoint instead of 2)")
    assert found[("touchpoints/chat-line", "stage")] == (NEUTRAL, "stage changed from resolve to report")
    assert len(found) == 2


def test_the_same_min_sample_written_differently_is_neutral(folders):
    base, head = folders
    edit(head, "standards.yaml", "    min_sample: 30\n", "")
    assert changes(base, head) == {("standards/resolved-24h", "min_sample"): (
        NEUTRAL, "min_sample now the program default (30, as before)")}
