"""Hostile spec folders: each runs the real CLI on the spec of hostile_fixtures, changed, and gets the right exit code
and a line at the right file:line:column (a link: its path) saying what is wrong, with a hint saying what to do,
and never a traceback. Files outside the spec are never read, and nothing of a file that is not a data file of the
spec (nor the text of a data file's bad line) reaches any output.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hostile_fixtures import AS_OF, CSV_HEADER, SPEC, assert_reports, check_with_reports, cli, patched, spec_files, \
    surveys_csv, write_spec
from support.spec_files import Link, write_files

MARKER = "SECRET-MARKER-4b1d9e"  # in files the spec must never show
PATH_AT = "specs/data.yaml:3:25"  # where the source's `path:` value is written
EVALUATED = "cxgov: error: specs/rules.yaml:3: help-csat could not be evaluated"  # check's first rule error


def reading(path: str, files: dict | None = None) -> dict:
    """The spec's overrides: its source reads `path`, and `files` (name -> text, bytes, a Link) are added."""
    return {**patched("data.yaml", "path: data/surveys.csv", f"path: {path}"), **(files or {})}


def owner(name_yaml: str) -> dict:
    """A second owners file whose owner's name is written `name_yaml`, at specs/more.yaml:3:21."""
    return {"more.yaml": f"version: 1\nowners:\n  - {{id: eve, name: {name_yaml}}}\n"}


def encoded(codec: str, bom: bytes, text: str = "CX Office é 😀") -> dict:
    """The program file saved in `codec` with the byte-order mark `bom`, its first owner named `text`."""
    return {"program.yaml": bom + textwrap.dedent(SPEC["program.yaml"]).replace("CX Office", text).encode(codec)}


BOMB = "version: 1\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(10))


@dataclass(frozen=True)
class Case:
    files: dict  # overrides of the spec's files
    exit_code: int
    where: str  # the start of the line that reports it: file:line:column and the rule code (or `cxgov: error:`)
    message: str  # what is wrong: on that line
    hint: str | None  # what to do: in the output (None for a spec that passes)
    args: tuple[str, ...] = ("validate",)
    env: dict = field(default_factory=dict)
    outside: dict = field(default_factory=dict)  # files written beside the spec folder, outside its repository
    pipe: str | None = None  # a named pipe made in the spec folder


def case(id_: str, *args, **kwargs):
    return pytest.param(Case(*args, **kwargs), id=id_)


ALLOW = "or allow its folder with --allow-root DIR or CXGOV_ALLOW_ROOTS"
KEEP_INSIDE = f"keep data inside the repository, written relative to this spec file; {ALLOW}"
LINK_HINT = "fix or remove the link, or hide it with a leading dot"
PLAIN = "delete it: spec text is plain, though tabs and line breaks are fine"
CHECK = ("check", "--as-of", AS_OF)
TOKEN = {"token.txt": f"{MARKER}\nmore {MARKER}\n"}
SHARED = {"shared.yaml": "version: 1\nsegments:\n  - {id: smb, name: Small business}\n", "data.csv": surveys_csv()}
OK = "specs: 0 errors, 0 warnings in 5 files"

CASES = [
    # files outside the spec's repository (CX007)
    case("absolute-path", reading("/etc/hostname"), 1, f"{PATH_AT}: CX007 error",
         "source 'surveys': '/etc/hostname' is an absolute path, outside the spec's repository (specs)", KEEP_INSIDE),
    case("absolute-path-inside", reading("TMP/specs/data/surveys.csv"), 1, f"{PATH_AT}: CX007 error",
         "/specs/data/surveys.csv' is an absolute path", "write it relative to this spec file: 'data/surveys.csv', "
         "so that it works in every checkout"),
    case("dotdot-escape", reading("../outside/token.txt"), 1, f"{PATH_AT}: CX007 error",
         "'../outside/token.txt' leads to outside/token.txt, outside the spec's repository (specs)", KEEP_INSIDE,
         outside=TOKEN),
    case("dotdot-escape-at-check", reading("../outside/token.txt"), 2, f"  {PATH_AT}: CX007 error",
         "leads to outside/token.txt", "run `cxgov validate specs` and fix them", args=CHECK, outside=TOKEN),
    case("symlink-escape", reading("data/*.txt", {"data/x.txt": Link("../../outside/token.txt")}), 1,
         f"{PATH_AT}: CX007 error", "'data/*.txt' matches specs/data/x.txt, which leads to outside/token.txt, "
         "outside the spec's repository (specs)", KEEP_INSIDE, outside=TOKEN),
    case("symlinked-folder-escape", reading("data/**/*.csv", {"data/feed": Link("../../outside")}), 1,
         f"{PATH_AT}: CX007 error", "walks through specs/data/feed, which leads to outside, outside the spec's "
         "repository", KEEP_INSIDE, outside=SHARED),
    case("git-config", reading(".git/config", {".git/config": f"[http]\n  extraheader = {MARKER}\n"}), 1,
         f"{PATH_AT}: CX007 error", "'.git/config' matches specs/.git/config, which is in or is the hidden '.git'",
         f"cxgov reads no hidden files or folders (git's own, credentials): keep data in visible folders, {ALLOW}"),
    case("file-uri-with-host", reading("file://fileserver/share/x.csv"), 1, f"{PATH_AT}: CX007 error",
         "names host 'fileserver': a file:// URI here must name a file on this machine",
         "write file:///absolute/path, or better a path relative to this spec file"),
    case("linked-spec-file-outside", {"shared.yaml": Link("../outside/shared.yaml")}, 1,
         "specs/shared.yaml: CX007 error", "symbolic link to outside/shared.yaml, outside the spec's repository",
         f"copy what it links to into the repository; {ALLOW}", outside=SHARED),
    case("linked-spec-folder-outside", {"common": Link("../outside")}, 1, "specs/common: CX007 error",
         "symbolic link to outside, outside the spec's repository", f"copy what it links to into the repository",
         outside=SHARED),
    # allowed roots
    case("allowed-root-option", reading("../outside/data.csv", {"shared": Link("../outside")}), 0,
         "specs: 0 errors, 0 warnings in 6 files", "", None, args=("validate", "--allow-root", "outside"),
         outside=SHARED),
    case("allowed-root-env", reading("../outside/data.csv", {"shared": Link("../outside")}), 0,
         "specs: 0 errors, 0 warnings in 6 files", "", None,
         env={"CXGOV_ALLOW_ROOTS": os.pathsep.join(["elsewhere", "outside"])},
         outside={**SHARED, "../elsewhere/x": "x"}),
    case("allowed-root-at-check", reading("../outside/data.csv"), 1, "cxgov check: acme as of 2026-11-20", "", None,
         args=(*CHECK, "--allow-root", "outside"), outside=SHARED),
    case("allowed-root-env-missing-folder", {}, 2, "cxgov: error: CXGOV_ALLOW_ROOTS entry 'nowhere'",
         "nowhere is not a folder", "allow an existing folder, the one that holds the files the spec reads",
         env={"CXGOV_ALLOW_ROOTS": "nowhere"}),
    case("allowed-root-option-missing-folder", {}, 2, "cxgov: error: --allow-root nowhere", "nowhere is not a folder",
         "allow an existing folder", args=("validate", "--allow-root", "nowhere")),
    # links in the spec folder (CX008)
    case("symlink-loop-folder", {"sub/loop": Link("..")}, 1, "specs/sub/loop: CX008 error",
         "symbolic link loop: the link leads back to specs, a folder that holds it", LINK_HINT),
    case("symlink-loop-files", {"a.yaml": Link("b.yaml"), "b.yaml": Link("a.yaml")}, 1, "specs/a.yaml: CX008 error",
         "symbolic link loop: the link leads back to itself through other links", LINK_HINT),
    case("dangling-link", {"old.yaml": Link("gone.yaml")}, 1, "specs/old.yaml: CX008 error",
         "symbolic link to 'gone.yaml', which does not exist", LINK_HINT),
    # encodings (CX001)
    case("utf-16-le", encoded("utf-16-le", b"\xff\xfe"), 0, OK, "", None),
    case("utf-16-be", encoded("utf-16-be", b"\xfe\xff"), 0, OK, "", None),
    case("utf-16-le-no-bom", encoded("utf-16-le", b""), 0, OK, "", None),
    case("utf-32-le", encoded("utf-32-le", b"\xff\xfe\x00\x00"), 0, OK, "", None),
    case("utf-32-be", encoded("utf-32-be", b"\x00\x00\xfe\xff"), 0, OK, "", None),
    case("latin-1", encoded("latin-1", b"", "CX équipe"), 1, "specs/program.yaml:1:1: CX001 error",
         "file is not UTF-8 text (found byte 0xE9 at line 18, column 30, as in Windows-1252 or Latin-1 text)",
         "save it as UTF-8 (UTF-16 and UTF-32 with a byte-order mark are read too), e.g. with `iconv -f "
         "windows-1252 -t utf-8`"),
    case("binary", {"logo.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, 1, "specs/logo.yaml:1:1: CX001 error",
         "file is not UTF-8 text (found byte 0x89 at line 1, column 1; it does not look like text at all)",
         "keep other files out of the spec folder"),
    case("nul-byte", {"more.yaml": b"version: 1\nowners: []\x00\n"}, 1, "specs/more.yaml:2:11: CX001 error",
         "file holds a NUL byte (0x00), which YAML text cannot hold", "delete it; a file saved as UTF-16 or UTF-32 "
         "needs its byte-order mark"),
    case("fifo", {}, 1, "specs/pipe.yaml:1:1: CX001 error",
         "not a regular file (a device, pipe or socket named like a spec file)", "move it out of the spec folder",
         pipe="pipe.yaml"),
    # text (CX009, CX014)
    case("control-in-name", owner('"Eve\\e[2J"'), 1, "specs/more.yaml:3:25: CX009 error",
         "the value 'Eve\\x1b[2J' holds control character U+001B (escape)", PLAIN),
    case("raw-control-in-name", {"more.yaml": b"version: 1\nowners:\n  - {id: eve, name: Eve\x1b[2J}\n"}, 1,
         "specs/more.yaml:3:24: CX002 error", "character U+001B is not allowed in YAML text",
         "delete it: spec text holds no control characters"),
    case("control-in-description", {"more.yaml": 'version: 1\nsegments:\n  - id: smb\n    name: SMB\n'
                                                 '    description: "ring \\a"\n'}, 1,
         "specs/more.yaml:5:24: CX009 error", "the value 'ring \\x07' holds control character U+0007 (bell)", PLAIN),
    case("control-in-id", {"more.yaml": 'version: 1\nowners:\n  - {id: "ev\\x08e", name: Eve}\n'}, 1,
         "specs/more.yaml:3:13: CX009 error", "the value 'ev\\x08e' holds control character U+0008 (backspace)",
         PLAIN),
    case("control-in-key", {"more.yaml": 'version: 1\nowners:\n  - {id: eve, "na\\x7fme": Eve}\n'}, 1,
         "specs/more.yaml:3:18: CX009 error", "the key 'na\\x7fme' holds control character U+007F (delete)", PLAIN),
    case("c1-control", owner('"Eve\\x9b"'), 1, "specs/more.yaml:3:25: CX009 error",
         "holds control character U+009B", PLAIN),
    case("unpaired-surrogate", owner('"Eve\\ud800"'), 1, "specs/more.yaml:3:25: CX009 error",
         "\\ud800 is half of a UTF-16 surrogate pair, not a character",
         "write the character itself, or \\UXXXXXXXX for a character beyond U+FFFF"),
    case("bidi-override-warns", owner('"Eve \u202egnp.exe"'), 0, "specs/more.yaml:3:26: CX014 warning",
         "the value 'Eve \\u202egnp.exe' holds the bidirectional control U+202E (right-to-left override)",
         "delete it unless the text needs it to show a right-to-left script; review such text as code"),
    case("bidi-override-strict", owner('"Eve \\u2066x"'), 1, "specs/more.yaml:3:26: CX014 warning",
         "bidirectional control U+2066 (left-to-right isolate)", "delete it unless", args=("validate", "--strict")),
    # data paths at check time
    case("scheme-on-duckdb", reading("s3a://bucket/surveys/*.parquet"), 2, EVALUATED,
         f"{PATH_AT}: source 'surveys': 's3a://bucket/surveys/*.parquet' is a s3a:// URI, which the Spark engine "
         "(--data spark:...) reads; DuckDB reads local files only", "evaluate this spec on an engine that reads "
         "the URI, or copy the files into the spec's repository", args=CHECK),
    case("scheme-validates", reading("gs://bucket/surveys/*.parquet"), 0, OK, "", None),
    case("glob-matches-nothing", reading("data/none-*.csv"), 2, EVALUATED,
         f"{PATH_AT}: source 'surveys': no file matches 'data/none-*.csv' (looked for specs/data/none-*.csv)",
         "paths are relative to the spec file declaring the source; check the path or load the data", args=CHECK),
    case("glob-matches-a-folder", reading("data/*", {"data/sub/x.csv": surveys_csv()}), 2, EVALUATED,
         f"{PATH_AT}: source 'surveys': 'data/*' matches specs/data/sub, which is a folder, not a file",
         "match data files only, e.g. data/*.csv or data/**/*.parquet", args=CHECK),
    case("glob-matches-another-header", reading("data/*", {"data/notes.txt": f"{MARKER}\n"}), 2, EVALUATED,
         f"{PATH_AT}: source 'surveys': cannot read specs/data/notes.txt: its columns are not those of the other "
         "files", "give every file the same header", args=CHECK),
    case("glob-matches-markdown", reading("data/*", {"data/notes.md": f"{MARKER}\n"}), 2, EVALUATED,
         f"{PATH_AT}: source 'surveys': 'data/*' must match only CSV or only Parquet files",
         "use a pattern such as data/*.parquet", args=CHECK),
    # the spec folder and YAML itself
    case("spec-folder-is-a-file", {}, 2, "cxgov: error: 'specs/program.yaml' is a file, not a folder",
         "is a file, not a folder", "give the folder that holds the spec's .yaml files (here: specs)",
         args=("validate", "specs/program.yaml")),
    case("spec-folder-missing", {}, 2, "cxgov: error: spec folder 'nothing' does not exist", "does not exist",
         "give the folder that holds your spec files, or create one with `cxgov init DIR`",
         args=("validate", "nothing")),
    case("twenty-megabytes", {"huge.yaml": b"version: 1\n" + b"# padding to 20 MB\n" * 1_100_000}, 1,
         "specs/huge.yaml:1:1: CX001 error", "file is 19.9 MiB, larger than the 2 MiB limit for a spec file",
         "split it into several files; sections are merged across files"),
    case("deeply-nested", {"deep.yaml": "version: 1\nx: " + "[" * 200 + "]" * 200 + "\n"}, 1,
         "specs/deep.yaml:2:68: CX002 error", "values are nested more than 64 levels deep",
         "a spec nests a few levels at most: check the brackets and indentation here"),
    case("billion-laughs", {"bomb.yaml": BOMB}, 1, "specs/bomb.yaml:2:5: CX005 error",
         "aliases expand to more than 10000 values beyond what the file holds",
         "a spec needs few aliases: write the values out instead"),
    case("recursive-alias", {"loop.yaml": "version: 1\nx: &a [1, *a]\n"}, 1, "specs/loop.yaml:2:4: CX005 error",
         "recursive alias: a value contains itself",
         "an alias (*name) may refer to a value written before it, not to one that holds it"),
    case("duplicate-keys", {"more.yaml": "version: 1\nowners:\n  - {id: eve, name: Eve, name: Evil}\n"}, 1,
         "specs/more.yaml:3:26: CX003 error", "duplicate key 'name' (lines 3 and 3)",
         "a key may appear once per mapping: remove or merge one of them"),
    case("python-object", {"more.yaml": "version: 1\nx: !!python/object:os.system {}\n"}, 1,
         "specs/more.yaml:2:4: CX004 error", "tag 'tag:yaml.org,2002:python/object:os.system' is not allowed in a "
         "spec", "specs hold plain data only: remove the tag"),
    case("python-object-apply", {"more.yaml": "version: 1\nx: !!python/object/apply:os.system [echo]\n"}, 1,
         "specs/more.yaml:2:4: CX004 error", "python/object/apply:os.system' is not allowed in a spec",
         "remove the tag"),
]


def run(tmp_path: Path, monkeypatch, c: Case):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXGOV_ALLOW_ROOTS", raising=False)
    for name, value in c.env.items():
        monkeypatch.setenv(name, value)
    files = {name: text.replace("TMP/", f"{tmp_path}/") if isinstance(text, str) else text  # TMP/: absolute
             for name, text in c.files.items()}
    write_spec(tmp_path / "specs", files)
    write_files(tmp_path / "outside", c.outside)
    if c.pipe:
        os.mkfifo(tmp_path / "specs" / c.pipe)  # reading it would wait for a writer forever
    args = list(c.args)
    if args[0] in ("validate", "check") and not any(a.startswith("specs") or a == "nothing" for a in args):
        args.insert(1, "specs")
    return cli(*args)


@pytest.mark.parametrize("c", CASES)
def test_hostile_spec(tmp_path, monkeypatch, c):
    ran = run(tmp_path, monkeypatch, c)
    assert ran.exit_code == c.exit_code, ran.output
    assert ran.clean, ran.output
    lines = [line for line in ran.output.splitlines() if line.startswith(c.where) and c.message in line]
    assert lines, f"expected a line starting {c.where!r} holding {c.message!r}:\n{ran.output}"
    if c.hint is not None:
        assert c.hint in ran.output, f"expected the hint {c.hint!r}:\n{ran.output}"
    assert MARKER not in ran.output


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25


# --- nothing of a file outside the spec, nor of a data file's bad line, reaches any output ----------------------

OUTPUTS = ("out.json", "out.xml", "out.sarif", "out.html", "out.md")


def test_a_path_escape_is_refused_without_echoing_anything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXGOV_ALLOW_ROOTS", raising=False)
    write_files(tmp_path / "outside", {"token.txt": f"{MARKER}\n{MARKER},x\n"})
    write_spec(tmp_path / "specs", {"data/token.txt": Link("../../outside/token.txt")})
    for path in ("../outside/token.txt", str(tmp_path / "outside" / "token.txt"), "data/token.txt",
                 "data/**/*.txt", f"file://{tmp_path}/outside/token.txt"):
        (tmp_path / "specs" / "data.yaml").write_text(reading(path)["data.yaml"], encoding="utf-8")
        ran = check_with_reports(tmp_path / "specs", tmp_path / "out")
        assert ran.exit_code == 2 and "CX007" in ran.output and ran.clean, ran.output
        assert MARKER not in ran.output and not any((tmp_path / "out" / name).exists() for name in OUTPUTS)
        for args in (["validate", "specs"], ["explain", "help-csat", "specs"],
                     ["report", "scorecard", "specs", "--out", "-", "--as-of", AS_OF],
                     ["report", "journeys", "specs", "--out", "-"],
                     ["report", "raci", "specs", "--out", "-", "--format", "md"]):
            other = cli(*args)
            assert other.clean and MARKER not in other.output and "CX007" in other.output, other.output


@pytest.mark.parametrize("bad_line", [
    f"2026-11-03 10:00:00,2026-11-03 10:30:00,web-form,retail,4,9,5,true,12,3,4,{MARKER}",  # a field too many
    f"2026-11-03 10:00:00,2026-11-03 10:30:00,web-form,retail,{MARKER},9,5,true,12,3,4",  # text where numbers are
    f'2026-11-03 10:00:00,2026-11-03 10:30:00,web-form,retail,"{MARKER},9,5,true,12,3,4',  # a quote never closed
])
def test_a_data_files_bad_line_never_reaches_any_output(tmp_path, monkeypatch, bad_line):
    """DuckDB quotes the line it stops at; cxgov says which file and line, and the kind of problem, only."""
    monkeypatch.chdir(tmp_path)
    header, *rows = surveys_csv().splitlines()
    assert header == CSV_HEADER
    rows = (rows * (25_000 // len(rows) + 1))[:25_000]  # beyond the rows DuckDB samples for the columns' types
    write_spec(tmp_path / "specs", {"data/surveys.csv": "\n".join([header, *rows, bad_line]) + "\n",
                                    "data/neighbour.txt": f"{MARKER}\n"})
    ran = check_with_reports(tmp_path / "specs", tmp_path / "out")
    assert ran.exit_code == 2 and ran.clean, ran.output
    assert "cannot read specs/data/surveys.csv, line 25002: " in ran.output, ran.output
    assert_reports(tmp_path / "out")
    for name in ("terminal", *OUTPUTS):
        text = ran.output if name == "terminal" else (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert MARKER not in text, name
