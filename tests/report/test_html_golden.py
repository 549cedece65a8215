"""Golden files: the fixture program's reports, byte for byte (the stylesheet left out of the HTML ones). The
program has both kinds of problems analysis (by category: DOMAIN.md's worked example; by themes, with a score), so
the scorecard's "Problems and root causes" and the RACI loads of root causes are pinned too.

After an intended change, regenerate with `CXGOV_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report/test_html_golden.py`
and review the diff of tests/report/golden/.
"""

from __future__ import annotations

from dataclasses import replace

import os
import re
from pathlib import Path

import pytest

from cxgov.report import html, journeys, raci
from report_samples import GENERATED_AT, SAMPLE_SQL, golden_run, golden_spec

GOLDEN = Path(__file__).resolve().parent / "golden"


def _without_style(page: str) -> str:
    return re.sub(r"<style>.*?</style>", "<style>(report.css)</style>", page, count=1, flags=re.S)


def _outputs() -> dict[str, str]:
    spec = golden_spec()
    run = golden_run(spec)
    return {
        "scorecard.html": _without_style(html.scorecard(replace(run, evidence=SAMPLE_SQL), spec, GENERATED_AT)),
        "journeys.html": _without_style(journeys.html(spec, run, GENERATED_AT)),
        "raci.html": _without_style(raci.html(spec, GENERATED_AT)),
        "raci.md": raci.markdown(spec),
        "raci.csv": raci.csv(spec),
    }


@pytest.mark.parametrize("name", sorted(_outputs()))
def test_report_matches_its_golden_file(name):
    text = _outputs()[name]
    path = GOLDEN / name
    if os.environ.get("CXGOV_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path}: run with CXGOV_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from {path}; if the change is intended, run with CXGOV_UPDATE_GOLDEN=1 and review the diff")
