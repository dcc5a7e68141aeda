"""Median wall time of one Bash tool call running `true`, with and without the sandbox.

Run from the repository root:  .venv/bin/python bench/bash_overhead.py [--calls 200]

The variants take turns call by call, so a busy machine slows them all alike.
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
from shopfloor.tools.child_env import EnvOverlay
from shopfloor.tools.context import ToolContext
from shopfloor.tools.sandbox import sandbox_support
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.toolset import Toolset
from shopfloor.tools.workspace import ReadState, Workspace

WARMUP = 10
Once = Callable[[], Awaitable[None]]


def bash_call(
    root: Path, settings: SandboxSettings, overlay: EnvOverlay | None = None
) -> tuple[Once, ToolContext]:
    ws = Workspace(root)
    shell = ShellSession(ws, settings, overlay=overlay)
    ctx = ToolContext(workspace=ws, read_state=ReadState(), shell=shell)
    tools = Toolset([BashTool()])

    async def once() -> None:
        res = await tools.call("Bash", {"command": "true"}, ctx)
        assert not res.is_error, res.content

    return once, ctx


async def bare() -> None:
    subprocess.run(["bash", "-c", "true"], check=True)


async def interleaved(rows: dict[str, Once], calls: int) -> dict[str, float]:
    """Median seconds per row, the rows taking turns after a warm-up."""
    for _ in range(WARMUP):
        for once in rows.values():
            await once()
    samples: dict[str, list[float]] = {label: [] for label in rows}
    for _ in range(calls):
        for label, once in rows.items():
            t0 = time.perf_counter()
            await once()
            samples[label].append(time.perf_counter() - t0)
    return {label: statistics.median(s) for label, s in samples.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    support = sandbox_support()
    root_user = os.geteuid() == 0
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; calls per row: {args.calls}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        rows: dict[str, Once] = {"bare subprocess.run(bash -c true)": bare}
        contexts: list[ToolContext] = []
        variants: list[tuple[str, SandboxSettings, EnvOverlay | None]] = [
            ("Bash tool, no sandbox", SandboxSettings(enabled=False), None)
        ]
        if support.available:
            shipped = "Bash tool, sandbox as shipped" + (" (root: pids cgroup)" if root_user else "")
            variants.append((shipped, SandboxSettings(), None))
            variants.append(("Bash tool, sandbox, max_processes = 0", SandboxSettings(max_processes=0), None))
            # A project with `[env] services`: the relay in front of every command (nothing connects here).
            relayed = EnvOverlay(ports=(5432,))
            variants.append(("Bash tool, sandbox, one service port relayed", SandboxSettings(), relayed))
        else:
            print(f"sandbox rows skipped: {support.reason}")
        for label, settings, overlay in variants:
            once, ctx = bash_call(root, settings, overlay)
            rows[label] = once
            contexts.append(ctx)
        try:
            medians = await interleaved(rows, args.calls)
        finally:
            for ctx in contexts:
                await ctx.shell.aclose()
    for label, median in medians.items():
        print(f"{label:<46} median {median * 1000:7.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
