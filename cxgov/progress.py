"""A progress line for long commands (`data load`, `data generate`, `check`, `report`): what is being done and for
how long, rewritten in place on one line of stderr and cleared when done.

Shown only on a terminal: never when stderr is a file or a pipe, on a dumb terminal, or where the `CI` variable
says a CI job runs (some CI runners give jobs a terminal, and their logs would fill with redrawn lines).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable, Mapping, Sequence, TextIO

if TYPE_CHECKING:
    from cxgov.engine.results import Result

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
INTERVAL = 0.2  # seconds between redraws while a step runs
CLEAR = "\r\x1b[2K"  # back to the start of the line, erase it


def wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a progress line belongs on `stream`: a terminal, not dumb, outside CI."""
    env = os.environ if environ is None else environ
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False
    ci = env.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return terminal and env.get("TERM", "") != "dumb" and not ci


class Progress:
    """`step(message)` names what runs now; the line shows it with a spinner and the seconds since the command
    began, redrawn every INTERVAL by a background thread, until `close()` (or the end of a `with` block) erases
    it. Disabled (every call a no-op) unless `wanted(stream)`."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, interval: float = INTERVAL):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = wanted(self.stream) if enabled is None else enabled
        self._clock, self._interval = clock, interval
        self._started = clock()
        self._message = ""
        self._frame = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.enabled:
            _open.append(self)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __call__(self, message: str) -> None:
        self.step(message)

    def step(self, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._message = message
            self._draw()
        if self._thread is None and self._interval > 0:
            self._thread = threading.Thread(target=self._tick, name="cxgov-progress", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Erase the line; later steps draw nothing. Call before writing anything else to the stream."""
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            if self._message:
                self._write(CLEAR)
            self.enabled = False
        if self in _open:
            _open.remove(self)

    def line(self) -> str:
        """The line as drawn now: "⠙ 12s  tickets: generating 30,576 rows", cut to the terminal's width."""
        seconds = int(self._clock() - self._started)
        text = f"{SPINNER[self._frame % len(SPINNER)]} {seconds}s  {self._message}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        return text if len(text) <= width else text[:max(width - 1, 0)] + "…"

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            with self._lock:
                if self.enabled:
                    self._frame += 1
                    self._draw()

    def _draw(self) -> None:
        self._write(CLEAR + self.line())

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: nothing to show progress on
            self.enabled = False


_open: list[Progress] = []  # the lines being shown, so that an error message can clear them first


def close_all() -> None:
    """Erase every progress line still shown (before an error message is written)."""
    for progress in tuple(_open):
        progress.close()


def counting(progress: Callable[[str], None], rules: int, then: Callable[[Sequence[Result]], None] | None = None) \
        -> Callable[[Sequence[Result]], None]:
    """An `evaluate(on_results=...)` callback: hands each scan's results to `then` and shows how many of the
    `rules` rules are evaluated so far."""
    done: set[str] = set()
    count = 0

    def on_results(results: Sequence[Result]) -> None:
        nonlocal count
        if then is not None:
            then(results)
        done.update(r.rule for r in results)
        count += len(results)
        progress(f"evaluating: {len(done):,} of {rules:,} rules, {count:,} results")

    return on_results
