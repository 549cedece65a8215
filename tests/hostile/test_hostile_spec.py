"""Hostile spec folders: each runs the real CLI and gets the right exit code, a message at the right place that says
what is wrong and what to do, and never a traceback. Files outside the spec are never read, and nothing of a file
that is not a data file of the spec (nor the text of a data file's bad line) reaches any output.
"""

from __future__ import annotations

import json
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from support.spec_files import Link, write_files

MARKER = "SECRET-MARKER-4b1d9e"  # in files the spec must never show
AS_OF = "2026-11-20"

PROGRAM = """\
    version: 1
    program: {id: acme, name: Acme, timezone: UTC, owner: cx}
    owners:
      - {id: cx, name: CX team}
    journeys:
      - {id: help, name: Get help, owner: cx, stages: [ask]}
    touchpoints:
      - {id: web, name: Web form, journey: help, stage: ask, channel: web, owner: cx}
    raci:
""" + "".join(f"      - {{id: r-{step}, name: {step}, cycle_step: {step}, assignments: {{cx: AR}}}}\n"
                  for step in ("intent", "inventory", "redesign", "dialogue", "knowledge", "communication",
                               "recognition", "dashboard"))
DATA = """\
    version: 1
    sources:
      - id: surveys
        path: {path}
        timestamp: responded_at
        touchpoint: touchpoint_id
    metrics:
      - {{id: csat, kind: csat, source: surveys, column: score}}
    standards:
      - {{id: web-csat, metric: csat, threshold: {{op: ">=", fail: 30}}, window: 28d,
         applies_to: {{touchpoints: [web]}}}}
    """
PATH_AT = "specs/data.yaml:4:11"  # where the `path:` value is written
CSV = "responded_at,touchpoint_id,score\n" + "".join(f"2026-11-{1 + i % 19:02d} 10:00:00,web,{1 + i % 5}\n"
                                                     for i in range(40))


def spec(path: str = "data/surveys.csv", files: dict | None = None) -> dict:
    """The hostile spec's files: the base spec reading `path`, its data, and `files` (name -> text, bytes, Link)."""
    return {"program.yaml": PROGRAM, "data.yaml": DATA.format(path=path), "data/surveys.csv": CSV, **(files or {})}


def owner(name_yaml: str) -> dict:
    """A second owners file whose owner's name is written `name_yaml`, at specs/more.yaml:3:21."""
    return {"more.yaml": f"version: 1\nowners:\n  - {{id: eve, name: {name_yaml}}}\n"}


def encoded(codec: str, bom: bytes, text: str = "CX team é 😀") -> dict:
    """The program file saved in `codec` with the byte-order mark `bom`, the owner named `text`."""
    return {"program.yaml": bom + textwrap.dedent(PROGRAM).replace("CX team", text).encode(codec)}


BOMB = "version: 1\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else ', '.join(['lol'] * 9)}]\n" for i in range(10))


@dataclass(frozen=True)
class Case:
    files: dict
    exit_code: int
    where: str  # the start of the line that reports it: file:line:column and the rule code (or `cxgov: error:`)
    says: tuple[str, ...]  # what is wrong and what to do, in the output
    args: tuple[str, ...] = ("validate",)
    env: dict = field(default_factory=dict)
    outside: dict = field(default_factory=dict)  # files written beside the spec folder, outside its repository
    pipe: str | None = None  # a named pipe made in the spec folder


def case(id_: str, *args, **kwargs):
    return pytest.param(Case(*args, **kwargs), id=id_)


ALLOW = "--allow-root DIR or CXGOV_ALLOW_ROOTS"
CHECK = ("check", "--as-of", AS_OF)
TOKEN = {"token.txt": f"{MARKER}\nmore {MARKER}\n"}
SHARED = {"shared.yaml": "version: 1\nowners:\n  - {id: ana, name: Ana}\n", "data.csv": CSV}

CASES = [
    # files outside the spec's repository (CX007)
    case("absolute-path", spec("/etc/hostname"), 1, f"{PATH_AT}: CX007 error",
         ("'/etc/hostname' is an absolute path, outside the spec's repository", ALLOW)),
    case("dotdot-escape", spec("../outside/token.txt"), 1, f"{PATH_AT}: CX007 error",
         ("leads to outside/token.txt, outside the spec's repository (specs)", ALLOW), outside=TOKEN),
    case("dotdot-escape-at-check", spec("../outside/token.txt"), 2, f"  {PATH_AT}: CX007 error",
         ("the spec in 'specs' has 1 error", "run `cxgov validate specs`"), args=CHECK, outside=TOKEN),
    case("symlink-escape", spec("data/*.txt", {"data/x.txt": Link("../../outside/token.txt")}), 1,
         f"{PATH_AT}: CX007 error", ("matches specs/data/x.txt, which leads to outside/token.txt", ALLOW),
         outside=TOKEN),
    case("symlinked-folder-escape", spec("data/**/*.csv", {"data/feed": Link("../../outside")}), 1,
         f"{PATH_AT}: CX007 error", ("walks through specs/data/feed, which leads to outside", ALLOW),
         outside=SHARED),
    case("git-config", spec(".git/config", {".git/config": f"[http]\n  extraheader = {MARKER}\n"}), 1,
         f"{PATH_AT}: CX007 error", ("matches specs/.git/config, which is in or is the hidden '.git'",
                                     "cxgov reads no hidden files")),
    case("file-uri-with-host", spec("file://fileserver/share/x.csv"), 1, f"{PATH_AT}: CX007 error",
         ("names host 'fileserver'", "write file:///absolute/path")),
    case("linked-spec-file-outside", spec(files={"shared.yaml": Link("../outside/shared.yaml")}), 1,
         "specs/shared.yaml: CX007 error", ("symbolic link to outside/shared.yaml, outside the spec's repository",
                                             "copy what it links to into the repository", ALLOW), outside=SHARED),
    case("linked-spec-folder-outside", spec(files={"common": Link("../outside")}), 1, "specs/common: CX007 error",
         ("symbolic link to outside, outside the spec's repository", ALLOW), outside=SHARED),
    # allowed roots
    case("allowed-root-option", spec("../outside/data.csv", {"shared": Link("../outside")}), 0, "specs: 0 errors",
         (), args=("validate", "--allow-root", "outside"), outside=SHARED),
    case("allowed-root-env", spec("../outside/data.csv", {"shared": Link("../outside")}), 0, "specs: 0 errors", (),
         env={"CXGOV_ALLOW_ROOTS": os.pathsep.join(["elsewhere-unused", "outside"])},
         outside={**SHARED, "../elsewhere-unused/x": "x"}),
    case("allowed-root-at-check", spec("../outside/data.csv"), 0, "cxgov check: acme as of 2026-11-20", (),
         args=(*CHECK, "--allow-root", "outside"), outside=SHARED),
    case("allowed-root-env-missing-folder", spec(), 2, "cxgov: error: CXGOV_ALLOW_ROOTS entry 'nowhere'",
         ("nowhere is not a folder", "allow an existing folder"), env={"CXGOV_ALLOW_ROOTS": "nowhere"}),
    case("allowed-root-option-missing-folder", spec(), 2, "cxgov: error: --allow-root nowhere",
         ("is not a folder",), args=("validate", "--allow-root", "nowhere")),
    # links in the spec folder (CX008)
    case("symlink-loop-folder", spec(files={"sub/loop": Link("..")}), 1, "specs/sub/loop: CX008 error",
         ("symbolic link loop: the link leads back to specs, a folder that holds it", "fix or remove the link")),
    case("symlink-loop-files", spec(files={"a.yaml": Link("b.yaml"), "b.yaml": Link("a.yaml")}), 1, "specs/a.yaml: CX008 error",
         ("symbolic link loop", "fix or remove the link")),
    case("dangling-link", spec(files={"old.yaml": Link("gone.yaml")}), 1, "specs/old.yaml: CX008 error",
         ("symbolic link to 'gone.yaml', which does not exist", "fix or remove the link")),
    # encodings (CX001)
    case("utf-16-le", spec(files=encoded("utf-16-le", b"\xff\xfe")), 0, "specs: 0 errors", ()),
    case("utf-16-be", spec(files=encoded("utf-16-be", b"\xfe\xff")), 0, "specs: 0 errors", ()),
    case("utf-32-le", spec(files=encoded("utf-32-le", b"\xff\xfe\x00\x00")), 0, "specs: 0 errors", ()),
    case("utf-32-be", spec(files=encoded("utf-32-be", b"\x00\x00\xfe\xff")), 0, "specs: 0 errors", ()),
    case("latin-1", spec(files=encoded("latin-1", b"", "CX équipe")), 1, "specs/program.yaml:1:1: CX001 error",
         ("file is not UTF-8 text (found byte 0xE9 at line 4, column 23, as in Windows-1252 or Latin-1 text)",
          "save it as UTF-8")),
    case("nul-byte", spec(files={"more.yaml": b"version: 1\nowners: []\x00\n"}), 1, "specs/more.yaml:2:11: CX001 error",
         ("file holds a NUL byte (0x00)", "delete it")),
    case("fifo", spec(), 1, "specs/pipe.yaml:1:1: CX001 error", ("not a regular file", "move it out"),
         pipe="pipe.yaml"),
    # text fields (CX009, CX014)
    case("control-in-name", spec(files=owner('"Eve\\e[2J"')), 1, "specs/more.yaml:3:25: CX009 error",
         ("holds control character U+001B (escape)", "delete it")),
    case("control-in-description", spec(files={"more.yaml": 'version: 1\nsegments:\n  - id: eve\n    name: Eve\n'
                                               '    description: "ring \\a"\n'}), 1,
         "specs/more.yaml:5:24: CX009 error", ("control character U+0007 (bell)", "delete it")),
    case("control-in-id", spec(files={"more.yaml": 'version: 1\nowners:\n  - {id: "ev\\x08e", name: Eve}\n'}), 1,
         "specs/more.yaml:3:13: CX009 error", ("the value 'ev\\x08e' holds control character U+0008", "delete it")),
    case("c1-control", spec(files=owner('"Eve\\x9b"')), 1, "specs/more.yaml:3:25: CX009 error",
         ("control character U+009B",)),
    case("unpaired-surrogate", spec(files=owner('"Eve\\ud800"')), 1, "specs/more.yaml:3:25: CX009 error",
         ("\\ud800 is half of a UTF-16 surrogate pair, not a character", "write the character itself")),
    case("bidi-override-warns", spec(files=owner('"Eve \u202egnp.exe"')), 0, "specs/more.yaml:3:26: CX014 warning",
         ("bidirectional control U+202E (right-to-left override)", "delete it unless")),
    case("bidi-override-strict", spec(files=owner('"Eve \\u202e"')), 1, "specs/more.yaml:3:26: CX014 warning", (),
         args=("validate", "--strict")),
    # data paths at check time
    case("scheme-on-duckdb", spec("s3a://bucket/surveys/*.parquet"), 2, "cxgov: error: specs/data.yaml:10: web-csat could not be evaluated",
         (f"{PATH_AT}: source 'surveys': 's3a://bucket/surveys/*.parquet' is a s3a:// URI, which the Spark engine",
          "DuckDB reads local files only", "evaluate this spec on an engine that reads the URI"), args=CHECK),
    case("scheme-validates", spec("gs://bucket/surveys/*.parquet"), 0, "specs: 0 errors", ()),
    case("glob-matches-nothing", spec("data/none-*.csv"), 2, "cxgov: error: specs/data.yaml:10: web-csat could not be evaluated",
         (f"{PATH_AT}: source 'surveys': no file matches 'data/none-*.csv'", "check the path or load the data"),
         args=CHECK),
    case("glob-matches-a-folder", spec("data/*", {"data/sub/x.csv": CSV}), 2,
         "cxgov: error: specs/data.yaml:10: web-csat could not be evaluated", ("'data/*' matches specs/data/sub, which is a folder, not a file",
                                               "match data files only"), args=CHECK),
    # the spec folder and YAML itself
    case("spec-folder-is-a-file", spec(), 2, "cxgov: error: 'specs/program.yaml' is a file, not a folder",
         ("give the folder that holds the spec's .yaml files (here: specs)",),
         args=("validate", "specs/program.yaml")),
    case("twenty-megabytes", spec(files={"huge.yaml": "version: 1\n" + "# padding to 20 MB\n" * 1_100_000}), 1,
         "specs/huge.yaml:1:1: CX001 error", ("file is 19.9 MiB, larger than the 2 MiB limit", "split it")),
    case("deeply-nested", spec(files={"deep.yaml": "version: 1\nx: " + "[" * 200 + "]" * 200 + "\n"}), 1,
         "specs/deep.yaml:2:", ("nested more than 64 levels deep", "check the brackets")),
    case("billion-laughs", spec(files={"bomb.yaml": BOMB}), 1, "specs/bomb.yaml:", ("aliases expand to more than",
                                                                         "write the values out instead")),
    case("duplicate-keys", spec(files={"more.yaml": "version: 1\nowners:\n  - {id: eve, name: Eve, name: Evil}\n"}), 1,
         "specs/more.yaml:3:26: CX003 error", ("duplicate key 'name'", "remove or merge one of them")),
    case("python-object-tag", spec(files={"more.yaml": "version: 1\nx: !!python/object/apply:os.system [echo]\n"}), 1,
         "specs/more.yaml:2:4: CX004 error", ("python/object/apply:os.system' is not allowed", "remove the tag")),
]


def run(tmp_path: Path, monkeypatch, c: Case):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "specs", c.files)
    write_files(tmp_path / "outside", c.outside)
    args = list(c.args)
    if args[0] in ("validate", "check") and not any(a.startswith("specs") for a in args):
        args.insert(1, "specs")
    result = CliRunner().invoke(main, args, env={"CXGOV_ALLOW_ROOTS": None, **c.env})
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("c", CASES)
def test_hostile_spec(tmp_path, monkeypatch, c):
    if c.pipe:
        (tmp_path / "specs").mkdir()
        os.mkfifo(tmp_path / "specs" / c.pipe)  # reading it would wait for a writer forever
    code, output = run(tmp_path, monkeypatch, c)
    assert code == c.exit_code, output
    assert "Traceback" not in output and "internal error" not in output, output
    lines = [line for line in output.splitlines() if line.startswith(c.where)]
    assert lines, f"expected a line starting {c.where!r}:\n{output}"
    for text in c.says:
        assert text in output, f"expected {text!r}:\n{output}"
    assert MARKER not in output


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 25


# --- nothing of a file outside the spec, nor of a data file's bad line, reaches any output ----------------------

OUTPUTS = ("json", "junit", "sarif", "markdown", "html")


def check_everything(tmp_path: Path, *extra: str):
    args = ["check", "specs", "--as-of", AS_OF, *extra]
    for kind in OUTPUTS:
        args += [f"--{kind}", str(tmp_path / f"out.{kind}")]
    result = CliRunner().invoke(main, args, env={"CXGOV_ALLOW_ROOTS": None})
    written = {kind: (tmp_path / f"out.{kind}").read_text(encoding="utf-8")
               for kind in OUTPUTS if (tmp_path / f"out.{kind}").exists()}
    return result, written


def test_a_path_escape_is_refused_without_echoing_anything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path / "outside", {"token.txt": f"{MARKER}\n{MARKER},x\n"})
    for path in ("../outside/token.txt", str(tmp_path / "outside" / "token.txt"), "data/token.txt"):
        files = spec(path, {"data/token.txt": Link("../../outside/token.txt")})
        write_files(tmp_path / "specs", files) if not (tmp_path / "specs").exists() else \
            (tmp_path / "specs" / "data.yaml").write_text(textwrap.dedent(DATA.format(path=path)))
        result, written = check_everything(tmp_path)
        output = result.stdout + result.stderr
        assert result.exit_code == 2 and "CX007" in output, output
        assert MARKER not in output and written == {}  # refused before anything is read or written
        for args in (["validate", "specs"], ["explain", "web-csat", "specs"],
                     ["report", "scorecard", "specs", "--out", "-", "--as-of", AS_OF]):
            other = CliRunner().invoke(main, args, env={"CXGOV_ALLOW_ROOTS": None})
            assert MARKER not in other.stdout + other.stderr and "CX007" in other.stdout + other.stderr


@pytest.mark.parametrize("bad_line", [
    f"2026-11-03 10:00:00,web,4,{MARKER}\n",  # one field too many
    f"2026-11-03 10:00:00,web,{MARKER}\n",  # not a number where numbers are
    f'2026-11-03 10:00:00,web,"{MARKER}\n',  # a quote never closed
])
def test_a_data_files_bad_line_never_reaches_any_output(tmp_path, monkeypatch, bad_line):
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"2026-11-{1 + i % 19:02d} 10:00:00,web,{1 + i % 5}\n" for i in range(25_000))
    write_files(tmp_path / "specs", spec(files={
        "data/surveys.csv": "responded_at,touchpoint_id,score\n" + rows + bad_line,
        "data/neighbour.txt": f"{MARKER}\n"}))
    result, written = check_everything(tmp_path)
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert "cannot read specs/data/surveys.csv, line 25002" in output, output
    assert set(written) == set(OUTPUTS)
    for kind, text in {"terminal": output, **written}.items():
        assert MARKER not in text, kind
    json.loads(written["json"]) and json.loads(written["sarif"])
    ET.fromstring(written["junit"])
