"""Median wall time of one Bash tool call running `true`, with and without the sandbox.

Run from the repository root:  .venv/bin/python bench/bash_overhead.py [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.bash import BashTool
from shopfloor.tools.context import ToolContext
from shopfloor.tools.sandbox import sandbox_support
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.workspace import ReadState, Workspace

WARMUP = 10


async def timed(calls: int, once: Callable[[], Awaitable[None]]) -> float:
    """Median seconds of `once()` over `calls` runs, after a warm-up."""
    for _ in range(WARMUP):
        await once()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await once()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


async def bash_median(root: Path, calls: int, *, sandbox: bool) -> float:
    ws = Workspace(root)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws, SandboxSettings(enabled=sandbox)))
    tools = Toolset([BashTool()])

    async def once() -> None:
        res = await tools.call("Bash", {"command": "true"}, ctx)
        assert not res.is_error, res.content

    try:
        return await timed(calls, once)
    finally:
        await ctx.shell.aclose()


async def bare_median(root: Path, calls: int) -> float:
    async def once() -> None:
        subprocess.run(["bash", "-c", "true"], cwd=root, check=True)

    return await timed(calls, once)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    support = sandbox_support()
    print(f"machine: {os.cpu_count()} cores; calls per row: {args.calls} (after {WARMUP} warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        rows = [("bare subprocess.run(bash -c true)", await bare_median(root, args.calls))]
        rows.append(("Bash tool, no sandbox", await bash_median(root, args.calls, sandbox=False)))
        if support.available:
            rows.append(("Bash tool, bwrap sandbox", await bash_median(root, args.calls, sandbox=True)))
        else:
            print(f"sandbox row skipped: {support.reason}")
    for label, median in rows:
        print(f"{label:<36} median {median * 1000:7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
