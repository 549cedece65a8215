"""Confinement: which files a spec may read (its repository and the allowed roots), found without running git."""

from __future__ import annotations

import os

import pytest

from cxgov.spec import confine


@pytest.fixture
def repo(tmp_path):
    """A repository (a .git folder) holding specs/ and data/, and a folder outside it."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "specs").mkdir()
    (root / "data").mkdir()
    (root / "data" / "a.csv").write_text("x\n1\n")
    (root / "data" / "b.csv").write_text("x\n2\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "token.csv").write_text("secret\n")
    return root


def resolve(repo, path, allowed=()):
    return confine.resolve(path, repo / "specs", confine.roots_for(repo / "specs", allowed))


def test_the_repository_is_the_nearest_folder_with_a_git_entry_else_the_spec_folder(tmp_path, repo):
    assert confine.repository_root(repo / "specs") == str(repo)
    worktree = tmp_path / "wt"
    (worktree / "specs").mkdir(parents=True)
    (worktree / ".git").write_text("gitdir: /elsewhere\n")  # a worktree or submodule: .git is a file
    assert confine.repository_root(worktree / "specs") == str(worktree)
    (tmp_path / "plain" / "specs").mkdir(parents=True)
    assert confine.repository_root(tmp_path / "plain" / "specs") == str(tmp_path / "plain" / "specs")


def test_paths_inside_the_repository_match_relative_to_the_spec_file(repo):
    found = resolve(repo, "../data/*.csv")
    assert found.refusal is None
    assert found.files == (str(repo / "data" / "a.csv"), str(repo / "data" / "b.csv"))
    assert resolve(repo, "../data/**/*.csv").files == found.files
    assert resolve(repo, "../data/none-*.csv") == confine.Matches()


@pytest.mark.parametrize("path, text", [
    ("../../outside/token.csv", "leads to"),
    ("../data/../../outside/*.csv", "leads to"),
    ("../../*/token.csv", "leads to"),
    ("../../outside/**", "leads to"),
])
def test_escapes_are_refused_as_written(repo, path, text):
    refusal = resolve(repo, path).refusal
    assert refusal is not None and text in refusal.message and "outside the spec's repository" in refusal.message
    assert "--allow-root DIR" in refusal.hint and confine.ENV in refusal.hint


def test_absolute_paths_are_refused_even_inside_the_repository_with_the_relative_path_to_write(repo, tmp_path):
    outside = resolve(repo, str(tmp_path / "outside" / "token.csv")).refusal
    assert "is an absolute path, outside the spec's repository" in outside.message
    inside = resolve(repo, str(repo / "data" / "a.csv")).refusal
    assert inside.message.endswith("is an absolute path") and "'../data/a.csv'" in inside.hint
    assert resolve(repo, f"file://{repo}/data/a.csv").refusal.message.endswith("is an absolute path")
    assert "names host 'data'" in resolve(repo, "file://data/a.csv").refusal.message


def test_an_allowed_root_may_be_read_absolute_or_relative(repo, tmp_path):
    allowed = (tmp_path / "outside",)
    assert resolve(repo, str(tmp_path / "outside" / "token.csv"), allowed).files == \
        (str(tmp_path / "outside" / "token.csv"),)
    assert resolve(repo, "../../outside/*.csv", allowed).refusal is None
    assert resolve(repo, f"file://{tmp_path}/outside/token.csv", allowed).refusal is None


def test_symlinks_are_judged_by_where_they_lead(repo, tmp_path):
    os.symlink(tmp_path / "outside" / "token.csv", repo / "data" / "c.csv")
    refusal = resolve(repo, "../data/*.csv").refusal
    assert "matches" in refusal.message and "c.csv, which leads to" in refusal.message
    assert "token.csv, outside the spec's repository" in refusal.message
    assert resolve(repo, "../data/*.csv", (tmp_path / "outside",)).refusal is None
    os.remove(repo / "data" / "c.csv")
    os.symlink(tmp_path / "outside", repo / "data" / "ext")
    assert "walks through" in resolve(repo, "../data/**/*.csv").refusal.message
    assert "leads to" in resolve(repo, "../data/ext/*.csv").refusal.message


def test_a_file_reached_twice_is_read_once_and_loops_end(repo):
    os.symlink("a.csv", repo / "data" / "again.csv")
    os.symlink(".", repo / "data" / "loop1")
    os.symlink("..", repo / "data" / "loop2")  # with two loops a walk that follows links never ends
    found = resolve(repo, "../data/**/*.csv")
    assert found.refusal is None
    assert found.files == (str(repo / "data" / "a.csv"), str(repo / "data" / "b.csv"))


def test_hidden_files_and_git_are_never_read_but_a_spec_in_a_hidden_folder_reads_its_neighbours(repo):
    assert "hidden '.git'" in resolve(repo, "../.git/config").refusal.message
    os.symlink("../.git/config", repo / "data" / "config.csv")
    assert "hidden '.git'" in resolve(repo, "../data/*.csv").refusal.message
    (repo / ".cxgov" / "specs").mkdir(parents=True)
    (repo / ".cxgov" / "data.csv").write_text("x\n")
    roots = confine.roots_for(repo / ".cxgov" / "specs")
    found = confine.resolve("../data.csv", repo / ".cxgov" / "specs", roots)
    assert found.files == (str(repo / ".cxgov" / "data.csv"),)


def test_a_matched_name_with_a_glob_character_is_refused(repo):
    (repo / "data" / "x*.csv").write_text("x\n")  # DuckDB would read the name as a pattern
    assert "glob character" in resolve(repo, "../data/*.csv").refusal.message


@pytest.mark.parametrize("path, scheme", [("s3a://bucket/x/*.parquet", "s3a"), ("ABFSS://c@a.dfs/x", "abfss"),
                                          ("file:///tmp/x.csv", "file"), ("data/x.csv", None),
                                          ("C:\\data\\x.csv", None), ("c://x", None), ("weird:name.csv", None)])
def test_schemes(path, scheme):
    assert confine.scheme(path) == scheme


def test_allowed_roots_from_the_environment():
    env = {confine.ENV: os.pathsep.join(["/a", "", " ", "/b c"])}
    assert confine.env_roots(env) == ("/a", "/b c")
    assert confine.env_roots({}) == ()


def test_names_are_shown_printable():
    assert confine.printable("data/\udcff\x1b.csv") == "data/\\xff\\x1b.csv"
