"""Several recorders at once lose no run; a lock held too long is a clear error; a killed recorder leaves no
partial run behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cxgov.audit import history

RECORDER = Path(__file__).with_name("recorder.py")


def start(path: Path, day: int, count: int, timeout: float = 60.0, pause: Path | None = None) -> subprocess.Popen:
    """A recorder process; with `pause`, it writes that file inside its open transaction and waits to be killed."""
    args = [sys.executable, str(RECORDER), str(path), str(day), str(count), str(timeout)]
    return subprocess.Popen(args + ([str(pause)] if pause else []), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_concurrent_recorders_lose_no_run(tmp_path):
    path = tmp_path / "history.duckdb"
    procs = [start(path, day, 200 + day) for day in range(1, 7)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in outputs]
    assert sorted(int(out) for out, _ in outputs) == list(range(1, 7))
    records = history.runs(path)
    assert len(records) == 6
    assert sorted(r.as_of.day for r in records) == list(range(1, 7))
    for rec in records:
        assert rec.result_count == 200 + rec.as_of.day
        assert sum(rec.counts.values()) == rec.result_count
        assert rec.spec_digest == f"sha256:{rec.as_of.day}"


def wait_for(flag: Path, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if flag.exists():
            return
        if proc.poll() is not None:
            raise AssertionError(f"recorder ended early: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError("the recorder never reached its transaction")


def test_lock_held_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / "history.duckdb"
    flag = tmp_path / "paused"
    holder = start(path, 1, 10, pause=flag)
    try:
        wait_for(flag, holder)
        blocked = start(path, 2, 10, timeout=0.5)
        _, err = blocked.communicate(timeout=60)
        assert blocked.returncode == 2
        assert "is locked by another process and stayed locked for 0.5 s" in err
        assert "--lock-timeout" in err
    finally:
        holder.kill()
        holder.wait()


def test_recorder_waits_for_a_lock_to_be_released(tmp_path):
    path = tmp_path / "history.duckdb"
    flag = tmp_path / "paused"
    holder = start(path, 1, 10, pause=flag)
    wait_for(flag, holder)
    waiting = start(path, 2, 10, timeout=120)
    time.sleep(0.5)  # let it meet the lock at least once; correctness does not depend on it
    holder.kill()
    holder.wait()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert [r.as_of.day for r in history.runs(path)] == [2]


def test_killed_recorder_leaves_no_partial_run(tmp_path):
    path = tmp_path / "history.duckdb"
    first = start(path, 1, 50)
    assert first.wait(timeout=60) == 0
    flag = tmp_path / "paused"
    victim = start(path, 2, 5000, pause=flag)
    wait_for(flag, victim)  # the run and its 5000 results are inserted, not committed
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    records = history.runs(path)
    assert [(r.id, r.as_of.day, r.result_count) for r in records] == [(1, 1, 50)]
    assert len(history.rule_history(path, "rule-0")) == len([i for i in range(50) if i % 7 == 0])
    after = start(path, 3, 20)
    assert after.wait(timeout=60) == 0
    assert [(r.as_of.day, r.result_count, sum(r.counts.values())) for r in history.runs(path)] == [(1, 50, 50),
                                                                                                 (3, 20, 20)]
