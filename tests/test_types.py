"""The package type-checks: mypy, strict, with the configuration in pyproject.toml ([tool.mypy]), as
`.venv/bin/mypy` run from the repository's top does."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_type_checks_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    # from the top: [tool.mypy]'s files and its cache_dir, build/mypy-cache (ignored by git, removed by `make
    # clean`), are relative to it. With the cache a run takes a few seconds; a cold one (a fresh clone) about 20.
    monkeypatch.chdir(ROOT)
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml")])
    assert status == 0, f"mypy found errors (fix them, or `# type: ignore[code]  # why`):\n{stdout}{stderr}"
    assert "Success" in stdout
