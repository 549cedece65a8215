"""A CSV file's records, counted apart from the database's reader (Python's csv module over the decoded text).

`census` reads the file once, streaming: it decodes it (BOMs honoured: UTF-8, UTF-16 and UTF-32 are told by
theirs), splits it into RFC 4180 records with the delimiter, the quote `"` and quotes doubled inside quoted
values (the rules the load gives DuckDB), and counts them. A quoted line break is part of a value, not a new
record; a blank line is a record with no fields, counted (the load rejects it). A file DuckDB cannot read as it
is (any encoding but UTF-8) is copied, as UTF-8, into a folder the caller owns, for DuckDB to read instead.

What the census cannot read is a DataError at the file and line: bytes that are not text in the encoding, a
record with more or fewer fields than the header, a quote never closed.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import gzip
import io
import tempfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterator

from cxgov.errors import DataError, Location
from cxgov.vocabulary import GZIP_SUFFIX

# BOMs, longest first (the UTF-32 LE BOM starts with the UTF-16 LE one)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SNIFFED_DELIMITERS = (",", "|", ";", "\t")  # the delimiters DuckDB's reader tries on a file it is given
# what to do about a file a source reads (`path:`), which has no load options
READ_AS_MANY_FIELDS = "give every line as many fields as the header (a comma inside a value needs quotes)"
READ_AS_UTF8 = "save the file as UTF-8"
ENCODINGS = ("utf-8", "latin-1", "utf-16", "utf-32")  # what --encoding may name (and utf-8-sig, told by its BOM)
MAX_FIELD = 1 << 28  # characters in one value (256 Mi): Python's csv module stops at 128 Ki unless told
_ENCODING_HINT = "pass --encoding latin-1 (or utf-16, utf-32), or convert it (e.g. `iconv -f latin1 -t utf-8`)"
_WIDTH_HINT = "quote values that hold the delimiter (\"a, b\"), or check the delimiter (change it with --delimiter)"


@dataclass(frozen=True)
class Census:
    """What `census` found: the header, how many records follow it, and where they are."""

    path: Path
    readable: Path  # what the database reads: the file itself, or its UTF-8 copy
    encoding: str
    header: tuple[str, ...]
    records: int  # records after the header, blank lines included
    blanks: tuple[int, ...]  # record numbers (1 is the first after the header) of blank lines
    chars: int  # characters in the values of every record, for a check of what the database read
    longest: int  # characters in the longest record, line breaks included
    header_lines: int = 1
    # records spanning more than one line (quoted line breaks): their numbers, and the lines each spans beyond one,
    # in total up to and including it
    _spans: array[int] = field(default_factory=lambda: array("q"), repr=False, compare=False)
    _extra: array[int] = field(default_factory=lambda: array("q"), repr=False, compare=False)

    def line(self, record: int) -> int:
        """The line `record` starts on (1 is the header's first)."""
        before = bisect.bisect_left(self._spans, record)
        return self.header_lines + record + (self._extra[before - 1] if before else 0)


def encoding_of(head: bytes, given: str | None) -> str:
    """The encoding to decode a file starting with `head` in: its BOM's, whatever is `given` (no Latin-1 text
    starts with one), else `given` (default UTF-8)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return given or "utf-8"


def _open_binary(path: Path) -> gzip.GzipFile | io.BufferedReader:
    return gzip.open(path, "rb") if path.name.lower().endswith(GZIP_SUFFIX) else path.open("rb")


def _head(path: Path) -> bytes:
    try:
        with _open_binary(path) as handle:
            return handle.read(4)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read: {exc}",
                        hint="check the file is complete (a .gz file must be gzip-compressed)") from None


def census(path: Path, delimiter: str, encoding: str | None, scratch: Path) -> Census:
    """Count the records of the CSV file `path`, copying it as UTF-8 into folder `scratch` when the database
    cannot read it as it is."""
    name = encoding_of(_head(path), encoding)
    copy = None if name in ("utf-8", "utf-8-sig") else scratch / (path.name.removesuffix(GZIP_SUFFIX) + ".utf8.csv")
    with _open_binary(path) as raw, (copy.open("w", encoding="utf-8", newline="") if copy else io.StringIO()) as out:
        text = io.TextIOWrapper(raw, encoding=name, errors="strict", newline="")
        counter = _Lines(text, out if copy else None)
        try:
            return _count(path, copy or path, name, delimiter, counter)
        except UnicodeDecodeError as exc:
            shown = "UTF-8" if name.startswith("utf-8") else name.upper()
            line = _undecodable_line(path, name)
            raise DataError(f"is not {shown} text: line {line} holds bytes that are not {shown} ({exc.reason})",
                            location=Location(str(path), line), hint=_ENCODING_HINT) from None
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: cannot be read: {exc}", hint="check the file is complete") from None


def header_delimiter(path: Path) -> str | None:
    """The delimiter the header line of the CSV file `path` is most likely split by: the most frequent of
    SNIFFED_DELIMITERS in it (ties: the first, the comma); None when it holds none, or cannot be read."""
    try:
        with _open_binary(path) as raw:
            head = raw.read(1 << 20)
    except (OSError, EOFError):  # what reads the file says why
        return None
    header = head.decode(encoding_of(head, None), errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(SNIFFED_DELIMITERS, key=header.count)
    return delimiter if delimiter in header else None


def layout_problem(path: Path) -> DataError | None:
    """What keeps the CSV file `path` from reading as a table with its header's columns, as `census` finds it (the
    first record with more or fewer fields than the header, a quote never closed, bytes that are not UTF-8), its
    location the file and line, worded for a file a source reads (the load's hints name its options); None when
    the file is well-formed CSV or its header holds none of the delimiters DuckDB tries. Used where DuckDB's reader
    could not make out a file's columns: it says the layout cannot be detected, or reads one column named by the
    whole header line, without saying which line is to blame."""
    delimiter = header_delimiter(path)
    if delimiter is None:
        return None
    with tempfile.TemporaryDirectory(prefix="cxgov-csv-") as scratch:
        try:
            census(path, delimiter, None, Path(scratch))
        except DataError as exc:
            if exc.hint == _ENCODING_HINT:
                return DataError("bytes that are not UTF-8 text", location=exc.location, hint=READ_AS_UTF8)
            if exc.hint == _WIDTH_HINT:
                return DataError(exc.message, location=exc.location, hint=f"{READ_AS_MANY_FIELDS}, or load the file "
                                 "with `cxgov data load`, which says what it cannot read")
            return exc
    return None


def _undecodable_line(path: Path, encoding: str) -> int:
    """The line of the first bytes of `path` that are not text in `encoding` (the text reader decodes ahead)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line = 1
    with _open_binary(path) as raw:
        for block in iter(lambda: raw.read(1 << 16), b""):
            try:
                line += decoder.decode(block).count("\n")
            except UnicodeDecodeError as exc:  # exc.start counts the few bytes the decoder held back too
                return line + block[:max(exc.start, 0)].decode(encoding, errors="ignore").count("\n")
    return line


class _Lines:
    """The lines of a text stream, counted (and their characters), optionally copied to `out`."""

    def __init__(self, text: IO[str], out: IO[str] | None):
        self.text, self.out = text, out
        self.lines = 0
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        out = self.out
        for line in self.text:
            self.lines += 1
            self.chars += len(line)
            if out is not None:
                out.write(line)
            yield line


def _count(path: Path, readable: Path, encoding: str, delimiter: str, lines: _Lines) -> Census:
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, escapechar=None,
                        quoting=csv.QUOTE_MINIMAL, strict=True, skipinitialspace=False)
    where = Location(str(path), 1)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _csv_error(path, 1, lines.lines, exc) from None
    if header is None:
        raise DataError("the file is empty", location=where, hint="export the data again; a CSV needs a header line")
    if not header:
        raise DataError("the first line is blank, but a CSV starts with its header line", location=where,
                        hint="remove the blank line(s) before the header")
    width, header_lines = len(header), lines.lines
    records = chars = longest = 0
    blanks: list[int] = []
    spans, extra = array("q"), array("q")
    start_line, start_chars = lines.lines, lines.chars
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise _csv_error(path, start_line + 1, lines.lines, exc) from None
        if row is None:
            break
        records += 1
        spanned = lines.lines - start_line
        if spanned > 1:
            spans.append(records)
            extra.append((extra[-1] if extra else 0) + spanned - 1)
        longest = max(longest, lines.chars - start_chars)
        if not row:
            blanks.append(records)
        elif len(row) != width:
            raise _width_error(path, start_line + 1, len(row), width, lines)
        else:
            chars += sum(map(len, row))
        start_line, start_chars = lines.lines, lines.chars
    return Census(path, readable, encoding, tuple(header), records, tuple(blanks), chars, longest, header_lines,
                  spans, extra)


def _width_error(path: Path, line: int, found: int, width: int, lines: _Lines) -> DataError:
    last = next(iter(lines), None) is None  # nothing after this record: the file may have been cut short
    where = Location(str(path), line)
    if last and found < width:
        return DataError(f"looks truncated: its last line (line {line}) has {found} of {width} fields", location=where, hint="copy the complete file and load it again")
    return DataError(f"has {found} field{'s' * (found != 1)}, but the header has {width}", location=where,
                     hint=_WIDTH_HINT)


def _csv_error(path: Path, start: int, at: int, exc: csv.Error) -> DataError:
    text = str(exc)
    if "unexpected end of data" in text or "EOF" in text:
        return DataError(f"a quoted value that starts on line {start} is never closed",
                         location=Location(str(path), start), hint="close the quote, or write a quote inside a quoted value as two (\"\")")
    if "field larger than field limit" in text:
        return DataError(f"a value on line {start} holds more than {MAX_FIELD:,} characters",
                         location=Location(str(path), start),
                         hint="a quote that is never closed makes the rest of the file one value: check the quotes; "
                              "or split the value")
    if "NUL" in text or "null byte" in text:
        return DataError("holds a NUL character: is it a text file?", location=Location(str(path), at),
                         hint="export it again as CSV text")
    return DataError(f"is not well-formed CSV ({text})", location=Location(str(path), at),
                     hint="a quoted value must end with its quote before the next delimiter; write a quote inside "
                          "a quoted value as two (\"\")")
