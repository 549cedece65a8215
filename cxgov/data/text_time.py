"""Text read as a timestamp on PostgreSQL and Spark: the same forms, and the same instants, as on DuckDB.

The forms (docs/data.md): a date `YYYY-MM-DD`, or a date and time `YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]]`,
optionally followed by a zone: `Z`, an offset (`+HH`, `+HHMM`, `+HH:MM`, up to 14 hours), an IANA zone name after a
space (`2026-03-29 02:30 Europe/Berlin`), or an offset and a zone name in brackets (RFC 9557:
`2026-03-29T02:30:00+02:00[Europe/Berlin]`, the offset fixes the instant). Without a zone the time is wall-clock
time in the program's zone. Anything else, an impossible date or time, or an unknown zone, is no timestamp (NULL),
and is counted as such in the data health.

Each engine's own parser reads a text only once it has the shape and its fields are in range: PostgreSQL's casts
raise on a bad value (there is no TRY_CAST), and Spark's accept more than these forms.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from sqlglot import exp

from cxgov.data import sql
from cxgov.speed import once

_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"
_OFFSET = r"(Z|[+-](0\d|1[0-4])(:?[0-5]\d)?)"
_NAME = r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*"
NAIVE = rf"^{_DATE}({_TIME})?$"
ZONED = rf"^{_DATE}{_TIME}({_OFFSET}(\[{_NAME}\])?| {_NAME})$"
NAMED = rf" ({_NAME})$"  # the zone name after a space


@once
def zone_names() -> tuple[str, ...]:
    """The IANA zone names a text may end with (those this Python knows), sorted."""
    return tuple(sorted(available_timezones()))


def _int(text: exp.Expr, start: int, length: int) -> exp.Expr:
    return sql.cast(exp.Substring(this=text.copy(), start=sql.number(start), length=sql.number(length)), "INT")


def _between(e: exp.Expr, lo: int, hi: int) -> exp.Expr:
    return exp.Between(this=e, low=sql.number(lo), high=sql.number(hi))


def _in_range(text: exp.Expr) -> exp.Expr:
    """The fields of a text of the shape are in range: a month of 12, a day of its month, an hour of 24..."""
    year, month, day = _int(text, 1, 4), _int(text, 6, 2), _int(text, 9, 2)
    leap = exp.or_(exp.and_(exp.EQ(this=exp.Mod(this=year.copy(), expression=sql.number(4)), expression=sql.number(0)),
                            exp.NEQ(this=exp.Mod(this=year.copy(), expression=sql.number(100)),
                                    expression=sql.number(0))),
                   exp.EQ(this=exp.Mod(this=year.copy(), expression=sql.number(400)), expression=sql.number(0)))
    days = sql.case((exp.EQ(this=month.copy(), expression=sql.number(2)),
                     sql.case((leap, sql.number(29)), default=sql.number(28))),
                    (exp.In(this=month.copy(), expressions=[sql.number(m) for m in (4, 6, 9, 11)]), sql.number(30)),
                    default=sql.number(31))
    longer = exp.GT(this=exp.Length(this=text.copy()), expression=sql.number(10))
    seconds = exp.EQ(this=exp.Substring(this=text.copy(), start=sql.number(17), length=sql.number(1)),
                     expression=exp.Literal.string(":"))
    clock = sql.case((longer, sql.and_(exp.LT(this=_int(text, 12, 2), expression=sql.number(24)),
                                       exp.LT(this=_int(text, 15, 2), expression=sql.number(60)),
                                       sql.case((seconds, exp.LT(this=_int(text, 18, 2), expression=sql.number(60))),
                                                default=exp.true()))),
                     default=exp.true())
    # CASE, not AND: PostgreSQL does not promise to evaluate AND's operands in order, and a day is checked only
    # against a valid month
    return sql.case((exp.Not(this=_between(month, 1, 12)), exp.false()),
                    (exp.Not(this=_between(day, 1, 31)), exp.false()),
                    (exp.GT(this=day.copy(), expression=days), exp.false()), default=clock)


def _matches(text: exp.Expr, pattern: str) -> exp.Expr:
    return exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(pattern))


def _instant(text: exp.Expr, dialect: str) -> exp.Expr:
    """A text of the ZONED shape as the engine's instant type (TIMESTAMPTZ; Spark: TIMESTAMP_LTZ in UTC)."""
    plain = exp.RegexpReplace(this=text.copy(), expression=exp.Literal.string(r"\[[^\]]*\]$"),
                              replacement=exp.Literal.string(""))  # RFC 9557: the offset fixes the instant
    if dialect == "spark":  # Spark reads "07:05Z" and "07:05+01:00" as no timestamp, "07:05:00+00:00" as one
        plain = exp.RegexpReplace(this=plain, expression=exp.Literal.string("Z$"),
                                  replacement=exp.Literal.string("+00:00"))
        plain = exp.RegexpReplace(this=plain, expression=exp.Literal.string(r"^(.{10}[T ]\d{2}:\d{2})([^:])"),
                                  replacement=exp.Literal.string("$1:00$2"))
        return exp.Cast(this=plain, to=exp.DataType.build("TIMESTAMP_LTZ", dialect="spark"))
    return sql.cast(plain, "TIMESTAMPTZ")


def parse(column: exp.Expr, zone: exp.Expr, dialect: str, utc: bool) -> exp.Expr:
    """`column` (text) as wall-clock time in `zone`, or with `utc` as UTC wall-clock time; NULL where it is no
    timestamp of the documented forms."""
    text = exp.Trim(this=sql.cast(column, "TEXT"))
    naive = sql.cast(text.copy(), "TIMESTAMP")
    instant = _instant(text, dialect)
    as_naive = sql.UtcFromLocal(this=naive, zone=zone.copy()) if utc else naive
    as_instant = sql.UtcFromInstant(this=instant) if utc else sql.LocalFromInstant(this=instant, zone=zone.copy())
    known_zone: exp.Expr = exp.true()
    if dialect == "postgres":  # PostgreSQL raises on a zone name it does not know
        named = exp.func("substring", text.copy(), exp.Literal.string(NAMED))
        known_zone = sql.case((exp.Is(this=named, expression=exp.Null()), exp.true()),
                              default=exp.EQ(this=named.copy(), expression=exp.Any(this=exp.Paren(this=sql.value(list(zone_names()))))))
    return exp.Paren(this=sql.case(
        (exp.Not(this=_matches(text, NAIVE + "|" + ZONED)), exp.Null()),
        (exp.Not(this=_in_range(text)), exp.Null()),
        (_matches(text, NAIVE), as_naive),
        (known_zone, as_instant)))
