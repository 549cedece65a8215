"""docs/ci.md stays runnable: its pipeline YAML parses and every `cxgov check` option it uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner

from cxgov.cli import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"


def test_pipeline_examples_parse_and_use_real_check_options():
    text = DOC.read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    assert len(blocks) == 2
    steps = blocks[0]["jobs"]["check"]["steps"]
    assert any("upload-sarif" in step.get("uses", "") for step in steps)
    assert "junit" in blocks[1]["cx-governance"]["artifacts"]["reports"]
    help_text = CliRunner().invoke(main, ["check", "--help"]).output
    used = set(re.findall(r"cxgov check [^\n]*(?:\n\s+--[^\n]*)*", text))
    options = {o for command in used for o in re.findall(r"(--[a-z-]+)", command)}
    assert {"--json", "--junit", "--sarif", "--markdown", "--data"} <= options
    assert all(option in help_text for option in options), options
