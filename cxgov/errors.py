"""Errors, diagnostics, locations and exit codes.

Findings are data (Diagnostic, result records); failures are exceptions (CxgovError), caught once in cli.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

# what no message may carry as it is: C0 controls but tab and newline, DEL, C1 controls, surrogates, the
# noncharacters U+FFFE/U+FFFF and the bidirectional embeddings, overrides and isolates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every character a terminal would act on, or XML cannot hold, written as an escape (\\x1b)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


class ExitCode(IntEnum):
    OK = 0
    FOUND = 1  # spec errors for validate, an unwaived breach for check, a loosening for diff
    CANNOT_RUN = 2  # bad usage, invalid spec given to check/report, unreadable data
    INTERNAL = 3


@dataclass(frozen=True, order=True)
class Location:
    """A place in a spec file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a spec: a rule code, a severity and where it is."""

    code: str
    severity: str  # one of vocabulary.DIAGNOSTIC_SEVERITIES
    message: str
    location: Location
    hint: str | None = None

    def format(self) -> str:
        text = f"{self.location}: {self.code} {self.severity}: {self.message}"
        return printable(f"{text} ({self.hint})" if self.hint else text)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.code, self.message)

    def to_dict(self) -> dict[str, str | int | None]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
        }


class CxgovError(Exception):
    """A failure that stops a command. Carries where it happened and what to do next."""

    exit_code: ExitCode = ExitCode.CANNOT_RUN

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        return printable(f"{text}\n  hint: {self.hint}" if self.hint else text)


class UsageError(CxgovError):
    """Bad command-line usage."""


class SpecError(CxgovError):
    """A spec that cannot be read or is invalid where a valid one is required."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None,
                 diagnostics: tuple[Diagnostic, ...] = ()):
        super().__init__(message, location, hint)
        self.diagnostics = diagnostics


class DataError(CxgovError):
    """Metric data that cannot be read: a missing file, table or column, a wrong type."""

    def __init__(self, message: str, source: str | None = None, column: str | None = None,
                 location: Location | None = None, hint: str | None = None):
        super().__init__(message, location, hint)
        self.source = source
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.source:
            where.append(f"source '{self.source}'")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = f"{', '.join(where)}: " if where else ""
        text = f"{prefix}{self.message}"
        if self.location:
            text = f"{self.location}: {text}"
        return printable(f"{text}\n  hint: {self.hint}" if self.hint else text)


class HistoryError(CxgovError):
    """A run history file that cannot be opened, read or written: missing, locked too long, not a history."""
