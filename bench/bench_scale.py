"""cxgov at scale, measured against the floor.

Generates a large program (2,000 touchpoints over 20 journey files, 40 standards, 10 KPIs) and a metrics database
(10 million survey answers, 5 million tickets), then times as whole processes `cxgov --version`, `cxgov validate`,
`cxgov check` and the HTML scorecard, with each one's peak memory. In the same run, in turns with `cxgov check`,
it times the floor: a process (bench/floor_process.py) running, for each source table, one hand-written DuckDB
query computing every aggregate the rules need (all grouping sets, current and previous windows) in a single
scan. It prints each time, the ratio of `cxgov check` to the floor, and with --scaling how times grow when rows
and rules are doubled.

    .venv/bin/python bench/bench_scale.py              # the figures in README "Performance"
    .venv/bin/python bench/bench_scale.py --scaling    # and the doubling runs
    .venv/bin/python bench/bench_scale.py --quick      # a small smoke run (seconds)

Generated specs and databases are cached in --workdir, keyed by their parameters, so reruns skip generation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence
from zoneinfo import ZoneInfo

import duckdb  # bench/ is not package code: the floor talks to DuckDB directly

import cxgov
import floor_process  # beside this script

FLOOR_PROCESS = Path(__file__).with_name("floor_process.py")
GENERATOR_VERSION = 4  # bump when the generated spec or data change shape, to invalidate the cache

STAGES = ("awareness", "consideration", "purchase", "onboarding", "use", "service", "loyalty")
CHANNELS = ("web", "app", "branch", "phone", "chat", "email")
SEGMENTS = (("retail", 60), ("premier", 15), ("small-business", 15), ("student", 10))  # share of rows, %
JOURNEYS = ("open-account", "get-a-mortgage", "use-my-card", "resolve-a-problem", "apply-for-a-loan",
            "move-house", "save-for-later", "pay-someone", "travel-abroad", "manage-online",
            "switch-account", "get-insurance", "invest", "retire", "bereavement", "small-business-banking",
            "student-banking", "fraud-and-scams", "financial-difficulty", "close-account")
WINDOWS = ("28d", "quarter")

# Metric id -> (kind, source): the metrics of the generated program.
METRICS = {
    "nps": ("nps", "surveys"), "csat": ("csat", "surveys"), "ces": ("ces", "surveys"),
    "contacts": ("count", "tickets"), "first-contact-resolution": ("ratio", "tickets"),
    "resolved-24h": ("sla", "tickets"), "resolved-72h": ("sla", "tickets"),
    "resolution-p90": ("percentile", "tickets"),
}
SLA_HOURS = {"resolved-24h": 24, "resolved-72h": 72}
TABLES = {"surveys": ("survey_responses", "responded_at"), "tickets": ("tickets", "opened_at")}


@dataclass(frozen=True)
class Params:
    touchpoints: int = 2000
    standards: int = 40
    kpis: int = 10
    surveys: int = 10_000_000
    tickets: int = 5_000_000
    as_of: date = date(2026, 11, 20)
    data_days: int = 365  # the data covers the year up to the as-of date


@dataclass(frozen=True)
class Rule:
    """The bench's own view of a generated rule: enough to write the floor queries independently of cxgov."""

    id: str
    kind: str  # standard | kpi
    metric: str
    window: str
    grouping: tuple[str, ...]  # dimensions of its grouping set (period is implicit)
    yaml: str = field(repr=False, default="")


# -- the program ---------------------------------------------------------------------------------------------


def touchpoint_ids(params: Params) -> list[str]:
    per = -(-params.touchpoints // len(JOURNEYS))
    return [f"{JOURNEYS[i // per]}-{i % per + 1:03d}" for i in range(params.touchpoints)]


def touchpoint_dims(params: Params) -> list[tuple[str, str, str, str]]:
    """(id, journey, stage, channel) of every touchpoint, in id order of generation."""
    per = -(-params.touchpoints // len(JOURNEYS))
    out = []
    for i, tp in enumerate(touchpoint_ids(params)):
        # a journey of fewer touchpoints than (stage, channel) pairs: count across journeys, so a small program
        # (bench_shapes.py's 20 touchpoints) still has every stage and several channels
        k = i % per if per >= len(STAGES) * len(CHANNELS) else i
        out.append((tp, JOURNEYS[i // per], STAGES[k % len(STAGES)], CHANNELS[(k // len(STAGES)) % len(CHANNELS)]))
    return out


def _standard(i: int) -> Rule:
    metric = list(METRICS)[i % len(METRICS)]
    window = WINDOWS[(i // len(METRICS)) % len(WINDOWS)]
    variant = i // (len(METRICS) * len(WINDOWS))
    shape = (i + variant) % 4
    if shape == 0:
        applies = f"{{stage: [{STAGES[i % len(STAGES)]}, {STAGES[(i + 3) % len(STAGES)]}]}}"
    elif shape == 1:
        applies = f"{{channel: [{CHANNELS[i % len(CHANNELS)]}, {CHANNELS[(i + 2) % len(CHANNELS)]}]}}"
    elif shape == 2:
        js = ", ".join(JOURNEYS[(i + k) % len(JOURNEYS)] for k in range(4))
        applies = f"{{journey: [{js}]}}"
    else:
        applies = "{moment_of_truth: true}"
    kind = METRICS[metric][0]
    threshold = {
        "nps": '{op: ">=", fail: 10, warn: 25}', "csat": '{op: ">=", fail: 60, warn: 70}',
        "ces": '{op: ">=", fail: 4.0, warn: 4.5}', "count": '{op: "<=", fail: 900, warn: 700}',
        "ratio": '{op: ">=", fail: 65, warn: 70}', "sla": '{op: ">=", fail: 70, warn: 80}',
        "percentile": '{op: "<=", fail: 110, warn: 100}',
    }[kind]
    sid = f"std-{i + 1:03d}-{metric}"
    yaml = (f"  - id: {sid}\n"
            f"    name: Standard {i + 1} on {metric}\n"
            f"    metric: {metric}\n"
            f"    applies_to: {applies}\n"
            f"    threshold: {threshold}\n"
            f"    window: {window}\n"
            f"    severity: {('critical', 'high', 'medium', 'low')[i % 4]}\n")
    return Rule(sid, "standard", metric, window, ("touchpoint",), yaml)


# (metric, scope kind, scope value, by, window, threshold, trend): ten program KPIs, cycled when more are asked.
KPI_SHAPES = (
    ("nps", "program", None, "segment", "quarter", '{op: ">=", fail: 20, warn: 30}', 5),
    ("nps", "program", None, "journey", "quarter", '{op: ">=", fail: 15, warn: 25}', None),
    ("csat", "program", None, "channel", "28d", '{op: ">=", fail: 65, warn: 75}', None),
    ("ces", "program", None, "stage", "28d", '{op: ">=", fail: 4.5, warn: 5.0}', None),
    ("nps", "segment", "premier", None, "quarter", '{op: ">=", fail: 30, warn: 40}', 5),
    ("csat", "journey", "open-account", "segment", "quarter", '{op: ">=", fail: 70, warn: 80}', None),
    ("first-contact-resolution", "program", None, "channel", "28d", '{op: ">=", fail: 65, warn: 72}', None),
    ("resolved-24h", "program", None, "journey", "quarter", '{op: ">=", fail: 60, warn: 70}', None),
    ("resolution-p90", "program", None, "segment", "28d", '{op: "<=", fail: 110, warn: 100}', None),
    ("contacts", "journey", "resolve-a-problem", None, "28d", '{op: "<=", fail: 40000, warn: 30000}', None),
)


def _kpi(i: int) -> Rule:
    metric, scope_kind, scope_value, by, window, threshold, trend = KPI_SHAPES[i % len(KPI_SHAPES)]
    kid = f"kpi-{i + 1:02d}-{metric}"
    scope = "program" if scope_kind == "program" else f"{{{scope_kind}: {scope_value}}}"
    yaml = (f"  - id: {kid}\n"
            f"    name: KPI {i + 1} on {metric}\n"
            f"    metric: {metric}\n"
            f"    scope: {scope}\n"
            + (f"    by: {by}\n" if by else "")
            + f"    threshold: {threshold}\n"
            f"    window: {window}\n"
            + (f"    trend: {{max_drop: {trend}}}\n" if trend else "")
            + f"    owner: cx-office\n")
    head = () if scope_kind == "program" else (scope_kind,)
    return Rule(kid, "kpi", metric, window, head + ((by,) if by else ()), yaml)


def rules(params: Params) -> list[Rule]:
    return [_standard(i) for i in range(params.standards)] + [_kpi(i) for i in range(params.kpis)]


def write_spec(folder: Path, params: Params) -> None:
    """The program as YAML: one file per journey with its touchpoints, plus program, data, rules and RACI."""
    folder.mkdir(parents=True)
    head = "version: 1\n\n"
    teams = [f"team-{k:02d}" for k in range(1, 51)]
    people = [f"person-{k:02d}" for k in range(1, 41)]
    (folder / "program.yaml").write_text(
        head + "program:\n  id: bench-bank\n  name: Bench Bank\n  timezone: Europe/London\n  owner: cx-office\n"
        "  sponsor: person-01\n  intent:\n    statement: Customers get things done in one contact, with little "
        "effort.\n    principles:\n      - {id: effortless, name: Effortless}\n"
        "      - {id: one-contact, name: Resolved in one contact}\n"
        f"  review: {{cadence: quarterly, last_reviewed: {params.as_of - timedelta(days=30)}}}\n"
        "  defaults: {min_sample: 30, max_waiver_days: 180, max_accountable: 8}\n\n"
        f"channels: [{', '.join(CHANNELS)}]\n\nsegments:\n"
        + "".join(f"  - {{id: {s}, name: {s.replace('-', ' ').title()}, basis: demographic}}\n"
                  for s, _ in SEGMENTS))
    owners = ["  - {id: cx-office, name: CX Office, kind: team, members: [person-01, person-02]}\n"]
    owners += [f"  - {{id: {t}, name: Team {t[5:]}, kind: team, members: [{people[k % 40]}]}}\n"
               for k, t in enumerate(teams)]
    owners += [f"  - {{id: {p}, name: Person {p[7:]}, kind: person, title: Manager}}\n" for p in people]
    (folder / "owners.yaml").write_text(head + "owners:\n" + "".join(owners))
    (folder / "data.yaml").write_text(
        head + "sources:\n"
        "  - {id: surveys, table: survey_responses, timestamp: responded_at, touchpoint: touchpoint_id, "
        "segment: segment}\n"
        "  - {id: tickets, table: tickets, timestamp: opened_at, touchpoint: touchpoint_id, segment: segment}\n\n"
        "metrics:\n"
        "  - {id: nps, kind: nps, source: surveys, column: score, where: {question: recommend}}\n"
        "  - {id: csat, kind: csat, source: surveys, column: score, scale: {min: 1, max: 5}, "
        "where: {question: satisfaction}}\n"
        "  - {id: ces, kind: ces, source: surveys, column: score, scale: {min: 1, max: 7}, "
        "where: {question: effort}}\n"
        "  - {id: contacts, kind: count, source: tickets}\n"
        "  - {id: first-contact-resolution, kind: ratio, source: tickets, "
        "condition: {first_contact_resolved: true}}\n"
        + "".join(f"  - {{id: {m}, kind: sla, source: tickets, duration: {{start: opened_at, end: resolved_at, "
                  f"unit: hours}}, within: {h}}}\n" for m, h in SLA_HOURS.items())
        + "  - {id: resolution-p90, kind: percentile, percentile: 90, source: tickets, "
          "duration: {start: opened_at, end: resolved_at, unit: hours}}\n")
    journeys = folder / "journeys"
    journeys.mkdir()
    by_journey: dict[str, list[str]] = {}
    for n, (tp, journey, stage, channel) in enumerate(touchpoint_dims(params)):
        status = "retired" if n % 97 == 13 else "planned" if n % 89 == 7 else "active"
        owner = teams[n % len(teams)]
        by_journey.setdefault(journey, []).append(
            f"  - id: {tp}\n    name: Touchpoint {tp}\n    journey: {journey}\n    stage: {stage}\n"
            f"    channel: {channel}\n    owner: {owner}\n    responsible: [{teams[(n + 1) % len(teams)]}]\n"
            f"    informed: [cx-office]\n    systems: [system-{n % 30}]\n"
            f"    principles: [{('effortless', 'one-contact')[n % 2]}]\n"
            + ("    moment_of_truth: true\n" if n % 10 == 0 else "")
            + f"    status: {status}\n")
    for k, (journey, items) in enumerate(by_journey.items()):
        (journeys / f"{journey}.yaml").write_text(
            head + f"journeys:\n  - id: {journey}\n    name: {journey.replace('-', ' ').capitalize()}\n"
            f"    owner: {teams[k % len(teams)]}\n    stages: [{', '.join(STAGES)}]\n\ntouchpoints:\n"
            + "\n".join(items))
    all_rules = rules(params)
    (folder / "standards.yaml").write_text(
        head + "standards:\n" + "\n".join(r.yaml for r in all_rules if r.kind == "standard"))
    if params.kpis:
        (folder / "kpis.yaml").write_text(head + "kpis:\n" + "\n".join(r.yaml for r in all_rules if r.kind == "kpi"))
    first = next((r for r in all_rules if r.kind == "standard"), None)
    if first is not None:
        (folder / "waivers.yaml").write_text(
            head + f"waivers:\n  - id: w-1\n    standard: {first.id}\n    justification: Platform migration\n"
            f"    approved_by: person-01\n    expires: {params.as_of + timedelta(days=60)}\n\n"
            f"actions:\n  - {{id: act-1, standard: {first.id}, owner: team-01, "
            f"due: {params.as_of + timedelta(days=30)}, status: open, description: Fix the form}}\n")
    steps = ("intent", "inventory", "redesign", "dialogue", "knowledge", "communication", "recognition",
             "dashboard")
    (folder / "raci.yaml").write_text(
        head + "raci:\n" + "".join(
            f"  - id: raci-{step}\n    name: CX cycle step {step}\n    cycle_step: {step}\n"
            f"    assignments: {{{people[k + 2]}: A, {teams[k]}: R, cx-office: C}}\n"
            for k, step in enumerate(steps)))


# -- the data ------------------------------------------------------------------------------------------------


def write_data(db: Path, params: Params) -> None:
    """The metrics database, generated in SQL: rows in time order (as an append-only feed writes them),
    deterministic (hash-based, no RNG state), with NULLs and out-of-scale answers as real feeds have."""
    start = datetime.combine(params.as_of - timedelta(days=params.data_days - 1), datetime.min.time())
    span_us = params.data_days * 86_400_000_000
    ids = touchpoint_ids(params)
    seg_case = "CASE " + "".join(
        f"WHEN h_seg % 100 < {sum(w for _, w in SEGMENTS[:k + 1])} THEN '{s}' " for k, (s, _) in
        enumerate(SEGMENTS[:-1])) + f"ELSE '{SEGMENTS[-1][0]}' END"
    con = duckdb.connect(str(db))
    try:
        con.execute("""CREATE TABLE survey_responses AS
            WITH b AS (
              SELECT i, hash(i, 1) AS h_ts, hash(i, 2) % ? AS tp, hash(i, 3) % 100 AS h_seg,
                     hash(i, 4) % 10 AS h_q, (hash(i, 5) % 1000000) / 1e6 AS u, hash(i, 6) % 1000 AS h_bad
              FROM range(?) t(i)),
            q AS (
              SELECT *, CASE WHEN h_q < 4 THEN 'recommend' WHEN h_q < 7 THEN 'satisfaction' ELSE 'effort' END
                     AS question,
                     CASE WHEN h_q < 4 THEN 10 WHEN h_q < 7 THEN 4 ELSE 6 END AS top,
                     CASE WHEN h_q < 4 THEN 0 ELSE 1 END AS bottom,
                     0.15 + 0.5 * ((tp * 37) % 100) / 100.0 AS skill
              FROM b)
            SELECT i + 1 AS response_id,
                   CAST(? AS TIMESTAMP)
                       + to_microseconds(CAST(i::HUGEINT * ? // ? + h_ts % 3600000000 AS BIGINT))
                       AS responded_at,
                   list_extract(?, CAST(tp + 1 AS BIGINT)) AS touchpoint_id,
                   """ + seg_case + """ AS segment,
                   question,
                   CASE WHEN h_bad < 20 THEN NULL
                        WHEN h_bad = 20 THEN bottom + top + 1
                        ELSE bottom + least(top, CAST(floor((top + 1) * pow(u, skill)) AS INTEGER)) END
                       AS score
            FROM q""", [len(ids), params.surveys, start, span_us, params.surveys, ids])
        con.execute("""CREATE TABLE tickets AS
            WITH b AS (
              SELECT i, hash(i, 11) AS h_ts, hash(i, 12) % ? AS tp, hash(i, 13) % 100 AS h_seg,
                     (hash(i, 14) % 1000000) / 1e6 AS u, hash(i, 15) % 1000 AS h_fcr,
                     hash(i, 16) % 1000 AS h_open
              FROM range(?) t(i)),
            t AS (
              SELECT *, CAST(? AS TIMESTAMP)
                       + to_microseconds(CAST(i::HUGEINT * ? // ? + h_ts % 3600000000 AS BIGINT))
                        AS opened_at,
                     to_microseconds(CAST(pow(u, 2.2 - ((tp * 53) % 100) / 100.0) * 140 * 3600e6 AS BIGINT))
                        AS took
              FROM b)
            SELECT i + 1 AS ticket_id, opened_at,
                   CASE WHEN h_open < 15 THEN NULL ELSE opened_at + took END AS resolved_at,
                   list_extract(?, CAST(tp + 1 AS BIGINT)) AS touchpoint_id,
                   """ + seg_case + """ AS segment,
                   CASE WHEN h_fcr < 10 THEN NULL ELSE h_fcr % 100 < 72 END AS first_contact_resolved,
                   h_open % 7 = 0 AS reopened
            FROM t""", [len(ids), params.tickets, start, span_us, params.tickets, ids])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def cached(workdir: Path, name: str, build: Callable[[Path], None]) -> tuple[Path, float | None]:
    """The cached artefact `name` in workdir, built (atomically, via a temporary name) when absent."""
    path = workdir / name
    if path.exists():
        return path, None
    tmp = workdir / (name + ".partial")
    for stale in (tmp, workdir / (name + ".partial.wal")):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    t0 = time.perf_counter()
    build(tmp)
    tmp.rename(path)
    return path, time.perf_counter() - t0


def spec_for(workdir: Path, params: Params) -> tuple[Path, float | None]:
    return cached(workdir, f"spec-v{GENERATOR_VERSION}-tp{params.touchpoints}-s{params.standards}-k{params.kpis}"
                           f"-{params.as_of}", lambda p: write_spec(p, params))


def data_for(workdir: Path, params: Params) -> tuple[Path, float | None]:
    return cached(workdir, f"data-v{GENERATOR_VERSION}-tp{params.touchpoints}-r{params.surveys}-t{params.tickets}"
                           f"-{params.as_of}.duckdb", lambda p: write_data(p, params))


# -- the floor -----------------------------------------------------------------------------------------------


def windows(as_of: date) -> dict[str, tuple[tuple[datetime, datetime], tuple[datetime, datetime]]]:
    """window -> ((current start, end), (previous start, end)), local [start, end) as DESIGN section 2 says."""
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    rolling = (end - timedelta(days=28), end)
    q_first = date(as_of.year, (as_of.month - 1) // 3 * 3 + 1, 1)

    def quarter_after(d: date) -> date:
        m = d.year * 12 + d.month - 1 + 3
        return date(m // 12, m % 12 + 1, 1)

    def quarter_before(d: date) -> date:
        m = d.year * 12 + d.month - 1 - 3
        return date(m // 12, m % 12 + 1, 1)

    if quarter_after(q_first) - timedelta(days=1) != as_of:
        q_first = quarter_before(q_first)
    at = lambda d: datetime.combine(d, datetime.min.time())  # noqa: E731
    current = (at(q_first), at(quarter_after(q_first)))
    previous = (at(quarter_before(q_first)), at(q_first))
    return {"28d": (rolling, (rolling[0] - timedelta(days=28), rolling[0])), "quarter": (current, previous)}


@dataclass(frozen=True)
class MetricSql:
    """The aggregates cxgov computes for one metric, hand-written for the generated column types.

    `counts`: output name -> row condition; `moments`: (value, condition, with variance) for a mean (and its
    variance); `quantile`: (value, condition, q). Outputs are named `<metric>_<name>`, as cxgov's prefixes do.
    """

    counts: dict[str, str]
    moments: tuple[str, str, bool] | None = None
    quantile: tuple[str, str, float] | None = None


def metric_sql(metric: str) -> MetricSql:
    kind = METRICS[metric][0]
    if kind in ("nps", "csat", "ces"):
        question = {"nps": "recommend", "csat": "satisfaction", "ces": "effort"}[kind]
        low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kind]
        q, ok = f"question = '{question}'", f"question = '{question}' AND score BETWEEN {low} AND {high}"
        counts = {"n": ok, "missing": f"{q} AND score IS NULL",
                  "invalid": f"{q} AND score NOT BETWEEN {low} AND {high}"}
        if kind == "nps":
            return MetricSql({**counts, "promoters": f"{q} AND score BETWEEN 9 AND 10",
                              "detractors": f"{q} AND score BETWEEN 0 AND 6"})
        if kind == "csat":
            return MetricSql({**counts, "top": f"{q} AND score BETWEEN 4 AND 5"}, ("score", ok, False))
        return MetricSql({**counts, "easy": f"{q} AND score BETWEEN 5 AND 7"}, ("score", ok, True))
    if kind == "count":
        return MetricSql({"n": "TRUE"})
    if kind == "ratio":
        return MetricSql({"n": "first_contact_resolved IS NOT NULL", "missing": "first_contact_resolved IS NULL",
                          "k": "first_contact_resolved"})
    if kind == "sla":
        h = SLA_HOURS[metric]
        return MetricSql({"met": f"hours BETWEEN 0 AND {h}", "breached_closed": f"hours > {h}",
                          "breached_open": f"hours IS NULL AND open_hours > {h}",
                          "open_not_due": f"hours IS NULL AND open_hours <= {h}", "invalid": "hours < 0"})
    if kind == "percentile":
        return MetricSql({"n": "hours >= 0", "missing": "hours IS NULL", "invalid": "hours < 0"},
                         quantile=("hours", "hours >= 0", 0.9))
    raise ValueError(kind)


@dataclass(frozen=True)
class Dialect:
    """How the floor's SQL is spelled on one engine: the same query, written as a person would for it.

    `tables`: what precedes a table name (DuckDB reads the metrics file attached as `metrics`)."""

    name: str
    tables: str

    def filter(self, cond: str) -> str:
        return f"FILTER ({cond})" if self.name == "duckdb" else f"FILTER (WHERE {cond})"

    def filtered(self, func: str, value: str, cond: str) -> str:
        """func(value) over the rows where cond holds. DuckDB computes func(CASE WHEN cond THEN value END) (value 1
        for count(*)) faster than a FILTER, as cxgov writes it (cxgov.data.sql._unfiltered); the others are
        written with FILTER, which they compute well."""
        if self.name != "duckdb":
            return f"{func}({value}) {self.filter(cond)}"
        return f"{func}(CASE WHEN {cond} THEN {'1' if value == '*' else value} END)"

    def not_stored(self) -> str:
        """How a CTE read twice is kept from being stored: on DuckDB, reading the table again for the percentiles
        costs less than storing every row (cxgov writes its rows so too, cxgov.data.scan); PostgreSQL's and Spark's
        planners decide for themselves."""
        return "NOT MATERIALIZED " if self.name == "duckdb" else ""

    def square(self, x: str) -> str:
        return f"power({x}, 2)" if self.name == "spark" else f"{x} ^ 2"  # Spark's ^ is a bitwise xor

    def seconds(self, n: int) -> str:
        return f"INTERVAL '{n} seconds'" if self.name == "postgres" else f"INTERVAL {n} SECOND"

    def hours_between(self, start: str, end: str) -> str:
        if self.name == "postgres":
            return f"extract(epoch FROM {end} - {start})::float8 / 3600"
        if self.name == "spark":
            return f"timestampdiff(MICROSECOND, {start}, {end}) / 3600e6"
        return f"(epoch({end}) - epoch({start})) / 3600"

    def grouping(self, columns: Sequence[str]) -> str:
        if self.name == "spark":  # Spark's grouping() takes one column, and grouping_id() all the grouped ones
            return "(" + " + ".join(f"grouping({c}) * {1 << (len(columns) - 1 - i)}"
                                    for i, c in enumerate(columns)) + ")"
        return f"GROUPING({', '.join(columns)})"

    def same(self, a: str, b: str) -> str:
        """a equals b, NULL equal to NULL, as a join key: PostgreSQL can neither hash nor merge on IS NOT DISTINCT
        FROM (it would compare every pair of rows of a period and grouping), so there the NULLs become ''."""
        if self.name == "postgres":
            return f"coalesce({a}, '') = coalesce({b}, '')"
        return f"{a} IS NOT DISTINCT FROM {b}"

    def quantile(self, value: str, q: float, cond: str) -> str:
        if self.name == "postgres":
            return f"percentile_cont({q}) WITHIN GROUP (ORDER BY {value}) {self.filter(cond)}"
        if self.name == "spark":
            return f"percentile({value}, {q}) {self.filter(cond)}"
        return f"quantile_cont({value}, {q}) {self.filter(cond)}"


DUCKDB = Dialect("duckdb", "metrics.")
POSTGRES = Dialect("postgres", "")
SPARK = Dialect("spark", "")


def _direct_outputs(metric: str) -> list[str]:
    """Outputs computed straight from the rows (for GROUPING SETS over the raw rows)."""
    m, ms = metric.replace("-", "_"), metric_sql(metric)
    out = [f"count(*) FILTER ({cond}) AS {m}_{name}" for name, cond in ms.counts.items()]
    if ms.moments:
        value, cond, variance = ms.moments
        out.append(f"avg({value}) FILTER ({cond}) AS {m}_mean")
        if variance:
            out.append(f"var_samp({value}) FILTER ({cond}) AS {m}_var")
    if ms.quantile:
        value, cond, q = ms.quantile
        out.append(f"quantile_cont({value}, {q}) FILTER ({cond}) AS {m}_value")
    return out


def _partial_outputs(metric: str, d: Dialect = DUCKDB) -> tuple[list[str], list[str]]:
    """(partial aggregates per (period, touchpoint, segment), their roll-up to any coarser grouping)."""
    m, ms = metric.replace("-", "_"), metric_sql(metric)
    partial = [f"{d.filtered('count', '*', cond)} AS {m}_{name}" for name, cond in ms.counts.items()]
    rolled = [f"sum({m}_{name}) AS {m}_{name}" for name in ms.counts]
    if ms.moments:
        value, cond, variance = ms.moments
        partial += [f"{d.filtered('count', value, cond)} AS {m}__c", f"{d.filtered('sum', value, cond)} AS {m}__s"]
        rolled.append(f"sum({m}__s) / nullif(sum({m}__c), 0) AS {m}_mean")
        if variance:
            partial.append(f"{d.filtered('sum', f'{value} * {value}', cond)} AS {m}__ss")
            rolled.append(f"(sum({m}__ss) - {d.square(f'sum({m}__s)')} / sum({m}__c)) / nullif(sum({m}__c) - 1, 0) "
                          f"AS {m}_var")
    return partial, rolled


def _sets_sql(sets: Sequence[tuple[str, ...]]) -> str:
    return ", ".join("(" + ", ".join(("period",) + s) + ")" for s in sets)


def _utc(column: str, zone: str, lo: datetime, hi: datetime, d: Dialect = DUCKDB) -> str:
    """`column` (naive local time in `zone`) as UTC wall-clock time, by the zone's UTC offset between its
    daylight-saving changes in [lo, hi): what elapsed time needs, written out for the generated data's range."""
    tz, utc = ZoneInfo(zone), ZoneInfo("UTC")
    changes, t = [], lo
    offset = lambda at: at.replace(tzinfo=utc).astimezone(tz).utcoffset()  # noqa: E731
    while t < hi:  # hour by hour is plenty for a benchmark
        if offset(t + timedelta(hours=1)) != offset(t):
            changes.append((t + timedelta(hours=1) + offset(t + timedelta(hours=1)), offset(t)))
        t += timedelta(hours=1)
    last = offset(hi)
    if not changes and not last:
        return column
    cases = " ".join(f"WHEN {column} < TIMESTAMP '{at}' THEN {d.seconds(int(before.total_seconds()))}"
                     for at, before in changes)
    return f"({column} - CASE {cases} ELSE {d.seconds(int(last.total_seconds()))} END)"


def floor_queries(params: Params, all_rules: Sequence[Rule], rollup: bool = True,
                  d: Dialect = DUCKDB) -> list[tuple[str, str]]:
    """(label, SQL) per query of the floor.

    rollup=True, the floor: one scan per source, all windows at once. The period boundaries cut the time line
    into slices (a row is in one slice, found by a CASE); counts and sums per (slice, touchpoint, segment), rolled
    up to every period (a union of slices) and grouping set (journey, stage and channel are functions of the
    touchpoint); percentiles, which do not roll up, over the scanned rows of their own grouping sets.
    rollup=False, for reference: one query per (source, window), GROUPING SETS over the rows of a range join
    against the periods (how cxgov 0.1 planned a check), on DuckDB only.
    `d`: the engine the SQL is written for (DuckDB, PostgreSQL or Spark SQL).
    """
    if not rollup and d != DUCKDB:
        raise ValueError("the naive shape is written for DuckDB only")
    wins = windows(params.as_of)
    as_of_end = datetime.combine(params.as_of + timedelta(days=1), datetime.min.time())
    data_start = datetime.combine(params.as_of - timedelta(days=params.data_days + 1), datetime.min.time())
    groups: dict[tuple, list[Rule]] = {}
    for rule in all_rules:
        groups.setdefault((METRICS[rule.metric][1], "*" if rollup else rule.window), []).append(rule)
    out = []
    for (source, window), members in sorted(groups.items()):
        table, ts = TABLES[source]
        periods = [(f"{w}-{label}", *bounds) for w in sorted({r.window for r in members})
                   for label, bounds in zip(("current", "previous"), wins[w])]
        lo, hi = min(p[1] for p in periods), max(p[2] for p in periods)
        values = ", ".join(f"('{label}', TIMESTAMP '{s}', TIMESTAMP '{e}')" for label, s, e in periods)
        sets = sorted({r.grouping for r in members}, key=lambda s: (len(s), s))
        used = [d for d in ("touchpoint", "segment", "journey", "stage", "channel") if any(d in s for s in sets)]
        metrics = sorted({r.metric for r in members})
        derived = ""
        if source == "tickets":  # durations are elapsed time: both ends in UTC
            utc = lambda c: _utc(c, "Europe/London", data_start, as_of_end + timedelta(days=30), d)  # noqa: E731
            derived = (f", CASE WHEN resolved_at <= TIMESTAMP '{as_of_end}' THEN "
                       f"{d.hours_between(utc('opened_at'), utc('resolved_at'))} END AS hours, "
                       f"{d.hours_between(utc('opened_at'), utc(f'TIMESTAMP {chr(39)}{as_of_end}{chr(39)}'))}"
                       f" AS open_hours")
        head = f"SELECT period, {', '.join(used)}, {d.grouping(used)} AS g"
        with_dims = "(SELECT * FROM {} LEFT JOIN dims d ON d.tp = touchpoint) w"
        label = source + ("" if window == "*" else f"/{window}")
        if not rollup:
            scan = (f"p(period, p_start, p_end) AS (VALUES {values}),\n"
                    f"r AS (SELECT p.period, s.touchpoint_id AS touchpoint, s.segment, s.*{derived}\n"
                    f"  FROM metrics.{table} s JOIN p ON s.{ts} >= p.p_start AND s.{ts} < p.p_end\n"
                    f"  WHERE s.{ts} >= TIMESTAMP '{lo}' AND s.{ts} < TIMESTAMP '{hi}')")
            outputs = [o for metric in metrics for o in _direct_outputs(metric)]
            out.append((label, f"WITH {scan}\n{head},\n  " + ",\n  ".join(outputs)
                        + f"\nFROM {with_dims.format('r')} GROUP BY GROUPING SETS ({_sets_sql(sets)})"))
            continue
        bounds = sorted({p[1] for p in periods} | {p[2] for p in periods})
        pairs = [(i, label) for i, (a, b) in enumerate(zip(bounds, bounds[1:]))
                 for label, start, end in periods if start <= a and b <= end]
        slice_of = "CASE " + " ".join(f"WHEN s.{ts} < TIMESTAMP '{b}' THEN {i}" for i, b in enumerate(bounds[1:])) \
            + " END"
        scan = (f"m(slice, period) AS (VALUES {', '.join(f'({i}, {chr(39)}{lab}{chr(39)})' for i, lab in pairs)}),\n"
                f"r AS {d.not_stored()}(SELECT {slice_of} AS slice, s.touchpoint_id AS touchpoint, s.*{derived}\n"
                f"  FROM {d.tables}{table} s WHERE s.{ts} >= TIMESTAMP '{lo}' AND s.{ts} < TIMESTAMP '{hi}')")
        partial = [o for metric in metrics for o in _partial_outputs(metric, d)[0]]
        rolled = [o for metric in metrics for o in _partial_outputs(metric, d)[1]]
        sql = (f"WITH {scan},\n"
               "fine AS (SELECT slice, touchpoint, segment,\n  " + ",\n  ".join(partial)
               + "\n  FROM r GROUP BY slice, touchpoint, segment),\n"
               f"roll AS ({head},\n  " + ",\n  ".join(rolled)
               + f"\n  FROM {with_dims.format('(SELECT * FROM fine JOIN m USING (slice)) f')} "
                 f"GROUP BY GROUPING SETS ({_sets_sql(sets)}))")
        quantiles = [(metric, metric_sql(metric).quantile) for metric in metrics if metric_sql(metric).quantile]
        if not quantiles:
            out.append((label, sql + "\nSELECT * FROM roll"))
            continue
        qsets = sorted({r.grouping for r in members if metric_sql(r.metric).quantile}, key=lambda s: (len(s), s))
        qused = [d for d in used if any(d in s for s in qsets)]
        qrows = "(SELECT * FROM r JOIN m USING (slice) WHERE " + " OR ".join(c for _, (_, c, _) in quantiles) + ") q"
        qrows = with_dims.format(qrows) if set(qused) - {"touchpoint", "segment"} else qrows
        mask = lambda dims, s: sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in s)  # noqa
        qhead = ("SELECT period, " + ", ".join(d if d in qused else f"NULL AS {d}" for d in used)
                 + f", CASE {d.grouping(qused)} "
                 + " ".join(f"WHEN {mask(qused, s)} THEN {mask(used, s)}" for s in qsets) + " END AS g")
        qout = [f"{d.quantile(v, q, c)} AS {m.replace('-', '_')}_value" for m, (v, c, q) in quantiles]
        sql += (f",\nquant AS ({qhead}, " + ", ".join(qout)
                + f"\n  FROM {qrows} GROUP BY GROUPING SETS ({_sets_sql(qsets)}))\n"
                "SELECT roll.*, " + ", ".join(f"quant.{m.replace('-', '_')}_value" for m, _ in quantiles)
                + "\nFROM roll LEFT JOIN quant ON quant.period = roll.period AND quant.g = roll.g"
                + "".join(f" AND {d.same(f'quant.{c}', f'roll.{c}')}" for c in used))
        out.append((label, sql))
    return out


def fresh_floor(db: Path, params: Params, queries: Sequence[tuple[str, str]]) -> dict[str, list[dict]]:
    """The floor's rows, from a new connection made as bench/floor_process.py makes it (for the cross-check)."""
    con = floor_process.connect(str(db), touchpoint_dims(params))
    try:
        return run_floor(con, queries)
    finally:
        con.close()


def run_floor(con: duckdb.DuckDBPyConnection, queries: Sequence[tuple[str, str]]) -> dict[str, list[dict]]:
    out = {}
    for label, sql in queries:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        out[label] = [dict(zip(names, row)) for row in cur.fetchall()]
    return out


# -- measuring processes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    code: int
    stderr: str = ""
    other_cores: float | None = None  # CPU other processes used meanwhile (None: cannot tell on this system)
    cpu: float | None = None  # user + system CPU seconds of the process and its threads (None: in process)


# Peak memory of the measured process alone: a parent's memory leaks into a child's ru_maxrss (fork copies it,
# vfork/exec records it), so a small launcher starts the command and reads its rusage: GNU time where present
# (about 2 MB of its own), else this Python snippet (about 10 MB).
GNU_TIME = next((t for t in ("/usr/bin/time",) if os.access(t, os.X_OK)), None)
LAUNCHER = ("import resource, subprocess, sys, time; t = time.perf_counter(); code = subprocess.call(sys.argv[2:]); "
            "t = time.perf_counter() - t; open(sys.argv[1], 'w').write(f'{t} '"
            "f'{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}'); sys.exit(code)")


# Measured commands run as an installed tool does: with Python's bytecode cache (an environment that turns it off,
# PYTHONDONTWRITEBYTECODE, would have every process compile cxgov from source first).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_process(cmd: Sequence[str], stdout_path: Path | None = None) -> Run:
    """Run a command as a fresh process: wall time, its peak resident memory, exit code, stderr."""
    with tempfile.TemporaryDirectory() as tmp:
        mem = Path(tmp) / "maxrss"
        launcher = [GNU_TIME, "-f", "%M", "-o", str(mem)] if GNU_TIME else [sys.executable, "-c", LAUNCHER, str(mem)]
        with open(stdout_path or os.devnull, "wb") as out, tempfile.TemporaryFile() as err, CpuWatch() as watch:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            code = subprocess.call([*launcher, *cmd], stdout=out, stderr=err, env=CHILD_ENV)
            seconds = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the launcher's too (GNU time: about 1 ms)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        words = mem.read_text().split() if mem.exists() else []
        peak_kb = int(words[-1]) if words and words[-1].isdigit() else 0
        if not GNU_TIME and len(words) == 2:
            seconds = float(words[0])  # without the launcher's own start-up
    return Run(seconds, peak_kb / 1024, code, stderr, watch.other_cores, cpu)


class Quiet:
    """Waits, before each measurement, until other processes leave the cores alone (at most `patience` s)."""

    def __init__(self, patience: float):
        self.patience = patience
        self.waited = 0.0

    def wait(self) -> None:
        deadline = time.perf_counter() + self.patience
        calm = 0
        while calm < 2 and time.perf_counter() < deadline:
            with CpuWatch() as watch:
                time.sleep(1.0)
            if watch.other_cores is None:
                return
            calm = calm + 1 if watch.other_cores < 0.15 else 0
            self.waited += 1.0


def best(runs: Sequence[Run]) -> Run:
    """The fastest run (with the conditions it ran in) and the highest peak memory of all of them."""
    fastest = min(runs, key=lambda r: r.seconds)
    return replace(fastest, peak_mb=max(r.peak_mb for r in runs))


def best_of(n: int, measure: Callable[[], Run], quiet: Quiet) -> Run:
    """The best of n runs of `measure`."""
    runs = []
    for _ in range(n):
        quiet.wait()
        runs.append(measure())
    return best(runs)


def in_process(func: Callable[[], object]) -> tuple[Run, object]:
    """One in-process call of func, as a Run (no separate peak memory), and its result."""
    with CpuWatch() as watch:
        t0 = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - t0
    return Run(seconds, 0.0, 0, "", watch.other_cores), result


def interleaved(n: int, measures: Sequence[Callable[[], Run]], quiet: Quiet) -> list[Run]:
    """The best of n runs of each measure, taken in turns (a, b, a, b, ...), so that a machine whose speed
    drifts (a shared host) treats every measure alike."""
    runs: list[list[Run]] = [[] for _ in measures]
    for _ in range(n):
        for taken, measure in zip(runs, measures):
            quiet.wait()
            taken.append(measure())
    return [best(r) for r in runs]


class CpuWatch:
    """CPU used on this machine by processes other than this benchmark and its children, during a block."""

    other_cores: float | None = None

    def __enter__(self) -> CpuWatch:
        self._t, self._busy, self._ours = time.perf_counter(), _machine_busy(), _our_cpu()
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self._t
        busy, ours = _machine_busy(), _our_cpu()
        if busy is not None and self._busy is not None and wall > 0:
            self.other_cores = max(0.0, ((busy - self._busy) - (ours - self._ours)) / wall)


def _machine_busy() -> float | None:
    """CPU seconds all processes have used since boot (from /proc/stat; None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(x) for x in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _our_cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# -- cross-check ---------------------------------------------------------------------------------------------


def _floor_n(kind: str, metric: str, row: dict) -> int:
    m = metric.replace("-", "_")
    if kind == "sla":
        return row[f"{m}_met"] + row[f"{m}_breached_closed"] + row[f"{m}_breached_open"]
    return row[f"{m}_n"]


def _floor_value(kind: str, metric: str, row: dict) -> float | None:
    """The metric's value from the floor's aggregates, as DOMAIN.md defines it."""
    m, n = metric.replace("-", "_"), _floor_n(kind, metric, row)
    if not n:
        return None
    if kind == "nps":
        return 100 * (row[f"{m}_promoters"] - row[f"{m}_detractors"]) / n
    if kind in ("csat", "ratio", "sla"):
        k = {"csat": "top", "ratio": "k", "sla": "met"}[kind]
        return 100 * row[f"{m}_{k}"] / n
    if kind == "ces":
        return row[f"{m}_mean"]
    if kind == "count":
        return float(n)
    return row[f"{m}_value"]  # percentile


def cross_check(results_json: Path, floor: dict[str, list[dict]], all_rules: Sequence[Rule]) -> tuple[int, list]:
    """Compare every standard result's n and value with the floor's: (results compared, mismatches)."""
    rows = {}
    for label, items in floor.items():
        for row in items:
            if row.get("touchpoint") is not None:  # only standards group by touchpoint
                rows[(label.split("/")[0], row["period"], row["touchpoint"])] = row
    by_id = {r.id: r for r in all_rules}
    compared, mismatches = 0, []
    for result in json.loads(results_json.read_text())["results"]:
        rule = by_id.get(result["rule"])
        if rule is None or rule.kind != "standard" or result["status"] == "error":
            continue
        kind, source = METRICS[rule.metric]
        row = rows.get((source, f"{rule.window}-current", result["touchpoint"]))
        n = _floor_n(kind, rule.metric, row) if row else 0
        value = _floor_value(kind, rule.metric, row) if row else None
        compared += 1
        same_value = (value is None) == (result["value"] is None) and (
            value is None or abs(value - result["value"]) <= 1e-9 * max(1.0, abs(value)))
        if result["n"] != n or not same_value:
            mismatches.append((rule.id, result["touchpoint"], (result["n"], result["value"]), (n, value)))
    return compared, mismatches


# -- the benchmark -------------------------------------------------------------------------------------------


def cxgov_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("cxgov")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cxgov.cli"]


class Report:
    """Prints figure lines and keeps the figures (for --json) and how many were taken under load."""

    def __init__(self) -> None:
        self.figures: dict = {}
        self.measured = 0
        self.loaded = 0

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def line(self, label: str, run: Run, extra: str = "", memory: bool = True) -> None:
        self.measured += 1
        note = ""
        if run.other_cores is not None and run.other_cores > 0.25:
            self.loaded += 1
            note = f"  [UNDER LOAD: other processes used {run.other_cores:.2f} cores]"
        peak = f"   peak {run.peak_mb:5.0f} MB" if memory else " " * 17
        self.say(f"{label:42} {run.seconds:7.2f} s{peak}   {extra}".rstrip() + note)


def figures_of(run: Run, prefix: str) -> dict:
    return {prefix: run.seconds, f"{prefix}_peak_mb": run.peak_mb, f"{prefix}_other_cores": run.other_cores}


def measure_check(report: Report, label: str, spec: Path, db: Path, params: Params, repeat: int,
                  workdir: Path, quiet: Quiet, naive: bool = False) -> dict:
    """The floor, `cxgov check` (best of `repeat`), one `check --json`, the ratio; with `naive`, also the
    straightforward query shape (GROUPING SETS over the rows per window) for reference."""
    all_rules = rules(params)
    queries = floor_queries(params, all_rules)  # written before the clock starts
    cmd = cxgov_cmd() + ["check", str(spec), "--data", str(db), "--as-of", str(params.as_of)]
    out_json = workdir / f"results-{label}.json"

    def floor_job(name: str, job_queries: Sequence[tuple[str, str]], together: bool = False) -> list[str]:
        job = workdir / f"floor-{label}-{name}.json"
        job.write_text(json.dumps({"db": str(db), "dims": touchpoint_dims(params), "queries": job_queries,
                                   "together": together}))
        return [sys.executable, str(FLOOR_PROCESS), str(job)]

    measures = [lambda: run_process(floor_job("floor", queries)), lambda: run_process(cmd, workdir / f"check-{label}.txt")]
    if naive:
        naive_queries = floor_queries(params, all_rules, rollup=False)
        measures.append(lambda: run_process(floor_job("together", queries, together=True)))
        measures.append(lambda: run_process(floor_job("naive", naive_queries)))
    floor_run, check, *references = interleaved(repeat, measures, quiet)
    quiet.wait()
    with_json = run_process(cmd + ["--json", str(out_json)])
    for run in (floor_run, check, with_json, *references):
        if run.code not in (0, 1):
            raise SystemExit(f"a measured command failed (exit {run.code}):\n{run.stderr[-3000:]}")
    floor = fresh_floor(db, params, queries)  # the floor's numbers, for the cross-check (not timed)
    results = json.loads(out_json.read_text())["results"]
    compared, mismatches = cross_check(out_json, floor, all_rules)
    figures = {**figures_of(floor_run, "floor"), **figures_of(check, "check"),
               **figures_of(with_json, "check_json"), "results": len(results), "compared": compared,
               "mismatches": len(mismatches), "ratio": check.seconds / floor_run.seconds}
    report.line("  floor: one scan per source, rolled up", floor_run, f"{len(floor)} queries, as a process")
    if naive:
        together, naive_run = references
        figures.update({**figures_of(together, "floor_together"), **figures_of(naive_run, "naive")})
        report.line("  for reference: the floor's queries at once", together,
                    f"{len(queries)} queries in two threads, as cxgov runs its scans")
        report.line("  for reference: the naive shape by hand", naive_run,
                    f"{len(naive_queries)} queries: one per source and window, GROUPING SETS over a range join")
    report.line("  cxgov check", check, f"{len(results)} results   {figures['ratio']:.2f}x the floor")
    report.line("  cxgov check --json (one run)", with_json, f"{out_json.stat().st_size / 2**20:.1f} MB of JSON")
    report.say(f"  cross-check: n and value of {compared} standard results against the floor: "
               + ("all equal" if not mismatches else f"{len(mismatches)} differ, e.g. {mismatches[:3]}"))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--touchpoints", type=int, default=Params.touchpoints)
    parser.add_argument("--standards", type=int, default=Params.standards)
    parser.add_argument("--kpis", type=int, default=Params.kpis)
    parser.add_argument("--surveys", type=int, default=Params.surveys, help="survey answers (rows)")
    parser.add_argument("--tickets", type=int, default=Params.tickets, help="tickets (rows)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=Params.as_of)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the floor, check and scorecard")
    parser.add_argument("--scaling", action="store_true", help="also double rows, then rules, and time again")
    parser.add_argument("--quick", action="store_true", help="a small run: 200 touchpoints, 200k/100k rows")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cxgov-bench",
                        help="where generated specs and databases are cached (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="regenerate cached specs and data")
    parser.add_argument("--patience", type=float, default=60, metavar="SECONDS",
                        help="before each measurement, wait up to this long for other processes to leave the "
                             "cores idle (0: do not wait)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    params = Params(args.touchpoints, args.standards, args.kpis, args.surveys, args.tickets, args.as_of)
    if args.quick:
        params = replace(params, touchpoints=200, surveys=200_000, tickets=100_000)
    workdir = args.workdir
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    quiet = Quiet(args.patience)

    report = Report()
    figures = report.figures
    report.say(f"cxgov bench_scale: {params.touchpoints} touchpoints, {params.standards} standards, "
               f"{params.kpis} KPIs, {params.surveys:,} survey answers, {params.tickets:,} tickets, "
               f"as of {params.as_of}")
    report.say(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
               f"load average {os.getloadavg()[0]:.2f} at start")
    spec, spec_built = spec_for(workdir, params)
    db, data_built = data_for(workdir, params)
    report.say(f"spec {spec}" + (f" (generated in {spec_built:.1f} s)" if spec_built is not None else " (cached)"))
    report.say(f"data {db}  {db.stat().st_size / 2**20:.0f} MB"
               + (f" (generated in {data_built:.1f} s)" if data_built is not None else " (cached)"))
    report.say()

    cx = cxgov_cmd()
    # the bytecode cache written before anything is timed, as an install writes it
    subprocess.call([sys.executable, "-m", "compileall", "-q", str(Path(cxgov.__file__).parent)], env=CHILD_ENV)
    version = best_of(5, lambda: run_process(cx + ["--version"]), quiet)
    figures.update(figures_of(version, "version"))
    report.line("cxgov --version (best of 5)", version)
    validate = best_of(args.repeat, lambda: run_process(cx + ["validate", str(spec)]), quiet)
    if validate.code != 0:
        raise SystemExit(f"cxgov validate found problems in the generated spec (exit {validate.code}):\n"
                         f"{validate.stderr[-3000:]}")
    figures.update(figures_of(validate, "validate"))
    report.line(f"cxgov validate (best of {args.repeat})", validate)
    report.say(f"check (best of {args.repeat}):")
    figures["base"] = measure_check(report, "base", spec, db, params, args.repeat, workdir, quiet, naive=True)

    html = workdir / "scorecard.html"
    cmd = cx + ["report", "scorecard", str(spec), "--data", str(db), "--as-of", str(params.as_of),
                "--out", str(html)]
    scorecard = best_of(args.repeat, lambda: run_process(cmd), quiet)
    if scorecard.code in (0, 1) and html.exists():
        figures.update(figures_of(scorecard, "scorecard"), scorecard_bytes=html.stat().st_size)
        report.line("cxgov report scorecard (evaluates too)", scorecard,
                    f"{html.stat().st_size / 2**20:.1f} MB of HTML, "
                    f"{scorecard.seconds - figures['base']['check']:.2f} s more than check")
    elif "No such command" in scorecard.stderr:
        report.say("cxgov report scorecard: not available in this version")
    else:
        raise SystemExit(f"cxgov report scorecard failed (exit {scorecard.code}):\n{scorecard.stderr[-3000:]}")

    if args.scaling:
        base = figures["base"]
        report.say()
        rows2 = replace(params, surveys=params.surveys * 2, tickets=params.tickets * 2)
        db2, built = data_for(workdir, rows2)
        report.say(f"rows doubled: {rows2.surveys:,} survey answers, {rows2.tickets:,} tickets"
                   + (f" (generated in {built:.1f} s)" if built is not None else ""))
        figures["rows_x2"] = measure_check(report, "rows-x2", spec, db2, rows2, args.repeat, workdir, quiet)
        rules2 = replace(params, standards=params.standards * 2)
        spec2, _ = spec_for(workdir, rules2)
        report.say(f"standards doubled: {rules2.standards} (same sources, windows and metrics)")
        figures["rules_x2"] = measure_check(report, "rules-x2", spec2, db, rules2, args.repeat, workdir, quiet)
        report.say()
        report.say("growth when doubled (2.00 = linear):")
        for key, what in (("rows_x2", "rows"), ("rules_x2", "standards")):
            new = figures[key]
            report.say(f"  {what:9}  check {new['check'] / base['check']:.2f}x   "
                       f"floor {new['floor'] / base['floor']:.2f}x   "
                       f"results {new['results'] / base['results']:.2f}x")
        report.say("  (twice the standards leave the floor's work as it is: a floor that changed tells how the "
                   "host's speed drifted, so that growth is also given against it)")

    report.say()
    base = figures["base"]
    peak = max(base["check_peak_mb"], base["check_json_peak_mb"], figures.get("scorecard_peak_mb", 0),
               figures["validate_peak_mb"])
    targets = [
        ("cxgov check within 1.5x the floor", base["ratio"] <= 1.5, f"{base['ratio']:.2f}x"),
        ("cxgov check under 15 s", base["check"] < 15, f"{base['check']:.2f} s"),
        ("peak memory under 2 GB", peak < 2048, f"{peak:.0f} MB"),
        ("cxgov --version under 0.3 s", figures["version"] < 0.3, f"{figures['version']:.2f} s"),
    ]
    if args.scaling:
        rows_growth = figures["rows_x2"]["check"] / base["check"]
        rules_growth = figures["rules_x2"]["check"] / base["check"]
        # the floor's work does not change with the standards: its change is the host's drift
        rules_drifted = figures["rules_x2"]["ratio"] / base["ratio"]
        peak2 = max(figures["rows_x2"]["check_peak_mb"], figures["rules_x2"]["check_peak_mb"])
        targets += [("time linear in rows (x2 rows: <= 2.2x)", rows_growth <= 2.2, f"{rows_growth:.2f}x"),
                    ("nearly flat in rules (x2 standards: <= 1.2x)", max(rules_growth, rules_drifted) <= 1.2,
                     f"{rules_growth:.2f}x ({rules_drifted:.2f}x against the floor)"),
                    ("peak memory under 2 GB when doubled", peak2 < 2048, f"{peak2:.0f} MB")]
    report.say("targets:")
    for what, ok, value in targets:
        report.say(f"  {'met ' if ok else 'MISS'}  {what:45} {value}")
    report.say(f"{report.loaded} of {report.measured} figures taken under load"
               + (f"; waited {quiet.waited:.0f} s for idle cores" if quiet.waited else ""))
    if args.json:
        args.json.write_text(json.dumps({"params": {k: str(v) for k, v in params.__dict__.items()},
                                         "figures": figures, "under_load": report.loaded}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
