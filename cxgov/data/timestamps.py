"""Text read as a timestamp: the one grammar, as expression trees every engine runs alike (docs/data.md, section 2).

The forms (a date, optionally a time, optionally a UTC offset, optionally a zone; spaces around the text ignored):

    2026-03-29                              midnight, local time in the program's zone
    2026-03-29 02:30[:00[.123456]]          (T, t or whitespace between): local time in the program's zone
    2026-03-29T02:30:00Z                    UTC (z too)
    2026-03-29T02:30:00+02:00 (+0200, +02)  that offset from UTC (up to 23:59, a space before it allowed): exact
    2026-03-29 02:30 Europe/Berlin          local time in that IANA zone (cxgov.data.zone_names, any case)
    2026-03-29T02:30:00[Europe/Berlin]      RFC 9557: the same
    2026-03-29T02:30:00+02:00[Europe/Berlin]  RFC 9557: the offset gives the instant, and must be the zone's
                                            offset then (Z goes with any zone); `[!zone]` and `[key=value]` tags
                                            are accepted

A month, day or hour may have one digit, a fraction any number (the first six count, microseconds); 24:00 is
midnight at the end of the day. Local time in a zone at a daylight-saving change: a time the clocks skip (02:30 on
2026-03-29 in Berlin) takes the offset before the change (+01:00: 01:30 UTC), a time that occurs twice (02:30 on
2026-10-25) the offset after it (standard time, +01:00: 01:30 UTC, the later of the two); in Python's terms,
fold=0 in a gap and fold=1 in an overlap. Anything else is no timestamp (NULL), and `problem` says why: an offset
of 24 hours or more, a zone not in the list, an offset that is not the zone's, a date or time that does not exist.

The text is matched once a row against one regular expression (`PATTERN`, written in the syntax DuckDB's RE2,
PostgreSQL's and Java's engines read alike); every field is checked in range before an engine's own cast sees it
(PostgreSQL's casts raise, and there is no TRY_CAST), and the zone name is looked up in a bound list.
"""

from __future__ import annotations

from typing import Callable

from sqlglot import exp

from cxgov.data import sql
from cxgov.data.sql import Group, case, is_null, not_null, number
from cxgov.data.zone_names import ZONES

_S = r"[ \t\n\f\r]"  # white space, as RE2's \s (Java's and PostgreSQL's \s hold more)
# groups: 1-3 year, month, day; 4-7 hour, minute, second, fraction; 8 offset, 9-11 its sign, hours, minutes;
# 12 the zone in brackets, 13 the zone as a word
PATTERN = (rf"^([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})"
           rf"(?:(?:T|t|{_S}+)([0-9]{{1,2}}):([0-9]{{2}})(?::([0-9]{{2}})(?:\.([0-9]+))?)?"
           rf"{_S}*(Z|z|([+-])([0-9]{{2}})(?::?([0-9]{{2}}))?)?)?"
           rf"(?:{_S}*\[!?([^\]= \t\n\f\r]+)\]|{_S}+([A-Za-z][A-Za-z0-9_+/-]*))?"
           r"(?:\[!?[A-Za-z0-9_-]+=[^\]]*\])*$")
GROUPS = 13
_ZONE_NAME = r"^[A-Za-z0-9_+/-]+$"  # the characters of every name in the list: no other text is looked up
_KEYS = tuple(name.lower() for name in ZONES)


def _text(s: str) -> exp.Literal:
    return exp.Literal.string(s)


def _concat(*parts: exp.Expr) -> exp.Expr:
    out = parts[0]
    for part in parts[1:]:
        out = exp.DPipe(this=out, expression=part)
    return out


def _eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=a, expression=b)


def _le(a: exp.Expr, b: int) -> exp.Expr:
    return exp.LTE(this=a, expression=number(b))


class _Parts:
    """The trees of one text's readings over the groups of PATTERN (`groups`, bound by a Let); `local` and `zone`
    are bound by Lets of their own once made (`bind`), so that the body reads each as a name."""

    def __init__(self, groups: exp.Expr) -> None:
        self.groups = groups
        self._local: exp.Expr | None = None
        self._zone: exp.Expr | None = None

    def g(self, i: int) -> exp.Expr:
        return Group(this=self.groups.copy(), index=number(i))

    def int(self, i: int) -> exp.Expr:
        return sql.cast(self.g(i), "INT")

    @property
    def fraction(self) -> exp.Expr:
        """The fraction's first six digits, padded: microseconds."""
        digits = exp.Coalesce(this=exp.Substring(this=self.g(7), start=number(1), length=number(6)),
                              expressions=[_text("")])
        return exp.func("rpad", digits, number(6), _text("0"))

    @property
    def second(self) -> exp.Expr:
        return exp.Coalesce(this=self.int(6), expressions=[number(0)])

    def written_ok(self) -> exp.Expr:
        """The text has a form, its date exists and its time of day too (24:00 is the end of the day)."""
        year, month, day, hour, minute = (self.int(i) for i in range(1, 6))

        def divides(n: int) -> exp.Expr:
            return _eq(exp.Mod(this=year.copy(), expression=number(n)), number(0))
        leap = exp.or_(exp.and_(divides(4), exp.Not(this=divides(100))), divides(400))
        days = case((_eq(month.copy(), number(2)), case((leap, number(29)), default=number(28))),
                    (exp.In(this=month.copy(), expressions=[number(m) for m in (4, 6, 9, 11)]), number(30)),
                    default=number(31))
        midnight = sql.and_(_eq(hour.copy(), number(24)), _eq(minute.copy(), number(0)), _eq(self.second, number(0)),
                            _eq(self.fraction, _text("000000")))
        clock = exp.or_(is_null(self.g(4)),
                        sql.and_(_le(minute, 59), _le(self.second, 59), exp.or_(_le(hour.copy(), 23), midnight)))
        return sql.and_(not_null(self.g(1)), exp.Between(this=month, low=number(1), high=number(12)),
                        exp.Between(this=day, low=number(1), high=days), exp.Paren(this=clock))

    def written(self) -> exp.Expr:
        """The date and time written, as a naive TIMESTAMP; NULL when the text is no timestamp at all."""
        end_of_day = _eq(self.int(4), number(24))
        clock = case((is_null(self.g(4)), _text("00:00:00.000000")),
                     default=_concat(case((end_of_day, _text("00")),
                                          default=exp.func("lpad", self.g(4), number(2), _text("0"))),
                                     _text(":"), self.g(5), _text(":"),
                                     exp.Coalesce(this=self.g(6), expressions=[_text("00")]), _text("."),
                                     self.fraction))
        stamp = sql.Timestamp(this=_concat(self.g(1), _text("-"), exp.func("lpad", self.g(2), number(2), _text("0")),
                                           _text("-"), exp.func("lpad", self.g(3), number(2), _text("0")),
                                           _text(" "), clock))
        day = exp.Interval(this=_text("1"), unit=exp.var("DAY"))
        return case((self.written_ok(), case((end_of_day.copy(), exp.Add(this=stamp.copy(), expression=day)),
                                             default=stamp)))

    def named_zone(self) -> exp.Expr:
        """The zone's name as the list spells it; NULL when the list has no such name, in any case."""
        name = self.zone_text
        lookup = sql.Lookup(this=sql.AsciiLower(this=name.copy()), keys=sql.value(list(_KEYS)),
                            values=sql.value(list(ZONES)))
        return case((exp.RegexpLike(this=name, expression=_text(_ZONE_NAME)), lookup))

    def bind(self, body: Callable[[_Parts], exp.Expr]) -> exp.Expr:
        """body(self), reading the local time written and the zone named as values computed once."""
        def with_local(local: exp.Expr) -> exp.Expr:
            def with_zone(zone: exp.Expr) -> exp.Expr:
                self._local, self._zone = local, zone
                return body(self)
            return sql.let(self.named_zone(), "zone", with_zone)
        return sql.let(self.written(), "local", with_local)

    @property
    def local(self) -> exp.Expr:
        assert self._local is not None  # read inside `bind`
        return self._local.copy()

    @property
    def zone(self) -> exp.Expr:
        assert self._zone is not None  # read inside `bind`
        return self._zone.copy()

    @property
    def offset(self) -> exp.Expr:
        return self.g(8)

    @property
    def utc_offset(self) -> exp.Expr:
        """Z or z (UTC)."""
        return exp.In(this=self.offset, expressions=[_text("Z"), _text("z")])

    @property
    def offset_ok(self) -> exp.Expr:
        """Z, or an offset of hours up to 23 and minutes up to 59."""
        minutes = exp.Coalesce(this=self.int(11), expressions=[number(0)])
        return exp.Paren(this=exp.or_(self.utc_offset, sql.and_(_le(self.int(10), 23), _le(minutes, 59))))

    @property
    def by_offset(self) -> exp.Expr:
        """The instant the offset gives, as UTC wall-clock time; only where `offset_ok`."""
        sign = case((_eq(self.g(9), _text("-")), number(-1)), default=number(1))
        minutes = exp.Mul(this=sign, expression=exp.Paren(this=exp.Add(
            this=exp.Mul(this=self.int(10), expression=number(60)),
            expression=exp.Coalesce(this=self.int(11), expressions=[number(0)]))))
        shift = case((self.utc_offset, number(0)), default=minutes)
        return exp.Sub(this=self.local, expression=exp.Mul(
            this=exp.Interval(this=_text("1"), unit=exp.var("MINUTE")), expression=shift))

    @property
    def zone_text(self) -> exp.Expr:
        """The zone as written, in brackets or as a word."""
        return exp.Coalesce(this=self.g(12), expressions=[self.g(13)])

    @property
    def zone_disagrees(self) -> exp.Expr:
        """An offset other than Z and a known zone whose offset at that instant is another."""
        written = sql.and_(not_null(self.offset), exp.Not(this=self.utc_offset), not_null(self.zone), self.offset_ok)
        differs = exp.NEQ(this=sql.LocalFromUtc(this=self.by_offset, zone=self.zone), expression=self.local)
        return case((written, differs), default=exp.false())

    @property
    def instant(self) -> exp.Expr:
        """The UTC wall-clock time of text with an offset or zone; NULL for naive text and for no timestamp."""
        by_offset = sql.and_(self.offset_ok, exp.Paren(this=exp.or_(
            is_null(self.zone_text), sql.and_(not_null(self.zone), exp.Not(this=self.zone_disagrees)))))
        return case((is_null(self.local), exp.Null()),
                    (not_null(self.offset), case((by_offset, self.by_offset))),
                    (not_null(self.zone_text), case((not_null(self.zone),
                                                     sql.UtcFromLocal(this=self.local, zone=self.zone)))))

    @property
    def naive(self) -> exp.Expr:
        return sql.and_(is_null(self.offset), is_null(self.zone_text))


def _reading(column: exp.Expr, body: Callable[[_Parts], exp.Expr]) -> exp.Expr:
    """body(parts) of text `column`, its groups matched once a row."""
    text = exp.Trim(this=sql.cast(column, "TEXT"))
    groups = sql.Groups(this=text, pattern=_text(PATTERN), count=number(GROUPS))
    return sql.let(groups, "groups", lambda bound: _Parts(bound).bind(body))


def read(column: exp.Expr, zone: exp.Expr, utc: bool = False) -> exp.Expr:
    """Text `column` as naive wall-clock time in the program's `zone` (a tree giving its name), or with `utc` as
    UTC wall-clock time; NULL where it is no timestamp."""
    def body(p: _Parts) -> exp.Expr:
        if utc:
            return case((p.naive, sql.UtcFromLocal(this=p.local, zone=zone.copy())), default=p.instant)
        return case((p.naive, p.local), default=sql.LocalFromUtc(this=p.instant, zone=zone.copy()))
    return sql.Naive(this=_reading(column, body))


def problem(column: exp.Expr) -> exp.Expr:
    """Why text `column` is no timestamp, as text to follow "is not a timestamp" ('' when no form matches at
    all); NULL when it is one."""
    def body(p: _Parts) -> exp.Expr:
        return case((is_null(p.local), _text("")),
                    (sql.and_(not_null(p.offset), exp.Not(this=p.offset_ok)),
                     _concat(_text(": the offset "), p.offset, _text(" is not between -23:59 and +23:59"))),
                    (sql.and_(not_null(p.zone_text), is_null(p.zone)),
                     _concat(_text(": unknown time zone '"), p.zone_text, _text("'"))),
                    (p.zone_disagrees, _concat(_text(": the offset "), p.offset, _text(" is not the offset of "),
                                               p.zone_text, _text(" at that time"))))
    return _reading(column, body)
