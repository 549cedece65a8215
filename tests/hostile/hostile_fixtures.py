"""A small valid spec folder whose one source reads a CSV file inside it, so `cxgov check` runs without a
database; and helpers that run the real CLI on it and check every output is well-formed."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from cxgov.cli import main
from support.spec_files import write_files

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-20"
TOUCHPOINTS = ("web-form", "app-form", "phone-line", "chat")

SPEC = {
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
          defaults: {min_sample: 5, max_waiver_days: 180, max_accountable: 8}
        channels: [web, app, phone, chat]
        segments:
          - {id: retail, name: Retail}
          - {id: premier, name: Premier}
        owners:
          - {id: cx-office, name: CX Office, kind: team, members: [ana]}
          - {id: digital-team, name: Digital, kind: team}
          - {id: ana, name: Ana, kind: person}
        """,
    "journeys.yaml": """\
        version: 1
        journeys:
          - {id: get-help, name: Get help, owner: cx-office, segments: [retail, premier], stages: [report, resolve]}
        touchpoints:
          - {id: web-form, name: Web form, journey: get-help, stage: report, channel: web, owner: digital-team}
          - {id: app-form, name: App form, journey: get-help, stage: report, channel: app, owner: digital-team}
          - {id: phone-line, name: Phone line, journey: get-help, stage: resolve, channel: phone, owner: cx-office,
             moment_of_truth: true}
          - {id: chat, name: Chat, journey: get-help, stage: resolve, channel: chat, owner: cx-office}
        """,
    "data.yaml": """\
        version: 1
        sources:
          - {id: surveys, path: data/surveys.csv, timestamp: responded_at, touchpoint: touchpoint_id,
             segment: segment}
        metrics:
          - {id: csat, kind: csat, source: surveys, column: score, scale: {min: 1, max: 5}}
          - {id: nps, kind: nps, source: surveys, column: recommend}
          - {id: ces, kind: ces, source: surveys, column: effort, scale: {min: 1, max: 7}}
          - {id: mean-score, kind: mean, source: surveys, column: score}
          - {id: fcr, kind: ratio, source: surveys, condition: {resolved_first: true}}
          - {id: wait-p90, kind: percentile, percentile: 90, source: surveys, column: wait_minutes}
          - {id: answered-1h, kind: sla, source: surveys, duration: {start: responded_at, end: closed_at,
             unit: hours}, within: 1}
          - {id: contacts, kind: count, source: surveys}
          - {id: gap, kind: gap, source: surveys, expectation: expected, perception: perceived}
        """,
    "rules.yaml": """\
        version: 1
        standards:
          - id: help-csat
            metric: csat
            applies_to: {journey: [get-help]}
            threshold: {op: ">=", fail: 60, warn: 70}
            window: 28d
            min_sample: 3
            principle: effortless
          - {id: help-ces, metric: ces, applies_to: {channel: [web, app]}, threshold: {op: ">=", fail: 3, warn: 4},
             window: 4w}
          - {id: help-fcr, metric: fcr, applies_to: {stage: [resolve]}, threshold: {op: ">=", fail: 50}, window: month}
          - {id: help-wait, metric: wait-p90, applies_to: {touchpoints: [phone-line, chat]},
             threshold: {op: "<=", fail: 30, warn: 20}, window: quarter}
          - {id: help-sla, metric: answered-1h, applies_to: {channel: [phone, chat]}, threshold: {op: ">=", fail: 50},
             window: 28d}
          - {id: help-gap, metric: gap, applies_to: {journey: [get-help]}, threshold: {op: ">", fail: -2}, window: year}
        kpis:
          - {id: rel-nps, metric: nps, scope: program, by: segment, threshold: {op: ">=", fail: -50, warn: 0},
             window: quarter, owner: ana, trend: {max_drop: 10}}
          - {id: web-contacts, metric: contacts, scope: {channel: web}, threshold: {op: ">=", fail: 1}, window: 28d,
             owner: ana}
          - {id: mean-score, metric: mean-score, scope: {journey: get-help}, threshold: {op: ">", fail: 0}, window: 28d,
             owner: ana, min_sample: 10}
        waivers:
          - {id: w1, standard: help-fcr, touchpoints: [phone-line], justification: Queue system replaced,
             approved_by: ana, granted: 2026-11-01, expires: 2026-12-31}
        actions:
          - {id: a1, standard: help-csat, owner: ana, due: 2026-12-15, status: open, touchpoint: web-form}
        approvals:
          - {id: ap1, change: help-csat, field: threshold.fail, approved_by: ana, reason: Agreed, date: 2026-10-01}
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

CSV_HEADER = ("responded_at,closed_at,touchpoint_id,segment,score,recommend,effort,resolved_first,wait_minutes,"
              "expected,perceived")


@lru_cache(maxsize=1)
def surveys_csv() -> str:
    """One row a day per touchpoint for the year before AS_OF, values cycling deterministically."""
    end = date.fromisoformat(AS_OF)
    lines = [CSV_HEADER]
    for day in range(400):
        for i, tp in enumerate(TOUCHPOINTS):
            k = day * len(TOUCHPOINTS) + i
            at = datetime.combine(end - timedelta(days=day), datetime.min.time()) + timedelta(hours=8 + i)
            closed = at + timedelta(minutes=10 + 23 * (k % 7))
            lines.append(f"{at:%Y-%m-%d %H:%M:%S},{closed:%Y-%m-%d %H:%M:%S},{tp},{('retail', 'premier')[k % 2]},"
                         f"{1 + k % 5},{k % 11},{1 + k % 7},{'true' if k % 3 else 'false'},{5 + k % 40},"
                         f"{3 + k % 5},{2 + k % 6}")
    return "\n".join(lines) + "\n"


def spec_files(overrides: dict[str, str | bytes | None] | None = None) -> dict[str, str | bytes | None]:
    """The files of the spec folder (YAML dedented), with `overrides` (None leaves a file out)."""
    files: dict[str, str | bytes | None] = {name: textwrap.dedent(text) for name, text in SPEC.items()}
    files["data/surveys.csv"] = surveys_csv()
    files.update(overrides or {})
    return files


def write_spec(folder: Path, overrides: dict[str, str | bytes | None] | None = None) -> Path:
    return write_files(folder, spec_files(overrides))


def patched(name: str, old: str, new: str) -> dict[str, str]:
    """SPEC's `name` with `old` (which must occur) replaced by `new`, as an override."""
    text = textwrap.dedent(SPEC[name])
    assert old in text, f"{old!r} not in {name}"
    return {name: text.replace(old, new, 1)}


@dataclass(frozen=True)
class Ran:
    exit_code: int
    output: str  # stdout and stderr

    @property
    def clean(self) -> bool:
        """No internal error and no traceback."""
        return self.exit_code != 3 and "Traceback" not in self.output and "internal error" not in self.output


def cli(*args: str | Path) -> Ran:
    result = CliRunner().invoke(main, [str(a) for a in args])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        output += f"\nTraceback: {type(result.exception).__name__}: {result.exception}"
    return Ran(result.exit_code, output)


class _StrictHTML(HTMLParser):
    """Every non-void element closed in order; raises AssertionError otherwise."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    # elements HTML lets one leave open (the scorecard closes them, but the parser need not insist)
    OPTIONAL = {"p", "li", "td", "th", "tr", "thead", "tbody", "option", "dt", "dd"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack and self.stack[-1] != tag and self.stack[-1] in self.OPTIONAL:
            self.stack.pop()
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()


def assert_html(text: str) -> None:
    parser = _StrictHTML()
    parser.feed(text)
    parser.close()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert [t for t in parser.stack if t not in _StrictHTML.OPTIONAL] == [], f"left open: {parser.stack}"


@lru_cache(maxsize=1)
def _sarif_validator():
    from jsonschema import Draft7Validator

    schema = json.loads((REPO / "tests" / "report" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def assert_reports(folder: Path) -> None:
    """The reports `check_with_reports` wrote into `folder` are well-formed."""
    json.loads((folder / "out.json").read_text(encoding="utf-8"))
    ET.fromstring((folder / "out.xml").read_bytes())
    sarif = json.loads((folder / "out.sarif").read_text(encoding="utf-8"))
    errors = sorted(_sarif_validator().iter_errors(sarif), key=str)
    assert not errors, errors[0].message
    assert_html((folder / "out.html").read_text(encoding="utf-8"))
    (folder / "out.md").read_text(encoding="utf-8")


def check_with_reports(spec: Path, out: Path, *args: str | Path) -> Ran:
    """`cxgov check SPEC` writing every report into `out` (reports from a previous run removed first)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("out.json", "out.xml", "out.sarif", "out.html", "out.md"):
        (out / name).unlink(missing_ok=True)
    return cli("check", spec, "--as-of", AS_OF, "--json", out / "out.json", "--junit", out / "out.xml",
               "--sarif", out / "out.sarif", "--html", out / "out.html", "--markdown", out / "out.md", *args)
