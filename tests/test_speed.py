"""The speed devices do what the plain code would, and they are the only ones: no other module touches the garbage
collector, memoises with functools or assembles a dataclass's __dict__ (read off the package's source, with ast)."""

from __future__ import annotations

import ast
import dataclasses
import gc
import sys
from datetime import date

import pytest

from cxgov import speed
from cxgov.engine.results import Result, Span, ThresholdInfo
from cxgov.errors import Location
from cxgov.spec import model as m
from test_layering import PACKAGE


def _result(**changes: object) -> dict[str, object]:
    state = {**speed.defaults(Result), "rule": "r", "kind": "standard", "scope": (("touchpoint", "t"),),
             "metric": "csat", "metric_kind": "csat", "status": "pass", "window": Span(date(2026, 1, 1),
                                                                                     date(2026, 1, 28)),
             "threshold": ThresholdInfo(">=", 80.0, None), "severity": "high", "location": Location("f.yaml", 3, 5),
             "notes": ("a note",)}
    return {**state, **changes}


def test_assemble_makes_what_the_constructor_makes_and_it_stays_frozen():
    state = _result()
    made, built = speed.assemble(Result, dict(state)), Result(**state)
    assert made == built and repr(made) == repr(built) and vars(made) == vars(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = "breach"  # type: ignore[misc]


def test_defaults_are_the_classes_own():
    found = speed.defaults(m.Touchpoint)
    assert found["status"] == "active" and found["labels"] is m.EMPTY and "id" not in found
    assert speed.defaults(m.Program)["defaults"] == m.Defaults()  # a factory's value


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_in_the_block_and_left_as_it_was(enabled):
    (gc.enable if enabled else gc.disable)()
    try:
        with speed.collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError), speed.collector_paused():
            raise ValueError
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_what_a_paused_block_made_goes_to_the_oldest_generation_unwalked():
    class Node:  # tracked by the collector, as a spec's or a Run's objects are
        pass

    with speed.collector_paused():
        made = [Node() for _ in range(1000)]
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(node) in oldest for node in made)
    assert gc.get_freeze_count() == 0  # nothing left frozen
    # no other thread runs meanwhile (a Spark or PostgreSQL session's, an earlier test's): one freeing a frozen
    # object would move the count this compares
    interval = sys.getswitchinterval()
    sys.setswitchinterval(60)
    try:
        with speed.existing_frozen():
            frozen = gc.get_freeze_count()
            with speed.collector_paused():
                [Node() for _ in range(10)]
            assert gc.get_freeze_count() == frozen  # what rendering froze stays frozen
    finally:
        sys.setswitchinterval(interval)
    assert gc.get_freeze_count() == 0


def test_objects_that_exist_are_frozen_in_the_block_only():
    before = gc.get_freeze_count()
    kept = [object() for _ in range(10)]
    with speed.existing_frozen():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0 and kept


def test_the_identity_memo_makes_once_per_object_not_per_equal_value():
    made: list[object] = []
    memo = speed.identity_memo(lambda r: made.append(r) or len(made))
    one, twin = speed.assemble(Result, _result()), speed.assemble(Result, _result())
    assert one == twin and memo(one) == memo(one) == 1 and memo(twin) == 2
    assert one in memo and memo.get(twin) == 2 and memo.get(object()) is None and len(made) == 2


def test_once_and_memo_call_through_once_per_argument():
    calls: list[int] = []

    @speed.once
    def built() -> list[int]:
        calls.append(0)
        return [1]

    @speed.memo(2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert built() is built() and square(3) == square(3) == 9 and calls == [0, 3]


def test_a_release_runs_in_the_callers_thread_unless_releasing_beside():
    import threading

    seen = []
    speed.release_beside(lambda: seen.append(threading.current_thread().name), "cxgov-test-close")
    speed.release_beside(lambda: 1 / 0, "cxgov-test-failing")  # a failing release is ignored here too
    assert seen == [threading.current_thread().name]


def test_a_release_beside_runs_in_another_thread_and_released_waits_for_it(closing_beside):
    import threading

    go, seen = threading.Event(), []

    def release() -> None:
        go.wait(timeout=10)
        seen.append(threading.current_thread().name)

    speed.release_beside(release, "cxgov-test-close")
    speed.release_beside(lambda: 1 / 0, "cxgov-test-failing")  # a failing release is its own business
    assert seen == []  # the caller goes on while the release waits
    go.set()
    speed.released()
    assert seen == ["cxgov-test-close"]


def _devices(tree: ast.AST) -> list[str]:
    """What in `tree` is a speed device: gc, functools' memoising decorators, a __dict__ set through
    object.__setattr__, the collector module, a thread pool, os._exit."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "gc"]
        elif isinstance(node, ast.Attribute) and node.attr == "_exit":
            found.append("os._exit")
        elif isinstance(node, ast.ImportFrom) and node.module == "concurrent.futures":
            found += [a.name for a in node.names if a.name == "ThreadPoolExecutor"]
        elif isinstance(node, ast.ImportFrom) and node.module == "functools":
            found += [a.name for a in node.names if a.name in ("lru_cache", "cache")]
        elif isinstance(node, ast.ImportFrom) and node.module == "cxgov" and \
                any(a.name == "collector" for a in node.names):
            found.append("cxgov.collector")
        elif isinstance(node, ast.Constant) and node.value == "__dict__":
            found.append("__dict__")
    return found


def test_the_speed_devices_live_in_cxgov_speed_only():
    allowed = {"speed.py": None}
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        found = _devices(ast.parse(path.read_text(encoding="utf-8")))
        if found and name in allowed and (allowed[name] is None or found == allowed[name]):
            continue
        if found:
            offenders[name] = found
    assert offenders == {}
