"""`cxgov data load` with the CSV files people export: BOM, Windows line endings, semicolons, Latin-1, extra
columns, quoted commas; and clear usage errors for a folder, a long delimiter or an encoding DuckDB cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.data.ingest import csv_delimiter, csv_encoding
from cxgov.data.store import Store
from cxgov.errors import UsageError

HEADER = ["opened_at", "resolved_at", "touchpoint_id", "segment", "note"]
ROWS = [["2026-11-01 09:00", "2026-11-01 12:00", "phone-support", "retail", "slow, then fine"],
        ["2026-11-02 09:00", "", "phone-support", "retail", "Très lent"]]


@pytest.fixture
def prog(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    return Path("prog")


def _csv(sep: str = ",", newline: str = "\n") -> str:
    def field(value: str) -> str:
        return f'"{value}"' if sep in value else value
    return "".join(sep.join(field(v) for v in row) + newline for row in [HEADER, *ROWS])


def _load(*args: str):
    return CliRunner().invoke(main, ["data", "load", "tickets", *args, "--db", "m.duckdb", "--spec", "prog"])


def _notes() -> list[str]:
    with Store.open(Path("m.duckdb")) as store:
        return [row[0] for row in store.engine._con.execute('SELECT note FROM metrics."tickets" ORDER BY opened_at')
                .fetchall()]


@pytest.mark.parametrize("name, content, options", [
    ("bom.csv", b"\xef\xbb\xbf" + _csv().encode("utf-8"), []),
    ("windows.csv", _csv(newline="\r\n").encode("utf-8"), []),
    ("semicolon.csv", _csv(sep=";").encode("utf-8"), ["--delimiter", ";"]),
    ("latin1.csv", _csv().encode("latin-1"), ["--encoding", "latin1"]),
    ("tabs.csv", _csv(sep="\t").encode("utf-8"), ["--delimiter", "\\t"]),
])
def test_common_csv_exports_load_every_row_with_extra_columns_and_quoted_commas(prog, name, content, options):
    Path(name).write_bytes(content)
    result = _load(name, *options)
    assert result.exit_code == 0, result.output
    assert f"{name}: read 2 = loaded 2 + rejected 0" in result.output
    assert _notes() == ["slow, then fine", "Très lent"]


def test_a_semicolon_file_without_delimiter_says_which_option_to_pass(prog):
    Path("semicolon.csv").write_text(_csv(sep=";"), encoding="utf-8")
    result = _load("semicolon.csv")
    assert result.exit_code == 2
    assert "pass --delimiter ';'" in result.output


def test_a_semicolon_file_with_a_comma_in_its_first_row_says_which_option_to_pass(prog):
    Path("odd.csv").write_text('opened_at;touchpoint_id;note\n2026-11-01;"a,b";x\n', encoding="utf-8")
    result = _load("odd.csv")
    assert result.exit_code == 2
    assert "pass --delimiter ';'" in result.output


def test_a_latin1_file_read_as_utf8_says_to_pass_the_encoding(prog):
    Path("latin1.csv").write_bytes(_csv().encode("latin-1"))
    result = _load("latin1.csv")
    assert result.exit_code == 2
    assert "latin1.csv:3: is not UTF-8 text: line 3 holds bytes that are not UTF-8" in result.output
    assert "--encoding latin-1" in result.output


def test_a_folder_given_as_file_is_named_as_a_folder(prog):
    Path("exports").mkdir()
    result = _load("exports")
    assert result.exit_code == 2
    assert "exports: is a folder, not a file" in result.output and "exports/*.csv" in result.output
    assert not Path("m.duckdb").exists()


def test_unsupported_encoding_and_long_delimiter_are_usage_errors_before_reading(prog):
    Path("a.csv").write_text(_csv(), encoding="utf-8")
    result = _load("a.csv", "--encoding", "cp1252")
    assert result.exit_code == 2
    assert "--encoding 'cp1252' is not supported: CSV files are read as utf-8, latin-1, utf-16 or utf-32" in result.output
    assert "not well-formed" not in result.output
    result = _load("a.csv", "--delimiter", ";;")
    assert result.exit_code == 2 and "--delimiter ';;' is not one character" in result.output


def test_option_spellings():
    assert [csv_encoding(n) for n in (None, "UTF8", "Latin-1", "ISO-8859-1", "utf16", "UTF-32")] == \
        [None, "utf-8", "latin-1", "latin-1", "utf-16", "utf-32"]
    assert [csv_delimiter(d) for d in (None, ";", "|", "\\t", "tab", "\t")] == [None, ";", "|", "\t", "\t", "\t"]
    with pytest.raises(UsageError):
        csv_delimiter("")
