"""Helpers for problems analyses: a small YAML spec and complaint rows (DOMAIN.md's worked example), written to
real files, evaluated through the real Store."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Sequence

from support.duckdb_rows import write_table
from support.spec_files import write_files

AS_OF = date(2026, 11, 20)  # the last complete quarter: 2026-07-01 .. 2026-09-30; the previous: April to June
CURRENT = datetime(2026, 7, 1, 9)
PREVIOUS = datetime(2026, 4, 1, 9)

# DOMAIN.md "Problems: Pareto of root causes": category -> (count now, count in the previous window)
WORKED = {"calls-not-answered": (30, 18), "impolite-agent": (20, 12), "wrong-bill": (25, 30),
          "double-charge": (20, 20), "cannot-find-info": (15, 12), "late-delivery": (10, 8), "parking": (5, 0)}

SPEC = """\
version: 1
program: {{id: shop, name: Shop, owner: cx-office, timezone: UTC}}
owners:
  - {{id: cx-office, name: CX office}}
  - {{id: contact-centre, name: Contact centre}}
  - {{id: billing-operations, name: Billing}}
sources:
  - {{id: tickets, table: tickets, timestamp: opened_at, segment: segment}}
  - {{id: surveys, table: surveys, timestamp: responded_at}}
metrics:
  - {{id: csat, kind: csat, source: surveys, column: score}}
root_causes:
  - {{id: staff-training, name: Lack of training, owner: contact-centre}}
  - {{id: billing-errors, name: Billing system errors, owner: billing-operations}}
  - {{id: website-usability, name: Website usability}}
  - {{id: late-delivery, name: Late delivery}}
  - {{id: staff-capacity, name: Too few staff}}
problems:
  - id: complaint-causes
    name: Why customers complain
    source: tickets
    category: reason
    where: {{type: complaint}}
    causes:
      calls-not-answered: staff-training
      impolite-agent: staff-training
      wrong-bill: billing-errors
      double-charge: billing-errors
      cannot-find-info: website-usability
      late-delivery: late-delivery
    window: quarter
    min_sample: 30{extra}
  - id: what-customers-write
    source: surveys
    text: comment
    score: csat
    window: quarter
    min_sample: 5
    themes:
      - {{id: waiting, root_cause: staff-capacity, patterns: [slow, "wait*", took ages, queue]}}
      - {{id: rude, root_cause: staff-training, patterns: [rude, impolite, unfriendly]}}
      - {{id: cafe, root_cause: website-usability, patterns: [cafe]}}
actions:
  - {{id: act-1, root_cause: staff-training, owner: contact-centre, due: 2027-01-31, status: in_progress}}
{more}"""


def ticket_rows(counts: dict[str, tuple[int, int]] = WORKED, noise: bool = True) -> list[tuple]:
    """(opened_at, reason, type, segment): each category's rows now and in the previous quarter, plus rows no
    analysis counts (another type, outside both windows) and missing reasons."""
    rows: list[tuple] = []
    for reason, (now, before) in sorted(counts.items()):
        rows += [(CURRENT + timedelta(hours=i), reason, "complaint", "retail") for i in range(now)]
        rows += [(PREVIOUS + timedelta(hours=i), reason, "complaint", "retail") for i in range(before)]
    if noise:
        rows += [(CURRENT, "wrong-bill", "question", "retail")] * 7  # not a complaint
        rows += [(datetime(2026, 10, 2), "wrong-bill", "complaint", "retail")] * 3  # after the quarter
        rows += [(CURRENT, None, "complaint", "retail"), (CURRENT, "  ", "complaint", "retail")]  # missing
    return rows


COMMENTS = [  # (comment, csat score)
    ("Waited forever on the phone", 2), ("the queue was long; staff RUDE", 1), ("It TOOK   ages", 2),
    ("took many ages to load", 4), ("I await your reply", 5), ("unwaited for", 4), ("Lovely Café!", 5),
    ("Agent was impolite and slow", 1), ("", 3), (None, 4), ("All good", 5), ("waiting, waiting", 2),
]


def write_case(folder: Path, tickets: Sequence[tuple] | None = None, extra: str = "", more: str = "",
               comments: Sequence[tuple] = COMMENTS) -> tuple[Path, Path]:
    """(spec folder, DuckDB file) for the case."""
    spec = write_files(folder / "specs", {"spec.yaml": SPEC.format(extra=extra, more=more)})
    db = folder / "metrics.duckdb"
    write_table(db, "tickets", {"opened_at": "TIMESTAMP", "reason": "VARCHAR", "type": "VARCHAR",
                                "segment": "VARCHAR"}, list(tickets if tickets is not None else ticket_rows()))
    write_table(db, "surveys", {"responded_at": "TIMESTAMP", "comment": "VARCHAR", "score": "INTEGER"},
                [(CURRENT + timedelta(hours=i), c, s) for i, (c, s) in enumerate(comments)])
    return spec, db
