"""`cxgov check --markdown`: a summary for CI step summaries and pull-request comments (GitHub-flavoured).

A pull-request comment holds at most 65,536 characters, so the summary is cut to a budget below that: the
headline, the counts, the data health and the footer always; then the results, most pressing first, as long as
they fit, with a line saying what was left out and where every result is. Spec text is escaped for Markdown and
paths are shown relative to the spec's folder: no absolute path of the machine that ran the check.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath
from typing import Iterable, Mapping, Sequence

from cxgov import wording
from cxgov.engine.results import FailPolicy, Result, Run
from cxgov.report import format as fmt
from cxgov.report.display import STATUS_DISPLAY_ORDER
from cxgov.spec.model import Spec
from cxgov.vocabulary import RESULT_STATUSES

ICONS = {"breach": "🔴", "error": "⛔", "warn": "🟠", "waived": "⚪", "insufficient": "❔", "pass": "🟢"}
COLUMNS = ("Status", "Severity", "Rule", "Scope", "Value", "Threshold", "n", "Owner", "Spec")
LIMIT = 65_536  # GitHub's limit on a comment body, in characters
BUDGET = 60_000  # what the summary may use: room for a bot's own header and for counting differences
CELL_MAX = 300  # characters of spec text in one cell: a long justification cannot crowd out the results
RESERVE = 1_200  # kept back for the lines that say what was left out
SECTIONS = (("attention", "Needs attention"), ("insufficient", "Not enough data"), ("pass", "Passing"))

# Characters that mean something in GitHub-flavoured Markdown (emphasis, code, links, tables, strikethrough,
# headings, math) are backslash-escaped; those of HTML become entities; line breaks become spaces.
_ESCAPES = str.maketrans({**{c: "\\" + c for c in "\\`*_[]|~#$!"}, "&": "&amp;", "<": "&lt;", ">": "&gt;",
                          "\r": " ", "\n": " "})
# An absolute path's folders, left after the spec's own folder is made relative ("/home/ci/x/" in "/home/ci/x/a").
_ABSOLUTE = re.compile(r"(?<![\w:/.~-])/(?:[^\s/|`'\"()<>]+/)+(?=[^\s/])")


def size(text: str) -> int:
    """Length as GitHub counts a comment (UTF-16 code units: an emoji counts two, never less than characters)."""
    return len(text.encode("utf-16-le")) // 2


def render(run: Run, spec: Spec | None = None, policy: FailPolicy = FailPolicy(), *,
           full_reports: Sequence[str] = (), budget: int = BUDGET) -> str:
    """The summary, at most `budget` long (see `size`). `full_reports` says where every result is (the other
    reports of the run, a link to its CI artifacts): named in the line that says what was left out."""
    paths = _Paths(run.spec_path)
    results = run.sorted_results()
    failing = [r for r in results if policy.fails(r)]
    title = spec.program.name if spec is not None else (run.program or paths.show(run.spec_path))
    counts = run.summary()
    verdict = (f"**{wording.counted(len(failing), 'result fails', 'results fail')} the check**" if failing
               else "**No result fails the check**")
    head = [f"## cxgov check: {_text(title)}, as of {run.as_of.isoformat()}", "",
            f"{verdict} (fail on {policy.fail_on}, from severity {policy.min_severity}).", "",
            " · ".join(f"{ICONS[s]} {counts[s]} {s}" for s in RESULT_STATUSES), ""]
    if run.findings:
        names = ", ".join(f"`{_plain(h.source)}`" for h in run.findings)
        head += [f"⛔ **Data finding** in source {names}: see [Data](#data) below.", ""]
    tail = _health(run, paths)
    commit = f" · commit `{run.git_commit[:12]}`" if run.git_commit else ""
    tail.append(f"<sub>spec {_text(paths.show(run.spec_path))} `{run.spec_digest[:19]}`{commit} · "
                f"data `{run.data_digest[:19]}` · cxgov {run.cxgov_version}</sub>")
    where = _where(full_reports)
    left = budget - size("\n".join(head + tail)) - RESERVE
    body: list[str] = []
    omitted: Counter[str] = Counter()
    for key, heading in SECTIONS:
        group = [r for r in results if _section(r) == key]
        if not group:
            continue
        lines, shown = _table(group, paths, left - size(heading) - 40)
        left -= sum(size(line) + 1 for line in lines)
        rest = Counter(r.status for r in group[shown:])
        omitted += rest
        if rest:
            lines += ["", f"… and {sum(rest.values()):,} more not shown here ({_count(rest)}): {where}."]
        if key == "attention":
            body += [f"### {heading}", "", *lines, ""]
        else:
            body += [f"<details><summary>{heading} ({len(group)})</summary>", "", *lines, "", "</details>", ""]
    if omitted:
        total = sum(omitted.values())
        head += [f"> This summary leaves out {total:,} of {len(results):,} results ({_count(omitted)}) to stay "
                 f"within the {LIMIT:,}-character limit of a pull-request comment: {where}.", ""]
    return "\n".join(head + body + tail) + "\n"


def _section(result: Result) -> str:
    return result.status if result.status in ("pass", "insufficient") else "attention"


def _count(statuses: Mapping[str, int]) -> str:
    return ", ".join(f"{statuses[s]:,} {s}" for s in STATUS_DISPLAY_ORDER if statuses.get(s))


def _where(full_reports: Sequence[str]) -> str:
    if full_reports:
        return "every result is in " + ", ".join(full_reports)
    return "`cxgov check --json PATH` (or `--html`, `--junit`, `--sarif`) writes every result"


def where_from(paths: Iterable[str | None], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The Markdown naming the reports written beside the summary (relative paths; the file name of one given
    as an absolute path) and, on GitHub Actions, a link to the workflow run that keeps them as artifacts."""
    names = [f"`{_plain(p if not PurePath(p).is_absolute() else PurePath(p).name)}`" for p in paths if p and p != "-"]
    server, repo, run_id = (environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    if names and server and repo and run_id.isdigit():
        names.append(f"the artifacts of [this workflow run]({server.rstrip('/')}/{repo}/actions/runs/{run_id})")
    return tuple(names)


def _table(results: list[Result], paths: _Paths, room: int) -> tuple[list[str], int]:
    """The table of as many of `results` (in order) as fit in `room`, and how many that is."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    room -= sum(size(line) + 1 for line in lines)
    shown = 0
    for r in results:
        rows = _rows(r, paths)
        cost = sum(size(row) + 1 for row in rows)
        if cost > room:
            break
        lines += rows
        room -= cost
        shown += 1
    return (lines if shown else []), shown


def _rows(r: Result, paths: _Paths) -> list[str]:
    value = "—" if r.status == "error" else fmt.in_units(r.value, r)
    cells = [f"{ICONS[r.status]} {fmt.status(r)}", r.severity, _rule(r), fmt.scope(r), value,
             wording.threshold(r.threshold), str(r.n), r.owner or "", paths.show(fmt.location(r))]
    rows = ["| " + " | ".join(_cell(c) for c in cells) + " |"]
    for detail in _details(r):
        rows.append("| | | " + _cell(paths.show(detail)) + " |" + " |" * (len(COLUMNS) - 3))
    return rows


def _rule(result: Result) -> str:
    return f"{result.rule_name} ({result.rule})" if result.rule_name else result.rule


def _details(result: Result) -> list[str]:
    details = []
    if result.waiver is not None and result.waiver.active and result.status == "waived":
        details.append(f"↳ waiver {result.waiver.id} until {result.waiver.expires.isoformat()}: "
                       f"{result.waiver.justification}")
    if result.status in ("breach", "warn", "waived"):
        details += [f"↳ action {a.id} ({a.status}, due {a.due.isoformat()}{', overdue' if a.overdue else ''}, "
                    f"owner {a.owner})" + (f": {a.description}" if a.description else "") for a in result.actions]
    if result.status in ("breach", "error", "warn"):
        details += [f"↳ {note}" for note in result.notes]
    return details


def _health(run: Run, paths: _Paths) -> list[str]:
    if not run.health:
        return []
    lines = ["### Data", "", "| Source | Rows the evaluation could not use |", "|---|---|"]
    for h in run.health:
        finding = f" · **finding:** {_cell(paths.show(h.finding))}" if h.finding else ""
        lines.append(f"| {'⛔ ' if h.finding else ''}{_cell(h.source)} | {_cell(fmt.health(h))}{finding} |")
    return lines + [""]


def _cell(text: str) -> str:
    """Spec or data text inside a table cell: cut to CELL_MAX characters, escaped."""
    return _text(text if len(text) <= CELL_MAX else text[:CELL_MAX - 1].rstrip() + "…")


def _text(text: str) -> str:
    """Text that reads as itself in GitHub-flavoured Markdown, in a table cell or a paragraph: no emphasis, code,
    link, HTML, strikethrough or math made from it, no pipe that splits a cell, no line break that ends a row."""
    return text.translate(_ESCAPES)


def _plain(text: str) -> str:
    """Text for inside a code span, where backslash escapes do not work: no backtick, pipe or line break."""
    return text.replace("`", "'").replace("|", "/").replace("\r", " ").replace("\n", " ")


class _Paths:
    """Paths as a reader of the comment should see them: relative to the folder that holds the spec folder
    ("specs/standards.yaml:12"), and of any other absolute path only its last part."""

    def __init__(self, spec_path: str):
        parent = PurePath(spec_path).parent
        self._prefix = f"{parent}/" if parent.is_absolute() and parent != PurePath(parent.anchor) else None

    def show(self, text: str) -> str:
        if self._prefix:
            text = text.replace(self._prefix, "")
        return _ABSOLUTE.sub("…/", text)
