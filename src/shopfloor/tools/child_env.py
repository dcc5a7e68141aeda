"""What a project's environment adds to a child process's environment: data the shell and the gate apply.

The environment room (`shopfloor.env`) works out what a task worktree needs (its `.venv/bin` and
`node_modules/.bin` first on PATH, offline settings for its package managers); how a command is confined
stays with the sandbox. This module only says how the two meet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class EnvOverlay:
    path: tuple[str, ...] = ()
    """Folders put first on PATH, in this order."""
    vars: Mapping[str, str] = field(default_factory=dict)
    """Variables set (over what the child would get otherwise)."""
    drop_path: tuple[str, ...] = ()
    """PATH entries removed (shopfloor's own virtualenv), so its interpreter is never picked by accident."""
    hidden: tuple[Path, ...] = ()
    """Folders a sandboxed command must not see (a parent checkout's `node_modules`, which Node would
    otherwise find by walking up from the worktree)."""
    ports: tuple[int, ...] = ()
    """Loopback ports of the run's services (`[env] services`), reachable from a sandboxed command that
    has no network otherwise."""

    def apply(self, env: Mapping[str, str]) -> dict[str, str]:
        """`env` with the variables set and PATH rewritten."""
        out = dict(env)
        out.update(self.vars)
        dropped = {os.path.normpath(p) for p in self.drop_path}
        rest = [p for p in out.get("PATH", "").split(os.pathsep) if p and os.path.normpath(p) not in dropped]
        first = list(dict.fromkeys(self.path))
        out["PATH"] = os.pathsep.join(first + [p for p in rest if p not in first])
        return out
