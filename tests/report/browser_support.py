"""Drive Debian's Chromium with Playwright for the HTML report tests: open a report, watch every request and
console message, screenshot it, print it to PDF, run axe-core. Never downloads a browser."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SEVERE = {"serious", "critical"}


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class Opened:
    """A report open in a page, with everything the page asked for and said."""

    page: object
    url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [r for r in self.requests if r != self.url]


class Browser:
    """One Chromium for a test module; `open(path)` gives a fresh page (optionally bypassing the report's CSP)."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()

    @contextmanager
    def open(self, path: Path, *, bypass_csp: bool = False, width: int = 1280) -> Iterator[Opened]:
        context = self._browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp,
                                            java_script_enabled=True)
        page = context.new_page()
        url = path.resolve().as_uri()
        opened = Opened(page, url)
        page.on("request", lambda request: opened.requests.append(request.url))
        page.on("console", lambda msg: opened.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: opened.page_errors.append(str(exc)))
        page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
        try:
            page.goto(url, wait_until="load")
            yield opened
        finally:
            context.close()


def axe_violations(page, source: str) -> list[dict]:
    """axe-core's serious and critical violations on the page (needs a context that bypasses the report's CSP)."""
    page.add_script_tag(content=source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in SEVERE]


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def pdf_page_sizes(pdf: bytes) -> set[tuple[int, int]]:
    """(width, height) of the PDF's pages, in whole points (A4 portrait: (595, 842))."""
    return {(round(float(w)), round(float(h))) for w, h in
            re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}


def pdftotext() -> str | None:
    return shutil.which("pdftotext")


def require_browser() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
