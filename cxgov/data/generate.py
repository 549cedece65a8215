"""Realistic synthetic metric data for a spec, generated in SQL (`cxgov data generate`).

For every source with a `table:` that metrics read, the columns are inferred from those metrics: survey rows carry
the `where` values of one metric each (e.g. question = recommend) and an answer on its scale; tickets carry opened
and resolved timestamps, the ratio conditions (first_contact_resolved, reopened) and a category; SERVQUAL rows an
expectation and a perception per dimension. Values follow each touchpoint's quality, calibrated against the
thresholds of the rules that use the metric, so the example shows passes, warnings and breaches.

Rows come from `range(n)` with hash-based pseudo-random numbers: no Python loop over rows, the same output for the
same seed (and DuckDB version). Python only builds the small tables (touchpoints, segments, time slots, families)
the big query joins to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Sequence

from cxgov.data import generate_problems
from cxgov.data.engines.duckdb import Database
from cxgov.data.sql import quote_ident, quote_table
from cxgov.errors import UsageError
from cxgov.metrics.ratings import answer_scale
from cxgov.metrics.registry import kind_of
from cxgov.spec.model import Kpi, Metric, Source, Spec, Standard
from cxgov.vocabulary import UNIT_SECONDS

DEFAULT_ROWS = 300_000
HISTORY_DAYS = 365
SERVQUAL = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
CATEGORIES = (("fees and charges", 24), ("payment failed", 17), ("card not working", 13), ("app login", 10),
              ("statement error", 8), ("account access", 7), ("fraud concern", 6), ("slow response", 6),
              ("staff attitude", 5), ("other", 4))
TP_BUCKETS, SEG_BUCKETS, SLOT_BUCKETS = 65536, 256, 262144
BETA = 1.8  # log-logistic shape for durations
# kind codes of value generators
NPS, CSAT, CES, MEAN, GAP_E, GAP_P, RATIO, PCT_COL, END = range(1, 10)
RATING_CODES = {"nps": NPS, "csat": CSAT, "ces": CES}


@dataclass(frozen=True)
class Generator:
    """How one column is filled in one family of rows."""

    code: int
    metric_index: int
    a: float  # the metric's value at quality 0
    b: float  # its change per unit of quality
    lo: float = 0.0
    hi: float = 0.0
    x: float = 0.0  # sla: within; percentile: p / 100
    mode: int = 0  # durations: 1 calibrated by an SLA, 2 by a percentile
    unit: float = 1.0  # durations: seconds per unit
    ok: object = None  # ratio: the value meeting the condition, and one that does not
    no: object = None


@dataclass
class Column:
    name: str
    type: str
    role: str  # timestamp|touchpoint|segment|key|where|value|start|category|problem
    generators: dict[int, Generator] = field(default_factory=dict)  # family index -> generator
    problem: generate_problems.ProblemColumn | None = None  # role problem: a problems analysis's category or text


@dataclass(frozen=True)
class SourcePlan:
    index: int
    source: Source
    metrics: tuple[Metric, ...]
    families: tuple[dict[str, object], ...]  # where column -> value, one dict per family of rows
    columns: tuple[Column, ...]
    rows: int


def _sql_type(value: object) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    return "VARCHAR"


def _rules(spec: Spec, metric: Metric) -> list[Standard | Kpi]:
    return [s for s in spec.standards if s.metric == metric.id] + [k for k in spec.kpis if k.metric == metric.id]


def calibrate(spec: Spec, metric: Metric) -> tuple[float, float]:
    """(a, b): the metric's value is a + b * quality. With a rule to calibrate against, quality 0 sits on its warn
    line and -0.6 on its fail line, so healthy touchpoints pass and struggling ones breach."""
    rules = [r for r in _rules(spec, metric) if getattr(r, "threshold", None) is not None]
    kind = metric.kind
    if not rules:
        return kind_of(kind).generated
    threshold = rules[0].threshold
    warn = threshold.warn if threshold.warn is not None else threshold.fail
    step = abs(warn - threshold.fail) or (kind_of(kind).step or 0.15 * abs(warn) or 1.0)
    b = (1 if threshold.higher_is_better else -1) * step / 0.6
    return warn, b


def _value_roles(metric: Metric) -> list[tuple[str, str]]:
    """(column, role) pairs a metric reads values from."""
    kind = metric.kind
    if kind in RATING_CODES or kind == "mean":
        return [(metric.column or "", kind)]
    if kind == "gap":
        return [(metric.expectation or "", "gap_e"), (metric.perception or "", "gap_p")]
    if kind == "ratio":
        return [(column, "ratio") for column, _ in metric.condition.terms]
    if kind in ("sla", "percentile") and metric.duration is not None:
        return [(metric.duration.end, "end")]
    if kind == "percentile":
        return [(metric.column or "", "pct_col")]
    return []


def _generator(spec: Spec, metric: Metric, index: int, role: str, column: str) -> Generator:
    a, b = calibrate(spec, metric)
    if role in RATING_CODES:
        sc = answer_scale(metric)
        lo, hi = sc.min, sc.max
        return Generator(RATING_CODES[role], index, a, b, lo, hi)
    if role == "mean":
        return Generator(MEAN, index, a, b)
    if role in ("gap_e", "gap_p"):
        return Generator(GAP_E if role == "gap_e" else GAP_P, index, a, b)
    if role == "ratio":
        values = dict(metric.condition.terms)[column]
        ok = values[0]
        no = (not ok) if isinstance(ok, bool) else (ok + 1 if isinstance(ok, (int, float)) else "other")
        return Generator(RATIO, index, a, b, ok=ok, no=no)
    unit = float(UNIT_SECONDS.get(metric.duration.unit, 3600)) if metric.duration else 1.0
    cap = 90 * 86400 / unit if metric.duration else 1e9
    if metric.kind == "sla":
        return Generator(END, index, a, b, 0.0, cap, float(metric.within or 24), 1, unit)
    p = (metric.percentile or 50) / 100
    floor_ = max(0.05 * abs(a), 1e-3)
    return Generator(END if role == "end" else PCT_COL, index, a, b, floor_, cap, p, 2, unit)


def _families(metrics: Sequence[Metric]) -> tuple[dict[str, object], ...]:
    families: list[dict[str, object]] = []
    for metric in metrics:
        if metric.where:
            family = {column: values[0] for column, values in metric.where.terms}
            if family not in families:
                families.append(family)
    # SERVQUAL rows come in five dimensions, whichever of them the metrics single out.
    for metric in metrics:
        if metric.kind == "gap" and len(metric.where.terms) == 1:
            column, values = metric.where.terms[0]
            if all(isinstance(v, str) for v in values):
                families += [{column: d} for d in SERVQUAL if {column: d} not in families]
    return tuple(families) or ({},)


def _matches(metric: Metric, family: dict[str, object]) -> bool:
    return all(family.get(column) in values for column, values in metric.where.terms)


def plan_source(spec: Spec, source: Source, index: int, rows: int) -> SourcePlan:
    metrics = tuple(m for m in spec.metrics if m.source == source.id)
    families = _families(metrics)
    columns: dict[str, Column] = {}

    def add(name: str, type_: str, role: str) -> Column:
        quote_ident(name)
        return columns.setdefault(name, Column(name, type_, role))

    durations = any(role == "end" for m in metrics for _, role in _value_roles(m))
    add(source.key or ("ticket_id" if durations else "response_id"), "VARCHAR", "key")
    add(source.timestamp, "TIMESTAMP", "timestamp")
    if source.touchpoint:
        add(source.touchpoint, "VARCHAR", "touchpoint")
    if source.segment:
        add(source.segment, "VARCHAR", "segment")
    for family in families:
        for column, value in family.items():
            add(column, _sql_type(value), "where")
    for metric_index, metric in enumerate(metrics):
        if metric.duration is not None:
            add(metric.duration.start, "TIMESTAMP", "start")
        for column, role in _value_roles(metric):
            if role in RATING_CODES:
                type_ = "INTEGER"
            elif role == "end":
                type_ = "TIMESTAMP"
            elif role == "ratio":
                type_ = _sql_type(dict(metric.condition.terms)[column][0])
            else:
                type_ = "DOUBLE"
            col = add(column, type_, "value")
            if col.role != "value":
                continue
            if col.type == "INTEGER" and type_ == "DOUBLE":
                col.type = "DOUBLE"
            for f, family in enumerate(families):
                if f not in col.generators and _matches(metric, family):
                    col.generators[f] = _generator(spec, metric, metric_index, role, column)
    if durations and "category" not in columns:
        add("category", "VARCHAR", "category")
    for problem in spec.problems:
        name = problem.category or problem.text
        if problem.source == source.id and name and name not in columns:
            add(name, "VARCHAR", "problem").problem = generate_problems.plan(spec, problem, families)
    return SourcePlan(index, source, metrics, families, tuple(columns.values()), rows)


# -- the small tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """Touchpoint qualities and volumes, segment effects, time slots and the deliberate drops, from the seed."""

    tp_ids: tuple[str, ...]
    tp_quality: tuple[float, ...]
    tp_volume: tuple[float, ...]
    thin: frozenset[str]
    struggling: frozenset[str]
    tp_segments: tuple[tuple[str | None, ...], ...]
    tp_segment_weights: tuple[tuple[float, ...], ...]
    seg_ids: tuple[str, ...]
    seg_quality: tuple[float, ...]
    drop_tp: int
    drop_seg: int


def build_world(spec: Spec, rng: random.Random) -> World:
    tps = [tp for tp in spec.touchpoints if tp.evaluated]
    if not tps:
        raise UsageError("the spec has no active touchpoints to generate data for",
                         hint="add touchpoints to the spec first")
    order = list(range(len(tps)))
    rng.shuffle(order)
    # Waivers and open actions are written for known problems: the touchpoints they name struggle first.
    known = {w_tp for w in spec.waivers for w_tp in w.touchpoints}
    known |= {a.touchpoint for a in spec.actions if a.touchpoint and a.status != "done"}
    order.sort(key=lambda i: tps[i].id not in known)
    # about one touchpoint in eight struggles, as many are near their warning level and one in twelve has too few
    # answers; a small program keeps at least one healthy touchpoint, so that its check shows a pass
    left = len(tps) - 1
    n_bad = min(max(1, round(0.12 * len(tps))), left)
    n_warn = min(n_bad, left - n_bad)
    n_thin = min(max(1, round(0.08 * len(tps))), left - n_bad - n_warn)
    struggling = set(order[:n_bad])
    warning = set(order[n_bad:n_bad + n_warn])
    thin = set(order[n_bad + n_warn:n_bad + n_warn + n_thin])
    quality, volume = [], []
    for i in range(len(tps)):
        if i in struggling:
            quality.append(rng.uniform(-1.4, -0.8))
        elif i in warning:
            quality.append(rng.uniform(-0.5, -0.05))
        else:
            quality.append(rng.uniform(0.5, 1.1))
        volume.append(0.01 if i in thin else rng.uniform(0.5, 1.5))
    healthy = [i for i in order if i not in struggling | warning | thin]
    drop_tp = healthy[0] if len(healthy) > 1 else -1  # a healthy touchpoint falls, if another one stays healthy
    seg_ids = tuple(s.id for s in spec.segments)
    seg_quality = tuple(rng.uniform(-0.15, 0.15) for _ in seg_ids)
    trend_segments = [k.scope.value for k in spec.kpis if k.trend and k.scope.kind == "segment"]
    drop_seg = seg_ids.index(trend_segments[0]) if trend_segments and trend_segments[0] in seg_ids else (
        rng.randrange(len(seg_ids)) if seg_ids else -1)
    journeys = {j.id: j for j in spec.journeys}
    tp_segments = []
    for tp in tps:
        allowed = tp.segments or (journeys[tp.journey].segments if tp.journey in journeys else ()) or seg_ids
        tp_segments.append(tuple(s for s in allowed if s in seg_ids) or (None,))
    segment_weights = tuple(tuple(rng.uniform(0.3, 1.0) for _ in segments) for segments in tp_segments)
    return World(tuple(tp.id for tp in tps), tuple(quality), tuple(volume),
                 frozenset(tps[i].id for i in thin), frozenset(tps[i].id for i in struggling),
                 tuple(tp_segments), segment_weights, seg_ids, seg_quality, drop_tp, drop_seg)


def _cumulative(weights: Sequence[float]) -> list[tuple[float, float]]:
    total = sum(weights) or 1.0
    out, acc = [], 0.0
    for w in weights:
        out.append((acc / total, (acc + w) / total))
        acc += w
    if out:
        out[-1] = (out[-1][0], 1.0 + 1e-9)
    return out


HOUR_WEIGHTS = (0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.25, 0.6, 0.9, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 0.95, 0.9, 0.8,
                0.7, 0.6, 0.5, 0.35, 0.2, 0.1)
WEEKDAY_WEIGHTS = (1.0, 1.05, 1.0, 0.95, 0.9, 0.55, 0.4)  # Monday first


def _slots_sql() -> str:
    """The hours of the history with their share of the volume (daily, weekly and yearly rhythm) and a season
    effect on quality (a busy December), as cumulative [lo, hi) ranges."""
    hours = ", ".join(repr(w) for w in HOUR_WEIGHTS)
    days = ", ".join(repr(w) for w in WEEKDAY_WEIGHTS)
    return f"""CREATE OR REPLACE TEMP TABLE cx_slot AS
WITH s AS (
  SELECT slot, CAST($first_day AS TIMESTAMP) + to_hours(CAST(slot AS BIGINT)) AS slot_ts, slot // 24 AS day
  FROM range({HISTORY_DAYS * 24}) r(slot)
), w AS (
  SELECT *, [{days}][isodow(slot_ts)] * [{hours}][hour(slot_ts) + 1]
            * (1 + 0.25 * cos(2 * pi() * (dayofyear(slot_ts) - 20) / 365.25)) AS w,
         CASE WHEN month(slot_ts) = 12 THEN -0.15 ELSE 0 END AS season
  FROM s
), c AS (
  SELECT *, sum(w) OVER (ORDER BY slot ROWS UNBOUNDED PRECEDING) AS acc, sum(w) OVER () AS total FROM w
)
SELECT slot, slot_ts, day, season, (acc - w) / total AS lo,
       CASE WHEN slot = {HISTORY_DAYS * 24 - 1} THEN 1.000000001 ELSE acc / total END AS hi
FROM c"""


def _covered(spec: Spec, source: Source) -> set[str]:
    metric_ids = {m.id for m in spec.metrics if m.source == source.id}
    return {tp.id for s in spec.standards if s.metric in metric_ids for tp in spec.covered_touchpoints(s)}


# -- SQL ----------------------------------------------------------------------------------------------------


def _value_sql(k: int, column: Column, p: str) -> str:
    """The expression filling value column k; `p` prefixes the family-table columns of its generator."""
    codes = {g.code for g in column.generators.values()}
    t = f"t{k}"
    u: Callable[[int], str] = lambda salt: f"cx_u(i, $salt + {100 + 10 * k + salt})"  # noqa: E731
    z = f"cx_z(i, $salt + {100 + 10 * k + 5})"
    share = f"greatest(0.005, least(0.995, {t} / 100))"
    branches = []
    if NPS in codes:
        tt = f"greatest(-0.95, least(0.95, {t} / 100))"
        passive = f"least(0.25, 1 - abs({tt}))"
        detract = f"((1 - {passive} - {tt}) / 2)"
        branches.append((NPS, f"CASE WHEN {u(1)} < {detract} THEN CASE WHEN {u(2)} < 0.35 THEN 6 "
                              f"WHEN {u(2)} < 0.6 THEN 5 ELSE floor({u(3)} * 5) END "
                              f"WHEN {u(1)} < {detract} + {passive} THEN 7 + CAST({u(2)} < 0.5 AS INTEGER) "
                              f"ELSE 9 + CAST({u(2)} < 0.55 AS INTEGER) END"))
    if CSAT in codes:
        branches.append((CSAT, f"CASE WHEN {u(1)} < {share} THEN {p}hi - CAST({u(2)} >= 0.55 AS INTEGER) "
                               f"WHEN {u(2)} < 0.45 OR {p}hi - 2 <= {p}lo THEN {p}hi - 2 "
                               f"ELSE {p}lo + floor({u(3)} * ({p}hi - 2 - {p}lo)) END"))
    if CES in codes:
        branches.append((CES, f"greatest({p}lo, least({p}hi, round({t} + 1.3 * {z})))"))
    if MEAN in codes:
        sd = f"greatest(abs({t}) * 0.3, 1)"
        branches.append((MEAN, f"CASE WHEN {p}a > 0 THEN greatest(0, {t} + {sd} * {z}) ELSE {t} + {sd} * {z} END"))
    if GAP_E in codes:
        branches.append((GAP_E, "gap_e"))
    if GAP_P in codes:
        branches.append((GAP_P, f"greatest(1, least(7, round(gap_e + {t} + 1.1 * {z})))"))
    if RATIO in codes:
        branches.append((RATIO, f"CASE WHEN {u(1)} < {share} THEN {p}ok ELSE {p}no END"))
    if PCT_COL in codes:
        branches.append((PCT_COL, f"d{k}"))
    if END in codes:
        branches.append((END, f"CASE WHEN d{k} * {p}unit > epoch(CAST($as_of_end AS TIMESTAMP)) - epoch(ts) "
                              f"THEN NULL ELSE ts + to_microseconds(CAST(d{k} * {p}unit * 1e6 AS BIGINT)) END"))
    cases = " ".join(f"WHEN {code} THEN CAST({expr} AS {column.type})" for code, expr in branches)
    value = f"CASE {p}code {cases} END"
    # A few answers skipped (NULL), a few out of scale, a few cases never closed.
    gaps = f"CASE WHEN {p}code IN ({NPS}, {CSAT}, {CES}) AND {u(7)} < 0.003 THEN CAST({p}hi + 1 AS {column.type}) " \
           f"WHEN {u(8)} < CASE {p}code WHEN {GAP_E} THEN 0.005 WHEN {RATIO} THEN 0.005 WHEN {END} THEN 0.005 " \
           f"WHEN {PCT_COL} THEN 0.01 ELSE 0.02 END THEN NULL ELSE {value} END"
    return gaps


def _duration_sql(k: int, p: str) -> str:
    """d{k}: a log-logistic duration whose SLA share or percentile follows the row's target t{k}."""
    share = f"greatest(0.005, least(0.995, t{k} / 100))"
    alpha = (f"CASE {p}mode WHEN 1 THEN {p}x * pow({share} / (1 - {share}), -1 / {BETA}) "
             f"ELSE greatest(t{k}, {p}lo) * pow({p}x / (1 - {p}x), -1 / {BETA}) END")
    u = f"greatest(1e-6, least(1 - 1e-6, cx_u(i, $salt + {100 + 10 * k + 9})))"
    return f"least({p}hi, {alpha} * pow({u} / (1 - {u}), 1 / {BETA})) AS d{k}"


def _family_table(plan: SourcePlan) -> tuple[str, list[str], list[tuple[object, ...]]]:
    """DDL, column names and rows of the family table: where values and each value column's generator."""
    names, types = ["f"], ["INTEGER"]
    wheres = [c for c in plan.columns if c.role == "where"]
    values = [c for c in plan.columns if c.role == "value"]
    for j, column in enumerate(wheres):
        names.append(f"w{j}")
        types.append(column.type)
    fields = ("code", "m", "a", "b", "lo", "hi", "x", "mode", "unit")
    for k, column in enumerate(values):
        for name in fields:
            names.append(f"g{k}_{name}")
            types.append("INTEGER" if name in ("code", "m", "mode") else "DOUBLE")
        names += [f"g{k}_ok", f"g{k}_no"]
        types += [column.type if column.type != "TIMESTAMP" else "VARCHAR"] * 2
    rows = []
    for f, family in enumerate(plan.families):
        row: list[object] = [f] + [family.get(c.name) for c in wheres]
        for column in values:
            g = column.generators.get(f)
            if g is None:
                row += [None] * (len(fields) + 2)
            else:
                row += [g.code, g.metric_index, g.a, g.b, g.lo, g.hi, g.x, g.mode, g.unit, g.ok, g.no]
        rows.append(tuple(row))
    ddl = ", ".join(f"{n} {t}" for n, t in zip(names, types))
    return ddl, names, rows


def _source_sql(plan: SourcePlan) -> str:
    fam = f"cx_fam_{plan.index}"
    wheres = [c for c in plan.columns if c.role == "where"]
    values = [c for c in plan.columns if c.role == "value"]
    targets = [f"g{k}_a + g{k}_b * (q + (cx_u(tp_idx * 1009 + g{k}_m, 97) - 0.5) * 0.4) AS t{k}"
               for k in range(len(values))]
    durations = [_duration_sql(k, f"g{k}_") for k, c in enumerate(values)
                 if any(g.code in (END, PCT_COL) for g in c.generators.values())]
    select = []
    for column in plan.columns:
        name = quote_ident(column.name)
        if column.role == "problem":
            continue
        if column.role in ("timestamp", "start"):
            select.append(f"ts AS {name}")
        elif column.role == "touchpoint":
            select.append(f"tp_id AS {name}")
        elif column.role == "segment":
            select.append(f"seg_id AS {name}")
        elif column.role == "key":
            select.append(f"printf('%s-%09d', $key_prefix, i) AS {name}")
        elif column.role == "where":
            select.append(f"w{wheres.index(column)} AS {name}")
        elif column.role == "category":
            cuts = _cumulative([w for _, w in CATEGORIES])
            whens = " ".join(f"WHEN u_cat < {hi!r} THEN $cat{n}" for n, (_, hi) in enumerate(cuts[:-1]))
            select.append(f"CASE {whens} ELSE $cat{len(CATEGORIES) - 1} END AS {name}")
        else:
            k = values.index(column)
            select.append(f"{_value_sql(k, column, f'g{k}_')} AS {name}")
    problems = [c for c in plan.columns if c.role == "problem"]
    query = f"SELECT {', '.join(select)}{', i AS cx_i, f AS cx_f' if problems else ''} FROM measured"
    if problems:  # a comment may depend on the row's score: computed over the other columns
        outer = []
        for column in plan.columns:
            name = quote_ident(column.name)
            if column.role != "problem":
                outer.append(name)
                continue
            n = problems.index(column)
            assert column.problem is not None
            score = column.problem.score_column
            outer.append(generate_problems.column_sql(
                column.problem, f"problem{n}", lambda k: f"cx_u(cx_i, $salt + {20 + 5 * n + k})",
                quote_ident(score) if score and score in {c.name for c in plan.columns} else None) + f" AS {name}")
        query = f"SELECT {', '.join(outer)} FROM ({query}) g"
    return f"""CREATE OR REPLACE TABLE {quote_table(plan.source.table or "")} AS
WITH base AS (
  SELECT g.i, b.tp_idx, b.tp_id, b.tq, s.seg_idx, s.seg_id, s.sq, h.slot_ts, h.day, h.season, f.*
  FROM range(CAST($n AS BIGINT)) g(i)
  JOIN cx_tpb b ON b.src = $src AND b.b = CAST(floor(cx_u(g.i, $salt + 1) * {TP_BUCKETS}) AS INTEGER)
  JOIN cx_segb s ON s.tp_idx = b.tp_idx AND s.b = CAST(floor(cx_u(g.i, $salt + 2) * {SEG_BUCKETS}) AS INTEGER)
  JOIN cx_slotb h ON h.b = CAST(floor(cx_u(g.i, $salt + 3) * {SLOT_BUCKETS}) AS INTEGER)
  JOIN {fam} f ON f.f = CAST(floor(cx_u(g.i, $salt + 4) * $families) AS INTEGER)
), placed AS (
  SELECT *, slot_ts + to_microseconds(CAST(floor(cx_u(i, $salt + 5) * 3600000000) AS BIGINT)) AS ts,
    tq + sq + season
      + CASE WHEN tp_idx = $drop_tp AND day >= $drop_tp_day THEN -1.1 ELSE 0 END
      + CASE WHEN seg_idx = $drop_seg AND day >= $drop_seg_day THEN -0.45 ELSE 0 END AS q,
    greatest(1, least(7, round(5.6 + 0.8 * cx_z(i, $salt + 6)))) AS gap_e,
    cx_u(i, $salt + 7) AS u_cat
  FROM base
), targeted AS (
  SELECT *{"".join(", " + t for t in targets)} FROM placed
), measured AS (
  SELECT *{"".join(", " + d for d in durations)} FROM targeted
)
{query}"""


def _allocate(spec: Spec, plans: list[tuple[Source, tuple[Metric, ...]]], total: int) -> list[int]:
    """Rows per source: sources with count rules sized to their threshold, the rest shared by weight."""
    fixed: dict[int, int] = {}
    for i, (source, metrics) in enumerate(plans):
        for metric in metrics:
            rules = [r for r in _rules(spec, metric) if metric.kind == "count"]
            if rules:
                threshold, window = rules[0].threshold, rules[0].window
                level = threshold.warn if threshold.warn is not None else threshold.fail
                level *= 0.85 if not threshold.higher_is_better else 1.15
                days = window.days or {"month": 30.44, "quarter": 91.31, "year": 365.25}.get(window.period or "", 30.44)
                fixed[i] = min(int(level / days * HISTORY_DAYS), int(total * 0.4))
                break
    rest = max(total - sum(fixed.values()), 0)
    weights = {i: 5.0 if any(m.kind in RATING_CODES for m in metrics) else 1.5
               for i, (_, metrics) in enumerate(plans) if i not in fixed}
    wsum = sum(weights.values()) or 1.0
    counts = [fixed.get(i, int(rest * weights.get(i, 0) / wsum)) for i in range(len(plans))]
    if weights:  # the rounding remainder goes to the first weighted source, so the total is exact
        counts[min(weights)] += total - sum(counts)
    return counts


def select_sources(spec: Spec, exclude: Sequence[str] = ()) -> list[Source]:
    known = {s.id for s in spec.sources}
    unknown = [e for e in exclude if e not in known]
    if unknown:
        raise UsageError(f"--exclude names no source: {', '.join(unknown)}",
                         hint=f"sources in the spec: {', '.join(sorted(known))}")
    read = {m.source for m in spec.metrics}
    return [s for s in spec.sources if s.table and s.id in read and s.id not in exclude]


def generate(spec: Spec, db: Path, rows: int = DEFAULT_ROWS, seed: int = 0, as_of: date | None = None,
             exclude: Sequence[str] = (), threads: int | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write one table per source into `db` (replacing them), in one transaction; returns rows per table.
    `progress` is told what is being done, step by step."""
    if rows < 1:
        raise UsageError("--rows must be at least 1")
    seed = int(seed)
    as_of = as_of or date.today()
    sources = select_sources(spec, exclude)
    if not sources:
        raise UsageError("no source to generate: none has a `table:` read by a metric (or all are excluded)")
    rng = random.Random(seed)
    world = build_world(spec, rng)
    first_day = as_of - timedelta(days=HISTORY_DAYS - 1)
    pairs = [(s, tuple(m for m in spec.metrics if m.source == s.id)) for s in sources]
    counts = _allocate(spec, pairs, rows)
    plans = [plan_source(spec, s, i, n) for i, ((s, _), n) in enumerate(zip(pairs, counts))]

    tell = progress or (lambda message: None)
    tell("placing touchpoints, segments and trends")
    with Database.open(db) as database:
        if threads:
            database.set_threads(threads)
        _define_random(database, seed)
        _load_world(database, spec, world, plans, first_day)
        params = {"as_of_end": datetime.combine(as_of + timedelta(days=1), datetime.min.time()),
                  "drop_tp": world.drop_tp, "drop_tp_day": HISTORY_DAYS - 60,
                  "drop_seg": world.drop_seg, "drop_seg_day": HISTORY_DAYS - 100,
                  **{f"cat{n}": name for n, (name, _) in enumerate(CATEGORIES)}}
        with database.transaction():
            for number, plan in enumerate(plans, 1):
                tell(f"{plan.source.table}: generating {plan.rows:,} rows (table {number} of {len(plans)})")
                ddl, names, fam_rows = _family_table(plan)
                database.execute(f"CREATE OR REPLACE TEMP TABLE cx_fam_{plan.index} ({ddl})")
                database.executemany(f"INSERT INTO cx_fam_{plan.index} VALUES ({', '.join('?' for _ in names)})",
                                     fam_rows)
                has_key = any(c.role == "key" for c in plan.columns)
                has_cat = any(c.role == "category" for c in plan.columns)
                sql = _source_sql(plan)
                used = {k: v for k, v in params.items() if f"${k}" in sql}
                used.update(n=plan.rows, src=plan.index, salt=1000 * (plan.index + 1), families=len(plan.families))
                if has_key:
                    used["key_prefix"] = "T" if has_cat else "R"
                if not has_cat:
                    used = {k: v for k, v in used.items() if not k.startswith("cat")}
                for n, column in enumerate(c for c in plan.columns if c.role == "problem"):
                    assert column.problem is not None
                    used.update(generate_problems.params(column.problem, f"problem{n}"))
                database.execute(sql, used)
            tell(f"writing {Path(db).name}")
        return {plan.source.table or "": plan.rows for plan in plans}


def _define_random(database: Database, seed: int) -> None:
    # Uniform in [0, 1) and standard normal (Box-Muller) from a hash of (row, salt, seed).
    database.execute(f"CREATE OR REPLACE TEMP MACRO cx_u(i, k) AS "
                     f"hash(i, k, {seed:d})::DOUBLE / 18446744073709551616.0")
    database.execute("CREATE OR REPLACE TEMP MACRO cx_z(i, k) AS "
                     "sqrt(-2 * ln(greatest(cx_u(i, k), 1e-12))) * cos(2 * pi() * cx_u(i, k + 500))")


def _load_world(database: Database, spec: Spec, world: World, plans: list[SourcePlan], first_day: date) -> None:
    """The small tables the row query joins to, each turned into a bucket table for an equi-join."""
    database.execute("CREATE OR REPLACE TEMP TABLE cx_tp (src INTEGER, tp_idx INTEGER, tp_id VARCHAR, "
                     "tq DOUBLE, lo DOUBLE, hi DOUBLE)")
    tp_rows = []
    for plan in plans:
        covered = _covered(spec, plan.source)
        weights = [v if (not covered or tp in covered or tp in world.thin) else 0.15 * v
                   for tp, v in zip(world.tp_ids, world.tp_volume)]
        for i, (lo, hi) in enumerate(_cumulative(weights)):
            tp_rows.append((plan.index, i, world.tp_ids[i], world.tp_quality[i], lo, hi))
    database.executemany("INSERT INTO cx_tp VALUES (?, ?, ?, ?, ?, ?)", tp_rows)
    database.execute(f"CREATE OR REPLACE TEMP TABLE cx_tpb AS SELECT t.src, r.b, t.tp_idx, t.tp_id, t.tq "
                     f"FROM range({TP_BUCKETS}) r(b) JOIN cx_tp t "
                     f"ON (r.b + 0.5) / {TP_BUCKETS} >= t.lo AND (r.b + 0.5) / {TP_BUCKETS} < t.hi")

    database.execute("CREATE OR REPLACE TEMP TABLE cx_seg (tp_idx INTEGER, seg_idx INTEGER, seg_id VARCHAR, "
                     "sq DOUBLE, lo DOUBLE, hi DOUBLE)")
    seg_rows = []
    for t, (segments, shares) in enumerate(zip(world.tp_segments, world.tp_segment_weights)):
        for s, (lo, hi) in zip(segments, _cumulative(shares)):
            idx = world.seg_ids.index(s) if s is not None else -1
            seg_rows.append((t, idx, s, world.seg_quality[idx] if idx >= 0 else 0.0, lo, hi))
    database.executemany("INSERT INTO cx_seg VALUES (?, ?, ?, ?, ?, ?)", seg_rows)
    database.execute(f"CREATE OR REPLACE TEMP TABLE cx_segb AS SELECT s.tp_idx, r.b, s.seg_idx, s.seg_id, s.sq "
                     f"FROM range({SEG_BUCKETS}) r(b) JOIN cx_seg s "
                     f"ON (r.b + 0.5) / {SEG_BUCKETS} >= s.lo AND (r.b + 0.5) / {SEG_BUCKETS} < s.hi")

    database.execute(_slots_sql(), {"first_day": datetime.combine(first_day, datetime.min.time())})
    database.execute(f"CREATE OR REPLACE TEMP TABLE cx_slotb AS SELECT r.b, s.slot_ts, s.day, s.season "
                     f"FROM range({SLOT_BUCKETS}) r(b) JOIN cx_slot s "
                     f"ON (r.b + 0.5) / {SLOT_BUCKETS} >= s.lo AND (r.b + 0.5) / {SLOT_BUCKETS} < s.hi")

