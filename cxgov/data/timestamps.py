"""Text read as a timestamp, exactly, in DuckDB SQL: the one reading `data load` and `check` share.

The forms (a date, optionally a time, optionally a UTC offset, optionally a zone):

    2026-03-29                              midnight, local time in the program's zone
    2026-03-29 02:30[:00[.123456]]          (or T between): local time in the program's zone
    2026-03-29T02:30:00Z                    UTC
    2026-03-29T02:30:00+02:00 (+0200, +02)  that offset from UTC: the instant is exact
    2026-03-29 02:30 Europe/Berlin          local time in that IANA zone (any name DuckDB's ICU knows, any case)
    2026-03-29T02:30:00[Europe/Berlin]      RFC 9557: the same
    2026-03-29T02:30:00+02:00[Europe/Berlin]  RFC 9557: the offset gives the instant, and must be the zone's
                                            offset then (Z goes with any zone); `[!zone]` and `[key=value]` tags
                                            are accepted

Local time in a zone at a daylight-saving change is read as DuckDB's ICU reads it: a time the clocks skip
(02:30 on 2026-03-29 in Berlin) takes the offset before the change (+01:00: 01:30 UTC), a time that occurs twice
(02:30 on 2026-10-25) the offset after it (standard time, +01:00: 01:30 UTC, the later of the two); in Python's
terms, fold=0 in a gap and fold=1 in an overlap. Anything else is no timestamp (NULL), and `problem_sql` says why:
an offset of 24 hours or more, a zone no one knows, an offset that is not the zone's, a date that does not exist.
"""

from __future__ import annotations

# date, time, offset (after a time only), zone in brackets or as a word, RFC 9557 tags
_PATTERN = (r"^(\d{4}-\d{1,2}-\d{1,2})(?:(?:T|t|\s+)(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
            r"(?:\s*\[!?([^\]=\s]+)\]|\s+([A-Za-z][A-Za-z0-9_+/-]*))?(?:\[!?[A-Za-z0-9_-]+=[^\]]*\])*$")
_ZONES = "(SELECT list(lower(name)) FROM pg_timezone_names())"


class _Parts:
    """SQL for the pieces of a text `expr` (VARCHAR) matched against the forms."""

    def __init__(self, expr: str):
        self.p = f"regexp_extract(trim({expr}), '{_PATTERN}', ['d', 't', 'o', 'z', 'b'])"

    def field(self, name: str) -> str:
        return f"struct_extract({self.p}, '{name}')"

    @property
    def local(self) -> str:
        """The date and time written, as a naive TIMESTAMP (NULL when the text is no timestamp at all)."""
        return (f"try_cast(nullif({self.field('d')}, '') || ' ' || coalesce(nullif({self.field('t')}, ''), "
                "'00:00:00') AS TIMESTAMP)")

    @property
    def offset(self) -> str:
        return self.field("o")

    @property
    def zone(self) -> str:
        return f"coalesce(nullif({self.field('z')}, ''), nullif({self.field('b')}, ''))"

    @property
    def known_zone(self) -> str:
        return f"list_contains({_ZONES}, lower({self.zone}))"

    @property
    def offset_ok(self) -> str:
        digits = f"replace(substr({self.offset}, 2), ':', '')"
        return (f"({self.offset} IN ('Z', 'z') OR (try_cast(substr({digits}, 1, 2) AS INTEGER) <= 23 AND "
                f"coalesce(try_cast(nullif(substr({digits}, 3, 2), '') AS INTEGER), 0) <= 59))")

    @property
    def by_offset(self) -> str:
        """The instant the offset gives (TIMESTAMPTZ); only where `offset_ok`."""
        digits = f"replace(substr({self.offset}, 2), ':', '')"
        minutes = (f"(CASE WHEN {self.offset} IN ('Z', 'z') THEN 0 ELSE (CASE left({self.offset}, 1) WHEN '-' "
                   f"THEN -1 ELSE 1 END) * (try_cast(substr({digits}, 1, 2) AS INTEGER) * 60 + "
                   f"coalesce(try_cast(nullif(substr({digits}, 3, 2), '') AS INTEGER), 0)) END)")
        return f"timezone('UTC', {self.local} - to_minutes(CAST({minutes} AS BIGINT)))"

    @property
    def zone_disagrees(self) -> str:
        """An offset other than Z and a known zone whose offset at that instant is another."""
        return (f"(CASE WHEN {self.offset} NOT IN ('', 'Z', 'z') AND {self.zone} IS NOT NULL AND {self.known_zone} "
                f"AND {self.offset_ok} THEN timezone({self.zone}, {self.by_offset}) <> {self.local} ELSE false END)")

    @property
    def naive(self) -> str:
        return f"({self.offset} = '' AND {self.zone} IS NULL)"

    @property
    def instant(self) -> str:
        """The instant (TIMESTAMPTZ) of text with an offset or zone; NULL for naive text and for no timestamp."""
        return (f"CASE WHEN {self.local} IS NULL THEN NULL "
                f"WHEN {self.offset} <> '' THEN CASE WHEN {self.offset_ok} AND ({self.zone} IS NULL OR "
                f"({self.known_zone} AND NOT {self.zone_disagrees})) THEN {self.by_offset} END "
                f"WHEN {self.zone} IS NOT NULL THEN CASE WHEN {self.known_zone} THEN timezone({self.zone}, "
                f"{self.local}) END END")


def local_sql(expr: str, tz: str) -> str:
    """Text `expr` as local wall-clock TIMESTAMP in the program's zone `tz` (SQL giving its name)."""
    p = _Parts(expr)
    return f"(CASE WHEN {p.naive} THEN {p.local} ELSE timezone({tz}, {p.instant}) END)"


def utc_sql(expr: str, tz: str) -> str:
    """Text `expr` as UTC wall-clock TIMESTAMP; naive text is local time in the program's zone `tz`."""
    p = _Parts(expr)
    return (f"(CASE WHEN {p.naive} THEN timezone('UTC', timezone({tz}, {p.local})) "
            f"ELSE timezone('UTC', {p.instant}) END)")


def problem_sql(expr: str) -> str:
    """SQL giving why text `expr` is no timestamp, as text to follow "is not a timestamp" ('' when no form
    matches at all); NULL when it is one."""
    p = _Parts(expr)
    return (f"CASE WHEN {p.local} IS NULL THEN '' "
            f"WHEN {p.offset} <> '' AND NOT {p.offset_ok} THEN ': the offset ' || {p.offset} || ' is not between "
            f"-23:59 and +23:59' "
            f"WHEN {p.zone} IS NOT NULL AND NOT {p.known_zone} THEN ': unknown time zone ''' || {p.zone} || '''' "
            f"WHEN {p.zone_disagrees} THEN ': the offset ' || {p.offset} || ' is not the offset of ' || {p.zone} || "
            f"' at that time' END")
