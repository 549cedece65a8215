"""The bundled example and the starter spec validate; the base fixture is clean."""

from __future__ import annotations

from datetime import date

from cxgov.spec.api import load_spec, validate

from spec_fixtures import REPO, TODAY, run_validate, write_spec


def test_example_program_is_valid():
    result = validate(REPO / "specs", date(2026, 11, 20))
    assert not result.errors, [d.format() for d in result.errors]
    assert result.spec is not None and len(result.spec.touchpoints) >= 40


def test_base_fixture_has_no_findings(spec_dir):
    run = run_validate(write_spec(spec_dir))
    assert run.exit_code == 0, run.output
    assert run.lines == [f"specs: 0 errors, 0 warnings in 6 files (2 touchpoints, 1 standard, 1 KPI)"]


def test_load_spec_returns_the_model_with_locations(spec_dir):
    spec = load_spec(write_spec(spec_dir), date.fromisoformat(TODAY))
    tp = spec.touchpoint("web-form")
    assert str(tp.at("owner")) == "specs/journeys.yaml:14:12"
    assert str(spec.standards[0].at("threshold.warn")) == "specs/rules.yaml:6:43"
    assert spec.digest.startswith("sha256:") and len(spec.digest) == 71
