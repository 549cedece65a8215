"""`cxgov init DIR`: a small starter spec that validates with no errors and no warnings.

Every file starts with the YAML language server's schema line, pointing at a copy of the spec schema written
beside them, so editors validate, complete and explain keys offline.
"""

from __future__ import annotations

import posixpath
from datetime import date
from pathlib import Path, PurePosixPath

from cxgov.errors import UsageError
from cxgov.resources import schema_path
from cxgov.spec.schema import SCHEMA_FILE

FILES: dict[str, str] = {
    "program.yaml": """\
# The program: what experience we promise, who is accountable, how often the program is reviewed.
version: 1

program:
  id: my-cx-program
  name: My CX program
  timezone: UTC                    # IANA name, e.g. Europe/London
  owner: cx-office
  sponsor: chief-operating-officer
  intent:
    statement: Customers get what they came for in one contact, with little effort.
    principles:
      - {id: effortless, name: Effortless, description: Every task takes as few steps as possible.}
      - {id: one-contact, name: Resolved in one contact}
  review: {cadence: quarterly, last_reviewed: {today}}
  defaults: {min_sample: 30, max_waiver_days: 180, max_accountable: 8}

channels: [web, phone]

segments:
  - {id: retail, name: Retail customers, basis: demographic}
""",
    "owners.yaml": """\
# Teams and people. Every owner should be named somewhere: as an owner, in a RACI, or as a team member.
version: 1

owners:
  - {id: cx-office, name: Customer Experience Office, kind: team, members: [head-of-cx]}
  - {id: service-team, name: Customer Service, kind: team, members: [service-lead]}
  - {id: head-of-cx, name: Head of Customer Experience, kind: person}
  - {id: service-lead, name: Customer Service Lead, kind: person}
  - {id: chief-operating-officer, name: Chief Operating Officer, kind: person}
""",
    "journeys/get-help.yaml": """\
# One journey per file: its ordered stages and the touchpoints customers meet on the way.
version: 1

journeys:
  - id: get-help
    name: Get help with a problem
    owner: service-team
    segments: [retail]
    stages: [report, resolve]

touchpoints:
  - id: web-help-form
    name: Online help form
    journey: get-help
    stage: report
    channel: web
    owner: service-team
    informed: [cx-office]
    principles: [effortless]
  - id: phone-support
    name: Phone support line
    journey: get-help
    stage: resolve
    channel: phone
    owner: service-team
    principles: [one-contact]
    moment_of_truth: true
""",
    "data.yaml": """\
# Where the measurements live (tables in the metrics database) and the metrics computed from them.
version: 1

sources:
  - {id: surveys, table: survey_responses, timestamp: responded_at, touchpoint: touchpoint_id, segment: segment}
  - {id: tickets, table: tickets, timestamp: opened_at, touchpoint: touchpoint_id, segment: segment}

metrics:
  - {id: csat, name: Customer satisfaction, kind: csat, source: surveys, column: score,
     scale: {min: 1, max: 5}, where: {question: satisfaction}}
  - {id: nps, name: Net Promoter Score, kind: nps, source: surveys, column: score, where: {question: recommend}}
  - id: resolved-24h
    name: Resolved within 24 hours
    kind: sla
    source: tickets
    duration: {start: opened_at, end: resolved_at, unit: hours}
    within: 24
""",
    "standards.yaml": """\
# Quality standards every matching touchpoint must meet, and the KPIs the program steers by.
version: 1

standards:
  - id: help-csat
    name: Customers are satisfied with the help they get
    metric: csat
    applies_to: {journey: [get-help]}
    threshold: {op: ">=", fail: 75, warn: 85}
    window: 28d
    severity: high
    principle: effortless
  - id: resolved-within-24h
    name: Problems reported by phone are resolved within 24 hours
    metric: resolved-24h
    applies_to: {channel: [phone]}
    threshold: {op: ">=", fail: 90, warn: 95}
    window: 28d
    severity: high
    principle: one-contact

kpis:
  - id: relationship-nps
    name: Relationship NPS
    metric: nps
    scope: program
    threshold: {op: ">=", fail: 20, warn: 30}
    window: quarter
    trend: {max_drop: 5}
    owner: head-of-cx
""",
    "raci.yaml": """\
# Who does what in each step of the CX management cycle: exactly one A and at least one R per activity.
version: 1

raci:
  - {id: maintain-intent, name: Maintain the experience intent statement, cycle_step: intent,
     assignments: {chief-operating-officer: A, head-of-cx: R, cx-office: C}}
  - {id: maintain-inventory, name: Keep the touchpoint inventory complete and owned, cycle_step: inventory,
     assignments: {head-of-cx: A, cx-office: R, service-team: C}}
  - {id: redesign-touchpoints, name: Prioritise touchpoint redesigns, cycle_step: redesign,
     assignments: {head-of-cx: A, service-team: R}}
  - {id: run-surveys, name: Run the customer surveys, cycle_step: dialogue,
     assignments: {head-of-cx: A, cx-office: R}}
  - {id: customer-needs, name: Keep the knowledge base of customer needs, cycle_step: knowledge,
     assignments: {service-lead: A, service-team: R, cx-office: I}}
  - {id: share-results, name: Share CX results with all colleagues, cycle_step: communication,
     assignments: {head-of-cx: A, cx-office: R}}
  - {id: recognise-service, name: Recognise great customer service, cycle_step: recognition,
     assignments: {service-lead: A, service-team: R}}
  - {id: publish-scorecard, name: Publish the governance scorecard, cycle_step: dashboard,
     assignments: {head-of-cx: AR, chief-operating-officer: I}}
""",
}


def modeline(name: str, schema: str = SCHEMA_FILE) -> str:
    """The schema line for the spec file `name` (a path relative to the spec folder), pointing at `schema` (also
    relative to the spec folder), as the YAML language server reads it: relative to the file."""
    relative = posixpath.relpath(schema, str(PurePosixPath(name).parent))
    return f"# yaml-language-server: $schema={relative}\n"


def write(folder: Path, today: date) -> list[Path]:
    """Write the starter spec into `folder`, with the spec schema beside it; refuses (UsageError) when any of its
    files already exists. Returns the files written."""
    folder = Path(folder)
    texts = {name: modeline(name) + text.replace("{today}", today.isoformat()) for name, text in FILES.items()}
    texts[SCHEMA_FILE] = schema_path(SCHEMA_FILE).read_text(encoding="utf-8")
    targets = [folder / name for name in texts]
    existing = [t for t in targets if t.exists()]
    if existing:
        names = ", ".join(p.as_posix() for p in existing)
        raise UsageError(f"will not overwrite existing file{'s' * (len(existing) > 1)}: {names}",
                         hint="choose a new folder, or move those files away first")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"'{folder}' exists and is not a folder", hint="choose a new folder name")
    for target, text in zip(targets, texts.values()):
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as out:  # "x": never overwrite, even if created meanwhile
            out.write(text)
    return targets
