"""Reaction time of the orchestrator: from a task's end to its dependent task starting.

(a) In-process agent: a chain of tasks run by the Scheduler, each a real scripted backend-agent run
    (`runner.prepare`, AgentLoop, transcript); measured from the agent's `run()` returning to the next
    task's `run_task` being entered. Taken on a quiet event loop, and again while background agents
    (50 ms model latency per turn) keep the same loop busy, as other tasks of a run would.
(b) Marker from another process: a separate Python process writes `.orchestrator/complete/<ID>.done`
    while the Scheduler's task waits in `markers.wait_for_marker`; measured from the write (the other
    process's CLOCK_MONOTONIC after close) to `wait_for_marker` returning and to the dependent task
    starting.

Run from the repository root:  .venv/bin/python bench/reaction.py [--samples 25]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from agent_overhead import bench_task, exploring_script, make_project, pct
from makespan import SlowModel

from shopfloor.agent.markers import wait_for_marker
from shopfloor.agent.setup import AgentRun, prepare
from shopfloor.models.scripted import ScriptedModel
from shopfloor.orchestrator.scheduler import Concurrency, Scheduler, TaskOutcome

# The other process: for each task id read on stdin, write its marker, print the time it was written.
WRITER = """
import sys, time
from pathlib import Path
root = Path(sys.argv[1])
for line in sys.stdin:
    task_id = line.strip()
    path = root / ".orchestrator" / "complete" / f"{task_id}.done"
    path.write_text("done by another process\\n")
    print(time.monotonic(), flush=True)
"""
ARM_S = 0.3  # time given to wait_for_marker to start watching before the other process writes


async def agent(root: Path, task_id: str, turns: int = 2, latency_s: float = 0.0) -> tuple[str, float]:
    """One scripted backend-agent run (cheap tool turns, the marker Write, a closing text).

    Returns the outcome and the `time.monotonic()` at which the loop's `run()` returned.
    """
    script = [*exploring_script()[: turns - 2], *exploring_script()[-2:]]
    model = SlowModel(ScriptedModel(script), latency_s)
    run = AgentRun(agent="backend-agent", task=bench_task(root, task_id), model=model)
    prepared = prepare(run)
    try:
        result = await prepared.loop.run()
        ended = time.monotonic()
    finally:
        await prepared.aclose()
    return result.outcome, ended


async def background(tmp: Path, stop: anyio.Event, n: int) -> None:
    """Agents run one after another until `stop`: a busy loop like a run with other tasks going."""
    while not stop.is_set():
        await agent(make_project(tmp / f"bg{n}-{time.monotonic_ns()}"), f"BG-{n}", turns=6, latency_s=0.05)


async def in_process(tmp: Path, samples: int, *, busy: int) -> list[float]:
    """Seconds from each agent's end to the next task of the chain starting."""
    chain = [f"T{i:02d}" for i in range(samples + 1)]
    deps = {tid: ([chain[i - 1]] if i else []) for i, tid in enumerate(chain)}
    ended: dict[str, float] = {}
    started: dict[str, float] = {}

    async def run_task(tid: str) -> TaskOutcome:
        started[tid] = time.monotonic()
        outcome, ended[tid] = await agent(make_project(tmp / f"chain{busy}-{tid}"), tid)
        assert outcome == "completed", outcome
        return TaskOutcome(tid, "completed")

    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        for n in range(busy):
            tg.start_soon(background, tmp, stop, n)
        await Scheduler(deps, run_task, concurrency=Concurrency(busy + 1)).run()
        stop.set()
    return [started[b] - ended[a] for a, b in itertools.pairwise(chain)]


async def from_marker(tmp: Path, samples: int) -> tuple[list[float], list[float]]:
    """Seconds from another process's marker write to wait_for_marker returning / the next task starting."""
    root = make_project(tmp / "markers")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdin is not None and writer.stdout is not None
    returned: list[float] = []
    started: list[float] = []
    written: list[float] = []
    try:
        for i in range(samples):
            wait_id, next_id = f"EXT-{i:03d}", f"NEXT-{i:03d}"

            async def run_task(tid: str, wait_id: str = wait_id) -> TaskOutcome:
                if tid != wait_id:
                    started.append(time.monotonic())
                    return TaskOutcome(tid, "completed")

                async def trigger() -> None:
                    await anyio.sleep(ARM_S)
                    assert writer.stdin is not None
                    writer.stdin.write(wait_id + "\n")
                    writer.stdin.flush()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(trigger)
                    found = await wait_for_marker(root, wait_id, time.monotonic() + 10)
                returned.append(time.monotonic())
                assert found.outcome == "done", found
                return TaskOutcome(tid, "completed")

            deps: dict[str, list[str]] = {wait_id: [], next_id: [wait_id]}
            await Scheduler(deps, run_task, concurrency=Concurrency(2)).run()
            written.append(float(writer.stdout.readline()))
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
    to_return = [r - w for r, w in zip(returned, written, strict=True)]
    to_start = [s - w for s, w in zip(started, written, strict=True)]
    return to_return, to_start


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:<58} median {statistics.median(values) * 1000:7.2f} ms, "
        f"p90 {pct(values, 0.9) * 1000:7.2f} ms, max {max(values) * 1000:7.2f} ms (n={len(values)})"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=25)
    parser.add_argument("--busy", type=int, default=4, help="background agents for the busy-loop row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await agent(make_project(Path(tmp) / "warmup"), "WARM")
        quiet = await in_process(Path(tmp), args.samples, busy=0)
        busy = await in_process(Path(tmp), args.samples, busy=args.busy)
        marker_return, marker_start = await from_marker(Path(tmp), args.samples)
    print(f"machine: {os.cpu_count()} cores")
    print(line("(a) agent end -> next task starts, quiet loop", quiet))
    print(line(f"(a) agent end -> next task starts, {args.busy} agents busy", busy))
    print(line("(b) marker by another process -> wait_for_marker returns", marker_return))
    print(line("(b) marker by another process -> next task starts", marker_start))
    worst = max(statistics.median(v) for v in (quiet, busy, marker_start))
    print(
        f"target median < 100 ms: {'met' if worst < 0.1 else 'MISSED'} (worst median {worst * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
