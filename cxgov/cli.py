"""The `cxgov` command line: parse options, call the library, write outputs, choose the exit code.

Heavy modules (duckdb, jinja2, jsonschema) are imported inside the commands that need them, so that
`cxgov --version` and `cxgov --help` stay fast.
"""

from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path
from typing import Callable

import click

from cxgov import __version__
from cxgov.errors import CxgovError, ExitCode

DEFAULT_SPEC = "specs"


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"cxgov: error: {message}", err=True)
    sys.exit(int(code))


def command_errors(func: Callable) -> Callable:
    """Turn CxgovError into a clear message and its exit code; anything else into exit 3 (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except CxgovError as exc:
            if debug:
                traceback.print_exc()
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", ExitCode.INTERNAL)
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


@click.group(cls=CxgovGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="cxgov")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def main(debug: bool) -> None:
    """cxgov: customer-experience governance as code.

    Validate CX governance specs, check quality standards and KPIs against metric data, and render the
    scorecard and RACI report auditors read.
    """


@main.command("history")
@click.argument("history_path", metavar="HISTORY", type=click.Path(path_type=Path))
@click.option("--rule", "rule", metavar="ID", help="Show one standard's or KPI's value and status in every run.")
@click.option("--scope", "scope", metavar="KEY=VALUE", multiple=True,
              help="With --rule: only this scope, e.g. touchpoint=web-chat (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait while another process writes the history.")
@command_errors
def history_command(history_path: Path, rule: str | None, scope: tuple[str, ...], fmt: str,
                    lock_timeout: float) -> None:
    """List the runs recorded with `check --record HISTORY`, or one rule's values across them."""
    from cxgov import history
    from cxgov.errors import UsageError

    if scope and not rule:
        raise UsageError("--scope needs --rule", hint="e.g. cxgov history HISTORY --rule ID --scope touchpoint=web")
    if rule:
        key = history.parse_scope(scope) if scope else None
        points = history.rule_history(history_path, rule, key, timeout=lock_timeout)
        click.echo(history.render_rule_history(rule, key, points, fmt), nl=False)
    else:
        click.echo(history.render_runs(history.runs(history_path, timeout=lock_timeout), fmt, history_path),
                   nl=False)
