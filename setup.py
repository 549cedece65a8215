"""Ship the folders at the top of the repository inside the wheel: schemas/ as cxgov/schemas, templates/ as
cxgov/templates and the example program in specs/ as cxgov/example (cxgov.resources finds them there, or at the
top of a checkout). Everything else is declared in pyproject.toml.

They are copied by the build rather than mapped as packages with `package-dir`, so that the package keeps the
plain layout under which `pip install -e .` adds the checkout to sys.path and warns about nothing.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder in the wheel -> (folder in the checkout, the files it ships)
SHIPPED = {"schemas": ("schemas", ("*.json",)), "templates": ("templates", ("*.j2", "*.css")),
           "example": ("specs", ("**/*.yaml", "README.md"))}


def shipped() -> list[tuple[Path, Path]]:
    """(file in the checkout, its path in the wheel) for every shipped file, sorted."""
    files = {}
    for target, (source, patterns) in SHIPPED.items():
        for pattern in patterns:
            for path in (ROOT / source).glob(pattern):
                if path.is_file():
                    files[path] = Path("cxgov", target, path.relative_to(ROOT / source))
    return sorted(files.items())


class BuildWithShippedFiles(build_py):
    """build_py that also copies the shipped files into the build (not for an editable install, which reads
    them where they are)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            for source, target in shipped():
                out = Path(self.build_lib, target)
                self.mkpath(str(out.parent))
                self.copy_file(str(source), str(out))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        extra = [] if self.editable_mode else [str(Path(self.build_lib, target)) for _, target in shipped()]
        return [*super().get_outputs(include_bytecode), *extra]


setup(cmdclass={"build_py": BuildWithShippedFiles})
