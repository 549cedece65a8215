"""The speed devices, in one place: each trades a little plainness for time that profiling showed was spent.

- Frozen dataclasses made from a dict: `assemble`, and `defaults` for the fields most objects leave alone.
- The cyclic garbage collector kept out of phases that make many objects and no garbage cycles:
  `collector_paused` (loading a spec, evaluating) and `existing_frozen` (rendering reports).
- Memos: `identity_memo` (for objects that hash slowly or not at all), `once` (made on first use, kept for the
  process) and `memo` (a pure function called many times with few distinct arguments).
- The process's end: `exit_now`, without freeing what a large run made.
- Threads: `beside`, work that waits on something outside Python (a database statement, git) while this thread
  goes on (as many statements at a time as the engine says it runs well); `release_beside`, a read-only
  connection closed while this thread goes on.

Figures: CPU time on the 2-core development machine, Python 3.11, measured under the load of other work (so
relative figures are the ones to trust): a spec of 5,000 touchpoints (bench/bench_validate.py) and the scorecard
of 20,016 results (bench/bench_scorecard.py's synthetic program).
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from contextlib import contextmanager
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterator, NoReturn, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Thread

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


# -- frozen dataclasses made from a dict ----------------------------------------------------------------------


def assemble(cls: type[T], state: dict[str, Any]) -> T:
    """A frozen dataclass (without __post_init__) whose __dict__ becomes `state`, which must hold every one of its
    fields and nothing else: taken as it is, unchecked.

    Why: the generated __init__ of a frozen dataclass sets each field through object.__setattr__, and the loops
    that make tens of thousands of objects (spec entities, scan targets, measurements, results) build their
    fields as a dict anyway. Saves: a Result (28 fields) costs 0.9 us instead of 4.3 us through Result(**state);
    a Touchpoint (19 fields) 1.3 us instead of 2.6 us."""
    entity: T = object.__new__(cls)
    object.__setattr__(entity, "__dict__", state)
    return entity


def defaults(cls: type) -> dict[str, object]:
    """Every field of `cls` that has a default, with it (a factory is called once here, so its value is shared:
    for immutable ones only): the start of the dicts `assemble` takes, each default still written once, in the
    class."""
    every = fields(cls)
    found: dict[str, object] = {f.name: f.default for f in every if f.default is not MISSING}
    found.update({f.name: f.default_factory() for f in every if f.default_factory is not MISSING})
    return found


# -- the cyclic garbage collector ------------------------------------------------------------------------------



@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection during the block, for a block that makes many objects and little cyclic to free; what it
    made goes straight to the oldest generation when it ends.

    Why: loading a spec and evaluating it create tens of thousands of small objects that live until the command
    ends; the collections their allocation triggers walk them all and free nothing. Saves: load_spec of 5,000
    touchpoints takes 702 ms of CPU instead of 962 ms (27%). And on the way out: left in the youngest generation,
    they would all be walked by the first collection after the block (106 ms after loading 5,000 touchpoints,
    159 ms after evaluating their 45,000 results), to be moved on, not freed. `gc.freeze()` then
    `gc.unfreeze()` moves every tracked object to the oldest generation without walking any: the block's few
    garbage cycles (sqlglot's trees) are freed at the next full collection, like any long-lived object's."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():  # objects frozen already (existing_frozen, or a caller's) stay frozen
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


@contextmanager
def existing_frozen() -> Iterator[None]:
    """Collections during the block leave alone every object that existed when it began.

    Why: while reports are rendered the spec and the Run exist already and hold no garbage, but the renderers'
    many small objects trigger full collections that would walk the whole Run again. Saves: the scorecard of
    20,016 results renders in 595 ms of CPU instead of 816 ms (27%)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# -- memos ---------------------------------------------------------------------------------------------------


class identity_memo(Generic[K, V]):
    """`make(obj)` made once per object and kept by the object's identity (the memo holds the object too, so its
    id cannot be reused while the memo lives).

    Why: a Result is a frozen dataclass of 28 fields, some of them mappings, so hashing one is slow or impossible;
    yet the scorecard and the text report show a result in more than one place (a breach in its rule's group and
    among the breaches). Saves: making its Row or text lines again for each place it is shown; and keeps the
    JSON lines a check writes while the engine still scans until the document takes them (report.json.Ahead)."""

    __slots__ = ("_make", "_made")

    def __init__(self, make: Callable[[K], V]):
        self._make = make
        self._made: dict[int, tuple[K, V]] = {}

    def __call__(self, obj: K) -> V:
        found = self._made.get(id(obj))
        if found is None:
            found = self._made[id(obj)] = (obj, self._make(obj))
        return found[1]

    def __contains__(self, obj: object) -> bool:
        return id(obj) in self._made

    def get(self, obj: K) -> V | None:
        """What was made for `obj`, else None (nothing is made)."""
        found = self._made.get(id(obj))
        return None if found is None else found[1]

    def pop(self, obj: K) -> V | None:
        """What was made for `obj`, no longer kept; else None (nothing is made)."""
        found = self._made.pop(id(obj), None)
        return None if found is None else found[1]


def once(fn: Callable[[], T]) -> functools._lru_cache_wrapper[T]:
    """`fn()` made on first use and kept for the process: what takes time to build and never changes (the
    compiled spec schema, the Jinja2 environment, the time zone names, where cxgov was installed from).

    Why: only some commands need each, so none is built at import, and its callers share one. Saves: compiling
    the spec schema (13 ms) on each validation after the first in a process, and so on."""
    return functools.cache(fn)


def memo(maxsize: int | None) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]:
    """A pure function's results kept for its `maxsize` most recent (hashable) arguments; None: all of them.

    Why: some functions run once per value or per result yet see few distinct arguments: the tag of a YAML
    scalar, the few files a run's locations name, the scopes of a history. Saves: composing the YAML of 5,000
    touchpoints takes 247 ms of CPU instead of 335 ms with the scalar tags memoised."""
    return functools.lru_cache(maxsize=maxsize)


# -- threads ---------------------------------------------------------------------------------------------------

@contextmanager
def beside(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """A pool of `workers` threads (named `name`-N) for calls that spend their time outside Python, joined when the
    block ends.

    Why: the database drivers release the GIL while a statement runs, and git is another process. Evaluating,
    the engine runs statements (`Engine.statements_at_once` at a time) while this thread builds the next ones and
    turns the rows of each finished one into results. Saves: git's answer about the spec's commit (a subprocess,
    tens of milliseconds) is had while the engine scans, and so is the Python work on each scan."""
    from concurrent.futures import ThreadPoolExecutor  # not for `cxgov --version`

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        yield pool


_RELEASING: list[Thread] = []  # the threads release_beside started and no one has seen end
_RELEASE_BESIDE = False  # whether release_beside may release in a thread (releasing_beside)


def releasing_beside(on: bool = True) -> None:
    """From now on, `release_beside` releases in a thread of its own (`on`), or in the caller's (the default).

    The `cxgov` program turns it on: its process ends with its command, and the connections it opens later wait
    for the closes under way. Code using cxgov as a library keeps the default, so that a Store closed is closed:
    its file can be written, renamed or deleted (Windows) at once, by any code."""
    global _RELEASE_BESIDE
    _RELEASE_BESIDE = on


def release_beside(release: Callable[[], None], name: str) -> None:
    """Call `release` (closing a read-only connection: it has nothing left to write) in a thread of its own,
    named `name`, while this thread goes on, when `releasing_beside` is on (else here, before returning);
    `released()` waits for every such call to return. A release that fails is ignored.

    Why: closing DuckDB frees what its scans took (40 ms after a scan of 15 million rows), outside Python, and
    `cxgov check` closes it between the last scan and the reports: this way the JSON is written meanwhile. A
    DuckDB connection opened later in the process waits for the closes first (`data.engines.duckdb.connect`), so
    none sees a file still attached by a closing one; the interpreter's exit waits for them too."""
    def run() -> None:
        try:
            release()
        except Exception:  # noqa: BLE001 - a read-only connection that fails to close has nothing to lose
            pass

    if not _RELEASE_BESIDE:
        run()
        return
    import threading

    thread = threading.Thread(target=run, name=name)
    thread.start()
    _RELEASING.append(thread)


def released() -> None:
    """Wait until every call `release_beside` started has returned (from any thread)."""
    for thread in tuple(_RELEASING):
        thread.join()
    _RELEASING[:] = [thread for thread in _RELEASING if thread.is_alive()]


# -- the process's end -----------------------------------------------------------------------------------------


def exit_now(code: int) -> NoReturn:
    """End the process with `code` once standard output and error are flushed, skipping the interpreter's teardown.

    Only for the `cxgov` program itself, after the command has returned: every file, history and connection is
    closed by then (each in its with block). Why: the teardown frees the tens of thousands of objects a large
    run made one by one, for nothing. Saves: 0.2 to 0.5 s of wall time, 0.1 to 0.15 s of CPU, on a check of
    5,000 touchpoints (45,000 results)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`cxgov check | head`), or a stream closed
            pass
    os._exit(code)
