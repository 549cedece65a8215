"""Texts to read as timestamps (every documented form and its edges), and an independent reading of them in Python
(datetime and zoneinfo) to hold each engine's against: tests/data/test_timestamps.py and
tests/data/engines/test_text_timestamps.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from cxgov.data.zone_names import ZONES

PROGRAM = "Europe/London"
EPOCH = datetime(1970, 1, 1)
UNKNOWN = object()  # a reading Python's datetime cannot hold (year 0, year 10000): the engines only are compared

CORPUS = [
    # the documented forms
    "2026-03-29", "2026-03-29 02:30", "2026-03-29T02:30:15.250", "2026-03-29T02:30:00Z", "2026-03-29T02:30:00z",
    "2026-03-29T02:30:00+02:00", "2026-03-29T02:30:00+0200", "2026-03-29T02:30:00+02", "2026-03-29 02:30:00 +02:00",
    "2026-03-29 02:30 Europe/Berlin", "2026-03-29T02:30:00[Europe/Berlin]", "2026-03-29T03:30:00+02:00[Europe/Berlin]",
    "2026-07-15T09:00:00-04:00[!America/New_York][u-ca=gregory]", "2026-07-15T13:00:00Z[America/New_York]",
    "2026-07-15 Asia/Kolkata", "2026-07-15[Asia/Kolkata]", "2026-07-15 UTC", "2026-01-05T07:05:00+05:30[Asia/Kolkata]",
    # one-digit fields, t, white space
    "2026-1-5 7:05", "2026-01-05t07:05", "2026-01-05   07:05", "2026-01-05\t07:05", "2026-01-05\n07:05",
    "  2026-01-05 07:05  ", "2026-01-05 07:05\t", "2026-01-05 07:05:5", "2026-01-05 7:5", "2026-1-5t7:05:09.1z",
    "2026-01-05T07:05:00  +01:00", "2026-01-05T07:05 +01:00[Europe/Berlin]", "2026-01-05 07:05 Z",
    # fractions
    "2026-01-05 07:05:00.1234567", "2026-01-05 07:05:00.123456789", "2026-01-05 07:05:00.9999995",
    "2026-12-31 23:59:59.9999999", "2026-01-05 07:05:00.", "2026-01-05 07:05:.5", "2026-01-05 07:05:00.5 Z",
    # the end of the day, and times that do not exist
    "2026-01-05 24:00", "2026-01-05 24:00:00.0000001", "2026-01-05 24:00:00.000001", "2026-12-31 24:00",
    "2026-01-05 24:01", "2026-01-05 23:59:60", "2026-01-05 23:60", "2026-01-05 100:05",
    # offsets
    "2026-01-05 07:05+14:30", "2026-01-05 07:05+23:59", "2026-01-05T07:05-23:59", "2026-01-05 07:05+24:00",
    "2026-01-05 07:05-24:00", "2026-03-29T02:30:00+02:60", "2026-01-05T07:05:00-00:00", "2026-01-05T07:05:00+1:00",
    "2026-01-05T07:05:00+01:0", "2026-01-05T07:05:00+010", "2026-01-05T07:05:00+01:00:00",
    "2026-01-05T07:05+14:30[Pacific/Kiritimati]", "2026-01-05T07:05+14:00[Pacific/Kiritimati]",
    # zone names: any case, in brackets or as a word, with and without an offset, unknown ones
    "2026-01-15 09:00 europe/berlin", "2026-01-05T07:05 europe/BERLIN", "2026-01-05T07:05[asia/kolkata]",
    "2026-01-05T07:05 [utc]", "2026-01-05T07:05 Zulu", "2026-01-05T07:05 Etc/GMT+5", "2026-07-05T07:05 Europe/Kyiv",
    "2026-01-05T07:05+01:00 Europe/Berlin", "2026-01-05T07:05Z Europe/Berlin", "2026-07-05 07:05+02:00 europe/berlin",
    "2026-01-05T07:05 CET", "2026-07-05T07:05 CET", "2026-01-05T07:05 PST", "2026-01-05T07:05 EST",
    "2026-07-05T07:05 cest", "2026-03-29 02:30 Mars/Base", "2026-03-29T02:30:00[Mars/Base]", "2026-01-05T07:05[+01:00]",
    "2026-01-05T07:05 Asia/\u212aolkata", "2026-01-05T07:05[Asia/\u212aolkata]", "2026-01-05 Z",
    # offsets that are not the zone's
    "2026-07-15T09:00:00+02:00[America/New_York]", "2026-01-05T07:05+02:00[Europe/Berlin]",
    # RFC 9557 tags
    "2026-01-05T07:05+01:00[Europe/Berlin][u-ca=gregory]", "2026-01-05T07:05[u-ca=gregory]",
    "2026-01-05T07:05[Europe/Berlin][!u-ca=gregory]", "2026-01-05 07:05 Europe/Berlin[u-ca=gregory]",
    "2026-01-05T07:05:00.5+01:00[Europe/Berlin][u-ca=gregory][x=y]", "2026-01-05 07:05[u-ca=]",
    "2026-01-05T07:05[u-ca=gregory][Europe/Berlin]",
    # daylight-saving gaps and overlaps, in the program's zone and named ones
    "2026-03-29 01:30", "2026-10-25 01:30", "2026-03-29 02:30 Europe/Berlin", "2026-10-25 02:30 Europe/Berlin",
    "2026-03-29T02:30:00+01:00[Europe/Berlin]", "2026-03-29T02:30:00+02:00[Europe/Berlin]",
    "2026-10-25T02:30:00+02:00[Europe/Berlin]", "2026-10-25T02:30:00+01:00[Europe/Berlin]",
    "2026-03-29T02:30:00[!Europe/Berlin]", "2026-03-08 02:30 America/New_York", "2026-11-01 01:30 America/New_York",
    "2026-03-08T02:30[America/New_York]", "2026-11-01T01:30-04:00[America/New_York]",
    "2026-11-01T01:30-05:00[America/New_York]", "2026-11-01T01:30-06:00[America/New_York]",
    # dates: leap days, days that do not exist, the ends of the years
    "2024-02-29", "2026-02-29", "2026-02-30", "2000-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
    "2026-01-00", "0000-01-01", "0000-02-29 01:00", "0000-12-31 24:00", "0001-01-01", "9999-12-31 23:59:59.9999999",
    "9999-12-31 24:00",
    # garbage
    "yesterday", "n/a", "12/01/2026", "", "   ", "\t2026-01-05", "2026-01-05\n", "2026-01-05 07:05\n",
    "12026-01-05", "+2026-01-05", "2026-01-05T", "2026-01-05 7", "2026-01-05 T07:05", "2026-01-05T 07:05",
    "\u0661\u0662\u0663\u0664-01-05", "2026-03-29 02:30 in Berlin", "2026-03-29 02:30 +02:00 CEST", None,
]

_WS = "[ \t\n\f\r]"
_FORM = re.compile(rf"([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}})"
                   rf"(?:(?:[Tt]|{_WS}+)([0-9]{{1,2}}):([0-9]{{2}})(?::([0-9]{{2}})(?:\.([0-9]+))?)?"
                   rf"{_WS}*(?:([Zz])|([+-])([0-9]{{2}})(?::?([0-9]{{2}}))?)?)?"
                   rf"(?:{_WS}*\[!?([^\]= \t\n\f\r]+)\]|{_WS}+([A-Za-z][A-Za-z0-9_+/-]*))?"
                   r"(?:\[!?[A-Za-z0-9_-]+=[^\]]*\])*")
_NAMES = {name.lower(): name for name in ZONES}


def zoned(local: datetime, tz: str) -> datetime:
    """The UTC instant (naive) of wall-clock time `local` in `tz` by cxgov's rule: in a gap the offset before the
    change (fold=0), in an overlap the offset after it (fold=1)."""
    zone = ZoneInfo(tz)
    early, late = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    # astimezone to the zone an aware time already has returns it as it is: by way of UTC
    ambiguous = (early.utcoffset() != late.utcoffset()
                 and early.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == local)
    return (late if ambiguous else early).astimezone(timezone.utc).replace(tzinfo=None)


def wall(utc: datetime, tz: str) -> datetime:
    return utc.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def python_reading(text: str | None, program: str = PROGRAM) -> tuple[datetime | None, datetime | None] | object:
    """(local wall-clock time in `program`, UTC wall-clock time) of `text`, both None when it is no timestamp;
    UNKNOWN where datetime cannot say."""
    found = _FORM.fullmatch(text.strip(" ")) if text is not None else None
    if found is None:
        return None, None
    y, mo, d, h, mi, s, frac, z, sign, oh, om, bracket, word = found.groups()
    if y == "0000":
        return UNKNOWN
    try:
        day = datetime(int(y), int(mo), int(d))
    except ValueError:
        return None, None
    hour, minute, second = int(h or 0), int(mi or 0), int(s or 0)
    micro = int((frac or "")[:6].ljust(6, "0"))
    if minute > 59 or second > 59 or hour > 24 or (hour == 24 and (minute, second, micro) != (0, 0, 0)):
        return None, None
    try:
        local = day + timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micro)
    except OverflowError:
        return UNKNOWN
    name = bracket or word
    zone = _NAMES.get(name.lower()) if name and re.fullmatch(r"[A-Za-z0-9_+/-]+", name) else None
    if name and zone is None:
        return None, None
    if oh is not None and (int(oh) > 23 or int(om or 0) > 59):
        return None, None
    try:
        if z or sign:
            shift = 0 if z else (1 if sign == "+" else -1) * (int(oh) * 60 + int(om or 0))
            utc = local - timedelta(minutes=shift)
            if sign and zone and wall(utc, zone) != local:
                return None, None
        elif zone:
            utc = zoned(local, zone)
        else:
            return local, zoned(local, program)
        return wall(utc, program), utc
    except (OverflowError, ValueError):
        return UNKNOWN


def micros(t: datetime | None) -> int | None:
    return None if t is None else (t - EPOCH) // timedelta(microseconds=1)
