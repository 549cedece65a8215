"""`cxgov check` as one library call: a spec folder, where its data lives and an as-of date (and which rules) in,
the Spec and its Run out.

This is the one entry point of an evaluation. It owns everything around it: loading the spec, the engine's
read-only connection, git provenance (asked beside the scans, in a thread) and the evidence reports show (each
rule's SQL as the engine runs it, the checkout the spec sits in). Every renderer is then a function of the Run
and its Spec; the command line only parses options, calls this, writes files and picks the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Callable, Collection, Sequence

from cxgov import speed
from cxgov.engine import health, provenance, windows
from cxgov.engine.results import Result, Run
from cxgov.errors import UsageError
from cxgov.progress import counting
from cxgov.spec.model import Spec

Progress = Callable[[str], None]  # told what is being done, for a progress line


@dataclass(frozen=True)
class Checked:
    """A spec and its evaluation."""

    spec: Spec
    run: Run


def check(spec_dir: Path, data: Path | str | None, as_of: date | None = None, *, rules: Collection[str] = (),
          allow: tuple[Path, ...] = (), max_unattributed: float = health.MAX_UNATTRIBUTED, evidence: bool = False,
          checkout: bool = False, progress: Progress | None = None,
          on_results: Callable[[Sequence[Result]], None] | None = None,
          while_scanning: Callable[[Sequence[Result]], None] | None = None) -> Checked:
    """Load the spec in `spec_dir` and evaluate its rules (`rules`: only these ids) against `data` as of `as_of`
    (default: today in the program's time zone).

    `data` is a DuckDB file or any form `--data` takes, None when every source reads files. `evidence` attaches
    each rule's SQL to the Run (the scorecard's appendix, OSCAL), `checkout` the spec's git checkout (SARIF).
    `progress` is told what is being done; `on_results` is given each scan's results as soon as they are made,
    `while_scanning` those made while another scan still runs (evaluate.evaluate says why both).
    """
    from cxgov.spec.api import load_spec

    tell = progress or _silent
    tell("reading the spec")
    spec = load_spec(spec_dir, as_of, allow=allow)
    day = as_of or windows.today(spec.program.timezone)
    run = evaluate(spec, data, day, spec_dir=spec_dir, rules=rules, max_unattributed=max_unattributed,
                   evidence=evidence, checkout=checkout, progress=tell, on_results=on_results,
                   while_scanning=while_scanning)
    return Checked(spec, run)


def evaluate(spec: Spec, data: Path | str | None, as_of: date, *, spec_dir: Path | None = None,
             rules: Collection[str] = (), max_unattributed: float = health.MAX_UNATTRIBUTED,
             evidence: bool = False, checkout: bool = False, progress: Progress | None = None,
             on_results: Callable[[Sequence[Result]], None] | None = None,
             while_scanning: Callable[[Sequence[Result]], None] | None = None) -> Run:
    """Evaluate a loaded spec: as `check`, for a caller that has the Spec already. `spec_dir` (default: the spec's
    root) is where git is asked for the commit and checkout."""
    from cxgov.data.store import Store
    from cxgov.engine import evaluate as evaluation
    from cxgov.engine.evidence import rule_sql
    from cxgov.engine.plan import select_rules

    tell = progress or _silent
    selected = len(select_rules(spec, rules))
    require_data(spec, data, rules)
    folder = spec_dir if spec_dir is not None else spec.root
    with Store.open(data) as store, speed.beside(1, "cxgov-git") as aside:
        commit = aside.submit(provenance.git_commit, folder)  # git answers while the engine scans
        where = aside.submit(provenance.checkout, folder) if checkout else None
        tell(f"evaluating {selected:,} rules")
        run = evaluation.evaluate(spec, store, as_of, only=rules, max_unattributed=max_unattributed,
                                  on_results=counting(tell, selected, on_results), while_scanning=while_scanning)
        sql = rule_sql(spec, as_of, store, rules) if evidence else {}
        return replace(run, git_commit=commit.result(), evidence=sql,
                       checkout=where.result() if where is not None else None)


def require_data(spec: Spec, data: Path | str | None, rules: Collection[str] = ()) -> None:
    """A UsageError when a rule to evaluate reads a table and there is no data to read it from."""
    from cxgov.engine.plan import select_rules

    if data is not None:
        return
    sources = {spec.source(spec.metric(rule.metric).source) for rule in select_rules(spec, rules)}
    tables = sorted((s for s in sources if s.table), key=lambda s: s.id)
    if tables:
        names = ", ".join(f"'{s.id}' (table {s.table}, {s.location})" for s in tables)
        reads = "source {} reads a table" if len(tables) == 1 else "sources {} read tables"
        raise UsageError(f"--data is required: {reads.format(names)} from the metrics database",
                         hint="pass where the data lives with --data (a DuckDB file, postgresql://..., "
                              "spark:...), or set CXGOV_DATA")


def _silent(message: str) -> None:
    """No progress line."""
