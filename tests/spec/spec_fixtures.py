"""Helpers for spec tests: write small spec folders and run `cxgov validate` on them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from cxgov.cli import main
from support.spec_files import write_files

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-11-20"

# A minimal valid spec, one file per section group; tests override single files.
BASE = {
    "program.yaml": """\
        version: 1
        program:
          id: acme
          name: Acme
          timezone: Europe/London
          owner: cx-office
          intent:
            statement: Easy and fair.
            principles:
              - {id: effortless, name: Effortless}
          review: {cadence: quarterly, last_reviewed: 2026-10-01}
          defaults: {min_sample: 30, max_waiver_days: 180, max_accountable: 8}
        channels: [web, phone]
        segments:
          - {id: retail, name: Retail}
        """,
    "owners.yaml": """\
        version: 1
        owners:
          - {id: cx-office, name: CX Office, kind: team, members: [ana]}
          - {id: digital-team, name: Digital, kind: team}
          - {id: ana, name: Ana, kind: person}
        """,
    "journeys.yaml": """\
        version: 1
        journeys:
          - id: get-help
            name: Get help
            owner: cx-office
            segments: [retail]
            stages: [report, resolve]
        touchpoints:
          - id: web-form
            name: Web form
            journey: get-help
            stage: report
            channel: web
            owner: digital-team
          - id: phone-line
            name: Phone line
            journey: get-help
            stage: resolve
            channel: phone
            owner: cx-office
            moment_of_truth: true
        """,
    "data.yaml": """\
        version: 1
        sources:
          - {id: surveys, table: survey_responses, timestamp: responded_at, touchpoint: touchpoint_id}
        metrics:
          - {id: csat, kind: csat, source: surveys, column: score}
          - {id: nps, kind: nps, source: surveys, column: score}
        """,
    "rules.yaml": """\
        version: 1
        standards:
          - id: help-csat
            metric: csat
            applies_to: {journey: [get-help]}
            threshold: {op: ">=", fail: 75, warn: 85}
            window: 28d
        kpis:
          - id: rel-nps
            metric: nps
            threshold: {op: ">=", fail: 20, warn: 30}
            window: quarter
            owner: ana
        """,
    "raci.yaml": """\
        version: 1
        raci:
          - {id: a1, name: Intent, cycle_step: intent, assignments: {ana: A, cx-office: R}}
          - {id: a2, name: Inventory, cycle_step: inventory, assignments: {ana: AR}}
          - {id: a3, name: Redesign, cycle_step: redesign, assignments: {ana: A, digital-team: R}}
          - {id: a4, name: Dialogue, cycle_step: dialogue, assignments: {ana: AR}}
          - {id: a5, name: Knowledge, cycle_step: knowledge, assignments: {cx-office: AR}}
          - {id: a6, name: Communication, cycle_step: communication, assignments: {cx-office: AR}}
          - {id: a7, name: Recognition, cycle_step: recognition, assignments: {cx-office: AR}}
          - {id: a8, name: Dashboard, cycle_step: dashboard, assignments: {cx-office: AR}}
        """,
}


def write_spec(folder: Path, overrides: dict[str, str | bytes | None] | None = None) -> Path:
    """Write BASE with `overrides` (file -> text, bytes, or None to leave the file out) into `folder`."""
    return write_files(folder, {**BASE, **(overrides or {})})


class Run:
    def __init__(self, exit_code: int, output: str):
        self.exit_code = exit_code
        self.output = output

    @property
    def lines(self) -> list[str]:
        return self.output.splitlines()

    def codes(self) -> set[str]:
        return {line.split(": ")[1].split()[0] for line in self.lines if ": CX" in line}


def run_validate(folder: Path, *args: str) -> Run:
    result = CliRunner().invoke(main, ["validate", str(folder), "--today", TODAY, *args])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    return Run(result.exit_code, output)


def diagnostics(folder: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["validate", str(folder), "--today", TODAY, "--format", "json"])
    return json.loads(result.stdout)["diagnostics"]


def patched(name: str, old: str, new: str, count: int = 1) -> dict[str, str]:
    """BASE's `name` with `old` replaced by `new` (which must occur), as an override for write_spec."""
    text = textwrap.dedent(BASE[name])
    assert old in text, f"{old!r} not in {name}"
    return {name: text.replace(old, new, count)}


def appended(name: str, extra: str) -> dict[str, str]:
    """BASE's `name` with `extra` appended."""
    return {name: textwrap.dedent(BASE[name]) + extra}
