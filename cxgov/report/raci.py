"""The RACI report: who is Responsible, Accountable, Consulted and Informed, as HTML, CSV or Markdown.

Two matrices (governance activities × owners, active touchpoints × owners), the RACI findings of `cxgov validate`
(the same lint rules, so the report and the validator never disagree) and each owner's load. Pure functions of
the Spec (and the injected clock for the HTML page).
"""

from __future__ import annotations

import csv as csv_module
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Mapping

from cxgov.errors import UsageError
from cxgov.report.display import stage_label
from cxgov.report.markdown import _cell as md_cell
from cxgov.report.names import Names
from cxgov.spec import lint
from cxgov.spec.model import Spec, Touchpoint
from cxgov.vocabulary import CYCLE_STEPS, RACI_SUFFIXES

FORMATS = ("html", "csv", "md")
LETTERS = ("A", "R", "C", "I")
# The validator's rules about ownership: no A or several, no R, an owner named nowhere, an overloaded person,
# a committee as A. None depends on the date.
FINDING_CODES = ("CX106", "CX107", "CX205", "CX206", "CX211")
CYCLE_TITLES = {"intent": "Experience intent", "inventory": "Touchpoint inventory", "redesign": "Redesign",
                "dialogue": "Customer dialogue", "knowledge": "Knowledge of customer needs",
                "communication": "Internal communication", "recognition": "Recognition and reward",
                "dashboard": "CX dashboard"}


@dataclass(frozen=True)
class MatrixRow:
    id: str
    name: str
    group: str  # the CX-cycle step, or "journey / stage"
    cells: tuple[str, ...]  # letters per column ("" for none), e.g. "AR"


@dataclass(frozen=True)
class Matrix:
    title: str
    owners: tuple[str, ...]  # column owner ids, in spec order
    owner_names: tuple[str, ...]
    rows: tuple[MatrixRow, ...]

    def groups(self) -> tuple[tuple[str, tuple[MatrixRow, ...]], ...]:
        """Rows by consecutive group, for group header rows."""
        out: list[tuple[str, list[MatrixRow]]] = []
        for row in self.rows:
            if not out or out[-1][0] != row.group:
                out.append((row.group, []))
            out[-1][1].append(row)
        return tuple((group, tuple(rows)) for group, rows in out)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    location: str
    hint: str


@dataclass(frozen=True)
class OwnerLoad:
    id: str
    name: str
    kind: str
    raci: tuple[int, int, int, int]  # A R C I across governance activities
    touchpoints: tuple[int, int, int, int]  # A R C I across active touchpoints
    journeys: int
    rules: int  # standards and KPIs it owns
    accountable: int  # every item it is accountable for (lint.accountable_roles: what CX206 counts)
    overloaded: bool  # a person accountable for more than max_accountable items
    problems: int = 0  # problems analyses it owns
    root_causes: int = 0  # root causes it owns: its share of why customers meet problems


@dataclass(frozen=True)
class RaciReport:
    program: str
    activities: Matrix
    touchpoints: Matrix
    findings: tuple[Finding, ...]
    loads: tuple[OwnerLoad, ...]
    max_accountable: int


def _columns(spec: Spec, used: set[str], names: Names) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids = tuple(o.id for o in spec.owners if o.id in used) + tuple(sorted(used - {o.id for o in spec.owners}))
    return ids, tuple(names.owner(i) for i in ids)


def _activities(spec: Spec, names: Names) -> Matrix:
    step_order = {step: i for i, step in enumerate(CYCLE_STEPS)}
    activities = sorted(enumerate(spec.raci), key=lambda p: (step_order.get(p[1].cycle_step, len(step_order)), p[0]))
    used = {owner for _, a in activities for owner, _ in a.assignments}
    owners, owner_names = _columns(spec, used, names)
    rows = []
    for _, a in activities:
        letters = dict(a.assignments)
        rows.append(MatrixRow(a.id, a.name, CYCLE_TITLES.get(a.cycle_step, a.cycle_step),
                              tuple(_ordered(letters.get(o, "")) for o in owners)))
    return Matrix("Governance activities of the CX management cycle", owners, owner_names, tuple(rows))


def _ordered(letters: str) -> str:
    return "".join(letter for letter in LETTERS if letter in letters)


def _touchpoint_letters(tp: Touchpoint) -> dict[str, str]:
    roles: dict[str, str] = {tp.owner: "A"}
    for letter, holders in (("R", tp.responsible), ("C", tp.consulted), ("I", tp.informed)):
        for owner in holders:
            roles[owner] = _ordered(roles.get(owner, "") + letter)
    return roles


def _touchpoints(spec: Spec, names: Names) -> Matrix:
    journeys = {j.id: j for j in spec.journeys}
    journey_order = {j.id: i for i, j in enumerate(spec.journeys)}

    def key(pair: tuple[int, Touchpoint]) -> tuple[int, int, int]:
        position, tp = pair
        journey = journeys.get(tp.journey)
        stages = journey.stages if journey else ()
        return (journey_order.get(tp.journey, len(journey_order)),
                stages.index(tp.stage) if tp.stage in stages else len(stages), position)

    active = [tp for _, tp in sorted(enumerate(t for t in spec.touchpoints if t.evaluated), key=key)]
    letters = {tp.id: _touchpoint_letters(tp) for tp in active}
    used = {owner for roles in letters.values() for owner in roles}
    owners, owner_names = _columns(spec, used, names)
    rows = tuple(MatrixRow(tp.id, tp.name, f"{names.journey(tp.journey)} / {stage_label(tp.stage)}",
                           tuple(letters[tp.id].get(o, "") for o in owners)) for tp in active)
    return Matrix("Touchpoints (active, planned and in redesign; retired ones are left out)", owners, owner_names,
                  rows)


def _loads(spec: Spec, names: Names) -> tuple[OwnerLoad, ...]:
    raci: dict[str, Counter[str]] = {letter: Counter() for letter in LETTERS}
    for a in spec.raci:
        for owner, held in a.assignments:
            for letter in LETTERS:
                if letter in held:
                    raci[letter][owner] += 1
    tps: dict[str, Counter[str]] = {letter: Counter() for letter in LETTERS}
    for tp in spec.touchpoints:
        if tp.evaluated:
            for owner, held in _touchpoint_letters(tp).items():
                for letter in held:
                    tps[letter][owner] += 1
    journeys = Counter(j.owner for j in spec.journeys if j.owner)
    rules = Counter(r.owner for r in spec.rules if r.owner)
    problems = Counter(p.owner for p in spec.problems if p.owner)
    causes = Counter(c.owner for c in spec.root_causes if c.owner)
    accountable = Counter(owner for owner, _ in lint.accountable_roles(spec))  # as the validator counts
    limit = spec.program.defaults.max_accountable
    loads = []
    for o in spec.owners:
        loads.append(OwnerLoad(o.id, names.owner(o.id), o.kind, _per_letter(raci, o.id),
                               _per_letter(tps, o.id), journeys[o.id], rules[o.id], accountable[o.id],
                               o.kind == "person" and accountable[o.id] > limit, problems[o.id], causes[o.id]))
    return tuple(sorted(loads, key=lambda load: (-load.accountable, load.id)))


def _per_letter(counts: Mapping[str, Counter[str]], owner: str) -> tuple[int, int, int, int]:
    """`owner`'s count under each of LETTERS, in their order."""
    return counts["A"][owner], counts["R"][owner], counts["C"][owner], counts["I"][owner]


def build(spec: Spec) -> RaciReport:
    """The RACI report's content."""
    names = Names(spec)
    found = lint.lint(spec, date(2000, 1, 1), codes=FINDING_CODES)  # these rules do not look at the date
    findings = tuple(sorted((Finding(d.code, d.severity, d.message, str(d.location), d.hint or "") for d in found),
                            key=lambda f: (f.severity != "error", f.code, f.location, f.message)))
    return RaciReport(spec.program.name, _activities(spec, names), _touchpoints(spec, names), findings,
                      _loads(spec, names), spec.program.defaults.max_accountable)


def html(spec: Spec, generated_at: datetime) -> str:
    from cxgov.report.html import render, timestamp

    return render("raci.html.j2", report=build(spec), spec=spec, generated_at=timestamp(generated_at))


def csv(spec: Spec) -> str:
    """Both matrices in one sheet: one row per activity or touchpoint, one column per owner."""
    report = build(spec)
    used = set(report.activities.owners) | set(report.touchpoints.owners)
    owners, _ = _columns(spec, used, Names(spec))
    out = io.StringIO()
    writer = csv_module.writer(out, lineterminator="\n")
    writer.writerow(["section", "id", "name", "group", *owners])
    for section, matrix in (("activity", report.activities), ("touchpoint", report.touchpoints)):
        for row in matrix.rows:
            cells = dict(zip(matrix.owners, row.cells))
            writer.writerow([section, row.id, _csv_text(row.name), _csv_text(row.group),
                             *(cells.get(o, "") for o in owners)])
    return out.getvalue()


def _csv_text(text: str) -> str:
    """Keep a spreadsheet from reading spec text as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def markdown(spec: Spec) -> str:
    report = build(spec)
    lines = [f"# RACI: {md_cell(report.program)}", "", "## Findings", ""]
    lines += [f"- **{f.code}** {f.severity}: {md_cell(f.message)} ({md_cell(f.location)})"
              for f in report.findings] or ["- None."]
    lines.append("")
    for matrix in (report.activities, report.touchpoints):
        lines += [f"## {md_cell(matrix.title)}", ""]
        lines.append("| | " + " | ".join(md_cell(n) for n in matrix.owner_names) + " |")
        lines.append("|---|" + "---|" * len(matrix.owners))
        for row in matrix.rows:
            lines.append(f"| {md_cell(row.name)} ({row.id}) | " + " | ".join(row.cells) + " |")
        lines.append("")
    lines += ["## Load per owner", "",
              f"Accountable counts the program, journeys, touchpoints, standards and KPIs, problems analyses, root "
              f"causes and RACI activities an owner is accountable for; people above {report.max_accountable} are "
              f"overloaded.", "",
              "| Owner | Kind | RACI A/R/C/I | Touchpoints A/R/C/I | Journeys | Standards and KPIs | "
              "Problems analyses | Root causes | Accountable |",
              "|---|---|---|---|---|---|---|---|---|"]
    for load in report.loads:
        flag = " (overloaded)" if load.overloaded else ""
        lines.append(f"| {md_cell(load.name)} ({load.id}) | {load.kind} | {'/'.join(map(str, load.raci))} | "
                     f"{'/'.join(map(str, load.touchpoints))} | {load.journeys} | {load.rules} | {load.problems} | "
                     f"{load.root_causes} | {load.accountable}{flag} |")
    return "\n".join(lines) + "\n"


def format_for(path: str, explicit: str | None) -> str:
    """The output format: --format when given, else the file extension."""
    if explicit:
        return explicit
    fmt = RACI_SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the format of {path} from its extension",
                         hint="use .html, .csv or .md, or pass --format html|csv|md")
    return fmt


def render(spec: Spec, fmt: str, generated_at: datetime) -> str:
    if fmt == "html":
        return html(spec, generated_at)
    if fmt == "csv":
        return csv(spec)
    if fmt == "md":
        return markdown(spec)
    raise UsageError(f"unknown RACI report format {fmt!r}", hint="use html, csv or md")
