"""A pids cgroup that caps how many processes one agent's commands may run at once, for root.

An unprivileged sandbox gets its process limit from RLIMIT_NPROC, which the kernel counts per user
namespace. The kernel never applies that limit to root, so a run as root caps its agents with a cgroup
instead, where the machine lets it make one (cgroup v1's pids hierarchy, or v2 with the pids controller).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from pathlib import Path

_CGROUP_ROOT = Path("/sys/fs/cgroup")
_PREFIX = "shopfloor-"
_counter = itertools.count(1)


def _pids_parent() -> Path | None:
    """This process's own cgroup in a hierarchy that has the pids controller, if it can be written."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        if "pids" in controllers.split(","):
            base = _CGROUP_ROOT / "pids"
        elif controllers == "":
            unified = (_CGROUP_ROOT / "cgroup.controllers").exists()
            base = _CGROUP_ROOT if unified else _CGROUP_ROOT / "unified"
        else:
            continue
        here = base / rel.lstrip("/")
        if here.is_dir() and os.access(here, os.W_OK):
            return here
    return None


def _sweep(parent: Path) -> None:
    """Remove groups left by shopfloor processes that are gone (killed before they could clean up)."""
    for d in parent.glob(f"{_PREFIX}*"):
        owner = d.name.removeprefix(_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                d.rmdir()


class PidsGroup:
    """One cgroup with `pids.max` set; a process joins by writing its pid to `procs`."""

    def __init__(self, path: Path):
        self.path = path
        self.procs = path / "cgroup.procs"

    @classmethod
    def create(cls, max_pids: int) -> PidsGroup | None:
        """A new group under this process's own, or None where the machine does not allow one."""
        parent = _pids_parent()
        if parent is None:
            return None
        _sweep(parent)
        path = parent / f"{_PREFIX}{os.getpid()}-{next(_counter)}"
        try:
            path.mkdir()
        except OSError:
            return None
        group = cls(path)
        try:
            (path / "pids.max").write_text(str(max_pids), encoding="utf-8")
        except OSError:  # v2 without the pids controller enabled below us
            group.remove()
            return None
        return group

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in self.procs.read_text(encoding="utf-8").split()]
        except (OSError, ValueError):
            return []

    def remove(self) -> None:
        """Kill whatever is left in the group, then remove it."""
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)  # killed processes leave the group once their parent has reaped them
        with contextlib.suppress(OSError):
            self.path.rmdir()
