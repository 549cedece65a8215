"""The SQL of a scan: one statement that reads a source once for every period, grouping set and aggregate.

The period boundaries cut the time line into slices that do not overlap, so each row falls in one slice (or
none) by a CASE on its timestamp, never by a join. Decomposable aggregates (counts, sums, means, variances) are
computed per (slice, touchpoint, segment) and then combined per (period, grouping set): a period is a union of
slices, and journey, stage and channel are functions of the touchpoint. Holistic aggregates (quantiles) are
computed over the rows of each group of the grouping sets that need them. Every value is a named parameter;
identifiers are validated and quoted by the caller.

Nothing here talks to DuckDB: `cxgov.data.store` runs what `build` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

DIMENSIONS = ("touchpoint", "segment", "journey", "stage", "channel")
TOUCHPOINT_DIMENSIONS = ("journey", "stage", "channel")
INTERNAL = "__cxgov_"
# The data-health part of a scan (ScanRequest.health): every row of the scan's time span once more under the
# period SPAN, the rows whose timestamp cannot be read (NULL, or text that is no timestamp) under UNTIMED, and
# ROWS, the count of rows, among the aggregates.
SPAN = f"{INTERNAL}span"
UNTIMED = f"{INTERNAL}untimed"
ROWS = f"{INTERNAL}rows"
TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
# how partial results of disjoint rows combine into the whole; quantile_cont does not (holistic)
DECOMPOSABLE = ("count", "sum", "avg", "var_samp")
FUNCS = DECOMPOSABLE + ("quantile_cont",)
_OFFSET = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class Period:
    """One evaluation window: local (program timezone) timestamps, [start, end)."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Aggregate:
    """`func` of `value` over the rows meeting `condition`: count, sum, avg, var_samp or quantile_cont.

    count counts the rows, or with a value the rows where it is not NULL.

    `value` and `condition` are SQL with `?` placeholders, bound in order to `value_params` and
    `condition_params`; `fraction` is quantile_cont's. `sets` are the grouping sets (indices) whose rows need
    it, None for all: holistic aggregates are computed for those only (NULL elsewhere); the others cost nothing
    more for all.
    """

    name: str
    func: str = "count"
    value: str | None = None
    condition: str = "TRUE"
    value_params: tuple = ()
    condition_params: tuple = ()
    fraction: float | None = None
    sets: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.func not in FUNCS:
            raise ValueError(f"unknown aggregate function {self.func!r}; expected one of {FUNCS}")
        if self.value is None and self.func != "count":
            raise ValueError(f"{self.func} needs a value (only count counts rows)")
        if (self.fraction is None) != (self.func != "quantile_cont"):
            raise ValueError("quantile_cont needs its fraction, and only it")

    @property
    def holistic(self) -> bool:
        return self.func not in DECOMPOSABLE

    @property
    def sql(self) -> str:
        """The aggregate as one SQL expression over the rows (`?` placeholders: `params`)."""
        if self.func == "count":
            call = f"count({self.value or '*'})"
        elif self.func == "quantile_cont":
            call = f"quantile_cont({self.value}, ?)"
        else:
            call = f"{self.func}({self.value})"
        return f"{call} FILTER (WHERE {self.condition})"

    @property
    def params(self) -> tuple:
        fraction = (self.fraction,) if self.func == "quantile_cont" else ()
        return self.value_params + fraction + self.condition_params


@dataclass(frozen=True)
class ScanRequest:
    source: object  # cxgov.spec.model.Source
    timezone: str  # program timezone; naive timestamps are local already
    periods: tuple[Period, ...]
    dimensions: Mapping[str, Mapping[str, str]]  # touchpoint id -> {"journey": .., "stage": .., "channel": ..}
    grouping_sets: tuple[tuple[str, ...], ...]  # from DIMENSIONS
    aggregates: tuple[Aggregate, ...]
    # columns read as points in time (durations): given to the aggregates as UTC wall-clock time
    instants: tuple[str, ...] = ()
    # the data health of the source: the dimensions ("touchpoint",) or () its rows are counted by over the
    # whole span of the periods (period SPAN) and without a readable timestamp (period UNTIMED); None for none
    health: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Mapping[str, object]  # named parameters ($name)

    @property
    def text(self) -> str:
        """The statement with its parameters written in, for reading (never run)."""
        return inline(self.sql, self.params)


@dataclass(frozen=True)
class Query:
    sql: str
    params: Mapping[str, object]  # named parameters ($name)
    dimensions: tuple[str, ...]  # the dimensions any grouping set uses, in DIMENSIONS order
    aggregates: tuple[str, ...]  # the aggregates' names, in the order the statement's rows give them
    setup: tuple[Statement, ...] = ()  # to run first, on the same connection: the temporary tables it reads

    @property
    def text(self) -> str:
        """Every statement, parameters written in, for reading (never run)."""
        return "".join(f"{s.text};\n" for s in self.setup) + inline(self.sql, self.params)


@dataclass(frozen=True)
class Columns:
    """What `build` needs to know of the source, checked by the caller: its relation and column types."""

    relation: str  # FROM-clause text, `?` placeholders for `relation_params`
    relation_params: tuple
    types: Mapping[str, str]  # column -> DuckDB type
    timestamp: str  # the quoted event timestamp column
    timestamp_type: str
    touchpoint: str | None  # quoted columns, when a grouping set needs them
    segment: str | None


def local_timestamp_sql(expr: str, duckdb_type: str, tz: str) -> str:
    """SQL turning `expr` (of `duckdb_type`) into a local TIMESTAMP in the program timezone `tz` (SQL giving
    its name). Text with a zone offset is converted, text without one is local already; text that is no
    timestamp gives NULL."""
    if duckdb_type == "TIMESTAMP":
        return expr
    if duckdb_type in TIMESTAMP_TYPES:
        return f"CAST({expr} AS TIMESTAMP)"
    if duckdb_type == TIMESTAMPTZ:
        return f"timezone({tz}, {expr})"
    text = f"trim(CAST({expr} AS VARCHAR))"
    return (f"CASE WHEN regexp_matches({text}, '{_OFFSET}') THEN timezone({tz}, try_cast({text} AS TIMESTAMPTZ)) "
            f"ELSE try_cast({text} AS TIMESTAMP) END")


def utc_timestamp_sql(expr: str, duckdb_type: str, tz: str, offsets: Callable[[str], str] | None = None) -> str:
    """SQL turning `expr` into a UTC wall-clock TIMESTAMP, so that differences are elapsed time even across a
    daylight-saving change: a zone (TIMESTAMPTZ, an offset in text) is honoured as is, naive values are read in
    the program timezone `tz` (SQL giving its name). `offsets` (from `utc_offsets_sql`) replaces the time zone
    lookup for naive timestamps where it can."""
    if duckdb_type == TIMESTAMPTZ:
        return f"timezone('UTC', {expr})"
    if duckdb_type in TIMESTAMP_TYPES:
        naive = expr if duckdb_type == "TIMESTAMP" else f"CAST({expr} AS TIMESTAMP)"
        if offsets is not None:
            return offsets(naive)
        return f"timezone('UTC', timezone({tz}, {naive}))"
    text = f"trim(CAST({expr} AS VARCHAR))"
    return (f"CASE WHEN regexp_matches({text}, '{_OFFSET}') THEN timezone('UTC', try_cast({text} AS TIMESTAMPTZ)) "
            f"ELSE timezone('UTC', timezone({tz}, try_cast({text} AS TIMESTAMP))) END")


def transitions(tz: str, lo: datetime, hi: datetime) -> tuple[timedelta, list[tuple[datetime, timedelta]]]:
    """How local (naive) times in [lo, hi) of zone `tz` are read, as DuckDB's timezone() (ICU) reads them: the
    UTC offset before the first boundary, and each later (local boundary, offset from it on).

    At a transition at UTC instant T to offset `after`, the boundary is the local time T + after: skipped local
    times (clocks going forward) take the offset before, repeated ones (clocks going back) the offset after."""
    zone = ZoneInfo(tz)
    epoch = datetime(1970, 1, 1)

    def offset(second: int) -> timedelta:  # of the UTC instant `second` seconds after the epoch
        return datetime.fromtimestamp(second, zone).utcoffset() or timedelta(0)

    # UTC instants covering [lo, hi) locally, in whole seconds (transitions fall on whole seconds)
    start = int((lo - epoch).total_seconds()) - 2 * 86400
    end = int((hi - epoch).total_seconds()) + 2 * 86400
    first = current = offset(start)
    found: list[tuple[datetime, timedelta]] = []
    at = start
    while at < end:
        nxt = min(at + 86400, end)
        if offset(nxt) != current:
            low, high = at, nxt  # offset(low) == current != offset(high)
            while high - low > 1:
                mid = (low + high) // 2
                low, high = (mid, high) if offset(mid) == current else (low, mid)
            current = offset(high)
            found.append((epoch + timedelta(seconds=high) + current, current))
        at = nxt
    return first, found


def utc_offsets_sql(tz: str, lo: datetime, hi: datetime, b: Binder,
                    fallback: Callable[[str], str]) -> Callable[[str], str]:
    """SQL (a function of the SQL of a naive local timestamp) giving it as UTC wall-clock time by a CASE over the
    zone's transitions in [lo, hi), and by `fallback` outside: the same instants as the zone lookup, without its
    cost per row."""
    first, found = transitions(tz, lo, hi)
    befores = [first] + [offset for _, offset in found]
    cases = "".join(f"WHEN {{x}} < {b(boundary)} THEN {b(before)} " for (boundary, _), before in zip(found, befores))
    shift = f"(CASE {cases}ELSE {b(befores[-1])} END)" if found else b(first)
    return lambda x: (f"(CASE WHEN {x} >= {b(lo)} AND {x} < {b(hi)} THEN {x} - {shift.format(x=x)} "
                      f"ELSE {fallback(x)} END)")


class Binder:
    """Collects named parameters: each distinct value once, as `$p0`, `$p1`, ..."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}
        self._names: dict[tuple, str] = {}

    def __call__(self, value: object) -> str:
        key = None if isinstance(value, (list, dict)) else (type(value), value)
        if key is not None and key in self._names:
            return self._names[key]
        name = f"p{len(self.params)}"
        self.params[name] = value
        if key is not None:
            self._names[key] = "$" + name
        return "$" + name

    def sql(self, text: str, params: Sequence) -> str:
        """`text` with each `?` outside string literals bound to the next of `params`."""
        out, values, quoted = [], iter(params), False
        for char in text:
            if char == "'":
                quoted = not quoted
            if char == "?" and not quoted:
                try:
                    out.append(self(next(values)))
                except StopIteration:
                    raise ValueError(f"more placeholders than parameters in {text!r}") from None
            else:
                out.append(char)
        if next(values, _END) is not _END:
            raise ValueError(f"more parameters than placeholders in {text!r}")
        return "".join(out)


_END = object()


def _q(name: str) -> str:
    return f'"{name}"'


def _slices(periods: Sequence[Period]) -> tuple[list[datetime], list[list[str]]]:
    """The boundaries of every period, sorted, and for each slice between two of them the periods covering it."""
    bounds = sorted({p.start for p in periods} | {p.end for p in periods})
    covering = [[p.label for p in periods if p.start <= lo and hi <= p.end] for lo, hi in zip(bounds, bounds[1:])]
    return bounds, covering


def _partials(agg: Aggregate, b: Binder) -> list[tuple[str, str]]:
    """(name, SQL) of the per-slice partial results of a decomposable aggregate, named after it."""
    cond = b.sql(agg.condition, agg.condition_params)
    value = b.sql(agg.value, agg.value_params) if agg.value is not None else None
    if agg.func in ("count", "sum"):
        return [(agg.name, f"{agg.func}({value or '*'}) FILTER (WHERE {cond})")]
    out = [(agg.name + "__c", f"count({value}) FILTER (WHERE {cond})"),
           (agg.name + "__s", f"sum({value}) FILTER (WHERE {cond})")]
    if agg.func == "var_samp":
        out.append((agg.name + "__v", f"var_pop({value}) FILTER (WHERE {cond})"))
    return out


def _combined(agg: Aggregate) -> str:
    """The aggregate over a group from its partials per slice.

    A variance combines the within-slice variances with the spread of the slice means around the group mean,
    measured from a shift `k` (the mean over all the scan's rows), which keeps the sums of squares small whatever
    the values' magnitude: sum c(m - M)^2 = sum d^2/c - (sum d)^2/C with d = s - ck per slice."""
    name = agg.name
    if agg.func in ("count", "sum"):
        return f"sum({_q(name)}) AS {_q(name)}"
    c, s = _q(name + "__c"), _q(name + "__s")
    if agg.func == "avg":
        return f"sum({s}) / nullif(sum({c}), 0) AS {_q(name)}"
    v, k = _q(name + "__v"), _q(name + "__k")
    d = f"({s} - {c} * {k})"  # the slice's sum of deviations from k
    return (f"CASE WHEN sum({c}) > 1 THEN greatest(0.0, (sum({c} * {v}) + sum(power({d}, 2) / {c}) "
            f"- power(sum({d}), 2) / sum({c})) / (sum({c}) - 1)) END AS {_q(name)}")


def _mask(dims: Sequence[str], grouping_set: Sequence[str]) -> int:
    """GROUPING(dims...) for the rows of `grouping_set`: a bit set for each dimension it does not group by."""
    return sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in grouping_set)


def _grouping(grouped: Sequence[str], used: Sequence[str], sets: Sequence[Sequence[str]]) -> str:
    """SQL giving a row's mask over `used` (as `_mask`) in a GROUP BY GROUPING SETS `sets` over `grouped`."""
    if not grouped:
        return str(_mask(used, ()))
    cols = ", ".join(f"{INTERNAL}{d}" for d in grouped)
    if list(grouped) == list(used):
        return f"GROUPING({cols})"
    return (f"CASE GROUPING({cols}) " + " ".join(f"WHEN {_mask(grouped, s)} THEN {_mask(used, s)}" for s in sets)
            + " END")


def _sets_sql(sets: Sequence[Sequence[str]]) -> str:
    return ", ".join("(" + ", ".join([f"{INTERNAL}period"] + [f"{INTERNAL}{d}" for d in s]) + ")" for s in sets)


def _prefilter(col: Columns, lo: datetime, hi: datetime, b: Binder, untimed: bool) -> str:
    """A condition on the raw timestamp column that DuckDB can check against its storage's min/max statistics,
    so that row groups outside every period are skipped; the exact test is on the local timestamp. With
    `untimed`, rows without a timestamp pass too (they are counted)."""
    nulls = f" OR {col.timestamp} IS NULL" if untimed else ""
    if col.timestamp_type == "TIMESTAMP":
        return f" WHERE ({col.timestamp} >= {b(lo)} AND {col.timestamp} < {b(hi)}){nulls}"
    if col.timestamp_type == TIMESTAMPTZ:  # a day either side covers every UTC offset
        return (f" WHERE ({col.timestamp} >= CAST({b(lo - timedelta(days=1))} AS TIMESTAMP) AT TIME ZONE 'UTC' "
                f"AND {col.timestamp} < CAST({b(hi + timedelta(days=1))} AS TIMESTAMP) AT TIME ZONE 'UTC'){nulls}")
    return ""


def build(request: ScanRequest, col: Columns) -> Query:
    """The statement computing every aggregate of `request` for each period and grouping set."""
    sets = tuple(dict.fromkeys(request.grouping_sets))
    for grouping_set in sets:
        for dim in grouping_set:
            if dim not in DIMENSIONS:
                raise ValueError(f"unknown dimension {dim!r}; expected one of {DIMENSIONS}")
    names = [a.name for a in request.aggregates]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate aggregate names in {names}")
    health = request.health is not None
    hset = tuple(request.health or ())
    used = tuple(d for d in DIMENSIONS if any(d in s for s in sets) or d in hset)
    by_touchpoint = any(d in used for d in ("touchpoint",) + TOUCHPOINT_DIMENSIONS)
    needs_dims = any(d in used for d in TOUCHPOINT_DIMENSIONS)
    b = Binder()
    tz = b(request.timezone)
    ctes: list[str] = []

    # the slices, and the periods each belongs to (rows without a readable timestamp, kept for the data health,
    # are slice -1, in none)
    bounds, covering = _slices(request.periods)
    pairs = [f"({i}, {b(label)})" for i, labels in enumerate(covering) for label in labels]
    ctes.append(f"{INTERNAL}slices(slice, period) AS (VALUES {', '.join(pairs)})")
    setup: tuple[Statement, ...] = ()
    if needs_dims:
        # a temporary table, one list per column: the same thousands of touchpoints as rows of a VALUES list, or
        # as lists in the statement itself, would take DuckDB longer to plan than to scan a million rows
        items = sorted(request.dimensions.items())
        lists = [[tp for tp, _ in items]] + [[attrs.get(d) for _, attrs in items] for d in TOUCHPOINT_DIMENSIONS]
        names = ("tp",) + TOUCHPOINT_DIMENSIONS
        columns = ", ".join(f"unnest(CAST(${n} AS VARCHAR[])) AS {n}" for n in names)
        setup = (Statement(f"CREATE OR REPLACE TEMPORARY TABLE {INTERNAL}dims AS SELECT {columns}",
                           dict(zip(names, lists))),)

    # the source's rows in any period: TIMESTAMPTZ columns as local wall-clock time and instants (durations) as
    # UTC wall-clock time, each with its slice and its touchpoint and segment as text
    replaced = []
    offsets = None
    if request.instants and request.periods:  # durations end up to a year after they start, or are wrong data
        lo, hi = min(p.start for p in request.periods), max(p.end for p in request.periods)
        offsets = utc_offsets_sql(request.timezone, lo - timedelta(days=31), hi + timedelta(days=400), b,
                                  lambda x: f"timezone('UTC', timezone({tz}, {x}))")
    for name, type_ in col.types.items():
        if name in request.instants:
            replaced.append(f"{utc_timestamp_sql(_q(name), type_, tz, offsets)} AS {_q(name)}")
        elif type_ == TIMESTAMPTZ:
            replaced.append(f"timezone({tz}, {_q(name)}) AS {_q(name)}")
    replace = f" REPLACE ({', '.join(replaced)})" if replaced else ""
    local_ts = local_timestamp_sql(col.timestamp, col.timestamp_type, tz)
    relation = b.sql(col.relation, col.relation_params)
    ts = f"{INTERNAL}ts"
    slice_case = ("CASE " + (f"WHEN {ts} IS NULL THEN -1 " if health else "")
                  + " ".join(f"WHEN {ts} < {b(hi)} THEN {i if covering[i] else 'NULL'}"
                             for i, hi in enumerate(bounds[1:])) + " END")
    keys = []
    if by_touchpoint:
        keys.append(f"CAST({col.touchpoint} AS VARCHAR) AS {INTERNAL}touchpoint")
    if "segment" in used:
        keys.append(f"CAST({col.segment} AS VARCHAR) AS {INTERNAL}segment")
    ctes.append(f"{INTERNAL}src AS (SELECT *{replace}, {local_ts} AS {ts} FROM {relation}"
                f"{_prefilter(col, bounds[0], bounds[-1], b, health)})")
    untimed = f" OR {ts} IS NULL" if health else ""
    ctes.append(f"{INTERNAL}rows AS (SELECT *, {slice_case} AS {INTERNAL}slice"
                + "".join(f", {k}" for k in keys)
                + f" FROM {INTERNAL}src WHERE ({ts} >= {b(bounds[0])} AND {ts} < {b(bounds[-1])}){untimed})")

    # partial results per (slice, touchpoint, segment)
    fine_keys = [f"{INTERNAL}slice"] + [f"{INTERNAL}{d}" for d in ("touchpoint", "segment")
                                        if (d == "touchpoint" and by_touchpoint) or (d == "segment" and d in used)]
    decomposable = [a for a in request.aggregates if not a.holistic]
    partials: dict[str, str] = {}  # SQL -> name: a partial several aggregates share (a mean's count and sum,
    same: dict[str, str] = {}  # a variance's, a count of the same rows) is computed once; name -> that name
    for a in decomposable:
        for name, expr in _partials(a, b):
            same[name] = partials.setdefault(expr, name)
    ctes.append(f"{INTERNAL}fine AS (SELECT {', '.join(fine_keys + [f'{e} AS {_q(n)}' for e, n in partials.items()])}"
                f" FROM {INTERNAL}rows GROUP BY {', '.join(fine_keys)})")  # a NULL slice (in no period) joins nothing
    aliases = "".join(f", r.{_q(first)} AS {_q(name)}" for name, first in same.items() if name != first)
    variances = [a for a in decomposable if a.func == "var_samp"]
    shift = ""
    if variances:
        shifts = ", ".join(f"coalesce(sum({_q(same[a.name + '__s'])}) / nullif(sum({_q(same[a.name + '__c'])}), 0), "
                           f"0) AS {_q(a.name + '__k')}" for a in variances)
        ctes.append(f"{INTERNAL}shift AS (SELECT {shifts} FROM {INTERNAL}fine)")
        shift = f" CROSS JOIN {INTERNAL}shift"

    def periods_of(rows: str, dims: Sequence[str], extra: str = "") -> str:
        """`rows` once per period its slice belongs to, with the touchpoint `dims` (journey, ...) among `dims`."""
        wanted = [d for d in TOUCHPOINT_DIMENSIONS if d in dims]
        columns = "".join(f", d.{d} AS {INTERNAL}{d}" for d in wanted)
        join = f" LEFT JOIN {INTERNAL}dims d ON d.tp = r.{INTERNAL}touchpoint" if wanted else ""
        return (f"SELECT m.period AS {INTERNAL}period, r.*{extra}{columns} FROM {rows} r "
                f"JOIN {INTERNAL}slices m ON m.slice = r.{INTERNAL}slice{join}")

    dim_cols = [f"{INTERNAL}{d}" for d in used]
    grouped = [d for d in used if any(d in s for s in sets)]  # the others only the data health groups by
    grouping = _grouping(grouped, used, sets)
    roll_cols = [f"{INTERNAL}{d}" if d in grouped else f"NULL AS {INTERNAL}{d}" for d in used]
    combined = [_combined(a) for a in decomposable]
    ctes.append(f"{INTERNAL}roll AS (SELECT {', '.join([f'{INTERNAL}period'] + roll_cols)}, "
                f"{grouping} AS {INTERNAL}grouping" + "".join(f", {c}" for c in combined)
                + f" FROM ({periods_of(f'{INTERNAL}fine', used, aliases)}) r{shift} GROUP BY GROUPING SETS ({_sets_sql(sets)}))")
    if health:
        # the health grouping set over the whole span (slices in no period too) and over the untimed rows
        keyed = [f"{INTERNAL}{d}" if d in hset else f"NULL AS {INTERNAL}{d}" for d in used]
        period = f"CASE WHEN {INTERNAL}slice = -1 THEN {b(UNTIMED)} ELSE {b(SPAN)} END"
        ctes.append(f"{INTERNAL}health AS (SELECT {', '.join([f'{period} AS {INTERNAL}period'] + keyed)}, "
                    f"{_mask(used, hset)} AS {INTERNAL}grouping" + "".join(f", {c}" for c in combined)
                    + f" FROM (SELECT r.*{aliases} FROM {INTERNAL}fine r) r{shift} GROUP BY "
                    + ", ".join(["1"] + [str(2 + used.index(d)) for d in hset]) + ")")
    outputs = [f"{INTERNAL}period"] + dim_cols
    rolled = f"(SELECT * FROM {INTERNAL}roll UNION ALL SELECT * FROM {INTERNAL}health)" if health \
        else f"{INTERNAL}roll"
    select = f"SELECT r.* FROM {rolled} r"
    holistic = [a for a in request.aggregates if a.holistic]
    everywhere = range(len(request.grouping_sets))
    wanted = sorted({i for a in holistic for i in (everywhere if a.sets is None else a.sets)})
    hsets = tuple(dict.fromkeys(request.grouping_sets[i] for i in wanted))
    if holistic and not hsets:  # no grouping set needs them any more
        select = f"SELECT r.*, {', '.join(f'NULL AS {_q(a.name)}' for a in holistic)} FROM {rolled} r"
    elif holistic:
        hused = [d for d in used if any(d in s for s in hsets)]
        hcols = [f"{INTERNAL}{d}" for d in hused]
        hgrouping = _grouping(hused, used, hsets)
        exprs = [f"{b.sql(a.sql, a.params)} AS {_q(a.name)}" for a in holistic]
        # only the rows some holistic aggregate takes, before they are repeated per period: each is kept whole
        some = " OR ".join(f"({b.sql(a.condition, a.condition_params)})" for a in holistic)
        taken = f"(SELECT * FROM {INTERNAL}rows WHERE {some})"
        ctes.append(f"{INTERNAL}whole AS (SELECT {', '.join([f'{INTERNAL}period'] + hcols)}, "
                    f"{hgrouping} AS {INTERNAL}grouping, {', '.join(exprs)} "
                    f"FROM ({periods_of(taken, hused)}) r GROUP BY GROUPING SETS ({_sets_sql(hsets)}))")
        on = " AND ".join([f"w.{INTERNAL}period = r.{INTERNAL}period", f"w.{INTERNAL}grouping = r.{INTERNAL}grouping"]
                          + [f"w.{c} IS NOT DISTINCT FROM r.{c}" for c in hcols])
        select = (f"SELECT r.*, {', '.join(f'w.{_q(a.name)}' for a in holistic)} FROM {rolled} r "
                  f"LEFT JOIN {INTERNAL}whole w ON {on}")
    order = ", ".join([f"{INTERNAL}grouping"] + [f"{o} NULLS FIRST" for o in outputs])
    sql = "WITH " + ",\n".join(ctes) + f"\nSELECT * FROM ({select})\nORDER BY {order}"
    referenced = set(re.findall(r"\$(p\d+)\b", sql))  # DuckDB refuses parameters a statement does not use
    return Query(sql, {k: v for k, v in b.params.items() if k in referenced}, used,
                 tuple(a.name for a in decomposable + holistic), setup)


def literal(value: object) -> str:
    """A value written as SQL, for reading only (statements are run with bound parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, timedelta):
        return f"INTERVAL '{value.total_seconds():g} seconds'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


_NAMED = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\$([A-Za-z_]\w*)\b")


def inline(sql: str, params: Mapping[str, object]) -> str:
    """For display only (never executed): each named parameter outside string literals written as its value."""
    written = {name: literal(value) for name, value in params.items()}
    return _NAMED.sub(lambda m: written[m.group(1)] if m.group(1) else m.group(0), sql)
