"""cxgov diff outside a git repository: the message names the argument that was read as a ref and why."""

from __future__ import annotations

from click.testing import CliRunner

from cxgov.cli import main


def test_a_ref_outside_git_names_the_ref_and_the_spec_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    out = CliRunner().invoke(main, ["diff", "HEAD", "--spec-dir", "prog"])
    assert out.exit_code == 2, out.output
    assert "'HEAD' is not a folder, so it must be a git ref; but prog is not in a git repository" in out.output
    assert "BASE must be a folder" not in out.output


def test_a_missing_head_folder_is_named_not_blamed_on_base(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert CliRunner().invoke(main, ["init", "prog"]).exit_code == 0
    out = CliRunner().invoke(main, ["diff", "prog", "prog-v2"])
    assert out.exit_code == 2, out.output
    assert "'prog-v2' is not a folder" in out.output
    assert "the spec folder specs (--spec-dir) does not exist" in out.output
