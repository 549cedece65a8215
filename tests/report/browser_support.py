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


WIDTHS = (390, 768, 1400)  # a phone, a tablet, a desktop

# What in a laid-out page a reader would see as broken, every <details> opened first: the page scrolling
# sideways; an element reaching past the screen's edges (outside the boxes that scroll tables in place); two
# cells of one table row whose text boxes overlap.
_LAYOUT = r"""
() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const outside = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if ((r.width || r.height) && (r.left < -0.5 || r.right > width + 0.5) && !scrolls(el))
      outside.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  const boxes = (cell) => { const range = document.createRange(); range.selectNodeContents(cell);
    return [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0); };
  const overlaps = [];
  for (const row of document.querySelectorAll('tr')) {
    const cells = [...row.children].map(c => [c, boxes(c)]);
    pairs: for (let i = 0; i < cells.length; i++) for (let j = i + 1; j < cells.length; j++)
      for (const a of cells[i][1]) for (const b of cells[j][1])
        if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) {
          overlaps.push(`${name(row.closest('table'))}: "${cells[i][0].innerText.slice(0, 40)}" over ` +
                        `"${cells[j][0].innerText.slice(0, 40)}"`);
          break pairs;
        }
  }
  return {page: document.documentElement.scrollWidth, screen: width, outside, overlaps};
}
"""


def layout_problems(page) -> dict:
    """{"page": scroll width, "screen": viewport width, "outside": [...], "overlaps": [...]} (see _LAYOUT)."""
    return page.evaluate(_LAYOUT)


# The text blocks of a page, in page coordinates; and, of a PNG opened in a page, which pixel rows hold ink.
_BLOCKS = r"""
() => [...document.querySelectorAll('tr, h1, h2, h3, h4, p, summary, li, dt, dd, caption, pre')]
  .filter(el => el.innerText.trim())
  .map(el => { const r = el.getBoundingClientRect();
               return [el.tagName.toLowerCase() + ': ' + el.innerText.trim().slice(0, 50),
                       Math.floor(r.top + scrollY), Math.ceil(r.bottom + scrollY)]; })
  .filter(([, top, bottom]) => bottom > top)
"""
_INK = r"""
async () => {
  const img = document.querySelector('img'); await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d'); context.drawImage(img, 0, 0);
  const ink = [];
  for (let y = 0; y < canvas.height; y += 256) {
    const h = Math.min(256, canvas.height - y), data = context.getImageData(0, y, canvas.width, h).data;
    for (let row = 0; row < h; row++) {
      let found = 0;
      for (let i = row * canvas.width * 4, end = i + canvas.width * 4; i < end; i += 4)
        if (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245) { found = 1; break; }
      ink.push(found);
    }
  }
  return ink;
}
"""


def unpainted_blocks(browser: "Browser", page, folder: Path) -> list[str]:
    """The text blocks of `page` that a full-page screenshot of it shows blank (nothing but white in their rows)."""
    blocks = page.evaluate(_BLOCKS)
    shot = folder / "full-page.png"
    shot.write_bytes(page.screenshot(full_page=True))
    with browser.open(shot) as opened:
        ink = opened.page.evaluate(_INK)
    return [text for text, top, bottom in blocks if not any(ink[max(top, 0):bottom])]


def pdf_page_texts(pdf: bytes) -> list[str]:
    """The text of each page of a PDF, extracted by pypdf."""
    import io

    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
