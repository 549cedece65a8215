"""Hostile files given to `cxgov data load`: each case runs the real CLI and asserts the exit code, the place it
reports (file:line, or the line of the first rejected row), the message, and what the table then holds; no case
may lose a row silently, print a traceback, or write anything when it fails or is a dry run."""

from __future__ import annotations

import codecs
import gzip
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb
import pytest

from hostile_fixtures import cli, patched, write_spec

HEADER = "ref,opened_at,touchpoint_id,score,note"
GOOD = ["#1001,2026-11-02 09:00:00,web-form,4,fine", "#1002,2026-11-03 10:30:00,chat,5,thanks"]
DATA = patched("data.yaml", "sources:\n", "sources:\n  - {id: tickets, table: tickets, timestamp: opened_at, "
               "touchpoint: touchpoint_id, key: ref}\n")
DATA["data.yaml"] += "  - {id: ticket-csat, kind: csat, source: tickets, column: score, scale: {min: 1, max: 5}}\n"


def csv(*rows: str, header: str = HEADER, newline: str = "\n") -> str:
    return "".join(line + newline for line in (header, *rows))


@dataclass(frozen=True)
class Case:
    id: str
    content: bytes | Callable[[Path], None]  # the file's bytes, or a function writing it
    where: str  # the start of the line that reports it
    message: str  # in that line
    exit_code: int = 0
    name: str = "export.csv"
    args: tuple[str, ...] = ()
    hint: str | None = None
    # the table afterwards: a query and its rows (None: the database must not exist)
    table: tuple[str, list[tuple]] | None = field(default=("SELECT count(*) FROM tickets", [(2,)]))


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def _parquet(columns: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        con = duckdb.connect()
        con.execute(f"COPY (SELECT {columns}) TO '{path}' (FORMAT parquet)")
        con.close()
    return make


def _damaged_footer(path: Path) -> None:
    """A Parquet file whose footer (its Thrift-encoded metadata) has four bytes overwritten."""
    _parquet("'#1' AS ref, TIMESTAMP '2026-11-02 09:00' AS opened_at, 'web-form' AS touchpoint_id, 4 AS score")(path)
    data = bytearray(path.read_bytes())
    footer = len(data) - 8 - int.from_bytes(data[-8:-4], "little")
    data[footer + 40:footer + 44] = b"\xff" * 4
    path.write_bytes(bytes(data))


E = "cxgov: error: export.csv"
NOTHING = ("SELECT count(*) FROM information_schema.tables", [(0,)])
CASES = [
    # values and headers a reader might take for something else
    Case("hash-ticket-refs", utf8(csv(*GOOD, "#1003,2026-11-04 11:00:00,phone-line,3,#urgent")),
         "export.csv: read 3", "read 3 = loaded 3 + rejected 0",
         table=("SELECT ref, note FROM tickets ORDER BY ref", [("#1001", "fine"), ("#1002", "thanks"),
                                                                ("#1003", "#urgent")])),
    # DuckDB's sniffer takes # for a comment character when some lines start with it and others do not
    Case("hash-refs-among-plain-refs", utf8(csv(*GOOD, "1003,2026-11-04 11:00:00,phone-line,3,x",
                                                "1004,2026-11-04 12:00:00,chat,3,y")),
         "export.csv: read 4", "read 4 = loaded 4 + rejected 0",
         table=("SELECT ref FROM tickets ORDER BY ref", [("#1001",), ("#1002",), ("1003",), ("1004",)])),
    Case("hash-line-that-looks-like-a-comment", utf8(csv(GOOD[0], "# exported by HelpDesk 9", GOOD[1])), f"{E}:3: ",
         "has 1 field, but the header has 5", exit_code=2, table=NOTHING),
    Case("hash-every-first-value", utf8(csv(*(f"#{i},2026-11-02 09:00:00,web-form,4,n" for i in range(50)))),
         "export.csv: read 50", "read 50 = loaded 50 + rejected 0", table=("SELECT count(*) FROM tickets", [(50,)])),
    Case("hash-header", utf8(csv(*GOOD, header="ref,opened_at,touchpoint_id,score,#note")),
         "export.csv: read 2", "read 2 = loaded 2 + rejected 0",
         table=('SELECT "#note" FROM tickets ORDER BY ref', [("fine",), ("thanks",)])),
    Case("bookkeeping-names-in-header",
         utf8(csv("#1,2026-11-02 09:00:00,web-form,4,a,9,not a reason", "#2,2026-11-02 09:00:00,web-form,5,b,8,",
                  header=HEADER + ",cx_row,cx_reason")),
         "export.csv: read 2", "read 2 = loaded 2 + rejected 0",
         table=("SELECT cx_row, cx_reason FROM tickets ORDER BY ref", [("9", "not a reason"), ("8", None)])),
    Case("internal-prefix-in-header", utf8(csv("#1,2026-11-02 09:00:00,web-form,4,a,x", header=HEADER + ",__cxgov_row")),
         f"{E}:1: ", "column 6 of the header is named '__cxgov_row': names starting with __cxgov_ are cxgov's own",
         exit_code=2, hint="rename the column in the file", table=NOTHING),
    Case("same-name-twice-ignoring-case", utf8(csv("#1,2026-11-02 09:00:00,web-form,4,a,b", header=HEADER + ",Note")),
         f"{E}:1: ", "columns 5 and 6 of the header are both named 'Note' (names ignore case)", exit_code=2,
         hint="rename one of them", table=NOTHING),
    Case("control-character-in-header", utf8(csv("#1,2026-11-02 09:00:00,web-form,4,a,b", header=HEADER + ",x\x1b[31m")),
         f"{E}:1: ", "column 6 of the header has a name with control characters", exit_code=2, table=NOTHING),
    Case("spaces-and-unicode-in-header", utf8(csv("#1,2026-11-02 09:00:00,web-form,4,a,b,c",
                                                  header=HEADER + ",first name,Straße")),
         "export.csv: read 1", "read 1 = loaded 1 + rejected 0",
         table=('SELECT "first name", "Straße" FROM tickets', [("b", "c")])),
    Case("null-like-text-is-text", utf8(csv("#1,2026-11-02 09:00:00,web-form,4,NULL", "#2,2026-11-02 09:00:00,chat,4,\\N")),
         "export.csv: read 2", "read 2 = loaded 2 + rejected 0",
         table=("SELECT note FROM tickets ORDER BY ref", [("NULL",), ("\\N",)])),
    # lines that are not records
    Case("blank-line-inside", utf8(csv(GOOD[0], "", GOOD[1])), "  rejected 1: ",
         "blank line (first on line 3)", table=("SELECT source_row, reason FROM tickets_rejected", [(2, "blank line")])),
    Case("blank-first-line", utf8("\n" + csv(*GOOD)), f"{E}:1: ",
         "the first line is blank, but a CSV starts with its header line", exit_code=2, table=NOTHING),
    Case("header-only", utf8(csv()), "export.csv: read 0", "read 0 = loaded 0 + rejected 0",
         table=("SELECT count(*) FROM tickets", [(0,)])),
    Case("quoted-line-breaks-keep-line-numbers",
         utf8(csv('#1,2026-11-02 09:00:00,web-form,4,"two\nlines"', '#2,2026-11-02 09:00:00,web-form,4,"a\r\nb"',
                  "#3,2026-11-02 09:00:00,nowhere,4,x")),
         "  rejected 1: ", "touchpoint_id: is not a touchpoint in the spec (first on line 6)",
         table=("SELECT note FROM tickets ORDER BY ref", [("two\nlines",), ("a\r\nb",)])),
    Case("more-fields-than-header", utf8(csv(GOOD[0], "#9,2026-11-02 09:00:00,web-form,4,a,b", GOOD[1])),
         f"{E}:3: ", "has 6 fields, but the header has 5", exit_code=2, hint="quote values that hold the delimiter",
         table=NOTHING),
    Case("truncated-last-line", utf8(csv(*GOOD) + "#1003,2026-11-04"), f"{E}:4: ",
         "looks truncated: its last line (line 4) has 2 of 5 fields", exit_code=2, table=NOTHING),
    Case("quote-never-closed", utf8(csv(GOOD[0], '#2,2026-11-02 09:00:00,web-form,4,"open', GOOD[1])), f"{E}:3: ",
         "a quoted value that starts on line 3 is never closed", exit_code=2, table=NOTHING),
    Case("text-after-closing-quote", utf8(csv('#2,2026-11-02 09:00:00,web-form,4,"closed"after')), f"{E}:2: ",
         "is not well-formed CSV", exit_code=2, table=NOTHING),
    Case("nul-byte-in-a-value", utf8(csv(GOOD[0])) + b"#2,2026-11-02\x00,web-form,4,x\n", "  rejected 1: ",
         "opened_at: is not a timestamp (first on line 3)", table=("SELECT count(*) FROM tickets", [(1,)])),
    # time zones
    Case("unknown-zone", utf8(csv(*GOOD, "#3,2026-11-04 11:00 Mars/Base,chat,4,x")), "  rejected 1: ",
         "opened_at: is not a timestamp: unknown time zone 'Mars/Base' (first on line 4)",
         table=("SELECT reason FROM tickets_rejected",
                [("opened_at: 2026-11-04 11:00 Mars/Base is not a timestamp: unknown time zone 'Mars/Base'",)])),
    Case("impossible-offset", utf8(csv("#3,2026-11-04T11:00:00+25:00,chat,4,x", *GOOD)), "  rejected 1: ",
         "opened_at: is not a timestamp: the offset +25:00 is not between -23:59 and +23:59 (first on line 2)"),
    Case("offset-not-the-zones", utf8(csv(*GOOD, "#3,2026-11-04T11:00:00+02:00[Europe/London],chat,4,x")),
         "  rejected 1: ", "the offset +02:00 is not the offset of Europe/London at that time (first on line 4)"),
    Case("zone-names-are-instants",
         utf8(csv("#1,2026-03-29 02:30 Europe/Berlin,web-form,4,gap", "#2,2026-10-25 02:30 Europe/Berlin,chat,4,twice",
                  "#3,2026-07-01T09:00:00-04:00[America/New_York],chat,4,rfc", "#4,2026-07-01T08:00:00Z,chat,4,utc")),
         "export.csv: read 4", "read 4 = loaded 4 + rejected 0",
         table=("SELECT note, opened_at FROM tickets ORDER BY ref",  # wall-clock time in Europe/London
                [("gap", datetime(2026, 3, 29, 2, 30)), ("twice", datetime(2026, 10, 25, 1, 30)),
                 ("rfc", datetime(2026, 7, 1, 14, 0)), ("utc", datetime(2026, 7, 1, 9, 0))])),
    # encodings and sizes
    Case("latin-1-without-encoding", csv(GOOD[0], "#2,2026-11-02 09:00:00,chat,4,Très").encode("latin-1"),
         f"{E}:3: ", "is not UTF-8 text: line 3 holds bytes that are not UTF-8", exit_code=2,
         hint="--encoding latin-1", table=NOTHING),
    Case("latin-1-with-encoding", csv(GOOD[0], "#2,2026-11-02 09:00:00,chat,4,Très").encode("latin-1"),
         "export.csv: read 2", "read 2 = loaded 2 + rejected 0", args=("--encoding", "latin-1"),
         table=("SELECT note FROM tickets ORDER BY ref", [("fine",), ("Très",)])),
    Case("utf-16-with-bom", csv(*GOOD, newline="\r\n").encode("utf-16"), "export.csv: read 2",
         "read 2 = loaded 2 + rejected 0"),
    Case("utf-16-big-endian", codecs.BOM_UTF16_BE + csv(*GOOD).encode("utf-16-be"), "export.csv: read 2",
         "read 2 = loaded 2 + rejected 0"),
    Case("utf-32-with-bom", csv(*GOOD).encode("utf-32"), "export.csv: read 2", "read 2 = loaded 2 + rejected 0"),
    Case("utf-16-gzipped", gzip.compress(csv(*GOOD).encode("utf-16")), "export.csv.gz: read 2",
         "read 2 = loaded 2 + rejected 0", name="export.csv.gz"),
    Case("utf-8-bom-and-crlf", codecs.BOM_UTF8 + utf8(csv(*GOOD, newline="\r\n")), "export.csv: read 2",
         "read 2 = loaded 2 + rejected 0", table=("SELECT ref FROM tickets ORDER BY ref", [("#1001",), ("#1002",)])),
    Case("line-longer-than-the-readers-default", utf8(csv(GOOD[0], "#2,2026-11-02 09:00:00,chat,4," + "x" * 3_000_000)),
         "export.csv: read 2", "read 2 = loaded 2 + rejected 0",
         table=("SELECT max(length(note)) FROM tickets", [(3_000_000,)])),
    # Parquet
    Case("parquet-internal-column", _parquet("'#1' AS ref, TIMESTAMP '2026-11-02 09:00' AS opened_at, "
                                             "'web-form' AS touchpoint_id, 4 AS score, 1 AS __cxgov_row"),
         "cxgov: error: export.parquet: ", "column 5 of the schema is named '__cxgov_row'", exit_code=2,
         name="export.parquet", table=NOTHING),
    Case("parquet-damaged-footer", _damaged_footer, "cxgov: error: export.parquet: ",
         "is not a readable Parquet file (", exit_code=2, name="export.parquet",
         hint="check the file is complete, or name a CSV file .csv", table=NOTHING),
    # dry runs
    Case("dry-run-creates-nothing", utf8(csv(*GOOD, "#3,2026-11-04 11:00 Mars/Base,chat,4,x")),
         "would load 2 of 3 rows", "dry run: nothing was written", args=("--dry-run",), table=None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_load(tmp_path, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path / "specs", DATA)
    path = tmp_path / case.name
    if callable(case.content):
        case.content(path)
    else:
        path.write_bytes(case.content)
    ran = cli("data", "load", "tickets", case.name, "--db", "m.duckdb", "--spec", "specs", *case.args)
    assert ran.clean, ran.output
    assert ran.exit_code == case.exit_code, ran.output
    lines = [line for line in ran.output.splitlines() if line.startswith(case.where)]
    assert lines, f"nothing reported at {case.where!r}:\n{ran.output}"
    assert any(case.message in line for line in lines), f"expected {case.message!r} at {case.where!r}:\n{ran.output}"
    if case.hint:
        assert case.hint in ran.output, ran.output
    assert "\x1b" not in ran.output and "Original Line" not in ran.output
    if case.table is None:
        assert not (tmp_path / "m.duckdb").exists() and not list(tmp_path.glob("m.duckdb*"))
        return
    con = duckdb.connect(str(tmp_path / "m.duckdb"), read_only=True)
    try:
        query, rows = case.table
        assert con.execute(query).fetchall() == rows
    finally:
        con.close()


def test_dry_run_against_a_database_changes_no_byte_and_counts_its_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path / "specs", DATA)
    Path("a.csv").write_text(csv(*GOOD), encoding="utf-8")
    assert cli("data", "load", "tickets", "a.csv", "--db", "m.duckdb", "--spec", "specs").exit_code == 0
    before = Path("m.duckdb").read_bytes()
    Path("b.csv").write_text(csv(GOOD[1], "#1003,2026-11-04 11:00:00,chat,4,new"), encoding="utf-8")
    ran = cli("data", "load", "tickets", "b.csv", "--db", "m.duckdb", "--spec", "specs", "--dry-run")
    assert ran.exit_code == 0, ran.output
    assert "b.csv: read 2 = loaded 1 + rejected 0 + 1 duplicates skipped" in ran.output
    assert "would load 1 of 2 rows into tickets" in ran.output
    assert Path("m.duckdb").read_bytes() == before and not Path("m.duckdb.wal").exists()
