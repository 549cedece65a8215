"""The small pieces of cxgov's OSCAL documents: derived UUIDs, namespaced properties, Markdown text, moments.

OSCAL names outside its own vocabulary carry cxgov's namespace (NS); identifiers are UUID version 5 of stable
keys, so the same inputs give the same documents byte for byte.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, time
from typing import Any, Iterable
from zoneinfo import ZoneInfo

OSCAL_VERSION = "1.1.3"
NS = "https://cxgov.dev/ns/oscal"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)

# OSCAL's token: a letter or '_' first, then letters, digits, '_', '-', '.'
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_MARKDOWN = re.compile(r"([\\`*_\[\]<])")  # what would make spec text a link, emphasis, code or HTML
# what opens a quote, heading or list at the start of a line
_LINE_START = re.compile(r"^(\s*)(>|#{1,6}(?=\s|$)|[+*-](?=\s|$)|\d{1,9}[.)](?=\s|$))", re.MULTILINE)
_SPACE = re.compile(r"\s+")


def uid(*key: object) -> str:
    """The UUID (version 5, in cxgov's namespace) of a key: the same key, the same UUID, on every machine."""
    return str(uuid.uuid5(_ROOT, "\x1f".join(map(str, key))))  # parts apart: no key part holds a \x1f


def scope_key(scope: Iterable[tuple[str, str]]) -> str:
    """A result's scope as one stable text, for keys."""
    return json.dumps([list(pair) for pair in scope], ensure_ascii=False)


def token(entity_id: str) -> str:
    """A spec id as an OSCAL token: ids that start with a digit get a leading '_' (no spec id starts with one)."""
    return entity_id if _TOKEN.match(entity_id) else f"_{entity_id}"


def line(text: str) -> str:
    """One line of plain text: runs of whitespace (newlines too) as one space, trimmed."""
    return _SPACE.sub(" ", text).strip()


def md(text: str) -> str:
    """Spec text for an OSCAL markup field (Markdown in JSON), shown as written: punctuation that Markdown would
    read as markup or raw HTML is escaped."""
    return _LINE_START.sub(_escape_mark, _MARKDOWN.sub(r"\\\1", text))


def _escape_mark(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return f"{lead}{mark[:-1]}\\{mark[-1]}"  # "1\." (a backslash before a digit would show)
    return f"{lead}\\{mark}"


def md_line(text: str) -> str:
    """`md` of `line`: for markup-line fields (titles)."""
    return md(line(text))


def code_block(text: str, language: str = "") -> str:
    """A fenced Markdown code block holding `text` as it is (the fence outlasts any backtick run inside)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def prop(name: str, value: object, ns: str | None = NS) -> dict[str, Any] | None:
    """An OSCAL property, or None when there is no value (OSCAL values are one line, never empty)."""
    if value is None:
        return None
    text = line(_plain(value))
    if not text:
        return None
    return {"name": name, "ns": ns, "value": text} if ns else {"name": name, "value": text}


def compact(members: dict[str, Any]) -> dict[str, Any]:
    """An OSCAL object without its absent members: OSCAL has no nulls, and its arrays are never empty."""
    return {k: v for k, v in members.items() if v is not None and v != []}


def props(*items: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The properties that have a value."""
    return [item for item in items if item is not None]


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 9) or 0.0)  # as the JSON results write it: no last-bit noise, no -0.0
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Clock:
    """Moments in the program's time zone, as OSCAL date-times (always with their offset)."""

    def __init__(self, timezone: str):
        self.zone = ZoneInfo(timezone)

    def start_of(self, day: date) -> str:
        return datetime.combine(day, time(0, 0, 0), self.zone).isoformat()

    def end_of(self, day: date) -> str:
        """The last second of `day`: when a due date or an expiry runs out, and when an as-of day's data ends."""
        return datetime.combine(day, time(23, 59, 59), self.zone).isoformat()


def moment(value: datetime) -> str:
    """An injected time as an OSCAL date-time, to the second."""
    return value.replace(microsecond=0).isoformat()
