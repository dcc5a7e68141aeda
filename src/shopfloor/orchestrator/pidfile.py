"""Which process owns a project's run: the pid file, and whether the process it names is still alive."""

from __future__ import annotations

import os
from pathlib import Path

from shopfloor.layout import Layout


def live_run_pid(project: Path) -> int | None:
    """The pid of another shopfloor process running in `project`, if its pid file names a live one."""
    try:
        pid = int(Layout(project).run_lock.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a pid file left by a killed run may name a process that has since reused the number
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"shopfloor" in cmdline else None
