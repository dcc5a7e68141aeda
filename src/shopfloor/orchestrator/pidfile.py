"""One run per project: an exclusive lock on `.orchestrator/run.lock`, held for as long as the run lives.

The kernel takes the lock atomically and drops it when the process ends however it ends (`kill -9`
included), so two runs started in the same instant cannot both proceed, and a killed run leaves no
stale lock. The file also names the holder's pid, for `status` and `abort`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from shopfloor.layout import Layout


class RunLock:
    """The project's run lock; `acquire()` once, `release()` when the run ends."""

    def __init__(self, project: Path):
        self.path = Layout(project).run_lock
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False (holding nothing) when another process has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        # The file stays: removing it would let a process that opened it just before lock an orphan.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def live_run_pid(project: Path) -> int | None:
    """The pid of another shopfloor process holding `project`'s run lock, or None when no run is live."""
    path = Layout(project).run_lock
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
            pid = int(raw) if raw.isdigit() else -1
            return None if pid == os.getpid() else pid
        return None  # nobody holds it: the lock is free again the moment it is released
    finally:
        os.close(fd)
