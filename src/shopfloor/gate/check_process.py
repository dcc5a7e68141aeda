"""Running one check's command: the whole process group killed when it runs over its time limit, or
when a test suite prints nothing for too long (a suite waiting on a database that is not running)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shopfloor.tools.process import OutputBuffer, start_process

Stopped = Literal["timeout", "quiet"]


@dataclass(frozen=True)
class CheckRun:
    exit_code: int | None
    """None when it was stopped."""
    output: str
    stopped: Stopped | None
    duration_s: float


async def run_quietly(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
    quiet_s: float = 0.0,
    pass_fds: Sequence[int] = (),
) -> CheckRun:
    """Run `argv` (passing it `pass_fds`); stop it after `timeout_s`, or after `quiet_s` without output
    (0: never)."""
    start = time.monotonic()
    buf = OutputBuffer()
    last = [start]

    def sink(data: bytes) -> None:
        last[0] = time.monotonic()
        buf.feed(data)

    proc = await start_process(argv, cwd=cwd, sink=sink, env=env, pass_fds=pass_fds)
    stopped: Stopped | None = None
    try:
        while True:
            now = time.monotonic()
            left = timeout_s - (now - start)
            if left <= 0:
                stopped = "timeout"
                break
            wait = left
            if quiet_s > 0:
                idle_left = quiet_s - (now - last[0])
                if idle_left <= 0:
                    stopped = "quiet"
                    break
                wait = min(wait, idle_left)
            if await proc.wait(wait):
                break
    finally:
        await proc.close(0.0 if stopped else 0.2)
    return CheckRun(
        exit_code=None if stopped else proc.returncode,
        output=buf.text(),
        stopped=stopped,
        duration_s=time.monotonic() - start,
    )
