"""Resident memory per agent with 32 scripted agents running at once in one process.

Each agent is what the orchestrator holds for a task: `runner.prepare` of the built-in backend-agent in
its own copy of a small project (system prompt with skills, tools, shell session, open transcript),
then its AgentLoop on a ScriptedModel that waits a fixed latency per turn, so all 32 are mid-run
together. All 32 are prepared first and kept until the last one ends, so their conversations are all
alive at the peak. Per agent = (peak RSS - baseline RSS) / 32, with the baseline taken after the
imports and one warm-up agent (one-time costs: modules, schemas, caches). Child processes (rg, git)
are not counted: they are separate and short-lived.

Run from the repository root:  .venv/bin/python bench/memory.py [--agents 32] [--turns 10]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from pathlib import Path

import anyio
from agent_overhead import bench_task, exploring_script, make_project
from makespan import SlowModel

from shopfloor.agent.setup import AgentRun, PreparedAgent, prepare
from shopfloor.models.scripted import ScriptedModel

MIB = 1024 * 1024


def proc_status(field: str) -> int:
    """A `kB` figure from /proc/self/status (VmRSS, VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def prepare_agent(root: Path, task_id: str, turns: int, latency_s: float) -> PreparedAgent:
    script = [*exploring_script()[: turns - 2], *exploring_script()[-2:]]
    model = SlowModel(ScriptedModel(script), latency_s)
    return prepare(AgentRun(agent="backend-agent", task=bench_task(root, task_id), model=model))


async def run_all(agents: list[PreparedAgent]) -> list[str]:
    outcomes: list[str] = []

    async def one(prepared: PreparedAgent) -> None:
        outcomes.append((await prepared.loop.run()).outcome)

    async with anyio.create_task_group() as tg:
        for prepared in agents:
            tg.start_soon(one, prepared)
    return outcomes


async def sample_peak(stop: anyio.Event, out: list[int]) -> None:
    while not stop.is_set():
        out.append(proc_status("VmRSS"))
        await anyio.sleep(0.005)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    cold = proc_status("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        warm = prepare_agent(make_project(Path(tmp) / "warmup"), "WARM", args.turns, latency)
        assert (await run_all([warm]))[0] == "completed"
        await warm.aclose()
        del warm
        roots = [make_project(Path(tmp) / f"a{i:02d}") for i in range(args.agents)]
        gc.collect()
        baseline = proc_status("VmRSS")
        hwm_reset = reset_peak()
        t0 = time.monotonic()
        agents = [prepare_agent(r, f"TASK-{i:03d}", args.turns, latency) for i, r in enumerate(roots)]
        samples: list[int] = []
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(sample_peak, stop, samples)
            outcomes = await run_all(agents)
            stop.set()
        wall = time.monotonic() - t0
        held = proc_status("VmRSS")
        peak = max([*samples, held, proc_status("VmHWM") if hwm_reset else 0])
        for prepared in agents:
            await prepared.aclose()
    assert outcomes == ["completed"] * args.agents, outcomes
    per_agent = (peak - baseline) / args.agents
    print(
        f"machine: {os.cpu_count()} cores; {args.agents} agents x {args.turns} turns, "
        f"{args.latency_ms:.0f} ms model latency per turn, all running together ({wall:.1f} s)"
    )
    print(
        f"RSS after imports {cold / MIB:.1f} MiB; baseline after one warm-up agent {baseline / MIB:.1f} MiB"
    )
    print(
        f"peak RSS {peak / MIB:.1f} MiB (VmHWM {'reset at baseline' if hwm_reset else 'unavailable'}); "
        f"with all {args.agents} agents finished but held {held / MIB:.1f} MiB"
    )
    print(
        f"per agent: {per_agent / MIB:.2f} MiB over the warm baseline; "
        f"{(peak - cold) / args.agents / MIB:.2f} MiB if the one-time warm-up is shared out too"
    )
    print(f"target < 30 MB per agent: {'met' if per_agent < 30e6 else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main())
