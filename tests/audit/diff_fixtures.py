"""A small spec and a real git repository to change it in, for the `cxgov diff` tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.spec_files import write_files

SPEC = {
    "program.yaml": """\
        version: 1
        program:
          id: acme
          name: Acme Bank
          timezone: Europe/London
          owner: cx-office
          intent:
            statement: Customers get help in one contact.
            principles:
              - {id: one-contact, name: Resolved in one contact}
          review: {cadence: quarterly, last_reviewed: 2026-10-01}
          defaults: {min_sample: 30, max_waiver_days: 180, max_accountable: 8}
        channels: [web, phone, chat]
        segments:
          - {id: retail, name: Retail customers}
        """,
    "owners.yaml": """\
        version: 1
        owners:
          - {id: cx-office, name: CX Office, kind: team, members: [ana]}
          - {id: digital-team, name: Digital team, kind: team}
          - {id: service-ops, name: Service operations, kind: team}
          - {id: ana, name: Ana Lopez, kind: person}
          - {id: coo, name: Chief Operating Officer, kind: person}
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
          - {id: web-form, name: Web form, journey: get-help, stage: report, channel: web, owner: digital-team}
          - {id: phone-line, name: Phone line, journey: get-help, stage: resolve, channel: phone, owner: service-ops,
             moment_of_truth: true}
          - {id: chat-line, name: Chat, journey: get-help, stage: resolve, channel: chat, owner: service-ops}
          - {id: web-status, name: Case status page, journey: get-help, stage: resolve, channel: web,
             owner: digital-team}
        """,
    "data.yaml": """\
        version: 1
        sources:
          - {id: surveys, table: survey_responses, timestamp: responded_at, touchpoint: touchpoint_id, segment: segment}
          - {id: tickets, table: tickets, timestamp: opened_at, touchpoint: touchpoint_id}
        metrics:
          - {id: csat, kind: csat, source: surveys, column: score, where: {question: satisfaction}}
          - {id: nps, kind: nps, source: surveys, column: score, where: {question: recommend}}
          - id: resolved-24h
            kind: sla
            source: tickets
            duration: {start: opened_at, end: resolved_at, unit: hours}
            within: 24
          - id: handle-p90
            kind: percentile
            percentile: 90
            source: tickets
            duration: {start: opened_at, end: resolved_at, unit: hours}
        """,
    "standards.yaml": """\
        version: 1
        standards:
          - id: help-csat
            name: Customers are satisfied with the help they get
            metric: csat
            applies_to: {journey: [get-help]}
            threshold: {op: ">=", fail: 75, warn: 85}
            window: 28d
            severity: medium
          - id: resolved-24h
            name: Problems resolved within 24 hours
            metric: resolved-24h
            applies_to: {stage: [resolve], channel: [phone, chat]}
            threshold: {op: ">=", fail: 90, warn: 95}
            window: 28d
            min_sample: 30
            severity: high
            owner: service-ops
            principle: one-contact
          - id: handle-time
            name: Phone cases closed quickly
            metric: handle-p90
            applies_to: {touchpoints: [phone-line]}
            threshold: {op: "<=", fail: 8, warn: 6}
            window: 28d
            severity: medium
        """,
    "kpis.yaml": """\
        version: 1
        kpis:
          - id: relationship-nps
            name: Relationship NPS
            metric: nps
            scope: program
            by: segment
            threshold: {op: ">=", fail: 30, warn: 40}
            window: quarter
            trend: {max_drop: 5}
            owner: cx-office
        """,
    "governance.yaml": """\
        version: 1
        waivers:
          - id: w-chat
            standard: resolved-24h
            touchpoints: [chat-line]
            justification: Chat platform migration
            approved_by: coo
            granted: 2026-10-01
            expires: 2026-12-31
        actions:
          - {id: act-1, standard: resolved-24h, touchpoint: phone-line, owner: service-ops, due: 2026-12-15,
             status: in_progress, description: Add an evening shift}
        raci:
          - id: maintain-intent
            name: Maintain the experience intent
            cycle_step: intent
            assignments: {cx-office: A, ana: R, digital-team: I}
        """,
}


def write_spec(folder: Path, files: dict[str, str] | None = None) -> Path:
    return write_files(folder, files or SPEC)


def edit(folder: Path, name: str, old: str, new: str) -> None:
    """Replace `old` (which must be there exactly once) by `new` in the spec file `name`."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {name} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(folder: Path, name: str, text: str) -> None:
    """Add `text` (written as it should appear in the file) at the end of the spec file `name`."""
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


class GitRepo:
    """A git repository holding the spec in `specs/`, with fixed authors and commit dates."""

    def __init__(self, root: Path):
        self.root = root
        self.specs = root / "specs"
        self.commits = 0
        self.env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_AUTHOR_NAME": "CX Office", "GIT_AUTHOR_EMAIL": "cx@acme.example",
                    "GIT_COMMITTER_NAME": "CX Office", "GIT_COMMITTER_EMAIL": "cx@acme.example"}
        self.git("init", "-q", "-b", "main")
        write_spec(self.specs)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "-C", str(self.root), *args], env=self.env, capture_output=True, text=True,
                              check=True)
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.commits += 1
        stamp = f"2026-11-{self.commits:02d}T09:00:00+00:00"
        self.env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        self.git("add", "-A", "specs")
        self.git("commit", "-q", "--no-gpg-sign", "-m", message)
        return self.git("rev-parse", "HEAD")
