"""The journey map: each journey's touchpoint inventory as a stages × channels grid, as one HTML file.

Each cell lists its touchpoints with the systems and processes behind them; with a Run, each touchpoint is
coloured and labelled by the worst status of its standards. Pure functions of (Spec, Run or None, clock).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from cxgov.engine.results import Result, Run
from cxgov.report import display
from cxgov.report.names import Names
from cxgov.spec.model import Spec, Touchpoint


@dataclass(frozen=True)
class TouchpointCell:
    id: str
    name: str
    status: str  # a result status, or "none" (nothing evaluated) / "inventory" (no run given)
    label: str  # the status in words
    detail: str  # counts per status, e.g. "1 breach, 2 pass"
    owner: str
    systems: tuple[str, ...]
    processes: tuple[str, ...]
    lifecycle: str  # active|planned|redesign|retired
    moment_of_truth: bool


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    cells: tuple[tuple[TouchpointCell, ...], ...]  # one per channel

    @property
    def empty(self) -> bool:
        return not any(self.cells)


@dataclass(frozen=True)
class Grid:
    id: str
    name: str
    owner: str
    description: str
    segments: tuple[str, ...]
    channels: tuple[str, ...]
    rows: tuple[StageRow, ...]
    counts: Mapping[str, int]  # touchpoints per worst status
    touchpoints: int


@dataclass(frozen=True)
class JourneyMap:
    program: str
    grids: tuple[Grid, ...]
    with_status: bool
    statuses: tuple[str, ...]  # the statuses the legend explains


def _cell(tp: Touchpoint, results: list[Result] | None, covered: set[str], names: Names) -> TouchpointCell:
    def cell(status: str, label: str, detail: str = "") -> TouchpointCell:
        return TouchpointCell(id=tp.id, name=tp.name, owner=names.owner(tp.owner), systems=tp.systems,
                              processes=tp.processes, lifecycle=tp.status, moment_of_truth=tp.moment_of_truth,
                              status=status, label=label, detail=detail)

    if results is None:
        return cell("inventory", "")
    if not tp.evaluated:
        return cell("none", "Retired: not evaluated")
    worst = display.worst_status(r.status for r in results)
    if worst is None:
        return cell("none", "Not evaluated in this run" if tp.id in covered else "No standard applies")
    return cell(worst, display.status_label(worst), display.counts_text(display.status_counts(results)))


def build(spec: Spec, run: Run | None = None) -> JourneyMap:
    """The grids, one per journey in spec order; statuses only when a Run is given."""
    names = Names(spec)
    by_touchpoint: dict[str, list[Result]] = defaultdict(list)
    for result in run.results if run else ():
        if result.touchpoint:
            by_touchpoint[result.touchpoint].append(result)
    covered = {tp.id for s in spec.standards for tp in spec.covered_touchpoints(s)}
    channel_order = {c: i for i, c in enumerate(spec.channels)}
    grids = []
    for journey in spec.journeys:
        tps = [tp for tp in spec.touchpoints if tp.journey == journey.id]
        channels = tuple(sorted({tp.channel for tp in tps},
                                key=lambda c: (channel_order.get(c, len(channel_order)), c)))
        cells = {tp.id: _cell(tp, by_touchpoint.get(tp.id, []) if run else None, covered, names) for tp in tps}
        rows = []
        for stage in journey.stages:
            rows.append(StageRow(stage, display.stage_label(stage), tuple(
                tuple(cells[tp.id] for tp in tps if tp.stage == stage and tp.channel == channel)
                for channel in channels)))
        counts: dict[str, int] = defaultdict(int)
        for cell in cells.values():
            counts[cell.status] += 1
        grids.append(Grid(journey.id, journey.name, names.owner(journey.owner), journey.description or "",
                          tuple(names.segment(s) for s in journey.segments), channels, tuple(rows),
                          dict(sorted(counts.items())), len(tps)))
    statuses = display.STATUS_DISPLAY_ORDER + ("none",) if run else ()
    return JourneyMap(spec.program.name, tuple(grids), run is not None, statuses)


def html(spec: Spec, run: Run | None, generated_at: datetime) -> str:
    """The journey map as one self-contained HTML document (the inventory alone when `run` is None)."""
    from cxgov.report.html import render, timestamp

    return render("journeys.html.j2", journey_map=build(spec, run), spec=spec, run=run,
                  generated_at=timestamp(generated_at))
