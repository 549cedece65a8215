"""`cxgov diff` on a real git repository: refs, the working tree, the three formats and the exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cxgov.cli import main
from diff_fixtures import edit

APPROVAL = """\
version: 1
approvals:
  - id: appr-2026-11-resolution
    change: resolved-24h
    approved_by: coo
    reason: "Carrier outage | new contract from January"
    date: 2026-11-04
"""


def cxgov(*args: str):
    return CliRunner().invoke(main, ["diff", *args])


@pytest.fixture
def history(repo):
    """Commits: 1 the spec; 2 loosens resolved-24h; 3 approves it; 4 tightens help-csat; 5 extends the waiver."""
    shas = [repo.commit("Initial governance spec")]
    edit(repo.specs, "standards.yaml", 'threshold: {op: ">=", fail: 90, warn: 95}', 'threshold: {op: ">=", fail: 85}')
    shas.append(repo.commit("Lower the resolution standard"))
    (repo.specs / "approvals.yaml").write_text(APPROVAL)
    shas.append(repo.commit("Approve the lower resolution standard"))
    edit(repo.specs, "standards.yaml", 'threshold: {op: ">=", fail: 75, warn: 85}',
         'threshold: {op: ">=", fail: 78, warn: 85}')
    shas.append(repo.commit("Raise the satisfaction bar"))
    edit(repo.specs, "governance.yaml", "expires: 2026-12-31", "expires: 2027-03-31")
    shas.append(repo.commit("Extend the chat waiver"))
    return shas


def test_unapproved_loosening_fails_only_with_the_flag(repo, history):
    first, loosened = history[0], history[1]
    plain = cxgov(first, loosened)
    assert plain.exit_code == 0, plain.output
    failing = cxgov(first, loosened, "--fail-on-loosening")
    assert failing.exit_code == 1
    assert failing.output == plain.output
    lines = plain.output.splitlines()
    assert lines[0] == f"Governance diff: {first[:12]} -> {loosened[:12]}"
    assert lines[1] == ("2 changes loosen governance (2 not approved), 0 changes tighten it, 0 other changes.")
    assert "  standard resolved-24h: fail threshold lowered from 90 to 85: values from 85 to 90 no longer breach  " \
           "[NOT APPROVED]" in lines
    assert "      at specs/standards.yaml:14:33" in lines


def test_approved_loosening_passes(repo, history):
    first, approved = history[0], history[2]
    out = cxgov(first, approved, "--fail-on-loosening")
    assert out.exit_code == 0, out.output
    assert "(all approved)" in out.output
    assert ("[approved by coo on 2026-11-04 (appr-2026-11-resolution)]") in out.output
    assert "Approvals added (1):" in out.output


def test_refs_are_named_and_head_defaults_to_the_working_tree(repo, history):
    edit(repo.specs, "standards.yaml", "severity: high", "severity: low")
    out = cxgov("HEAD", "--fail-on-loosening")
    assert out.exit_code == 1
    assert out.output.splitlines()[0] == f"Governance diff: HEAD ({history[-1][:12]}) -> working tree (specs)"
    assert "standard resolved-24h: severity lowered from high to low  [NOT APPROVED]" in out.output
    clean = cxgov("main", "HEAD", "--fail-on-loosening")
    assert clean.exit_code == 0 and "no governance changes." in clean.output


def test_tightening_only(repo, history):
    out = cxgov(history[2], history[3], "--fail-on-loosening")
    assert out.exit_code == 0
    assert "Tightens governance (1):" in out.output
    assert "standard help-csat: fail threshold raised from 75 to 78: values from 75 to 78 now breach" in out.output


def test_markdown_for_a_pull_request(repo, history):
    out = cxgov(history[0], history[4], "--format", "markdown", "--fail-on-loosening")
    assert out.exit_code == 1  # the waiver extension is not approved
    md = out.output
    assert md.startswith("### ❌ cxgov governance diff\n")
    assert "| ✔️ | standard `resolved-24h` | fail threshold lowered from 90 to 85: values from 85 to 90 no longer " \
           "breach | approved by coo on 2026-11-04 (appr-2026-11-resolution): Carrier outage \\| new contract from " \
           "January | `specs/standards.yaml:14:33` |" in md
    assert "| ❌ | waiver `w-chat` | extended: expires 2027-03-31 instead of 2026-12-31 | **not approved** | " \
           "`specs/governance.yaml:9:14` |" in md
    assert "#### Tightens governance (1)" in md
    assert "> 1 loosening change needs an approval" in md


def test_json(repo, history):
    out = cxgov(history[0], history[4], "--format", "json")
    assert out.exit_code == 0
    doc = json.loads(out.output)
    assert doc["base"] == history[0][:12] and doc["head"] == history[4][:12]
    assert doc["summary"] == {"loosens": 3, "unapproved": 1, "tightens": 1, "neutral": 0}
    fail = next(c for c in doc["changes"] if c["field"] == "threshold.fail" and c["id"] == "resolved-24h")
    assert fail == {
        "section": "standards", "id": "resolved-24h", "ref": "standards/resolved-24h", "field": "threshold.fail",
        "what": "changed", "effect": "loosens", "subject": "standard resolved-24h",
        "message": "fail threshold lowered from 90 to 85: values from 85 to 90 no longer breach",
        "before": ">= 90", "after": ">= 85", "location": {"file": "specs/standards.yaml", "line": 14},
        "approval": {"id": "appr-2026-11-resolution", "change": "resolved-24h", "field": None, "approved_by": "coo",
                     "reason": "Carrier outage | new contract from January", "date": "2026-11-04",
                     "location": {"file": "specs/approvals.yaml", "line": 3}}}
    assert [a["id"] for a in doc["approvals"]] == ["appr-2026-11-resolution"]


def test_spec_dir_in_a_subfolder_and_folders(repo, history, tmp_path):
    other = tmp_path / "copy"
    other.mkdir()
    for f in repo.specs.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    edit(other, "kpis.yaml", "trend: {max_drop: 5}", "trend: {max_drop: 9}")
    out = cxgov(str(repo.specs), str(other), "--fail-on-loosening")
    assert out.exit_code == 1
    assert out.output.splitlines()[0] == "Governance diff: specs -> copy"
    assert "KPI relationship-nps: trend max_drop raised from 5 to 9: a larger drop is tolerated" in out.output


def test_errors_exit_2(repo, history, tmp_path):
    bad_ref = cxgov("no-such-branch")
    assert bad_ref.exit_code == 2
    assert "'no-such-branch' is neither a folder nor a commit of the git repository" in bad_ref.output
    no_spec = cxgov("HEAD", "--spec-dir", "elsewhere")
    assert no_spec.exit_code == 2 and "no spec files under elsewhere/ at HEAD" in no_spec.output
    (repo.specs / "standards.yaml").write_text("version: 1\nstandards:\n  - id: x\n")
    broken = cxgov("HEAD")
    assert broken.exit_code == 2
    assert "the spec at working tree (specs) cannot be read for a diff" in broken.output
    assert "specs/standards.yaml:3:5: CX012" in broken.output
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    not_git = cxgov("HEAD", "--spec-dir", str(outside))
    assert not_git.exit_code == 2 and "is not in a git repository" in not_git.output


def test_a_broken_base_commit_is_named_with_its_ref(repo, history):
    (repo.specs / "standards.yaml").write_text("version: 1\nstandards: 7\n")
    broken = repo.commit("Break the spec")
    out = cxgov(broken, history[0])
    assert out.exit_code == 2
    assert f"the spec at {broken[:12]} cannot be read for a diff" in out.output
    assert "\n  specs/standards.yaml:2:12: CX011" in out.output  # the repository path, not a temporary one
