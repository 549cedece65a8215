"""Engine-neutral query building: sqlglot expression trees, cxgov's own nodes, and one rendering per engine.

Queries are built as trees, never as text: identifiers taken from a spec are validated and quoted (`ident`,
`col`, `table`), values are `Value` nodes that become named parameters bound by the driver when the tree is
rendered (`render`), each distinct value once. Where the engines differ in meaning, cxgov owns the construct as
a node of its own, lowered per engine before sqlglot writes the dialect:

- `LocalFromInstant(x, zone)`: a TIMESTAMP WITH TIME ZONE as wall-clock time in `zone` (a naive TIMESTAMP);
- `UtcFromLocal(x, zone)`: a naive wall-clock time in `zone` as naive UTC wall-clock time;
- `UtcFromInstant(x)`: a TIMESTAMP WITH TIME ZONE as naive UTC wall-clock time;
- `EpochSeconds(x)`: a naive timestamp as seconds since 1970-01-01 00:00, with fractions;
- `ExactQuantile(x, fraction)`: the exact percentile by linear interpolation (never an approximation);
- `GroupingMask(a, b, ...)`: the GROUPING bit mask of several columns (Spark's grouping_id);
- `IsFinite(x)`: neither NaN nor an infinity;
- `TryCast(x, type)`: the cast, or NULL where it fails;
- `SameText(a, b)`: equal texts or both NULL, as a join key every engine can hash;
- `RowHash(a, b, ...)`: a hash of a row's values, as an integer that sums without overflow (the data digest's
  order-independent checksum is the sum over the rows); `NoRowHashSum()`, NULL of the type of that sum;
- `Folded(x)`: a text folded for theme matching (cxgov.data.themes: case and accents, by translate() over two
  bound strings; on DuckDB and PostgreSQL an ASCII text by lower(), the same fold many times faster);
- `Matches(x, pattern, words)`: a (folded) text contains the regular expression `pattern` (a bound value), which
  cxgov.data.themes writes in the syntax all three engines read alike; never NULL. `words`, optional, are LIKE
  patterns (bound values) one of which every matching text meets: the expression runs only on those texts.

For text read as a timestamp (cxgov.data.timestamps builds the grammar from these):

- `Let(x, body, name)` (made by `let`): `body` with each `Bound(name)` in it read as `x`, which is computed once
  a row (DuckDB and Spark: a lambda over a one-element list; PostgreSQL: a scalar subquery over a subquery it
  cannot pull up); Lets nest, each under a name of its own;
- `Groups(x, pattern, count)`: the `count` capture groups of cxgov's own regular expression `pattern` (in the
  syntax all three engines read alike, and whose groups they assign alike) in text `x`, as one value that
  `Group(groups, i)` reads: the i-th group (from 1), NULL where it matched nothing or `x` does not match;
- `Lookup(x, keys, values)`: the value at the place of `x` among `keys` (both bound lists), NULL where it is none;
- `AsciiLower(x)`: an ASCII text in lower case, whatever the database's locale;
- `Timestamp(x)`: text 'YYYY-MM-DD HH:MM:SS.ffffff' as a naive TIMESTAMP; year 0000 is 1 BC, as DuckDB and Spark
  read it (PostgreSQL writes it 0001 BC);
- `LocalFromUtc(x, zone)`: a naive UTC wall-clock time as wall-clock time in `zone`;
- `Naive(x)`: a timestamp as the engine's naive timestamp type (Spark's TIMESTAMP_NTZ).

Nothing here talks to a database: `cxgov.data.engines` runs what `render` writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Sequence

from sqlglot import exp

from cxgov.errors import DataError

DIALECTS = ("duckdb", "postgres", "spark")
INTERNAL = "__cxgov_"  # the prefix of cxgov's own names in a query; never a spec's
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$-]{0,127}$")


# -- names ------------------------------------------------------------------------------------------------


def check_ident(name: object, what: str = "column") -> str:
    """`name` when it is a valid identifier from a spec; DataError otherwise (cxgov's own prefix included)."""
    if not isinstance(name, str) or not _IDENT.match(name) or name.startswith(INTERNAL):
        raise DataError(f"{name!r} is not a valid {what} name",
                        hint="use letters, digits, '_', '-' or '$', starting with a letter or '_'")
    return name


def quote_ident(name: str, what: str = "column") -> str:
    """A validated identifier from a spec, double-quoted for SQL text (DuckDB and PostgreSQL)."""
    return f'"{check_ident(name, what)}"'


def quote_name(name: str) -> str:
    """A column name read from a data file (its header), double-quoted for SQL text whatever it holds. The
    loader has refused names that are cxgov's own (INTERNAL) or hold control characters."""
    return '"' + name.replace('"', '""') + '"'


def quote_table(name: str) -> str:
    """A table name, optionally schema-qualified (`schema.table`), validated and quoted part by part."""
    parts = name.split(".") if isinstance(name, str) else [name]
    if len(parts) > 2:
        raise DataError(f"{name!r} is not a valid table name", hint="write `table` or `schema.table`")
    return ".".join(quote_ident(part, "table") for part in parts)


def ident(name: str, what: str = "column") -> exp.Identifier:
    """A validated, quoted identifier."""
    return exp.Identifier(this=check_ident(name, what), quoted=True)


def own(name: str) -> exp.Identifier:
    """One of cxgov's own names (a CTE, an alias), quoted: `own("rows")` is "__cxgov_rows"."""
    return exp.Identifier(this=name if name.startswith(INTERNAL) else INTERNAL + name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    """A spec's column, validated and quoted; `table` is one of cxgov's own aliases."""
    return exp.Column(this=ident(name), table=exp.Identifier(this=table, quoted=False) if table else None)


def own_col(name: str, table: str | None = None) -> exp.Column:
    """One of cxgov's own columns."""
    return exp.Column(this=own(name), table=exp.Identifier(this=table, quoted=False) if table else None)


def table(name: str, schema: str | None = None) -> exp.Table:
    """A table name from a spec (`table`, `schema.table` or `catalog.schema.table`), each part validated and
    quoted; `schema` (an attached database) is put in front of an unqualified one."""
    parts = name.split(".") if isinstance(name, str) else [name]
    if not 1 <= len(parts) <= 3:
        raise DataError(f"{name!r} is not a valid table name",
                        hint="write `table`, `schema.table` or `catalog.schema.table`")
    quoted = [ident(part, "table") for part in parts]
    if schema is not None and len(quoted) == 1:
        quoted.insert(0, exp.Identifier(this=schema, quoted=False))
    catalog, db = ([None] * (3 - len(quoted)) + quoted[:-1])[-2:] if len(quoted) > 1 else (None, None)
    return exp.Table(this=quoted[-1], db=db, catalog=catalog)


# -- values -----------------------------------------------------------------------------------------------


class Value(exp.Expression):
    """A value, bound as a named parameter when the tree is rendered (`this`: the Python value)."""

    arg_types = {"this": True}


def value(v: object) -> Value:
    return Value(this=_Boxed(v))


@dataclass(frozen=True, eq=False)
class _Boxed:
    """Keeps a Python value out of sqlglot's reach (it would walk lists and copy them as nodes); equal when the
    values are, so that trees holding the same values compare equal."""

    v: object

    def _key(self) -> tuple[type, object]:
        v = self.v
        return (type(v), tuple(v) if isinstance(v, list) else v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Boxed) and self._key() == other._key()

    def __hash__(self) -> int:
        try:
            return hash(self._key())
        except TypeError:
            return id(self)


def number(v: float | int) -> exp.Literal | exp.Neg:
    """A number cxgov writes itself (0, 1, a bit mask): a literal, not a parameter."""
    return exp.Literal.number(v)


def cast(e: exp.Expr, to: str) -> exp.Cast:
    return exp.Cast(this=e, to=exp.DataType.build(to))


def and_(*conditions: exp.Expr | None) -> exp.Expr:
    present = [c for c in conditions if c is not None and not _is_true(c)]
    if not present:
        return exp.true()
    return exp.and_(*present) if len(present) > 1 else present[0]


def or_(*conditions: exp.Expr) -> exp.Expr:
    return exp.or_(*conditions) if len(conditions) > 1 else conditions[0]


def _is_true(e: exp.Expr) -> bool:
    return isinstance(e, exp.Boolean) and e.this is True


def is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=e, expression=exp.Null())


def not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(e))


def case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    node = exp.Case()
    for condition, result in whens:
        node = node.when(condition, result)
    return node.else_(default) if default is not None else node


def columns_of(*trees: exp.Expr | None) -> set[str]:
    """The names of the spec columns the trees read (cxgov's own columns left out)."""
    found = set()
    for tree in trees:
        if tree is None:
            continue
        for column in tree.find_all(exp.Column):
            if column.table == "" and not column.name.startswith(INTERNAL):
                found.add(column.name)
    return found


# -- cxgov's nodes ----------------------------------------------------------------------------------------


class LocalFromInstant(exp.Expression, exp.Func):
    arg_types = {"this": True, "zone": True}


class UtcFromLocal(exp.Expression, exp.Func):
    arg_types = {"this": True, "zone": True}


class UtcFromInstant(exp.Expression, exp.Func):
    arg_types = {"this": True}


class EpochSeconds(exp.Expression, exp.Func):
    arg_types = {"this": True}


class ExactQuantile(exp.Expression, exp.AggFunc):
    arg_types = {"this": True, "fraction": True}


class _Variadic(exp.Expression, exp.Func):
    """A node of cxgov's own over any number of expressions."""

    arg_types = {"expressions": True}
    is_var_len_args = True


class GroupingMask(_Variadic):
    pass


class IsFinite(exp.Expression, exp.Func):
    arg_types = {"this": True}


class TryCast(exp.Expression, exp.Func):
    arg_types = {"this": True, "to": True}


class SameText(exp.Expression, exp.Func):
    """Two texts equal, or both NULL: a join key (PostgreSQL cannot hash or merge on IS NOT DISTINCT FROM)."""

    arg_types = {"this": True, "expression": True}


class RowHash(_Variadic):
    pass


class NoRowHashSum(exp.Expression, exp.Func):
    """NULL, of the type a sum of RowHash has."""

    arg_types = {"this": False}


class Folded(exp.Expression, exp.Func):
    arg_types = {"this": True}


class Matches(exp.Expression, exp.Func):
    arg_types = {"this": True, "pattern": True, "words": False}


class Let(exp.Expression, exp.Func):
    arg_types = {"this": True, "expression": True, "name": True}


class Bound(exp.Expression, exp.Func):
    arg_types = {"name": True}


class Groups(exp.Expression, exp.Func):
    arg_types = {"this": True, "pattern": True, "count": True}


class Group(exp.Expression, exp.Func):
    arg_types = {"this": True, "index": True}


class Lookup(exp.Expression, exp.Func):
    arg_types = {"this": True, "keys": True, "values": True}


class AsciiLower(exp.Expression, exp.Func):
    arg_types = {"this": True}


class Timestamp(exp.Expression, exp.Func):
    arg_types = {"this": True}


class LocalFromUtc(exp.Expression, exp.Func):
    arg_types = {"this": True, "zone": True}


class Naive(exp.Expression, exp.Func):
    arg_types = {"this": True}


def let(value: exp.Expr, name: str, body: Callable[[exp.Expr], exp.Expr]) -> Let:
    """Let(value, body(Bound(name))): `name`, one of cxgov's own, tells nested Lets apart."""
    return Let(this=value, expression=body(Bound(name=exp.Literal.string(name))), name=exp.Literal.string(name))


def _bound_name(n: exp.Expr) -> exp.Identifier:
    return own(n.args["name"].name)


def _let_lambda(n: exp.Expr) -> exp.Expr:
    """Let as transform([x], t -> body)[first] (DuckDB's list_transform, Spark's transform)."""
    lam = exp.Lambda(this=n.expression, expressions=[_bound_name(n)])
    return exp.Bracket(this=exp.Transform(this=exp.Array(expressions=[n.this]), expression=lam),
                       expressions=[number(0)])


def _let_subquery(n: exp.Expr) -> exp.Expr:
    """Let as (SELECT body FROM (SELECT x AS t OFFSET 0) AS t): OFFSET 0 keeps the planner from pulling the inner
    subquery up, which would copy x into every place the body reads it."""
    inner = exp.Select(expressions=[exp.alias_(n.this, _bound_name(n))]).offset(0)
    return exp.Subquery(this=exp.Select(expressions=[n.expression]).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=_bound_name(n)))))


def _group_names(count: exp.Expr) -> list[exp.Expr]:
    return [exp.Literal.string(f"g{i}") for i in range(1, int(count.name) + 1)]


def _spark_groups(n: exp.Expr) -> exp.Expr:
    """Spark: the groups by one replacement, joined by spaces (no group of cxgov's patterns holds one), split."""
    joined = " ".join(f"${i}" for i in range(1, int(n.args["count"].name) + 1))
    # Java's $ also matches before a final line break; \z only at the end, as RE2's and PostgreSQL's $
    text, pattern = n.this, exp.Literal.string(re.sub(r"\$$", r"\\z", n.args["pattern"].name))
    groups = _f("split", exp.RegexpReplace(this=text.copy(), expression=pattern.copy(),
                                           replacement=exp.Literal.string(joined)), exp.Literal.string(" "))
    return case((exp.RegexpLike(this=text, expression=pattern), groups))


def _group(n: exp.Expr, dialect: str) -> exp.Expr:
    index = int(n.args["index"].name)
    if dialect == "duckdb":
        part: exp.Expr = _f("struct_extract", n.this, exp.Literal.string(f"g{index}"))
    elif dialect == "postgres":
        part = exp.Bracket(this=n.this, expressions=[number(index - 1)])  # sqlglot counts from 0
    else:
        part = _f("element_at", n.this, number(index))
    return exp.Nullif(this=part, expression=exp.Literal.string(""))


def _pg_timestamp(x: exp.Expr) -> exp.Expr:
    """PostgreSQL reads no year 0000: it is 0001 BC."""
    zero = exp.EQ(this=exp.Substring(this=x.copy(), start=number(1), length=number(4)),
                  expression=exp.Literal.string("0000"))
    bc = exp.DPipe(this=exp.DPipe(this=exp.Literal.string("0001"), expression=exp.Substring(this=x.copy(),
                                                                                             start=number(5))),
                   expression=exp.Literal.string(" BC"))
    return exp.Paren(this=case((zero, cast(bc, "TIMESTAMP")), default=cast(x, "TIMESTAMP")))


def _pg_texts(e: exp.Expr) -> exp.Expr:
    """A bound list as text[] (psycopg leaves the type of a list of texts to the server, which cannot tell)."""
    return exp.Cast(this=e, to=exp.DataType.build("TEXT[]", dialect="postgres"))


def _spark_lookup(n: exp.Expr) -> exp.Expr:
    """Spark: array_position is 0 for none, and element_at refuses 0."""
    place = exp.Nullif(this=_f("array_position", n.args["keys"], n.this), expression=number(0))
    return _f("element_at", n.args["values"], cast(place, "INT"))


def _matches(regex: Callable[[exp.Expr, exp.Expr], exp.Expr]) -> Lowering:
    """Matches as CASE WHEN x LIKE w1 OR ... THEN coalesce(regex(x), FALSE) ELSE FALSE END: a substring test is
    many times cheaper than a regular expression (PostgreSQL's ARE most of all), and most texts meet none."""
    def lowered(n: exp.Expr) -> exp.Expr:
        test = exp.Coalesce(this=regex(n.this, n.args["pattern"]), expressions=[exp.false()])
        words = n.args.get("words") or []
        if not words:
            return exp.Paren(this=test)
        likes = [exp.Like(this=n.this.copy(), expression=w) for w in words]
        return exp.Paren(this=case((exp.or_(*likes) if len(likes) > 1 else likes[0], test), default=exp.false()))
    return lowered


def _folded(n: exp.Expr, text_type: str) -> exp.Expr:
    from cxgov.data.themes import FOLD_FROM, FOLD_TO

    return _f("translate", cast(n.this, text_type), value(FOLD_FROM), value(FOLD_TO))


def ascii_split(tree: exp.Expr, dialect: str) -> exp.Expr:
    """`tree`, reading `Folded(x)` (one text x), as CASE WHEN x is ASCII THEN `tree` with x's lower case ELSE
    `tree` END (DuckDB and PostgreSQL). DuckDB: with the fold's CASE inside each of a theme's tests of the folded
    text, the tests take 2.4 times as long as over lower(x) (measured over 1.33M texts, 0.81 s against 0.35 s; a
    CTE computing the fold once does not help), and with the CASE around them 1.4 times."""
    texts = {node.this for node in tree.find_all(Folded)}
    if len(texts) != 1 or dialect not in _ASCII:
        return tree
    test, lower_case = _ASCII[dialect]
    text = texts.pop()
    lowered = tree.transform(lambda n: lower_case(text) if isinstance(n, Folded) else n)
    return exp.Paren(this=exp.Case(ifs=[exp.If(this=test(text), true=lowered)], default=tree.copy()))


def _ascii_duckdb(x: exp.Expr) -> exp.Expr:
    """DuckDB: as many bytes as characters (its texts are UTF-8)."""
    text = cast(x, "VARCHAR")
    return exp.EQ(this=_f("strlen", text.copy()), expression=_f("length", text.copy()))


def _ascii_postgres(x: exp.Expr) -> exp.Expr:
    """PostgreSQL: its UTF-8 form has as many bytes as it has characters (whatever the database's encoding: in a
    single-byte one, each character's own length would say nothing)."""
    text = cast(x, "TEXT")
    utf8 = _f("octet_length", _f("convert_to", text.copy(), exp.Literal.string("UTF8")))
    return exp.EQ(this=utf8, expression=_f("char_length", text.copy()))


def _c_lower(x: exp.Expr) -> exp.Expr:
    """PostgreSQL's lower() under the "C" collation: A-Z only, whatever the database's locale."""
    return _f("lower", exp.Collate(this=cast(x, "TEXT"), expression=exp.Identifier(this="C", quoted=True)))


_ASCII: dict[str, tuple[Callable[[exp.Expr], exp.Expr], Callable[[exp.Expr], exp.Expr]]] = {
    "duckdb": (_ascii_duckdb, lambda x: _f("lower", cast(x, "VARCHAR"))),
    "postgres": (_ascii_postgres, _c_lower),
}


def _folded_ascii(dialect: str, text_type: str) -> Lowering:
    """Folded as CASE WHEN x is ASCII THEN x's lower case ELSE translate() END (DuckDB and PostgreSQL).
    translate() with the fold's 273 characters takes about 0.5 us a character on DuckDB (300x a plain scan of the
    text) and 0.6 us on PostgreSQL; DuckDB's lower() and PostgreSQL's under the "C" collation fold only A-Z below
    0x80, so they fold an ASCII text exactly as the table does."""
    test, lower_case = _ASCII[dialect]

    def lowered(n: exp.Expr) -> exp.Expr:
        return exp.Case(ifs=[exp.If(this=test(n.this), true=lower_case(n.this))], default=_folded(n, text_type))
    return lowered


def bit_sum(flags: Sequence[exp.Expr], bits: Sequence[int]) -> exp.Expr:
    """flag_0 * bit_0 + flag_1 * bit_1 + ...: integer flags (0 or 1) as the bits of one integer."""
    terms = [exp.Mul(this=f, expression=number(b)) if b != 1 else f for f, b in zip(flags, bits)]
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _f(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _at_zone(e: exp.Expr, zone: exp.Expr) -> exp.AtTimeZone:
    """e AT TIME ZONE zone, e in parentheses unless a name or one already (AT TIME ZONE binds tighter than -)."""
    return exp.AtTimeZone(this=e if isinstance(e, (exp.Column, exp.Paren, exp.Placeholder)) else exp.Paren(this=e),
                          zone=zone)


def _utc() -> exp.Literal:
    return exp.Literal.string("UTC")


Lowering = Callable[[exp.Expr], exp.Expr]

_OF_VALUES = (exp.Count, exp.Sum, exp.Avg, exp.Variance, exp.VariancePop)  # aggregates that leave NULLs out


def _unfiltered(n: exp.Expr) -> exp.Expr:
    """`agg FILTER (WHERE c)` as DuckDB computes it faster, with the same value: COUNT, SUM, AVG or a variance of
    CASE WHEN c THEN x END (x is 1 for COUNT(*)): the rows c leaves out become NULLs, which these leave out; the
    bare aggregate when c is TRUE. Any other (a quantile, a DISTINCT) keeps its FILTER.

    Why: DuckDB's hash aggregate updates each filtered aggregate through its own selection of the rows; a CASE is
    computed for the whole batch at once. Saves: the bench program's two scans (10 million survey answers and 5
    million tickets, 16 and 17 filtered counts and sums per row) take 0.615 and 0.729 s instead of 0.761 and
    0.774 s, with the same rows (medians of 8, in turns, in one process). Not COUNT_IF(c) for COUNT(*): it is
    NULL when every c is, and a HUGEINT."""
    call: exp.Expr = n.this
    where: exp.Expr = n.expression
    condition: exp.Expr = where.this if isinstance(where, exp.Where) else where
    if isinstance(condition, exp.Boolean) and condition.this is True:
        return call
    if isinstance(call, exp.Count) and isinstance(call.this, exp.Star):
        return exp.Count(this=exp.Case(ifs=[exp.If(this=condition, true=exp.Literal.number(1))]))
    if type(call) in _OF_VALUES and len(call.args) == 1 and not isinstance(call.this, (exp.Star, exp.Distinct)):
        return type(call)(this=exp.Case(ifs=[exp.If(this=condition, true=call.this)]))
    return n


_LOWER: dict[str, dict[type, Lowering]] = {
    "duckdb": {
        exp.Filter: _unfiltered,
        LocalFromInstant: lambda n: _f("timezone", n.args["zone"], n.this),
        UtcFromLocal: lambda n: _f("timezone", _utc(), _f("timezone", n.args["zone"], n.this)),
        UtcFromInstant: lambda n: _f("timezone", _utc(), n.this),
        EpochSeconds: lambda n: _f("epoch", n.this),
        ExactQuantile: lambda n: _f("quantile_cont", n.this, n.args["fraction"]),
        GroupingMask: lambda n: _f("GROUPING", *n.expressions),
        IsFinite: lambda n: _f("isfinite", n.this),
        TryCast: lambda n: exp.TryCast(this=n.this, to=n.args["to"]),
        SameText: lambda n: exp.NullSafeEQ(this=n.this, expression=n.expression),
        RowHash: lambda n: _f("hash", *n.expressions),  # a UBIGINT, whose SUM is a HUGEINT
        NoRowHashSum: lambda n: cast(exp.Null(), "HUGEINT"),
        Folded: _folded_ascii("duckdb", "VARCHAR"),
        Matches: _matches(lambda x, p: _f("regexp_matches", x, p)),
        Let: _let_lambda,
        Bound: _bound_name,
        Groups: lambda n: _f("regexp_extract", n.this, n.args["pattern"], exp.Array(
            expressions=_group_names(n.args["count"]))),
        Group: lambda n: _group(n, "duckdb"),
        Lookup: lambda n: exp.Bracket(this=n.args["values"], expressions=[_f("list_position", n.args["keys"],
                                                                             n.this)]),
        AsciiLower: lambda n: _f("lower", n.this),
        Timestamp: lambda n: cast(n.this, "TIMESTAMP"),
        LocalFromUtc: lambda n: _f("timezone", n.args["zone"], _f("timezone", _utc(), n.this)),
        Naive: lambda n: n.this,
    },
    "postgres": {
        # x AT TIME ZONE z: an instant as wall-clock time in z, or wall-clock time in z as an instant
        LocalFromInstant: lambda n: exp.Paren(this=_at_zone(n.this, n.args["zone"])),
        UtcFromLocal: lambda n: exp.Paren(this=_at_zone(exp.Paren(this=_at_zone(n.this, n.args["zone"])), _utc())),
        UtcFromInstant: lambda n: exp.Paren(this=_at_zone(n.this, _utc())),
        # date_part is double precision, as DuckDB's epoch (EXTRACT gives numeric, many times slower)
        EpochSeconds: lambda n: _f("date_part", exp.Literal.string("epoch"), n.this),
        ExactQuantile: lambda n: exp.WithinGroup(
            this=_f("percentile_cont", n.args["fraction"]),
            expression=exp.Order(expressions=[exp.Ordered(this=n.this, nulls_first=False)])),
        GroupingMask: lambda n: _f("GROUPING", *n.expressions),
        IsFinite: lambda n: exp.Not(this=exp.In(this=n.this, expressions=[
            cast(exp.Literal.string(s), "DOUBLE") for s in ("NaN", "Infinity", "-Infinity")])),
        TryCast: lambda n: _pg_try_cast(n.this, n.args["to"]),
        SameText: lambda n: exp.Paren(this=exp.and_(
            exp.EQ(this=exp.Coalesce(this=n.this.copy(), expressions=[exp.Literal.string("")]),
                   expression=exp.Coalesce(this=n.expression.copy(), expressions=[exp.Literal.string("")])),
            exp.EQ(this=exp.Paren(this=exp.Is(this=n.this.copy(), expression=exp.Null())),
                   expression=exp.Paren(this=exp.Is(this=n.expression.copy(), expression=exp.Null()))))),
        # a 32-bit hash: its sum over many rows is a bigint
        RowHash: lambda n: _f("hash_record", _f("ROW", *n.expressions)),
        NoRowHashSum: lambda n: cast(exp.Null(), "BIGINT"),
        Folded: _folded_ascii("postgres", "TEXT"),
        Matches: _matches(lambda x, p: exp.RegexpLike(this=x, expression=p)),
        Let: _let_subquery,
        Bound: lambda n: exp.Column(this=_bound_name(n), table=_bound_name(n)),
        Groups: lambda n: _f("regexp_match", n.this, n.args["pattern"]),
        Group: lambda n: _group(n, "postgres"),
        Lookup: lambda n: exp.Bracket(this=exp.Paren(this=_pg_texts(n.args["values"])), expressions=[
            _f("array_position", _pg_texts(n.args["keys"]), n.this)]),
        AsciiLower: lambda n: _c_lower(n.this),
        Timestamp: lambda n: _pg_timestamp(n.this),
        LocalFromUtc: lambda n: exp.Paren(this=_at_zone(exp.Paren(this=_at_zone(n.this, _utc())), n.args["zone"])),
        Naive: lambda n: n.this,
    },
    "spark": {
        # the session's time zone is UTC (engines/spark.py), so TIMESTAMP values are UTC instants
        LocalFromInstant: lambda n: _f("from_utc_timestamp", n.this, n.args["zone"]),
        UtcFromLocal: lambda n: _spark_utc_from_local(n.this, n.args["zone"]),
        UtcFromInstant: lambda n: cast(n.this, "TIMESTAMP_NTZ"),
        EpochSeconds: lambda n: exp.Div(this=_f("unix_micros", cast(n.this, "TIMESTAMP")),
                                        expression=exp.Literal.number("1000000.0"), typed=False, safe=False),
        ExactQuantile: lambda n: _f("percentile", n.this, n.args["fraction"]),
        # grouping_id() must name every grouping column in Spark's own order: the mask from one bit a column
        GroupingMask: lambda n: _bits([_f("grouping", e) for e in n.expressions]),
        IsFinite: lambda n: exp.and_(exp.Not(this=_f("isnan", n.this)),
                                     exp.NEQ(this=_f("abs", n.this), expression=_f("double", exp.Literal.string("inf")))),
        TryCast: lambda n: exp.TryCast(this=n.this, to=n.args["to"]),
        SameText: lambda n: exp.NullSafeEQ(this=n.this, expression=n.expression),
        RowHash: lambda n: cast(_f("xxhash64", *n.expressions), "DECIMAL(38, 0)"),
        NoRowHashSum: lambda n: cast(exp.Null(), "DECIMAL(38, 0)"),
        Folded: lambda n: _folded(n, "STRING"),
        Matches: _matches(lambda x, p: exp.RegexpLike(this=x, expression=p)),
        Let: _let_lambda,
        Bound: _bound_name,
        Groups: _spark_groups,
        Group: lambda n: _group(n, "spark"),
        Lookup: _spark_lookup,
        AsciiLower: lambda n: _f("lower", n.this),
        Timestamp: lambda n: _spark_naive(n.this),
        LocalFromUtc: lambda n: _f("from_utc_timestamp", n.this, n.args["zone"]),
        Naive: lambda n: _spark_naive(n.this),
    },
}

def _spark_naive(x: exp.Expr) -> exp.Expr:
    """x as Spark's naive timestamp (TIMESTAMP_NTZ): a text read as one, or a timestamp taken as one."""
    return exp.Cast(this=x, to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))


def _spark_utc_from_local(x: exp.Expr, zone: exp.Expr) -> exp.Expr:
    """Wall-clock time in `zone` as UTC, read as DuckDB (ICU) and PostgreSQL read it: a repeated time (clocks going
    back) takes the offset after the change. Spark's to_utc_timestamp takes the one before; the same time read
    three hours later and taken back is the reading with the offset after, kept when it gives `x` again."""
    shift = exp.Interval(this=exp.Literal.string("3"), unit=exp.var("HOUR"))
    before = _f("to_utc_timestamp", x.copy(), zone.copy())
    after = exp.Sub(this=_f("to_utc_timestamp", exp.Add(this=x.copy(), expression=shift.copy()), zone.copy()),
                    expression=shift.copy())
    again = exp.EQ(this=_f("from_utc_timestamp", after.copy(), zone.copy()), expression=x.copy())
    return exp.Paren(this=case((again, after), default=before))


def _bits(flags: list[exp.Expr]) -> exp.Expr:
    """flag_0 * 2^(k-1) + ... + flag_(k-1), as GROUPING(a, b, ...) sets its bits."""
    return bit_sum(flags, [1 << (len(flags) - 1 - i) for i in range(len(flags))])


_NUMBER = r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_INTEGER = r"^\s*[-+]?[0-9]+\s*$"
_BOOLEAN = r"^\s*(t|true|f|false|y|yes|n|no|on|off|1|0)\s*$"  # matched case-insensitively


def _pg_try_cast(e: exp.Expr, to: exp.DataType) -> exp.Expr:
    """PostgreSQL has no TRY_CAST: text is cast only when it has the type's shape (numbers, booleans)."""
    name = to.this
    pattern = {exp.DataType.Type.DOUBLE: _NUMBER, exp.DataType.Type.DECIMAL: _NUMBER,
               exp.DataType.Type.INT: _INTEGER, exp.DataType.Type.BIGINT: _INTEGER,
               exp.DataType.Type.BOOLEAN: _BOOLEAN}.get(name)
    if pattern is None:
        return exp.Cast(this=e, to=to)
    text = cast(e, "TEXT")
    match = exp.RegexpILike if pattern is _BOOLEAN else exp.RegexpLike
    return case((match(this=text, expression=exp.Literal.string(pattern)), exp.Cast(this=e, to=to)))


def lower(tree: exp.Expr, dialect: str) -> exp.Expr:
    """`tree` with cxgov's nodes replaced by `dialect`'s constructs."""
    rules = _LOWER[dialect]

    def replacement(node: exp.Expr) -> exp.Expr | None:
        rule = rules.get(type(node))
        if rule is not None:
            return rule(node)
        own_rule = getattr(node, "lowered", None)  # a node defined elsewhere that lowers itself
        return own_rule(dialect) if own_rule is not None else None

    # children before their parents (reversed pre-order), so that a lowering sees lowered arguments
    for node in reversed(list(tree.walk(bfs=False))):
        new = replacement(node)
        if new is not None:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


@dataclass(frozen=True)
class Rendered:
    """A statement for one engine: its text with named placeholders, and the values they bind."""

    sql: str
    params: Mapping[str, object]
    dialect: str = "duckdb"

    @property
    def text(self) -> str:
        """The statement with its values written in, for reading (never run)."""
        return _inline(self.sql, self.params, self.dialect)


def load_dialect(dialect: str) -> None:
    """Load sqlglot's `dialect` now, in this thread. sqlglot loads a dialect on its first use and registers the
    dialect's class before it sets the class's generator: a statement rendered meanwhile in another thread gets
    the base generator's SQL (`:p0` parameters, which DuckDB rejects: "syntax error at or near ':'"). Loaded
    before the scans' threads start, no thread sees it half made."""
    from sqlglot.dialects.dialect import Dialect

    Dialect.get_or_raise(dialect)


def render(tree: exp.Expr, dialect: str, prefix: str = "p") -> Rendered:
    """`tree` as `dialect` SQL, each distinct Value bound once as a named parameter (p0, p1, ...; `prefix` for
    statements that put several renderings together)."""
    params: dict[str, object] = {}
    names: dict[tuple[type, object], str] = {}

    def bind(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, Value):
            return node
        v = node.this.v
        key = None if isinstance(v, (list, tuple, dict)) else (type(v), v)
        name = names.get(key) if key is not None else None
        if name is None:
            name = f"{prefix}{len(params)}"
            params[name] = list(v) if isinstance(v, tuple) else v
            if key is not None:
                names[key] = name
        if dialect == "spark" and isinstance(v, datetime) and v.tzinfo is None:
            # pyspark converts a datetime with the Python process's zone; text cast in SQL is the time as written
            params[name] = v.isoformat(sep=" ")
            return exp.Cast(this=exp.Placeholder(this=name), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
        return exp.Placeholder(this=name)

    # bound first: a lowering may write its children as text; then what a lowering added
    bound = lower(tree.transform(bind), dialect).transform(bind)
    return Rendered(bound.sql(dialect=dialect), params, dialect)


_ARRAY = {"duckdb": ("[", "]"), "postgres": ("ARRAY[", "]"), "spark": ("array(", ")")}


def literal(v: object, dialect: str = "duckdb") -> str:
    """A value written as `dialect` SQL, for reading only (statements are run with bound parameters)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, datetime):
        return f"TIMESTAMP '{v.isoformat(sep=' ')}'"
    if isinstance(v, date):
        return f"DATE '{v.isoformat()}'"
    if isinstance(v, timedelta):
        return f"INTERVAL '{v.total_seconds():g} seconds'"
    if isinstance(v, (list, tuple)):
        opening, closing = _ARRAY[dialect]
        return opening + ", ".join(literal(x, dialect) for x in v) + closing
    return "'" + str(v).replace("'", "''") + "'"


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|`[^`]*`|(?:\$|:)([A-Za-z_]\w*)\b|%\(([A-Za-z_]\w*)\)s")


def _inline(sql: str, params: Mapping[str, Any], dialect: str = "duckdb") -> str:
    written = {name: literal(v, dialect) for name, v in params.items()}

    def put(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return written[name] if name in written else m.group(0)

    return _PLACEHOLDER.sub(put, sql)


def select_all(*exprs: Iterable[exp.Expr]) -> list[exp.Expr]:
    return [e for group in exprs for e in group]
