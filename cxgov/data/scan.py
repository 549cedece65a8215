"""The query of a scan: one statement that reads a source once for every period, grouping set and aggregate.

The period boundaries cut the time line into slices that do not overlap, so each row falls in one slice (or
none) by a CASE on its timestamp, never by a join. Decomposable aggregates (counts, sums, means, variances) are
computed per (slice, touchpoint, segment) and then combined per (period, grouping set): a period is a union of
slices, and journey, stage and channel are functions of the touchpoint. Holistic aggregates (quantiles) are
computed over the rows of each group of the grouping sets that need them. The statement is a sqlglot tree
(cxgov.data.sql) rendered for each engine; every value is a bound parameter.

Nothing here talks to a database: the engines run what `build` makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlglot import exp

from cxgov.data import sql, timestamps
from cxgov.data.engines.types import TIMESTAMP_TYPES, TIMESTAMPTZ
from cxgov.data.sql import INTERNAL, and_, case, cast, number, own, own_col, value

if TYPE_CHECKING:
    from cxgov.spec.model import Source

DIMENSIONS = ("touchpoint", "segment", "journey", "stage", "channel", "category")
# `category`: a problems analysis's category column (ScanRequest.category), read as text
TOUCHPOINT_DIMENSIONS = ("journey", "stage", "channel")
# The data-health part of a scan (ScanRequest.health): every row of the scan's time span once more under the
# period SPAN, the rows whose timestamp cannot be read (NULL, or text that is no timestamp) under UNTIMED, and
# ROWS, the count of rows, among the aggregates.
SPAN = f"{INTERNAL}span"
UNTIMED = f"{INTERNAL}untimed"
ROWS = f"{INTERNAL}rows"
# ... and CHECKSUM, the sum of a hash of each row's columns that the scan reads: the data digest's share of the
# source, taken in the same pass
CHECKSUM = f"{INTERNAL}checksum"
# how partial results of disjoint rows combine into the whole; quantile_cont does not (holistic)
DECOMPOSABLE = ("count", "sum", "avg", "var_samp")
FUNCS = DECOMPOSABLE + ("quantile_cont",)


@dataclass(frozen=True)
class Period:
    """One evaluation window: local (program timezone) timestamps, [start, end)."""

    label: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Aggregate:
    """`func` of `value` over the rows meeting `condition`: count, sum, avg, var_samp or quantile_cont.

    count counts the rows, or with a value the rows where it is not NULL. `value` and `condition` are
    expression trees over the source's columns (values in them are `sql.value` nodes); `fraction` is
    quantile_cont's. `sets` are the grouping sets (indices) whose rows need it, None for all: holistic aggregates
    are computed for those only (NULL elsewhere); the others cost nothing more for all.
    """

    name: str
    func: str = "count"
    value: exp.Expr | None = None
    condition: exp.Expr = field(default_factory=exp.true)
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

    def tree(self) -> exp.Expr:
        """The aggregate over the rows, as one expression."""
        if self.func == "quantile_cont":
            assert self.value is not None  # a quantile is of a value
            call: exp.Expr = sql.ExactQuantile(this=self.value.copy(), fraction=value(self.fraction))
        else:
            call = _call(self.func, self.value)
        return _filtered(call, self.condition)

    def text(self, dialect: str = "duckdb") -> str:
        """The aggregate in `dialect`'s SQL with its values written in, for reading."""
        return sql.render(self.tree(), dialect).text


def _call(func: str, arg: exp.Expr | None) -> exp.Expr:
    this = arg.copy() if arg is not None else exp.Star()
    return {"count": exp.Count, "sum": exp.Sum, "avg": exp.Avg, "var_samp": exp.Variance,
            "var_pop": exp.VariancePop}[func](this=this)


def _filtered(call: exp.Expr, condition: exp.Expr) -> exp.Expr:
    return exp.Filter(this=call, expression=exp.Where(this=condition.copy()))


@dataclass(frozen=True)
class ScanRequest:
    source: Source
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
    # the column the `category` dimension reads (problems analyses by category), when a grouping set uses it
    category: str | None = None


@dataclass(frozen=True)
class Rows:
    """A small table a statement reads by `name`, given as rows: the engine provides it before the statement runs
    (DuckDB: a temporary table of the cursor, made once; Spark: a temporary view over a local DataFrame, under a
    name of its own, dropped after). As rows of a VALUES list or lists in the statement, the same thousands of
    touchpoints take DuckDB longer to plan than to scan a million rows, and Spark reads them per row."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    @property
    def text(self) -> str:
        return f"-- {self.name}: {len(self.rows)} rows ({', '.join(self.columns)}), given by cxgov\n"


@dataclass(frozen=True)
class Query:
    sql: str
    params: Mapping[str, object]  # named parameters, as the dialect writes them
    dimensions: tuple[str, ...]  # the dimensions any grouping set uses, in DIMENSIONS order
    aggregates: tuple[str, ...]  # the aggregates' names, in the order the statement's rows give them
    tree: exp.Expr | None = None  # the statement before rendering
    dialect: str = "duckdb"
    tables: tuple[Rows, ...] = ()  # small tables it reads, which the engine provides

    @property
    def text(self) -> str:
        """Every statement, parameters written in as the dialect writes values, for reading (never run)."""
        return "".join(t.text for t in self.tables) + sql.Rendered(self.sql, self.params, self.dialect).text


@dataclass(frozen=True)
class Columns:
    """What `build` needs to know of the source, checked by the caller: its relation and column types."""

    relation: exp.Expr  # what the FROM clause reads: a table, or a table function over files
    types: Mapping[str, str]  # column -> DuckDB type
    timestamp: str  # the event timestamp column
    timestamp_type: str
    touchpoint: str | None  # columns, when a grouping set needs them
    segment: str | None
    category: str | None = None


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




class TextTimestamp(exp.Expression, exp.Func):
    """Text read as a timestamp (cxgov.data.timestamps has the grammar): as local wall-clock time in `zone`, or
    with `utc` as UTC wall-clock time; NULL where it is no timestamp."""

    arg_types = {"this": True, "zone": True, "utc": False}

    def lowered(self, dialect: str) -> exp.Expr:
        return sql.lower(timestamps.read(self.this, self.args["zone"], bool(self.args.get("utc"))), dialect)


def local_time(column: exp.Expr, type_: str, zone: exp.Expr) -> exp.Expr:
    """A column of `type_` as local wall-clock time in the program's zone: TIMESTAMP is already, other
    timestamp types are cast, TIMESTAMPTZ is converted, text is parsed."""
    if type_ == "TIMESTAMP":
        return column
    if type_ in TIMESTAMP_TYPES:
        return cast(column, "TIMESTAMP")
    if type_ == TIMESTAMPTZ:
        return sql.LocalFromInstant(this=column, zone=zone)
    return TextTimestamp(this=column, zone=zone)


def utc_time(column: exp.Expr, type_: str, zone: exp.Expr,
             offsets: Callable[[exp.Expr], exp.Expr] | None = None) -> exp.Expr:
    """A column as UTC wall-clock time, so that differences are elapsed time even across a daylight-saving
    change: a zone (TIMESTAMPTZ, a zone in text) is honoured, naive values are read in the program's zone
    (`offsets`, from `utc_offsets`, replaces the zone lookup where it can)."""
    if type_ == TIMESTAMPTZ:
        return sql.UtcFromInstant(this=column)
    if type_ in TIMESTAMP_TYPES:
        naive = column if type_ == "TIMESTAMP" else cast(column, "TIMESTAMP")
        return offsets(naive) if offsets is not None else sql.UtcFromLocal(this=naive, zone=zone)
    return TextTimestamp(this=column, zone=zone, utc=exp.true())


def utc_offsets(tz: str, lo: datetime, hi: datetime,
                fallback: Callable[[exp.Expr], exp.Expr]) -> Callable[[exp.Expr], exp.Expr]:
    """A function of a naive local timestamp giving it as UTC wall-clock time by a CASE over the zone's
    transitions in [lo, hi), and by `fallback` outside: the same instants as the zone lookup, without its cost
    per row."""
    first, found = transitions(tz, lo, hi)
    befores = [first] + [offset for _, offset in found]

    def shift(x: exp.Expr) -> exp.Expr:
        if not found:
            return value(first)
        return case(*((exp.LT(this=x.copy(), expression=value(boundary)), value(before))
                      for (boundary, _), before in zip(found, befores)), default=value(befores[-1]))

    def to_utc(x: exp.Expr) -> exp.Expr:
        inside = and_(exp.GTE(this=x.copy(), expression=value(lo)), exp.LT(this=x.copy(), expression=value(hi)))
        return exp.Paren(this=case((inside, exp.Sub(this=x.copy(), expression=shift(x))), default=fallback(x.copy())))
    return to_utc


def _evaluated(tree: exp.Expr) -> Iterator[exp.Expr]:
    """The subtrees of `tree` an engine evaluates for every row it evaluates `tree` for: none inside the branches
    of a CASE or behind COALESCE's first argument (a conversion there may be guarded by the condition)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Paren):
            stack.append(node.this)
            continue
        yield node
        if isinstance(node, exp.Coalesce):
            stack.append(node.this)
        elif not isinstance(node, (exp.Case, exp.If)):
            stack.extend(node.iter_expressions())


_CHEAP = (exp.Column, exp.Literal, sql.Value, exp.Boolean, exp.Null, exp.DataType, exp.Identifier, exp.Star,
          exp.Var, exp.Interval)


def _shared(aggregates: Sequence[Aggregate]) -> tuple[list[Aggregate], list[tuple[str, exp.Expr]]]:
    """Row-level expressions that several aggregates compute (a duration, a metric's filter, a conversion, a theme's
    match), each to be computed once per row as a column of the scan's rows, and the aggregates reading those
    columns.

    Engines do not share work between the FILTER clauses of an aggregation (PostgreSQL computes a duration once
    for each aggregate that tests it)."""
    trees = [t for a in aggregates for t in (a.value, a.condition) if t is not None]
    out, columns = _hoist(trees, f"{INTERNAL}x")
    swapped = iter(out)
    return [replace(a, value=next(swapped) if a.value is not None else None, condition=next(swapped))
            for a in aggregates], columns


def _hoist(trees: Sequence[exp.Expr], prefix: str) -> tuple[list[exp.Expr], list[tuple[str, exp.Expr]]]:
    """`trees` reading a column (`prefix`0, 1, ...) for each subtree they evaluate more than once for a row, and
    those columns' expressions.

    Only subtrees evaluated for every row anyway are taken (`_evaluated`): theme matches first (a regular
    expression is the dearest test a row meets), then the largest first. A column's expression is self-contained
    (it reads the source's columns only)."""
    counted, seen = _uses(trees)
    candidates = sorted((n for n, k in counted.items() if k > 1),
                        key=lambda n: (not isinstance(n, sql.Matches), -sum(1 for _ in n.walk())))
    out = list(trees)
    columns: list[tuple[str, exp.Expr]] = []
    taken: list[exp.Expr] = []
    for candidate in candidates:
        # what the trees still evaluate: a subtree of a column taken is read from it, and a candidate holding one
        # is no longer in the trees (the column stands in its place)
        if counted.get(candidate, 0) < 2 or any(_holds(candidate, c) for c in taken):
            continue
        name = f"{prefix}{len(columns)}"
        columns.append((name, candidate.copy()))
        taken.append(candidate)
        times = seen[candidate]
        inner_counted, inner_seen = _uses([candidate])
        for node, k in inner_counted.items():
            counted[node] -= k * times
        for node, k in inner_seen.items():
            seen[node] -= k * times

        def swap(node: exp.Expr, _name: str = name, _c: exp.Expr = candidate) -> exp.Expr:
            return own_col(_name) if node == _c else node
        out = [t.transform(swap) if _holds(t, candidate) else t for t in out]
    return out, columns


def _uses(trees: Sequence[exp.Expr]) -> tuple[dict[exp.Expr, int], dict[exp.Expr, int]]:
    """How much `trees` use each subtree they evaluate for every row (`_evaluated`) that reads a column: the times
    it is evaluated, and as many again for each word a theme match tests its text for (its lowering tests the text
    once more per word); and the times it is evaluated alone."""
    counted: dict[exp.Expr, int] = {}
    seen: dict[exp.Expr, int] = {}
    for tree in trees:
        for node in _evaluated(tree):
            if not isinstance(node, _CHEAP) and node.find(exp.Column) is not None:
                counted[node] = counted.get(node, 0) + 1
                seen[node] = seen.get(node, 0) + 1
                text = node.this
                if isinstance(node, sql.Matches) and not isinstance(text, _CHEAP):
                    counted[text] = counted.get(text, 0) + len(node.args.get("words") or [])
    return counted, seen


def _holds(tree: exp.Expr, part: exp.Expr) -> bool:
    """`part` is `tree` or one of its subtrees (anywhere, evaluated or not)."""
    kind, key = type(part), hash(part)
    return any(type(n) is kind and hash(n) == key for n in tree.walk())


def _fenced(select: exp.Select, dialect: str) -> exp.Select:
    """`select`, computing its columns once per row. PostgreSQL pulls a subquery up into the query reading it and
    evaluates a computed column wherever it is read (the folded text in each test of each theme): OFFSET 0 keeps
    it apart. (It also keeps PostgreSQL from running the scan in parallel: worth it for theme matches only.)"""
    return select.offset(0, copy=False) if dialect == "postgres" else select


def _slices(periods: Sequence[Period]) -> tuple[list[datetime], list[list[str]]]:
    """The boundaries of every period, sorted, and for each slice between two of them the periods covering it."""
    bounds = sorted({p.start for p in periods} | {p.end for p in periods})
    covering = [[p.label for p in periods if p.start <= lo and hi <= p.end] for lo, hi in zip(bounds, bounds[1:])]
    return bounds, covering


def _partials(agg: Aggregate) -> list[tuple[str, exp.Expr]]:
    """(name, expression) of the per-slice partial results of a decomposable aggregate, named after it."""
    if agg.func in ("count", "sum"):
        return [(agg.name, _filtered(_call(agg.func, agg.value), agg.condition))]
    out = [(agg.name + "__c", _filtered(_call("count", agg.value), agg.condition)),
           (agg.name + "__s", _filtered(_call("sum", agg.value), agg.condition))]
    if agg.func == "var_samp":
        out.append((agg.name + "__v", _filtered(_call("var_pop", agg.value), agg.condition)))
    return out


def _c(name: str) -> exp.Column:
    """A partial's column (its name is the aggregate's: quoted, not a spec column)."""
    return exp.Column(this=exp.Identifier(this=name, quoted=True))


def _sum(e: exp.Expr) -> exp.Sum:
    return exp.Sum(this=e)


def _combined(agg: Aggregate, only: exp.Expr | None = None) -> exp.Expr:
    """The aggregate over a group from its partials per slice (and per row key: only those meeting `only`, a
    condition on the keys of the partials' rows, see `_keyed`).

    A variance combines the within-slice variances with the spread of the slice means around the group mean,
    measured from a shift `k` (the mean over all the scan's rows), which keeps the sums of squares small whatever
    the values' magnitude: sum c(m - M)^2 = sum d^2/c - (sum d)^2/C with d = s - ck per slice."""
    name = agg.name

    def total(e: exp.Expr) -> exp.Expr:
        return _sum(e) if only is None else _filtered(_sum(e), only)

    if agg.func == "count":
        # a count fits 64 bits, and drivers turn BIGINT into an int several times faster than the 128-bit sum
        # (DuckDB's HUGEINT, PostgreSQL's numeric) summing counts gives
        return cast(total(_c(name)), "BIGINT").as_(exp.Identifier(this=name, quoted=True))
    if agg.func == "sum":
        return total(_c(name)).as_(exp.Identifier(this=name, quoted=True))
    c: Callable[[], exp.Expr] = lambda: _c(name + "__c")  # noqa: E731
    s: Callable[[], exp.Expr] = lambda: _c(name + "__s")  # noqa: E731
    if agg.func == "avg":
        return exp.Div(this=total(s()), expression=exp.Nullif(this=total(c()), expression=number(0)),
                       typed=False, safe=False).as_(exp.Identifier(this=name, quoted=True))
    v, k = _c(name + "__v"), _c(name + "__k")

    def d() -> exp.Expr:  # the slice's sum of deviations from k
        return exp.Paren(this=exp.Sub(this=s(), expression=exp.Mul(this=c(), expression=k.copy())))

    within = total(exp.Mul(this=c(), expression=v))
    between = total(exp.Div(this=exp.Pow(this=d(), expression=number(2)), expression=c(), typed=False, safe=False))
    spread = exp.Div(this=exp.Pow(this=total(d()), expression=number(2)), expression=total(c()), typed=False,
                     safe=False)
    variance = exp.Div(this=exp.Paren(this=exp.Sub(this=exp.Add(this=within, expression=between), expression=spread)),
                       expression=exp.Paren(this=exp.Sub(this=total(c()), expression=number(1))), typed=False,
                       safe=False)

    def mean(func: type[exp.Func]) -> exp.Expr:  # the least or greatest slice mean
        return total_of(func(this=exp.Div(this=s(), expression=exp.Nullif(this=c(), expression=number(0)),
                                          typed=False, safe=False)))

    def total_of(e: exp.Expr) -> exp.Expr:
        return e if only is None else _filtered(e, only)

    # Every value the same (no spread within a slice, one mean across them): exactly 0. The formula would leave
    # the rounding of its cancelling terms (about 1e-15, from k), which the interval's square root makes 1e-8
    # and which varies with the order the engine's threads summed in: results would differ from run to run.
    constant = sql.and_(exp.EQ(this=within.copy(), expression=number(0)),
                        exp.EQ(this=mean(exp.Min), expression=mean(exp.Max)))
    return case((exp.GT(this=total(c()), expression=number(1)),
                 case((constant, exp.Literal.number("0.0")),
                      default=exp.Anonymous(this="greatest", expressions=[exp.Literal.number("0.0"), variance])))).as_(
        exp.Identifier(this=name, quoted=True))


BITS = f"{INTERNAL}bits"
_WIDTH = 62  # tests per key column: a BIGINT's bits, short of the sign


def _keyed(aggregates: Sequence[Aggregate]) -> tuple[list[Aggregate], dict[str, exp.Expr],
                                                     list[tuple[str, exp.Expr]]]:
    """Theme matches (`sql.Matches`) as bits of integer row keys: the aggregates testing the bits, for each
    decomposable one its condition on the keys alone (taken out of the aggregate), and the keys' expressions.

    The scan groups its partials by these keys too, so an aggregate over the rows matching a theme (or not) is
    its partial over all the rows, summed over the partials' rows whose key has the theme's bit (set or not):
    the score's aggregates among the rows mentioning each root cause, and among the rest, are one partial each,
    and the row-level work is one regular expression per theme."""
    found: dict[exp.Expr, int] = {}
    for a in aggregates:
        for tree in (a.value, a.condition):
            for node in (tree.find_all(sql.Matches) if tree is not None else ()):
                found.setdefault(node, len(found))
    if not found:
        return list(aggregates), {}, []

    def test(node: exp.Expr) -> exp.Expr:
        j = found.get(node) if isinstance(node, sql.Matches) else None
        if j is None:
            return node
        bit = exp.BitwiseAnd(this=own_col(f"{BITS}{j // _WIDTH}"), expression=number(1 << (j % _WIDTH)))
        return exp.Paren(this=exp.NEQ(this=exp.Paren(this=bit), expression=number(0)))

    out, only = [], {}
    for a in aggregates:
        condition = a.condition.transform(test)
        if not a.holistic:
            rest: list[exp.Expr] = []
            keyed: list[exp.Expr] = []
            for conjunct in _conjuncts(condition):
                (keyed if all(c.name.startswith(BITS) for c in conjunct.find_all(exp.Column)) and
                 conjunct.find(exp.Column) is not None else rest).append(conjunct)
            if keyed:
                only[a.name] = and_(*keyed)
                condition = and_(*rest) if rest else exp.true()
        out.append(replace(a, value=a.value.transform(test) if a.value is not None else None, condition=condition))
    # each test cast to 0 or 1 (not a CASE: what the tests read is then computed once, before, see `_hoist`)
    nodes = list(found)
    keys = [(f"{BITS}{k // _WIDTH}", sql.bit_sum([cast(n.copy(), "INT") for n in nodes[k:k + _WIDTH]],
                                                 [1 << j for j in range(len(nodes[k:k + _WIDTH]))]))
            for k in range(0, len(nodes), _WIDTH)]
    return out, only, keys


def _conjuncts(condition: exp.Expr) -> list[exp.Expr]:
    """The terms of a condition's top-level AND (through parentheses)."""
    node = condition
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [condition]


def _mask(dims: Sequence[str], grouping_set: Sequence[str]) -> int:
    """GROUPING(dims...) for the rows of `grouping_set`: a bit set for each dimension it does not group by."""
    return sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in grouping_set)


def _dim(d: str, table: str | None = None) -> exp.Column:
    return own_col(d, table)


def _grouping(grouped: Sequence[str], used: Sequence[str], sets: Sequence[Sequence[str]]) -> exp.Expr:
    """A row's mask over `used` (as `_mask`) in a GROUP BY GROUPING SETS `sets` over `grouped`."""
    if not grouped:
        return number(_mask(used, ()))
    mask = sql.GroupingMask(expressions=[_dim(d) for d in grouped])
    if list(grouped) == list(used):
        return mask
    return case(*((exp.EQ(this=mask.copy(), expression=number(_mask(grouped, s))), number(_mask(used, s)))
                  for s in sets))


def _grouping_sets(sets: Sequence[Sequence[str]]) -> exp.Group:
    return exp.Group(expressions=[exp.GroupingSets(expressions=[
        exp.Tuple(expressions=[own_col("period")] + [_dim(d) for d in s]) for s in sets])])


def _prefilter(col: Columns, lo: datetime, hi: datetime, untimed: bool) -> exp.Expr | None:
    """A condition on the raw timestamp column that an engine can check against its storage's min/max
    statistics, so that row groups outside every period are skipped; the exact test is on the local timestamp.
    With `untimed`, rows without a timestamp pass too (they are counted)."""
    ts = sql.col(col.timestamp)
    low: exp.Expr
    high: exp.Expr
    if col.timestamp_type == "TIMESTAMP":
        low, high = value(lo), value(hi)
    elif col.timestamp_type == TIMESTAMPTZ:  # a day either side covers every UTC offset
        low = exp.AtTimeZone(this=cast(value(lo - timedelta(days=1)), "TIMESTAMP"), zone=exp.Literal.string("UTC"))
        high = exp.AtTimeZone(this=cast(value(hi + timedelta(days=1)), "TIMESTAMP"), zone=exp.Literal.string("UTC"))
    else:
        return None
    window = exp.Paren(this=and_(exp.GTE(this=ts, expression=low), exp.LT(this=ts.copy(), expression=high)))
    return exp.or_(window, exp.Is(this=ts.copy(), expression=exp.Null())) if untimed else window


def _select(*columns: exp.Expr) -> exp.Select:
    return exp.Select(expressions=list(columns))


def _star(table: str | None = None) -> exp.Expr:
    return exp.Column(this=exp.Star(), table=exp.Identifier(this=table, quoted=False)) if table else exp.Star()


def _from(select: exp.Select, source: exp.Expr, alias: str | None = None) -> exp.Select:
    if isinstance(source, exp.Query):
        source = exp.Subquery(this=source, alias=exp.TableAlias(this=exp.Identifier(this=alias or "r")))
    elif alias:
        source = exp.alias_(source, alias, table=True)
    return select.from_(source, copy=False)


def _cte(name: str) -> exp.Table:
    return exp.Table(this=own(name))


DIMS_COLUMNS = ("tp",) + TOUCHPOINT_DIMENSIONS


def _dims_relation(lists: Sequence[Sequence[str | None]]) -> exp.Select:
    """The touchpoint-dimension table (tp, journey, stage, channel) on PostgreSQL, from one list parameter per
    column: unnest of several arrays, one row per index."""
    names = [exp.Identifier(this=n) for n in DIMS_COLUMNS]
    arrays = [exp.Cast(this=value(v), to=exp.DataType.build("TEXT[]", dialect="postgres")) for v in lists]
    return _select(exp.Star()).from_(exp.Unnest(expressions=arrays, alias=exp.TableAlias(
        this=exp.Identifier(this="d"), columns=names)), copy=False)


def build(request: ScanRequest, col: Columns, dialect: str = "duckdb") -> Query:
    """The statement computing every aggregate of `request` for each period and grouping set, for `dialect`."""
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
    tz = value(request.timezone)
    ctes: list[tuple[str, exp.Expr]] = []

    # the slices, and the periods each belongs to (rows without a readable timestamp, kept for the data health,
    # are slice -1, in none)
    bounds, covering = _slices(request.periods)
    pairs = [exp.Tuple(expressions=[number(i), value(label)]) for i, labels in enumerate(covering) for label in labels]
    slices = exp.Values(expressions=pairs, alias=exp.TableAlias(
        this=own("slices"), columns=[exp.Identifier(this="slice"), exp.Identifier(this="period")]))
    ctes.append(("slices", _select(exp.Star()).from_(slices, copy=False)))
    tables: tuple[Rows, ...] = ()
    if needs_dims:
        items = sorted(request.dimensions.items())
        lists = [[tp for tp, _ in items]] + [[attrs.get(d) for _, attrs in items] for d in TOUCHPOINT_DIMENSIONS]
        if dialect in ("duckdb", "spark"):
            name = f"{INTERNAL}dims_rows"
            tables = (Rows(name, DIMS_COLUMNS, tuple(zip(*lists))),)
            ctes.append(("dims", _select(exp.Star()).from_(exp.Table(this=exp.Identifier(this=name, quoted=True)),
                                                           copy=False)))
        else:  # a read-only session creates nothing: the lists are parameters of the statement itself
            ctes.append(("dims", _dims_relation(lists)))

    # the source's rows in any period: the columns the aggregates read (TIMESTAMPTZ ones as local wall-clock time,
    # instants of durations as UTC wall-clock time), the local timestamp, its slice, the touchpoint and segment
    read = sql.columns_of(*(a.value for a in request.aggregates), *(a.condition for a in request.aggregates))
    offsets = None
    if request.instants and request.periods:  # durations end up to a year after they start, or are wrong data
        lo, hi = min(p.start for p in request.periods), max(p.end for p in request.periods)
        offsets = utc_offsets(request.timezone, lo - timedelta(days=31), hi + timedelta(days=400),
                              lambda x: sql.UtcFromLocal(this=x, zone=tz.copy()))
    projected: list[exp.Expr] = []
    for name, type_ in col.types.items():
        if name not in read and name not in (col.touchpoint, col.segment, col.category):
            continue
        column = sql.col(name)
        if name in request.instants:
            projected.append(exp.alias_(utc_time(column, type_, tz, offsets), sql.ident(name)))
        elif type_ == TIMESTAMPTZ:
            projected.append(exp.alias_(sql.LocalFromInstant(this=column, zone=tz.copy()), sql.ident(name)))
        else:
            projected.append(column)
    if health:
        raw = sorted(read | {col.timestamp} | {c for c in (col.touchpoint, col.segment, col.category) if c})
        projected.append(exp.alias_(sql.RowHash(expressions=[sql.col(c) for c in raw if c in col.types]),
                                    own("hash")))
    ts = own_col("ts")
    projected.append(exp.alias_(local_time(sql.col(col.timestamp), col.timestamp_type, tz.copy()), own("ts")))
    src = _select(*projected).from_(col.relation.copy(), copy=False)
    prefilter = _prefilter(col, bounds[0], bounds[-1], health)
    if prefilter is not None:
        src = src.where(prefilter, copy=False)
    ctes.append(("src", src))
    # On DuckDB, src is stored (MATERIALIZED) only where reading it again costs more than storing it:
    # - DuckDB pushes the filters on the local timestamp below src, into the scan, and there evaluates a text
    #   timestamp's reading once for each place they read it, without sharing the work (1M text timestamps: a scan
    #   of 7.5 s, 2.1 s materialized): src materialized reads each text once;
    # - otherwise each consumer reads the table again (NOT MATERIALIZED): a percentile's rows are a filtered second
    #   scan, cheaper than storing every row's columns (5M tickets: 0.11 s and 280 MB less)
    materialized = {"src": any(src.find_all(TextTimestamp))} if dialect == "duckdb" else {}
    whens = ([(exp.Is(this=ts.copy(), expression=exp.Null()), number(-1))] if health else []) + [
        (exp.LT(this=ts.copy(), expression=value(hi)), number(i) if covering[i] else exp.Null())
        for i, hi in enumerate(bounds[1:])]
    keys: list[exp.Expr] = [exp.alias_(case(*whens), own("slice"))]
    if by_touchpoint:
        keys.append(exp.alias_(cast(sql.col(col.touchpoint or ""), "VARCHAR"), own("touchpoint")))
    if "segment" in used:
        keys.append(exp.alias_(cast(sql.col(col.segment or ""), "VARCHAR"), own("segment")))
    if "category" in used:
        keys.append(exp.alias_(cast(sql.col(col.category or ""), "VARCHAR"), own("category")))
    in_span = exp.Paren(this=and_(exp.GTE(this=ts.copy(), expression=value(bounds[0])),
                                  exp.LT(this=ts.copy(), expression=value(bounds[-1]))))
    rows_where = exp.or_(in_span, exp.Is(this=ts.copy(), expression=exp.Null())) if health else in_span
    keyed, only, bits = _keyed(request.aggregates)
    aggregates, shared = _shared(keyed)
    if health:
        aggregates.append(Aggregate(CHECKSUM, "sum", own_col("hash")))
        if ROWS not in names:
            aggregates.append(Aggregate(ROWS))
    # with theme matches: DuckDB computes a repeated expression once, and tests ASCII texts over lower()
    # (sql.ascii_split); elsewhere what the shared columns and keys compute more than once themselves (the folded
    # text every theme tests, once per word) is computed once in a step before
    computed = shared + bits
    inner: list[tuple[str, exp.Expr]] = []
    if bits and dialect == "duckdb":
        computed = shared + [(name, sql.ascii_split(e, dialect)) for name, e in bits]
    elif bits:
        exprs, inner = _hoist([e for _, e in computed], f"{INTERNAL}y")
        computed = [(name, e) for (name, _), e in zip(computed, exprs)]
    keys += [exp.alias_(e, own(name)) for name, e in computed]
    below = "src"
    if inner:
        ctes.append(("pre", _fenced(_select(exp.Star(), *[exp.alias_(e, own(n)) for n, e in inner]).from_(
            _cte("src"), copy=False), dialect)))
        below = "pre"
    rows_cte = _select(exp.Star(), *keys).from_(_cte(below), copy=False).where(rows_where, copy=False)
    ctes.append(("rows", _fenced(rows_cte, dialect) if bits else rows_cte))

    # partial results per (slice, touchpoint, segment)
    fine_keys = ["slice"] + [d for d in ("touchpoint", "segment", "category")
                             if (d == "touchpoint" and by_touchpoint) or (d != "touchpoint" and d in used)]
    fine_keys += [name for name, _ in bits]
    decomposable = [a for a in aggregates if not a.holistic]
    partials: dict[exp.Expr, str] = {}  # a partial several aggregates share (a mean's count and sum, a
    same: dict[str, str] = {}  # variance's, a count of the same rows) is computed once; name -> that name
    for a in decomposable:
        for name, expr in _partials(a):
            same[name] = partials.setdefault(expr, name)
    fine = _select(*[own_col(k) for k in fine_keys],
                   *[exp.alias_(e, exp.Identifier(this=n, quoted=True)) for e, n in partials.items()])
    fine = fine.from_(_cte("rows"), copy=False).group_by(*[own_col(k) for k in fine_keys], copy=False)
    ctes.append(("fine", fine))  # a NULL slice (in no period) joins nothing
    aliases = [exp.alias_(exp.Column(this=exp.Identifier(this=first, quoted=True), table=exp.Identifier(this="r")),
                          exp.Identifier(this=name, quoted=True)) for name, first in same.items() if name != first]
    variances = [a for a in decomposable if a.func == "var_samp"]
    shifted = bool(variances)
    if variances:
        ctes.append(("shift", _select(*[exp.alias_(exp.Coalesce(this=exp.Div(
            this=_sum(_c(same[a.name + "__s"])), expression=exp.Nullif(this=_sum(_c(same[a.name + "__c"])),
                                                                     expression=number(0)), typed=False, safe=False),
            expressions=[number(0)]), exp.Identifier(this=a.name + "__k", quoted=True)) for a in variances])
            .from_(_cte("fine"), copy=False)))

    def periods_of(rows: exp.Expr, dims: Sequence[str], extra: Sequence[exp.Expr] = ()) -> exp.Select:
        """`rows` once per period its slice belongs to, with the touchpoint `dims` (journey, ...) among `dims`."""
        wanted = [d for d in TOUCHPOINT_DIMENSIONS if d in dims]
        select = _select(exp.alias_(exp.Column(this=exp.Identifier(this="period"), table=exp.Identifier(this="m")),
                                    own("period")), _star("r"), *[e.copy() for e in extra],
                         *[exp.alias_(exp.Column(this=exp.Identifier(this=d), table=exp.Identifier(this="d")), own(d))
                           for d in wanted])
        select = _from(select, rows, "r")
        select = select.join(exp.alias_(_cte("slices"), "m", table=True),
                             on=exp.EQ(this=exp.Column(this=exp.Identifier(this="slice"), table=exp.Identifier(this="m")),
                                       expression=own_col("slice", "r")), copy=False)
        if wanted:
            select = select.join(exp.alias_(_cte("dims"), "d", table=True), join_type="LEFT",
                                 on=exp.EQ(this=exp.Column(this=exp.Identifier(this="tp"), table=exp.Identifier(this="d")),
                                           expression=own_col("touchpoint", "r")), copy=False)
        return select

    def with_shift(select: exp.Select) -> exp.Select:
        return select.join(_cte("shift"), join_type="CROSS", copy=False) if shifted else select

    grouped = [d for d in used if any(d in s for s in sets)]  # the others only the data health groups by
    grouping = _grouping(grouped, used, sets)
    roll_cols = [_dim(d) if d in grouped else exp.alias_(exp.Null(), own(d)) for d in used]
    combined = [_combined(a, only.get(a.name)) for a in decomposable]
    # the checksum is read from the data-health rows only: elsewhere a NULL, not a 128-bit sum per group
    rolled_aggregates = [exp.alias_(sql.NoRowHashSum(), exp.Identifier(this=a.name, quoted=True))
                         if a.name == CHECKSUM else e for a, e in zip(decomposable, combined)]
    roll = _select(own_col("period"), *roll_cols, exp.alias_(grouping, own("grouping")), *rolled_aggregates)
    roll = with_shift(_from(roll, periods_of(_cte("fine"), used, aliases), "r"))
    roll.set("group", _grouping_sets(sets))
    ctes.append(("roll", roll))
    if health:
        # the health grouping set over the whole span (slices in no period too) and over the untimed rows
        hdims = [_dim(d) if d in hset else exp.alias_(exp.Null(), own(d)) for d in used]
        period = case((exp.EQ(this=own_col("slice"), expression=number(-1)), value(UNTIMED)), default=value(SPAN))
        hrows = _from(_select(_star("r"), *[e.copy() for e in aliases]), _cte("fine"), "r")
        hsel = _select(exp.alias_(period, own("period")), *hdims, exp.alias_(number(_mask(used, hset)), own("grouping")),
                       *[c.copy() for c in combined])
        hsel = with_shift(_from(hsel, hrows, "r"))
        ctes.append(("health", hsel.group_by(period.copy(), *[_dim(d) for d in hset], copy=False)))
    rolled: exp.Expr = _cte("roll")
    if health:
        rolled = exp.union(_select(exp.Star()).from_(_cte("roll")), _select(exp.Star()).from_(_cte("health")),
                           distinct=False)
    holistic = [a for a in aggregates if a.holistic]
    everywhere = range(len(request.grouping_sets))
    wanted = sorted({i for a in holistic for i in (everywhere if a.sets is None else a.sets)})
    hsets = tuple(dict.fromkeys(request.grouping_sets[i] for i in wanted))
    named: Callable[[Aggregate], exp.Identifier] = lambda a: exp.Identifier(this=a.name, quoted=True)  # noqa: E731
    if holistic and not hsets:  # no grouping set needs them any more
        select = _from(_select(_star("r"), *[exp.alias_(exp.Null(), named(a)) for a in holistic]), rolled, "r")
    elif holistic:
        hused = [d for d in used if any(d in s for s in hsets)]
        exprs = [exp.alias_(a.tree(), named(a)) for a in holistic]
        # only the rows some holistic aggregate takes, before they are repeated per period: each is kept whole
        # (a lone column unparenthesised: Spark reads `FROM t WHERE (c)` as t aliased WHERE with a column c)
        taken = _select(exp.Star()).from_(_cte("rows"), copy=False).where(
            exp.or_(*[a.condition.copy() if isinstance(a.condition, exp.Column) else exp.Paren(this=a.condition.copy())
                      for a in holistic]), copy=False)
        whole = _select(own_col("period"), *[_dim(d) for d in hused],
                        exp.alias_(_grouping(hused, used, hsets), own("grouping")), *exprs)
        whole = _from(whole, periods_of(taken, hused), "r")
        whole.set("group", _grouping_sets(hsets))
        ctes.append(("whole", whole))
        on = and_(*[exp.EQ(this=own_col(c, "w"), expression=own_col(c, "r")) for c in ("period", "grouping")],
                  *[sql.SameText(this=_dim(d, "w"), expression=_dim(d, "r")) for d in hused])
        select = _from(_select(_star("r"), *[exp.Column(this=named(a), table=exp.Identifier(this="w"))
                                             for a in holistic]), rolled, "r")
        select = select.join(exp.alias_(_cte("whole"), "w", table=True), join_type="LEFT", on=on, copy=False)
    else:
        select = _from(_select(_star("r")), rolled, "r")
    # no ORDER BY: Store.scan orders the rows itself, the same on every engine whatever its collation (and
    # Spark would spend a stage on a global sort)
    statement = select
    for name, body in ctes:
        statement = statement.with_(own(name), as_=body, copy=False, materialized=materialized.get(name))
    rendered = sql.render(statement, dialect)
    return Query(rendered.sql, rendered.params, used, tuple(a.name for a in decomposable + holistic), statement,
                 dialect, tables)


def scanned(rows: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(rows read, checksum of the columns read) of a scan, from its data-health records."""
    count = checksum = 0
    for row in rows:
        if row["grouping"] is None:
            count += int(row.get(ROWS) or 0)
            checksum += int(row.get(CHECKSUM) or 0)
    return count, checksum


def literal(v: object) -> str:
    """A value written as SQL, for reading only (statements are run with bound parameters)."""
    return sql.literal(v)


def inline(text: str, params: Mapping[str, object]) -> str:
    """For display only (never executed): each named parameter outside string literals written as its value."""
    return sql.Rendered(text, params).text
