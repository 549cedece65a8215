"""SARIF 2.1.0: valid against the OASIS schema and clean for the SARIF multitool; by default only the results that
need attention (GitHub code scanning ignores suppressions); with everything, every result with suppressions; files
relative to the repository root, with the commit and branch."""

from __future__ import annotations

from dataclasses import replace

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from click.testing import CliRunner

from cxgov.cli import main
from cxgov.engine.provenance import Checkout
from cxgov.engine.results import FailPolicy
from cxgov.report import sarif
from run_fixtures import REPO, SHARED_SARIF_SCHEMA, sample_run
from support import npm_tools
from support.spec_files import write_files

# The official OASIS schema: from shared/ beside the repository when present, else the copy kept with the tests.
SARIF_SCHEMA = SHARED_SARIF_SCHEMA if SHARED_SARIF_SCHEMA.is_file() else Path(__file__).with_name("sarif-2.1.0.json")
WARN_POLICY = FailPolicy("warn")


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SARIF_SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def document():
    return json.loads(sarif.render(sample_run()))


@pytest.fixture(scope="module")
def everything():
    return json.loads(sarif.render(sample_run(), everything=True))


def _rows(document):
    return [(r["ruleId"], r["properties"]["scope"], r["kind"], r["level"]) for r in document["runs"][0]["results"]]


def test_validates_against_the_sarif_schema(sarif_validator, document, everything):
    sarif_validator.validate(document)
    sarif_validator.validate(everything)
    in_repo = replace(sample_run(), checkout=Checkout(str(REPO), True, None, "main"))
    sarif_validator.validate(json.loads(sarif.render(in_repo, policy=WARN_POLICY)))
    assert document["version"] == "2.1.0"


def test_rules_are_every_rule_that_ran_with_names_descriptions_and_help(document):
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["app-session-length", "complaints-resolved-24h", "relationship-nps",
                                        "student-nps"]
    sla = rules[1]
    assert sla["name"] == "ComplaintsResolved24h"
    assert sla["shortDescription"]["text"] == "Complaints resolved within 24 hours"
    assert ">= 90 (warn 95)" in sla["fullDescription"]["text"]
    assert sla["defaultConfiguration"]["level"] == "error"
    assert sla["help"]["markdown"].startswith("**Complaints resolved within 24 hours** (standard "
                                              "`complaints-resolved-24h`, high severity)")
    assert "waiver" in sla["help"]["markdown"]


def _docs_anchor_exists(uri: str) -> bool:
    """A file:// docs URI (the source tree the tests run from) names a file whose headings include its anchor."""
    parts = urlsplit(uri)
    page = Path(unquote(parts.path))
    if not page.is_file():
        return False
    slugs = {re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
             for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}
    return not parts.fragment or parts.fragment in slugs


def test_the_tool_and_every_rule_link_to_docs_that_exist(document):
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == REPO.as_uri() + "/"  # the tests run cxgov from its source tree
    links = {rule["id"]: rule["helpUri"] for rule in driver["rules"]}
    assert links["complaints-resolved-24h"].endswith("/docs/spec-language.md#standards")
    assert links["relationship-nps"].endswith("/docs/spec-language.md#kpis")
    assert all(_docs_anchor_exists(uri) for uri in links.values()), links
    markdown_links = re.findall(r"\]\(([^)]+)\)", driver["rules"][1]["help"]["markdown"])
    assert len(markdown_links) == 2 and all(_docs_anchor_exists(uri) for uri in markdown_links)


def test_by_default_only_what_needs_attention_is_a_result(document):
    assert _rows(document) == [
        ("complaints-resolved-24h", {"touchpoint": "phone-complaints"}, "fail", "error"),
        ("app-session-length", {"touchpoint": "app-login"}, "fail", "error"),  # could not be evaluated
        ("relationship-nps", {"segment": "retail"}, "fail", "error"),
    ]  # no warn (the check fails on breach), no pass, no waived or insufficient result
    results = document["runs"][0]["results"]
    assert not any("suppressions" in r for r in results)
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    assert first["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "specs/standards.yaml"},
                                                         "region": {"startLine": 12, "startColumn": 5}}
    assert first["message"]["text"].startswith(
        "Breach: Complaints resolved within 24 hours at phone-complaints: 87.5% (n 240")
    assert document["runs"][0]["properties"]["results"] == "needing attention"


def test_warns_are_results_when_the_check_fails_on_warn():
    document = json.loads(sarif.render(sample_run(), policy=WARN_POLICY))
    assert _rows(document) == [
        ("complaints-resolved-24h", {"touchpoint": "phone-complaints"}, "fail", "error"),
        ("complaints-resolved-24h", {"touchpoint": "chat-complaints"}, "fail", "warning"),
        ("app-session-length", {"touchpoint": "app-login"}, "fail", "error"),
        ("relationship-nps", {"segment": "retail"}, "fail", "error"),
        ("student-nps", {"segment": "student"}, "fail", "note"),  # a warn of a low-severity rule
    ]


def test_everything_puts_every_result_in_with_suppressions_on_all(everything):
    results = everything["runs"][0]["results"]
    assert len(results) == len(sample_run().results)
    assert all("suppressions" in r for r in results)
    waived = [r for r in results if r["suppressions"]]
    assert len(waived) == 1
    (suppression,) = waived[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == "Queue system replacement, see change CHG-1042"
    assert suppression["properties"]["waiver"] == "w-branch-queue"
    kinds = {r["properties"]["scope"].get("touchpoint"): (r["kind"], r["level"]) for r in results}
    assert kinds["email-complaints"] == ("pass", "none")
    assert kinds["letter-complaints"] == ("open", "none")  # insufficient: too little data to decide
    assert kinds["branch-complaints"] == ("fail", "error")  # the waived breach, suppressed
    assert everything["runs"][0]["properties"]["results"] == "all"


def test_errors_are_also_tool_notifications_and_the_run_is_unsuccessful(document):
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and note["associatedRule"] == {"id": "app-session-length", "index": 0}
    assert "app_sessions" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 40


def test_with_a_checkout_uris_are_relative_to_the_repository_root(tmp_path, monkeypatch):
    (tmp_path / "repo" / "specs").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "repo" / "specs")  # the run's files are named relative to here
    root = str((tmp_path / "repo").resolve())
    checkout = Checkout(root, True, "https://git.example/cx/specs", "main")
    document = json.loads(sarif.render(replace(sample_run(), checkout=checkout)))
    run = document["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "specs/specs/standards.yaml", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path(root).as_uri() + "/"
    assert run["versionControlProvenance"] == [{"repositoryUri": "https://git.example/cx/specs",
                                                "revisionId": "0123456789abcdef", "branch": "main",
                                                "mappedTo": {"uriBaseId": "%SRCROOT%"}}]


def test_deterministic():
    assert sarif.render(sample_run()) == sarif.render(sample_run())


# -- the SARIF multitool ------------------------------------------------------------------------------------------

def _problems(path: Path) -> list[tuple[str, str, str]]:
    return [f for f in npm_tools.sarif_findings(path, "Sarif;Ghas") if f[1] in ("error", "warning")]


@pytest.mark.parametrize("options", [{}, {"everything": True}, {"policy": WARN_POLICY}], ids=["default", "all",
                                                                                              "fail-on-warn"])
def test_the_sarif_multitool_finds_no_error_and_no_warning(tmp_path, options):
    path = tmp_path / "cxgov.sarif"
    path.write_text(sarif.render(replace(sample_run(), checkout=Checkout(str(REPO), True, None, "main")), **options))
    assert _problems(path) == []


CSV_HEADER = "responded_at,touchpoint_id,segment,question,score\n"
PROGRAM = """\
version: 1
program: {id: acme, name: Acme, owner: ana, defaults: {min_sample: 5}}
owners:
  - {id: ana, name: Ana, kind: person}
channels: [web, phone, chat]
journeys:
  - {id: buy, name: Buy, owner: ana, stages: [purchase]}
touchpoints:
  - {id: web-form, name: Web form, journey: buy, stage: purchase, channel: web, owner: ana}
  - {id: phone-line, name: Phone line, journey: buy, stage: purchase, channel: phone, owner: ana}
  - {id: chat, name: Chat, journey: buy, stage: purchase, channel: chat, owner: ana}
sources:
  - {id: surveys, path: ../data/surveys.csv, timestamp: responded_at, touchpoint: touchpoint_id}
metrics:
  - {id: csat, kind: csat, source: surveys, column: score, where: {question: satisfaction}}
  - {id: effort, kind: ces, source: surveys, column: effort_score}
"""
STANDARDS = """\
version: 1
standards:
  - {id: csat-80, name: Customers are satisfied, metric: csat, threshold: {op: ">=", fail: 80}, window: 28d,
     severity: high}
  - {id: effort-5, metric: effort, applies_to: {channel: [chat]}, threshold: {op: ">=", fail: 5}, window: 28d}
waivers:
  - {id: w-phone, standard: csat-80, touchpoints: [phone-line], justification: New phone system, approved_by: ana,
     granted: 2026-11-01, expires: 2026-12-31}
"""


def _survey_rows() -> str:
    rows = [f"2026-11-{day:02d} 10:00:00,{tp},retail,satisfaction,{score}"
            for tp, scores in (("web-form", [5, 5, 4, 5, 5, 4]), ("phone-line", [1, 2, 5, 2, 1, 3]),
                               ("chat", [1, 2, 3, 2, 1, 2]))
            for day, score in enumerate(scores, start=10)]
    return CSV_HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def repository(tmp_path):
    """A git repository holding a spec (specs/ under cx/) whose data are files: one pass, one waived breach, one
    breach, one rule that cannot be evaluated."""
    repo = tmp_path / "governance"
    write_files(repo / "cx", {"specs/program.yaml": PROGRAM, "specs/standards.yaml": STANDARDS,
                              "data/surveys.csv": _survey_rows()})
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://ci-bot:s3cret@git.example/acme/governance.git"],
                   check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "spec"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    return repo, commit


@pytest.mark.parametrize("extra", [[], ["--sarif-all"]], ids=["default", "sarif-all"])
def test_check_writes_sarif_for_code_scanning(repository, tmp_path, monkeypatch, sarif_validator, extra):
    repo, commit = repository
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # run from outside the repository: URIs must not depend on it
    result = CliRunner().invoke(main, ["check", str(repo / "cx" / "specs"), "--as-of", "2026-11-20", "--sarif",
                                       "out.sarif", *extra])
    assert result.exit_code == 2, result.output  # effort-5 reads a column the data does not have
    document = json.loads(Path("out.sarif").read_text())
    sarif_validator.validate(document)
    assert _problems(Path("out.sarif")) == []
    run = document["runs"][0]
    rows = sorted((r["ruleId"], r["properties"]["scope"]["touchpoint"], r["properties"]["status"])
                  for r in run["results"])
    attention = [("csat-80", "chat", "breach"), ("effort-5", "chat", "error")]
    if extra:
        assert rows == sorted(attention + [("csat-80", "phone-line", "waived"), ("csat-80", "web-form", "pass")])
        assert all("suppressions" in r for r in run["results"])
    else:
        assert rows == attention
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"cx/specs/standards.yaml"}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] for r in run["results"]} == \
        {"%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run["versionControlProvenance"] == [{"repositoryUri": "https://git.example/acme/governance.git",
                                                "revisionId": commit, "branch": "main",
                                                "mappedTo": {"uriBaseId": "%SRCROOT%"}}]
    assert "s3cret" not in Path("out.sarif").read_text()


def test_outside_git_uris_are_relative_to_the_spec_folder(tmp_path, monkeypatch):
    write_files(tmp_path / "cx", {"specs/program.yaml": PROGRAM, "specs/standards.yaml": STANDARDS,
                                  "data/surveys.csv": _survey_rows()})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "cx/specs", "--as-of", "2026-11-20", "--sarif", "out.sarif",
                                       "--allow-root", str(tmp_path / "cx" / "data"), "--rule", "csat-80"])
    assert result.exit_code == 1, result.output
    run = json.loads(Path("out.sarif").read_text())["runs"][0]
    (breach,) = run["results"]
    assert breach["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "standards.yaml",
                                                                              "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == (tmp_path / "cx" / "specs").resolve().as_uri() + "/"
    assert "versionControlProvenance" not in run
    assert _problems(Path("out.sarif")) == []
