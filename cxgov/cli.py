"""The `cxgov` command line: parse options, call the library, write outputs, choose the exit code.

Heavy modules (duckdb, jinja2, jsonschema) are imported inside the commands that need them, so that
`cxgov --version` and `cxgov --help` stay fast.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn, ParamSpec, TypeVar

import click

from cxgov import __version__, vocabulary
from cxgov.engine.results import FailPolicy
from cxgov.errors import CxgovError, ExitCode

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from cxgov.engine.check import Checked
    from cxgov.engine.results import Run
    from cxgov.spec.model import Spec

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SPEC = "specs"


BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader has gone


def _fail(message: str, code: ExitCode) -> NoReturn:
    from cxgov import progress

    progress.close_all()  # a progress line would run into the message
    click.echo(f"cxgov: error: {message}", err=True)
    sys.exit(int(code))


def command_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn CxgovError into a clear message and its exit code; anything else into exit 3 (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except CxgovError as exc:
            if debug:
                traceback.print_exc()
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", ExitCode.INTERNAL)
        except BrokenPipeError:
            # The reader went away (`cxgov check | head`): stop quietly, as other command-line tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(BROKEN_PIPE)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
            if debug:
                traceback.print_exc()
            _fail(f"internal error: {type(exc).__name__}: {exc} (run again with --debug for a traceback, "
                  "and please report it)", ExitCode.INTERNAL)

    return wrapper


class CxgovGroup(click.Group):
    """Bad usage exits 2 (click's default) with a short message."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(super().list_commands(ctx))


spec_argument = click.argument("spec", default=DEFAULT_SPEC, type=click.Path(path_type=Path))
allow_root_option = click.option(
    "--allow-root", "allow_roots", multiple=True, metavar="DIR", type=click.Path(path_type=Path, file_okay=False),
    help="Also read files inside DIR, outside the spec's repository: a source's `path:`, linked spec files "
         f"(repeatable; also the CXGOV_ALLOW_ROOTS variable, folders separated by '{os.pathsep}').")


def _data_target(ctx: click.Context, param: click.Parameter, value: str | None) -> str | Path | None:
    """--data: a DuckDB file as a Path, any other form (postgresql://, spark:..., sc://) as the text given."""
    from cxgov.data.engines.url import parse
    from cxgov.errors import UsageError

    if value is None or not value.strip():
        return None
    try:
        target = parse(value)
    except UsageError as exc:
        raise click.BadParameter(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from None
    return target.path if target.engine == "duckdb" else value.strip()


def data_option(help_text: str) -> Callable[[F], F]:
    """--data DATA (default: the CXGOV_DATA variable), read-only, on any engine."""
    return click.option("--data", metavar="DATA", envvar="CXGOV_DATA", callback=_data_target,
                        help=help_text + " DATA is a DuckDB file, postgresql://[USER@]HOST[:PORT]/DB, "
                                         "spark:local[N], spark://HOST:PORT or sc://HOST:PORT (default: the "
                                         "CXGOV_DATA variable).")


def _allowed(values: tuple[Path, ...]) -> tuple[Path, ...]:
    """The folders of --allow-root and of CXGOV_ALLOW_ROOTS; one that is not a folder is a usage error."""
    from cxgov.errors import UsageError
    from cxgov.spec import confine

    found = [(f"--allow-root {value}", Path(value)) for value in values]
    found += [(f"{confine.ENV} entry '{name}'", Path(name)) for name in confine.env_roots()]
    for what, folder in found:
        if not folder.is_dir():
            raise UsageError(f"{what}: {folder} is not a folder",
                             hint="allow an existing folder, the one that holds the files the spec reads")
    return tuple(folder for _, folder in found)


if TYPE_CHECKING:
    _DayType = click.ParamType[datetime]  # generic from click 8.4 on; the run time subclasses the plain class
else:
    _DayType = click.ParamType


class DateParam(_DayType):
    """A calendar day written YYYY-MM-DD, as a datetime at midnight; the message says how to write one."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        from cxgov.spec.bounds import date_problem

        if isinstance(value, datetime):
            return value
        try:
            day = datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            shaped = len(value) == 10 and value[4] == value[7] == "-"
            what = "is not a real date" if shaped else "is not a date"
            self.fail(f"{value!r} {what}: write it YYYY-MM-DD, e.g. 2026-11-20", param, ctx)
        problem = date_problem(day.date())
        if problem:
            self.fail(f"{value!r} {problem}", param, ctx)
        return day


DATE = DateParam()


# far past what one machine generates in a day, and within the 64-bit counts the generating statements use
GENERATED_ROWS = click.IntRange(min=1, max=10**12)


class NumberRange(click.FloatRange):
    """A number in a range, as click.FloatRange, and never NaN (which every comparison with a bound lets through)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


def console() -> NoReturn:
    """The `cxgov` program (and `python -m cxgov`): the command line, then the process ends at once
    (speed.exit_now), with the command's exit code."""
    from cxgov import speed

    speed.releasing_beside()  # the process ends with the command: connections may finish closing meanwhile
    try:
        main(prog_name="cxgov")
    except SystemExit as exc:
        # ended here, while the exception still holds the command's frames: what they made (a large Run) is
        # never freed, object by object, on the way out
        if exc.code is None or isinstance(exc.code, int):
            speed.exit_now(exc.code or 0)
        click.echo(exc.code, err=True)
        speed.exit_now(1)
    speed.exit_now(0)


@click.group(cls=CxgovGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="cxgov")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def main(debug: bool) -> None:
    """cxgov: customer-experience governance as code.

    Validate CX governance specs, check quality standards and KPIs against metric data, and render the
    scorecard and RACI report auditors read.
    """


@main.command("validate", short_help="Check a spec folder; every problem as file:line:column.")
@spec_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the diagnostics as records, for editors and other tools.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--today", type=DATE, metavar="DATE",
              help="Validation date for expiry and overdue checks (default: today in the program time zone).")
@allow_root_option
@command_errors
def validate_command(spec: Path, fmt: str, strict: bool, today: datetime | None, allow_roots: tuple[Path, ...] = ()) -> None:
    """Check a spec folder; report every problem as file:line:column, sorted by file and line."""
    sys.exit(_validate(spec, fmt, strict, today, allow_roots))


def _validate(spec: Path, fmt: str = "text", strict: bool = False, today: datetime | None = None,
              allow_roots: tuple[Path, ...] = ()) -> int:
    """`cxgov validate`: print the diagnostics and return the exit code."""
    import json as _json

    from cxgov.spec.api import validate

    result = validate(spec, today.date() if today else None, allow=_allowed(allow_roots))
    if fmt == "json":
        click.echo(_json.dumps(result.to_dict(), indent=2))
    else:
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.format())
        click.echo(result.summary())
    failed = bool(result.errors) or (strict and bool(result.warnings))
    return int(ExitCode.FOUND if failed else ExitCode.OK)


def _rendering() -> AbstractContextManager[None]:
    """While reports are rendered, the garbage collector leaves the objects that exist already (the spec, the
    Run) alone: otherwise each full collection the renderers' many small objects trigger walks the whole Run
    again, about a third of a 20,000-result scorecard's time."""
    from cxgov import speed

    return speed.existing_frozen()


def _write_output(path: str, text: str) -> None:
    """Write a report to PATH (parents created), or to stdout for "-"."""
    from cxgov.errors import UsageError

    if path == "-":
        click.echo(text, nl=False)
        return
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"cannot write {target}: it is a folder",
                         hint=f"give the path of a file inside it, e.g. {target.as_posix().rstrip('/')}/<name>")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}",
                         hint="choose a path in a folder you can write to") from None


def _rule_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """--rule a --rule b,c -> (a, b, c)."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@main.command("check")
@spec_argument
@data_option("Where the metric data lives, opened read-only (not needed when every source reads files with "
             "`path:`).")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="Evaluate as of this date (default: today in the program time zone).")
@click.option("--json", "json_path", metavar="PATH", help="Write the result records as JSON ('-': stdout).")
@click.option("--junit", "junit_path", metavar="PATH", help="Write a JUnit XML report ('-': stdout).")
@click.option("--sarif", "sarif_path", metavar="PATH",
              help="Write SARIF 2.1.0 for code scanning ('-': stdout): the results that need attention (breaches, "
                   "warns with --fail-on warn, rules that could not be evaluated).")
@click.option("--sarif-all", "sarif_all", is_flag=True,
              help="Put every result into the SARIF, passes, waived and insufficient ones too, each with its "
                   "suppressions (for SARIF viewers; GitHub code scanning ignores suppressions).")
@click.option("--markdown", "markdown_path", metavar="PATH",
              help="Write a Markdown summary for CI step summaries and PR comments ('-': stdout).")
@click.option("--html", "html_path", metavar="PATH",
              help="Write the governance scorecard, one self-contained HTML file ('-': stdout).")
@click.option("--fail-on", type=click.Choice(vocabulary.FAIL_ON), default="breach", show_default=True,
              help="Exit 1 on an unwaived breach, also on a warn, or never.")
@click.option("--min-severity", type=click.Choice(vocabulary.SEVERITIES), default="low",
              show_default=True, help="Only results of rules of this severity or higher fail the check.")
@click.option("--rule", "rules", multiple=True, metavar="ID",
              help="Evaluate only this standard or KPI (repeatable, or comma-separated).")
@click.option("--max-unattributed", type=NumberRange(0, 100), default=5.0, show_default=True,
              metavar="PERCENT",
              help="Share of a source's rows in the window that may match no touchpoint of the spec before the "
                   "source's data is a finding.")
@click.option("--data-findings", type=click.Choice(vocabulary.DATA_FINDINGS), default="error",
              show_default=True,
              help="A data finding (rows that cannot be attributed to touchpoints, unreadable timestamps) exits "
                   "2 (error), or fails the check like a breach, or like a warn (see --fail-on).")
@click.option("-v", "--verbose", is_flag=True,
              help="List every result, passes too (by default: per rule its counts and its 5 worst results).")
@click.option("--record", "record_path", type=click.Path(path_type=Path), metavar="HISTORY",
              help="Also store this run in the run history HISTORY (a DuckDB file, created when missing).")
@click.option("--lock-timeout", type=NumberRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
              help="With --record: how long to wait while another process writes the history.")
@allow_root_option
@command_errors
def check_command(spec: Path, data: Path | str | None, as_of: datetime | None, json_path: str | None, junit_path: str | None,
                  sarif_path: str | None, markdown_path: str | None, fail_on: str, min_severity: str,
                  rules: tuple[str, ...], verbose: bool, record_path: Path | None = None,
                  lock_timeout: float = 30.0, html_path: str | None = None, max_unattributed: float = 5.0,
                  data_findings: str = "error", allow_roots: tuple[Path, ...] = (),
                  sarif_all: bool = False) -> None:
    """Evaluate the standards and KPIs of SPEC against metric data.

    Exit 0 when nothing fails, 1 on an unwaived breach (see --fail-on, --min-severity), 2 when the spec is
    invalid, the data cannot be read, or a rule could not be evaluated.
    """
    reports = Reports(json_path, junit_path, sarif_path, markdown_path, html_path)
    # what check made stays referenced until the process ends (console says why)
    code, _ = _check(spec, data, as_of, reports, FailPolicy(fail_on, min_severity, data_findings), _rule_ids(rules),
                     verbose=verbose, record_path=record_path, lock_timeout=lock_timeout,
                     max_unattributed=max_unattributed, allow_roots=allow_roots, sarif_all=sarif_all)
    sys.exit(code)


@dataclass(frozen=True)
class Reports:
    """Where `check` writes each report (None: not written, "-": stdout)."""

    json: str | None = None
    junit: str | None = None
    sarif: str | None = None
    markdown: str | None = None
    html: str | None = None


def _check(spec: Path, data: Path | str | None, as_of: datetime | None, reports: Reports, policy: FailPolicy,
           rule_ids: tuple[str, ...] = (), *, verbose: bool = False, record_path: Path | None = None,
           lock_timeout: float = 30.0, max_unattributed: float = 5.0, allow_roots: tuple[Path, ...] = (),
           sarif_all: bool = False) -> tuple[int, Checked]:
    """`cxgov check`: evaluate, write the reports and the summary; the exit code, and the spec and its Run."""
    from cxgov import speed
    from cxgov.engine.check import check
    from cxgov.errors import UsageError
    from cxgov.progress import Progress
    from cxgov.report import text

    paths = (reports.json, reports.junit, reports.sarif, reports.markdown, reports.html)
    if sum(path == "-" for path in paths) > 1:
        raise UsageError("only one report can be written to stdout ('-')", hint="give the others file paths")
    progress = Progress()  # on a terminal only; closed before anything else is written
    ahead = None
    if reports.json:
        from cxgov.report import json

        ahead = json.Ahead()  # the JSON lines of a scan's results, written while another still runs
    checked = check(spec, data, as_of.date() if as_of else None, rules=rule_ids, allow=_allowed(allow_roots),
                    max_unattributed=max_unattributed, evidence=reports.html is not None,
                    checkout=reports.sarif is not None, progress=progress,
                    while_scanning=ahead.add if ahead is not None else None)
    loaded, run = checked.spec, checked.run
    # the scorecard shows trends from the history this run is recorded into, once it has runs
    trends_from = record_path if record_path is not None and record_path.is_file() else None

    # each report a function of the same Run, its module imported only when the report is asked for
    def json_report() -> str:
        from cxgov.report import json

        return json.render(run, ahead)

    def junit_report() -> str:
        from cxgov.report import junit

        return junit.render(run, policy)

    def sarif_report() -> str:
        from cxgov.report import sarif

        return sarif.render(run, loaded, policy, sarif_all)

    def markdown_report() -> str:
        from cxgov.report import markdown

        return markdown.render(run, loaded, policy, full_reports=markdown.where_from(
            (reports.json, reports.html, reports.junit, reports.sarif), os.environ))

    outputs: list[tuple[str | None, Callable[[], str]]] = [
        (reports.json, json_report), (reports.junit, junit_report), (reports.sarif, sarif_report),
        (reports.markdown, markdown_report), (reports.html, lambda: _scorecard(run, loaded, history_path=trends_from))]
    # each report is written to its file beside this thread, which renders the next one meanwhile
    with _rendering(), speed.beside(1, "cxgov-write") as writer:
        written = []
        for path, render in outputs:
            if path:
                progress(f"writing {path}")
                written.append(writer.submit(_write_output, path, render()))
        summary = None if "-" in paths else text.render(run, loaded, verbose=verbose, policy=policy)
        for done in written:
            done.result()  # its UsageError, if the file could not be written
    progress.close()
    if record_path is not None:
        from cxgov.audit import history

        run_id = history.record(run, record_path, timeout=lock_timeout)
        click.echo(f"cxgov: recorded as run {run_id} in {record_path}", err=True)
    if summary is not None:
        click.echo(summary, nl=False)
    for line in text.problems(run, policy):
        click.echo(line, err=True)
    outcome = policy.outcome(run)
    return int(ExitCode.CANNOT_RUN if outcome == "cannot-run" else ExitCode.FOUND if outcome == "fails"
               else ExitCode.OK), checked


@main.command("explain", short_help="Show the windows and SQL behind a rule's numbers.")
@click.argument("rule_id", metavar="RULE")
@spec_argument
@data_option("Where the metric data lives: adds the whole SQL statement and the engine's plan.")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="Explain as of this date (default: today in the program time zone).")
@allow_root_option
@command_errors
def explain_command(rule_id: str, spec: Path, data: Path | str | None, as_of: datetime | None, allow_roots: tuple[Path, ...] = ()) -> None:
    """Show how RULE (a standard, KPI or problems analysis id) is evaluated: its windows and the SQL behind its
    numbers."""
    from cxgov.engine import windows
    from cxgov.engine.explain import explain
    from cxgov.spec.api import load_spec

    loaded = load_spec(spec, as_of.date() if as_of else None, allow=_allowed(allow_roots))
    day = as_of.date() if as_of else windows.today(loaded.program.timezone)
    click.echo(explain(loaded, rule_id, day, data), nl=False)


def _generated_at(text: str | None) -> datetime:
    """--generated-at: the time written into a report (ISO 8601; UTC when it has no zone); default now."""
    from datetime import datetime, timezone

    from cxgov.errors import UsageError

    if text is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise UsageError(f"--generated-at {text!r} is not an ISO 8601 date and time",
                         hint="e.g. --generated-at 2026-11-21T08:30:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _evaluate_for_report(spec: Path, data: Path | str | None, as_of: datetime | None, evidence: bool = True,
                         allow_roots: tuple[Path, ...] = ()) -> tuple[Spec, Run]:
    """Load SPEC and evaluate every rule as of the date, with the SQL behind each one (for the evidence)."""
    from cxgov.engine.check import check
    from cxgov.progress import Progress

    with Progress() as progress:
        checked = check(spec, data, as_of.date() if as_of else None, allow=_allowed(allow_roots),
                        evidence=evidence, progress=progress)
    return checked.spec, checked.run


def _scorecard(run: Run, loaded: Spec, generated_at: str | None = None, history_path: Path | None = None) -> str:
    from cxgov.report import html

    trends = None
    if history_path is not None:
        from cxgov.audit import history

        trends = history.trends(history_path, run)
    return html.scorecard(run, loaded, _generated_at(generated_at), trends)


def _write_report(out: str, text: str) -> None:
    _write_output(out, text)
    if out != "-":
        click.echo(f"cxgov: wrote {out}", err=True)


report_options = {
    "data": data_option("Where the metric data lives, opened read-only."),
    "as_of": click.option("--as-of", "as_of", type=DATE, metavar="DATE",
                          help="Evaluate as of this date (default: today in the program time zone)."),
    "out": click.option("--out", "out", required=True, metavar="PATH", help="The file to write ('-': stdout)."),
    "generated_at": click.option("--generated-at", "generated_at", metavar="TIMESTAMP",
                                 help="The generation time written into the report, ISO 8601 (default: now); "
                                      "fix it for byte-identical reports."),
    "allow_root": allow_root_option,
}


@main.group("report", cls=CxgovGroup, short_help="Render the scorecard, the RACI report, the journey map or OSCAL.")
def report_group() -> None:
    """Render the governance scorecard, the RACI report and the journey map (self-contained HTML), or the OSCAL
    assessment plan and results that GRC tools import.

    A report is written whatever it shows: exit 0 when written, 2 when the spec is invalid or the data cannot be
    read. `cxgov check` is the gate that fails on breaches.
    """


@report_group.command("scorecard", short_help="The governance scorecard auditors read.")
@spec_argument
@report_options["data"]
@report_options["as_of"]
@report_options["out"]
@report_options["generated_at"]
@click.option("--history", "history_path", type=click.Path(path_type=Path), metavar="HISTORY",
              help="A run history (check --record): show each result's last runs and since when it is breached.")
@report_options["allow_root"]
@command_errors
def report_scorecard_command(spec: Path, data: Path | str | None, as_of: datetime | None, out: str, generated_at: str | None,
                             history_path: Path | None = None, allow_roots: tuple[Path, ...] = ()) -> None:
    """The governance scorecard: intent, KPIs, standards, breaches with their actions and waivers, evidence."""
    _generated_at(generated_at)  # bad usage fails before the evaluation
    loaded, run = _evaluate_for_report(spec, data, as_of, allow_roots=allow_roots)
    with _rendering():
        _write_report(out, _scorecard(run, loaded, generated_at, history_path))


@report_group.command("raci", short_help="Who is responsible, accountable, consulted and informed.")
@spec_argument
@report_options["out"]
@click.option("--format", "fmt", type=click.Choice(vocabulary.RACI_FORMATS),
              help="Output format (default: from the extension of --out).")
@report_options["generated_at"]
@report_options["allow_root"]
@command_errors
def report_raci_command(spec: Path, out: str, fmt: str | None, generated_at: str | None,
                        allow_roots: tuple[Path, ...] = ()) -> None:
    """Who is responsible, accountable, consulted and informed: matrices, findings and each owner's load."""
    _raci(spec, out, fmt, generated_at, allow_roots)


def _raci(spec: Path, out: str, fmt: str | None = None, generated_at: str | None = None,
          allow_roots: tuple[Path, ...] = ()) -> None:
    from cxgov.report import raci
    from cxgov.spec.api import load_spec

    chosen = raci.format_for(out, fmt)
    moment = _generated_at(generated_at)
    _write_report(out, raci.render(load_spec(spec, allow=_allowed(allow_roots)), chosen, moment))


@report_group.command("journeys", short_help="The journeys as stages × channels grids, by status.")
@spec_argument
@report_options["data"]
@report_options["as_of"]
@report_options["out"]
@report_options["generated_at"]
@report_options["allow_root"]
@command_errors
def report_journeys_command(spec: Path, data: Path | str | None, as_of: datetime | None, out: str, generated_at: str | None,
                            allow_roots: tuple[Path, ...] = ()) -> None:
    """The touchpoint inventory as a stages × channels grid per journey.

    With --data (or --as-of), each touchpoint is coloured by the worst status of its standards; without, the
    inventory alone.
    """
    _journeys(spec, data, as_of, out, generated_at, allow_roots)


def _journeys(spec: Path, data: Path | str | None, as_of: datetime | None, out: str, generated_at: str | None = None,
              allow_roots: tuple[Path, ...] = ()) -> None:
    from cxgov.report import journeys
    from cxgov.spec.api import load_spec

    moment = _generated_at(generated_at)
    if data is None and as_of is None:
        loaded, run = load_spec(spec, allow=_allowed(allow_roots)), None
    else:
        loaded, run = _evaluate_for_report(spec, data, as_of, evidence=False, allow_roots=allow_roots)
    _write_report(out, journeys.html(loaded, run, moment))


@report_group.command("oscal", short_help="OSCAL 1.1 assessment plan and results for GRC tools.")
@spec_argument
@report_options["data"]
@report_options["as_of"]
@click.option("--out", "out", required=True, metavar="DIR", type=click.Path(path_type=Path),
              help="The folder to write assessment-plan.json and assessment-results.json into (created when "
                   "missing).")
@click.option("--generated-at", "generated_at", metavar="TIMESTAMP",
              help="The time written into the documents, ISO 8601 (default: the end of the as-of day in the "
                   "program time zone, so the same inputs give byte-identical files).")
@report_options["allow_root"]
@command_errors
def report_oscal_command(spec: Path, data: Path | str | None, as_of: datetime | None, out: Path, generated_at: str | None,
                         allow_roots: tuple[Path, ...] = ()) -> None:
    """The run as an OSCAL 1.1 assessment plan and assessment results (JSON) in the folder DIR.

    Each standard and KPI is an assessment objective, each result an observation with its evidence, each unwaived
    breach a finding, each active waiver an approved deviation, each action a remediation (docs/audit.md).
    """
    from cxgov.errors import UsageError
    from cxgov.report import oscal

    moment = _generated_at(generated_at) if generated_at is not None else None  # bad usage fails first
    if str(out) == "-" or (out.exists() and not out.is_dir()):
        raise UsageError(f"--out {out}: the OSCAL documents are two files and need a folder",
                         hint=f"give a folder to write {oscal.PLAN_FILE} and {oscal.RESULTS_FILE} into, "
                              "e.g. --out out/oscal")
    loaded, run = _evaluate_for_report(spec, data, as_of, allow_roots=allow_roots)
    with _rendering():
        documents = oscal.documents(run, loaded, moment)
    for name, text in documents.items():
        _write_report(str(out / name), text)


@main.command("rules", short_help="List the validator's rules: code, severity, what each finds.")
@click.option("--markdown", is_flag=True, help="Print docs/rules.md (the rule reference) instead of a table.")
def rules_command(markdown: bool) -> None:
    """List the validator's rules: code, severity and what each one finds."""
    from cxgov.spec import rules

    if markdown:
        click.echo(rules.markdown(), nl=False)
        return
    for rule in rules.RULES.values():
        click.echo(f"{rule.code}  {rule.severity:<7}  {rule.summary}")


@main.command("schema", short_help="Print the JSON Schema of spec files.")
@command_errors
def schema_command() -> None:
    """Print the JSON Schema of spec files (for editors and other tools)."""
    from cxgov.resources import schema_path

    click.echo(schema_path("cxgov-spec-v1.json").read_text(encoding="utf-8"), nl=False)


@main.group("data", cls=CxgovGroup, short_help="Load CSV/Parquet into DuckDB, or generate example data.")
def data_group() -> None:
    """Put metric data into a DuckDB file: load CSV/Parquet files, or generate realistic example data."""


@data_group.command("load", short_help="Load CSV or Parquet files into a source's table.")
@click.argument("source", metavar="SOURCE")
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), metavar="DB",
              help="The DuckDB file to load into (created if absent).")
@click.option("--spec", "spec", default=DEFAULT_SPEC, show_default=True, type=click.Path(path_type=Path),
              help="The spec folder that declares SOURCE.")
@click.option("--delimiter", metavar="CHAR", help="CSV field delimiter, one character, 'tab' for a tab (default ',', tab for .tsv).")
@click.option("--encoding", metavar="NAME", help="CSV text encoding: utf-8 (default), latin-1, utf-16 or utf-32 "
                                                 "(a BOM decides by itself).")
@click.option("--dry-run", is_flag=True, help="Check and count in memory: no file is created or written.")
@allow_root_option
@command_errors
def data_load_command(source: str, files: tuple[Path, ...], db: Path, spec: Path, delimiter: str | None,
                      encoding: str | None, dry_run: bool, allow_roots: tuple[Path, ...] = ()) -> None:
    """Load CSV or Parquet FILEs into the table of SOURCE, all or nothing.

    Rows that fail a check go to <table>_rejected with the reason; a file loaded before is skipped; with a
    `key:` on the source, rows whose key is already loaded are skipped as duplicates.
    """
    from cxgov.data import ingest
    from cxgov.progress import Progress
    from cxgov.spec.api import load_spec

    loaded = load_spec(spec, allow=_allowed(allow_roots))
    with Progress() as progress:
        if dry_run:
            report = ingest.dry_run(loaded, source, list(files), db, delimiter=delimiter, encoding=encoding,
                                    progress=progress)
        else:
            report = ingest.load(loaded, source, list(files), db, delimiter=delimiter, encoding=encoding,
                                 progress=progress)
    for line in ingest.summary(report):
        click.echo(line)


@data_group.command("generate", short_help="Write realistic synthetic data for a spec's sources.")
@click.option("--db", "db", required=True, type=click.Path(path_type=Path), metavar="DB",
              help="The DuckDB file to write (created if absent; generated tables are replaced).")
@click.option("--spec", "spec", default=DEFAULT_SPEC, show_default=True, type=click.Path(path_type=Path),
              help="The spec folder whose sources and metrics shape the data.")
@click.option("--rows", type=GENERATED_ROWS, default=300_000, show_default=True, metavar="N",
              help="Rows in total, over all generated tables.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="Last day of the 12 months of history (default: today in the program time zone).")
@click.option("--exclude", multiple=True, metavar="SOURCE", help="A source to leave out (repeatable).")
@allow_root_option
@command_errors
def data_generate_command(db: Path, spec: Path, rows: int, seed: int, as_of: datetime | None, exclude: tuple[str, ...],
                          allow_roots: tuple[Path, ...] = ()) -> None:
    """Write synthetic metric data for every source of the --spec folder with a `table:`, deterministic for a
    seed."""
    _generate(db, spec, rows, seed, as_of, exclude, allow_roots)


def _generate(db: Path, spec: Path, rows: int, seed: int, as_of: datetime | None, exclude: tuple[str, ...] = (),
              allow_roots: tuple[Path, ...] = ()) -> None:
    from cxgov.data.generate import generate
    from cxgov.progress import Progress
    from cxgov.spec.api import default_today, load_spec

    loaded = load_spec(spec, allow=_allowed(allow_roots))
    day = as_of.date() if as_of else default_today(loaded)
    with Progress() as progress:
        written = generate(loaded, db, rows=rows, seed=seed, as_of=day, exclude=exclude, progress=progress)
    for table, count in written.items():
        click.echo(f"{table}: {count:,} rows")
    click.echo(f"wrote {sum(written.values()):,} rows to {db} (seed {seed}, history to {day.isoformat()})")


@main.command("init")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@command_errors
def init_command(folder: Path) -> None:
    """Write a small starter spec into DIR (never overwrites a file)."""
    from datetime import date

    from cxgov.spec import starter

    for path in starter.write(folder, date.today()):
        click.echo(f"wrote {path.as_posix()}")
    click.echo(f"next: cxgov validate {folder.as_posix()}")


@main.command("history", short_help="List recorded runs, or one rule's values across them.")
@click.argument("history_path", metavar="HISTORY", type=click.Path(path_type=Path))
@click.option("--rule", "rule", metavar="ID", help="Show one standard's or KPI's value and status in every run.")
@click.option("--scope", "scope", metavar="KEY=VALUE", multiple=True,
              help="With --rule: only this scope, e.g. touchpoint=web-chat (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the runs or points as records.")
@click.option("--lock-timeout", type=NumberRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait while another process writes the history.")
@command_errors
def history_command(history_path: Path, rule: str | None, scope: tuple[str, ...], fmt: str,
                    lock_timeout: float) -> None:
    """List the runs recorded with `check --record HISTORY`, or one rule's values across them."""
    from cxgov.audit import history
    from cxgov.errors import UsageError
    from cxgov.report.history import render_rule_history, render_runs

    if scope and not rule:
        raise UsageError("--scope needs --rule", hint="e.g. cxgov history HISTORY --rule ID --scope touchpoint=web")
    if rule:
        key = history.parse_scope(scope) if scope else None
        points = history.rule_history(history_path, rule, key, timeout=lock_timeout)
        click.echo(render_rule_history(rule, key, points, fmt), nl=False)
    else:
        click.echo(render_runs(history.runs(history_path, timeout=lock_timeout), fmt, history_path,
                               history.SCHEMA_VERSION), nl=False)


@main.command("diff", short_help="What changed in governance between two git refs or folders.")
@click.argument("base", metavar="BASE")
@click.argument("head", metavar="[HEAD]", required=False)
@click.option("--spec-dir", type=click.Path(path_type=Path), default=DEFAULT_SPEC, show_default=True,
              help="The spec folder, in the working tree of the git repository that holds it.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="markdown: for a pull-request comment.")
@click.option("--fail-on-loosening", is_flag=True, help="Exit 1 when a change loosens governance without an approval.")
@command_errors
def diff_command(base: str, head: str | None, spec_dir: Path, fmt: str, fail_on_loosening: bool) -> None:
    """What changed in governance from BASE to HEAD: standards, thresholds, windows, coverage, waivers, owners.

    BASE and HEAD are git refs of the repository holding the spec (HEAD defaults to the working tree), or two spec
    folders. Changes that loosen governance are listed first, with the approvals that cover them.
    """
    from cxgov.audit import diff
    from cxgov.report.diff import RENDERERS

    result = diff.run(base, head, spec_dir)
    click.echo(RENDERERS[fmt](result), nl=False)
    sys.exit(int(ExitCode.FOUND if fail_on_loosening and result.unapproved else ExitCode.OK))


def _step(title: str, run: Callable[[], int | None], allowed: tuple[int, ...] = (0,), note: str = "") -> int:
    """Run one step of the demo (a command's function); stop the demo when it fails or exits with a code not in
    `allowed`."""
    click.secho(f"\n== {title}", bold=True)
    if note:
        click.echo(note)
    try:
        code = run() or 0
    except CxgovError as exc:
        from cxgov import progress

        progress.close_all()
        click.echo(f"cxgov: error: {exc}", err=True)
        _fail(f"demo stopped: step '{title}' failed", exc.exit_code)
    if code not in allowed:
        _fail(f"demo stopped: step '{title}' exited with code {code}", ExitCode(code) if code in (1, 2, 3)
              else ExitCode.INTERNAL)
    return code


@main.command("demo", short_help="The whole job, end to end, on the example program.")
@spec_argument
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Folder for the example database and every report.")
@click.option("--as-of", "as_of", type=DATE, metavar="DATE",
              help="Evaluate as of this date (default: today in the program time zone).")
@click.option("--rows", type=GENERATED_ROWS, default=300_000, show_default=True, metavar="N",
              help="How many rows of example data to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the example data.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="End with the check's exit code (1 on a breach, 2 on a rule that could not be evaluated), as a "
                   "CI job would, instead of 0 when every step ran.")
@command_errors
def demo_command(spec: Path, out: Path, as_of: datetime | None, rows: int, seed: int,
                 exit_code: bool = False) -> None:
    """The whole job on SPEC: generate data, validate, check, and write every report to the --out folder.

    SPEC defaults to specs; where there is no such folder, the example program shipped with cxgov (Northwind
    Bank) is copied to OUT/specs and used.

    Exit 0 when every step ran: the check's exit code is explained, not passed on (the example breaches
    standards on purpose), unless --exit-code.
    """
    from cxgov import demo
    from cxgov.resources import example_dir
    from cxgov.spec.api import default_today, load_spec

    bundled = spec.resolve() == example_dir().resolve()

    if spec == Path(DEFAULT_SPEC) and not spec.exists():
        import shutil

        from cxgov.resources import example_dir, resource_dir

        spec, bundled = out / "specs", True
        if not spec.exists():
            shipped = shutil.ignore_patterns("__pycache__", "__init__.py")
            shutil.copytree(example_dir(), spec, ignore=shipped)
            # the example's schema lines point at ../schemas: editors find the schema in the copy too
            shutil.copytree(resource_dir("schemas"), out / "schemas", ignore=shipped, dirs_exist_ok=True)
        click.echo(f"no {DEFAULT_SPEC}/ folder here: using the example program shipped with cxgov, copied to "
                   f"{spec.as_posix()}")

    day = as_of or datetime.combine(default_today(load_spec(spec)), time())
    out.mkdir(parents=True, exist_ok=True)
    db = out / "example.duckdb"
    db.unlink(missing_ok=True)
    _step(f"cxgov validate {spec}", lambda: _validate(spec, today=day))
    _step(f"cxgov data generate --db {db}", lambda: _generate(db, spec, rows, seed, day))
    reports = Reports(*(str(out / name) for name in ("results.json", "junit.xml", "cxgov.sarif", "summary.md",
                                                      "scorecard.html")))
    checked: list[Run] = []

    def check_step() -> int:
        code, done = _check(spec, db, day, reports, FailPolicy())
        checked.append(done.run)
        return code

    code = _step(f"cxgov check {spec} --data {db} --as-of {day.date()}", check_step, allowed=(0, 1, 2),
                 note=demo.BEFORE_CHECK if bundled else "")
    _step("cxgov report raci", lambda: _raci(spec, str(out / "raci.html")))
    _step("cxgov report journeys", lambda: _journeys(spec, db, day, str(out / "journeys.html")))
    click.secho(f"\n== done: every step ran; the reports are in {out.as_posix()}/ "
                f"(open {(out / 'scorecard.html').as_posix()})", bold=True)
    for path in sorted(out.iterdir()):
        click.echo(f"  {path.as_posix()}")
    for line in demo.outcome(checked[0], code, bundled):
        click.echo(line)
    sys.exit(code if exit_code else int(ExitCode.OK))
