"""cxgov's own reading of a CSV file: its header's delimiter, and what keeps it from reading as a table."""

from __future__ import annotations

import codecs
import gzip

import pytest

from cxgov.data.csvfile import header_delimiter, layout_problem


@pytest.mark.parametrize("header, expected", [
    (b"at,tp,seg\n", ","),
    (b"at;tp;seg\n", ";"),
    (b"at\ttp\tseg\n", "\t"),
    (b"at|tp|seg\n", "|"),
    (b"at;tp;seg,x\n", ";"),  # the most frequent
    (b"at,tp;seg\n", ","),  # a tie: the comma
    (b"at\n", None),
    (codecs.BOM_UTF8 + b"at;tp\n", ";"),
    ("at;tp\n".encode("utf-16"), ";"),
    (b"", None),
])
def test_the_header_delimiter_is_the_most_frequent_one_duckdb_tries(tmp_path, header, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(header)
    assert header_delimiter(path) == expected


def test_a_compressed_file_s_header_is_read_through_gzip(tmp_path):
    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress(b"at|tp\n1|2\n"))
    assert header_delimiter(path) == "|"
    assert header_delimiter(tmp_path / "missing.csv") is None


def test_the_layout_problem_is_the_first_record_that_does_not_fit(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("at,tp,v\n1,a,2\n1,a\n1,a,2,3\n")
    problem = layout_problem(path)
    assert problem is not None and problem.message == "has 2 fields, but the header has 3"
    assert problem.location is not None and problem.location.line == 3
    path.write_text("at,tp,v\n1,a,2\n")
    assert layout_problem(path) is None
    path.write_text('"at,tp"\n1\n')  # one column, its name quoted
    assert layout_problem(path) is None
