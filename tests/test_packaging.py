"""The wheel ships everything cxgov needs: build it, install it into a fresh venv, run the CLI from there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_subpackage_is_declared():
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "cxgov").rglob("__init__.py")}
    assert found <= _declared_packages(), f"add to [tool.setuptools] packages: {sorted(found - _declared_packages())}"


@pytest.mark.parametrize("hook", ["build_wheel", "build_editable", "build_sdist"])
def test_building_warns_about_nothing(hook, tmp_path):
    # What `pip install .` and `pip install -e .` run, with every warning made an error: the license given as
    # a table, a folder that looks like a package but is not declared, an editable layout setuptools distrusts.
    code = f"from setuptools import build_meta; print(build_meta.{hook}({str(tmp_path)!r}))"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # its note is not the build's
    run = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "warning" not in run.stderr.lower(), run.stderr[-3000:]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, text=True)
    (path,) = out.glob("cxgov-*.whl")
    return path


def test_wheel_contains_schemas_and_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for schema in (REPO / "schemas").glob("*.json"):
        assert f"cxgov/schemas/{schema.name}" in names
    for template in (REPO / "templates").iterdir():
        if template.suffix in (".j2", ".css"):
            assert f"cxgov/templates/{template.name}" in names
    assert "cxgov/schemas/cxgov-spec-v1.json" in names
    for example in (REPO / "specs").rglob("*.yaml"):
        assert f"cxgov/example/{example.relative_to(REPO / 'specs').as_posix()}" in names


def test_installed_wheel_validates_the_example(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # Install the wheel itself; take its dependencies from this environment (the test runs with no network).
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, text=True)
    (site / "cxgov-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    script = venv / "bin" / "cxgov"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom cxgov.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}

    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import cxgov; print(cxgov.__file__)"],
                           cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout
    assert str(site) in where, "the wheel's cxgov must be the one imported"

    run = subprocess.run([str(script), "validate", "specs"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    schema = subprocess.run([str(script), "schema"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert schema.returncode == 0 and '"$schema"' in schema.stdout

    # Where there is no specs/ folder, the demo runs on the example program shipped inside the wheel.
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    demo = subprocess.run([str(script), "demo", "--out", "out", "--rows", "20000", "--as-of", "2026-11-20"],
                          cwd=empty, env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "example program shipped with cxgov" in demo.stdout
    assert (empty / "out" / "specs" / "journeys").is_dir() and (empty / "out" / "scorecard.html").is_file()
    for spec_file in (empty / "out" / "specs").rglob("*.yaml"):  # the copy's schema lines resolve
        line = spec_file.read_text(encoding="utf-8").splitlines()[0]
        assert (spec_file.parent / line.split("$schema=", 1)[1]).is_file(), (spec_file, line)
