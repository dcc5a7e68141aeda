"""Attack 11: two `shopfloor run` started in the same instant both proceeded (same tasks twice in the same
worktrees). One run per project is now a lock the kernel takes atomically and drops with the process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

from shopfloor.orchestrator.pidfile import RunLock, live_run_pid
from tests.security.hostile import bash, finish, make_project, query, scripts, start


def _contend(project: str, barrier: Any, results: Any) -> None:
    lock = RunLock(Path(project))
    barrier.wait()
    got = lock.acquire()
    results.put(got)
    time.sleep(1.0)  # hold it while the others try
    lock.release()


def test_of_many_processes_racing_for_the_lock_exactly_one_wins(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for _ in range(3):
        barrier = ctx.Barrier(8)
        results = ctx.Queue()
        procs = [ctx.Process(target=_contend, args=(str(tmp_path), barrier, results)) for _ in range(8)]
        for p in procs:
            p.start()
        won = [results.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert won.count(True) == 1, won


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()

    def hold() -> None:
        lock = RunLock(tmp_path)
        assert lock.acquire()
        ready.set()
        time.sleep(60)

    holder = ctx.Process(target=hold)
    holder.start()
    try:
        assert ready.wait(30)
        assert live_run_pid(tmp_path) == holder.pid
        assert not RunLock(tmp_path).acquire()
        os.kill(holder.pid or 0, signal.SIGKILL)  # no cleanup code runs: the kernel drops the lock
        holder.join(30)
        assert live_run_pid(tmp_path) is None
        mine = RunLock(tmp_path)
        assert mine.acquire()
        mine.release()
    finally:
        if holder.is_alive():
            holder.kill()


def test_two_runs_started_at_once_do_not_both_proceed(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    d = scripts(tmp_path, {"TASK-001": [bash("sleep 3"), *finish()]})
    first = start("run", "--model", f"scripted:{d}", cwd=project)
    second = start("run", "--model", f"scripted:{d}", cwd=project)
    out = [p.communicate(timeout=300)[0] for p in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 2], out
    refused = out[[first.returncode, second.returncode].index(2)]
    assert "another shopfloor run" in refused and "shopfloor abort" in refused
    assert len(query(project, "SELECT id FROM runs")) == 1
    (row,) = query(project, "SELECT attempts FROM tasks WHERE task_id = 'TASK-001'")
    assert row["attempts"] == 1
