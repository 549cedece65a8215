"""Validate a spec folder end to end (load, schema, build, lint) and load a valid one for the other commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cxgov.errors import Diagnostic, Location, SpecError
from cxgov.spec import build, confine, lint, loader, schema
from cxgov.spec.model import Spec
from cxgov.spec.rules import RULES
from cxgov.speed import collector_paused


@dataclass(frozen=True)
class Validation:
    """Every problem found in a spec folder, sorted by file and line; the Spec when it has no errors."""

    root: Path
    today: date
    spec: Spec | None
    diagnostics: tuple[Diagnostic, ...]
    files: int
    counts: dict[str, int] = field(default_factory=dict)  # touchpoints, standards, kpis as built

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """`specs: 2 errors, 1 warning in 14 files (40 touchpoints, 10 standards, 5 KPIs)`."""
        e, w = len(self.errors), len(self.warnings)
        what = f"{_plural(e, 'error')}, {_plural(w, 'warning')}"
        counts = ", ".join(_plural(self.counts.get(k, 0), label) for k, label in
                           (("touchpoints", "touchpoint"), ("standards", "standard"), ("kpis", "KPI")))
        return f"{loader.display_name(self.root)}: {what} in {_plural(self.files, 'file')} ({counts})"

    def to_dict(self) -> dict[str, object]:
        return {"spec": loader.display_name(self.root), "today": self.today.isoformat(), "valid": self.ok,
                "files": self.files, "errors": len(self.errors), "warnings": len(self.warnings),
                "counts": dict(self.counts), "diagnostics": [d.to_dict() for d in self.diagnostics]}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def default_today(spec: Spec | None) -> date:
    """Today in the program's time zone (UTC when it has none or an unknown one)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(spec.program.timezone if spec else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def validate(root: Path | str, today: date | None = None, warnings: bool = True,
             allow: tuple[Path, ...] = (), *, linted: bool = True, confined: bool = True) -> Validation:
    """Load, check and lint the spec folder `root`; without `warnings`, only the rules that find errors run.

    Files are read only inside the spec's repository and the `allow`ed roots (cxgov.spec.confine). Raises
    SpecError only when the folder cannot be used. `cxgov diff` reads what the files say, so it loads without
    the lint (`linted=False`) and without confinement (`confined=False`: a side read from git is a temporary
    folder, and its sources' paths are never read).
    """
    with collector_paused():  # about 30 objects per spec value, nothing cyclic
        return _validate(Path(root), today, warnings, allow, linted, confined)


def _validate(root: Path, today: date | None, warnings: bool, allow: tuple[Path, ...] = (), linted: bool = True,
              confined: bool = True) -> Validation:
    roots = confine.roots_for(root, allow) if confined and root.is_dir() else None
    documents = loader.load_documents(root, roots)
    found: list[Diagnostic] = [d for doc in documents for d in doc.diagnostics]
    if not documents:
        found.append(Diagnostic("CX006", "error", "no .yaml or .yml files in the spec folder",
                                Location(loader.display_name(root)),
                                "create a spec with `cxgov init DIR`, or give the folder that holds it"))
    faults: dict[str, set[loader.Path_]] = {}
    found += schema.check(documents, faults)
    spec, build_found = build.build(documents, root, faults, roots)
    found += build_found
    today = today or default_today(spec)
    if spec is not None and linted:
        # Warnings need the whole spec: with files or entities missing they would mislead, so they wait.
        complete = not any(d.severity == "error" and (RULES[d.code].stage in ("load", "schema") or d.code == "CX101")
                           for d in found)
        codes = [c for c in lint.CHECKS if (warnings and complete) or RULES[c].severity == "error"]
        found += lint.lint(spec, today, codes)
    diagnostics = tuple(sorted(found, key=Diagnostic.sort_key))
    has_errors = any(d.severity == "error" for d in diagnostics)
    counts = {k: len(getattr(spec, k)) if spec else 0 for k in ("touchpoints", "standards", "kpis")}
    return Validation(root, today, None if has_errors else spec, diagnostics, len(documents), counts)


def load_spec(root: Path | str, today: date | None = None, allow: tuple[Path, ...] = ()) -> Spec:
    """The valid Spec in `root` (reading files only inside its repository and the `allow`ed roots); SpecError
    (exit 2) listing the errors when it has any.

    Governance warnings are `cxgov validate`'s business: they are not looked for here.
    """
    result = validate(root, today, warnings=False, allow=allow)
    if result.spec is None:
        errors = result.errors
        shown = "\n".join(f"  {d.format()}" for d in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise SpecError(f"the spec in '{loader.display_name(Path(root))}' has {_plural(len(errors), 'error')}:\n"
                        f"{shown}{more}",
                        hint=f"run `cxgov validate {loader.display_name(Path(root))}` and fix them",
                        diagnostics=errors)
    return result.spec
