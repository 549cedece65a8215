"""Data flows one way (DESIGN.md section 5), read off the package's imports with `ast` (nothing is imported):
only `cxgov/data/engines/` imports a database driver, `metrics/` and `audit/` none, no renderer under `report/`
reaches into the data layer, the planner or an `audit/` module that does, and `audit/` renders nothing."""

from __future__ import annotations

import ast
from pathlib import Path

import cxgov

PACKAGE = Path(cxgov.__file__).parent
DRIVERS = ("duckdb", "psycopg", "psycopg_binary", "psycopg_pool", "pyspark", "py4j")


def imports(path: Path) -> set[str]:
    """Every module `path` imports: import statements anywhere in it (functions too), and lazy.module("...")."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def modules(folder: str = "") -> dict[str, set[str]]:
    return {p.relative_to(PACKAGE).as_posix(): imports(p) for p in sorted((PACKAGE / folder).rglob("*.py"))}


def test_the_reader_sees_imports_inside_functions_and_lazy_ones(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import os\ndef f():\n    from duckdb import connect\nsql = lazy.module('cxgov.data.sql')\n")
    assert imports(sample) == {"os", "duckdb", "cxgov.data.sql"}


def test_only_the_engines_import_a_database_driver():
    offenders = {path: sorted(m for m in found if m.split(".")[0] in DRIVERS)
                 for path, found in modules().items() if not path.startswith("data/engines/")}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_metrics_import_no_driver_and_no_engine():
    offenders = {path: sorted(m for m in found if m.split(".")[0] in DRIVERS or m.startswith("cxgov.data.engines")
                              and not m.startswith("cxgov.data.engines.types"))
                 for path, found in modules("metrics").items()}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_renderers_reach_neither_the_data_layer_nor_the_planner():
    offenders = {path: sorted(m for m in found if m.startswith(("cxgov.data", "cxgov.engine.plan"))
                              or m.split(".")[0] in DRIVERS)
                 for path, found in modules("report").items()}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_audit_imports_no_driver_and_no_renderer():
    offenders = {path: sorted(m for m in found if m.split(".")[0] in DRIVERS or m.startswith("cxgov.report"))
                 for path, found in modules("audit").items()}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_renderers_reach_no_audit_module_that_reads_the_data_layer():
    reading = {"cxgov." + path.removesuffix(".py").replace("/", ".")
               for path, found in modules("audit").items() if any(m.startswith("cxgov.data") for m in found)}
    assert "cxgov.audit.history" in reading  # the run history reads its file through the data layer
    offenders = {path: sorted((found | submodules(PACKAGE / path)) & reading)
                 for path, found in modules("report").items()}
    assert {path: found for path, found in offenders.items() if found} == {}


def submodules(path: Path) -> set[str]:
    """What `from cxgov.audit import history` names: "cxgov.audit.history" (imports() records "cxgov.audit")."""
    return {f"{node.module}.{alias.name}" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 for alias in node.names}
