"""Makespan of a 20-task DAG with a fixed model latency per turn, against the DAG's critical path.

The orchestrator's Scheduler runs the DAG with room for every task at once (Concurrency 20). Each task
is a real agent run: `runner.prepare` of the built-in backend-agent in its own copy of a small project
(skills injected, transcript written), then the AgentLoop with a ScriptedModel that sleeps a fixed
latency before every reply, doing cheap Read/Glob/Grep turns, the marker Write and a closing text turn.
Worktrees, the gate and the merge queue are not part of this run (they are git and test-runner time).

The critical path is taken two ways: nominal (turns x latency per task: what a harness with zero cost
would reach) and measured (each task's own wall time in this run: what a scheduler with zero delay
would reach, given how long the tasks really took).

Run from the repository root:  .venv/bin/python bench/makespan.py [--latency-ms 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from agent_overhead import Clock, FrozenSpecs, bench_task, exploring_script, make_project

from shopfloor.agent.events import ModelReplied, ToolAnswered
from shopfloor.agent.setup import AgentRun, prepare
from shopfloor.models.base import ModelProfile, ModelRequest, ModelResponse, ToolSpec
from shopfloor.models.scripted import ScriptedModel
from shopfloor.orchestrator.scheduler import Concurrency, Scheduler, TaskOutcome
from shopfloor.queue.dag import critical_path

# Task -> (turns, dependencies). Fan-out, fan-in and one long chain, turns from 2 to 6.
DAG: dict[str, tuple[int, list[str]]] = {
    "T01": (3, []),
    "T02": (4, ["T01"]),
    "T03": (2, ["T01"]),
    "T04": (5, ["T01"]),
    "T05": (3, ["T01"]),
    "T06": (4, ["T02", "T03"]),
    "T07": (6, ["T03"]),
    "T08": (2, ["T04", "T05"]),
    "T09": (3, ["T06"]),
    "T10": (4, ["T07", "T08"]),
    "T11": (5, []),
    "T12": (2, ["T11"]),
    "T13": (3, ["T09", "T10"]),
    "T14": (6, ["T12"]),
    "T15": (2, ["T13"]),
    "T16": (4, ["T14", "T15"]),
    "T17": (3, ["T05"]),
    "T18": (5, ["T17"]),
    "T19": (3, ["T16", "T18"]),
    "T20": (2, ["T19"]),
}


class SlowModel:
    """A ScriptedModel that takes `latency_s` to answer each call, like a provider would."""

    def __init__(self, inner: ScriptedModel, latency_s: float):
        self.inner = inner
        self.latency_s = latency_s

    @property
    def profile(self) -> ModelProfile:
        return self.inner.profile

    async def complete(self, request: ModelRequest) -> ModelResponse:
        await asyncio.sleep(self.latency_s)
        return await self.inner.complete(request)

    async def check_fits(self, system: str, tools: list[ToolSpec]) -> None:
        await self.inner.check_fits(system, tools)


def task_script(turns: int) -> list[dict[str, Any]]:
    """`turns` turns: cheap exploration, the marker Write, a closing text (the 30-turn script's tail)."""
    full = exploring_script()
    return [*full[: turns - 2], *full[-2:]]


@dataclass
class Split:
    """Where one task's wall time went beyond its turns x latency, in seconds."""

    prepare: float
    model_lag: float
    """Model calls beyond the sleep: the event loop busy with other agents when the reply was due."""
    tools: float
    harness: float

    @property
    def total(self) -> float:
        return self.prepare + self.model_lag + self.tools + self.harness


@dataclass
class Trial:
    makespan: float
    durations: dict[str, float]
    splits: list[Split]


async def trial(tmp: Path, latency_s: float, label: str, *, frozen_specs: bool = False) -> Trial:
    roots = {tid: make_project(tmp / label / tid) for tid in DAG}
    durations: dict[str, float] = {}
    splits: list[Split] = []

    async def run_task(tid: str) -> TaskOutcome:
        t0 = time.monotonic()
        turns = DAG[tid][0]
        model = SlowModel(ScriptedModel(task_script(turns)), latency_s)
        clock = Clock()
        run = AgentRun(
            agent="backend-agent",
            task=bench_task(roots[tid], tid),
            model=model,
            on_event=clock,
        )
        # In a worker thread, then warnings announced on the loop: as an attempt does it.
        prepared = await anyio.to_thread.run_sync(prepare, run)
        prepared.announce()
        t1 = time.monotonic()
        if frozen_specs:
            prepared.loop.toolset = FrozenSpecs(prepared.loop.toolset)
        try:
            result = await prepared.loop.run()
        finally:
            await prepared.aclose()
        durations[tid] = time.monotonic() - t0
        model_s = sum(e.duration_s for _, e in clock.stamps if isinstance(e, ModelReplied))
        tools_s = sum(e.duration_s for _, e in clock.stamps if isinstance(e, ToolAnswered))
        lag = model_s - turns * latency_s
        splits.append(Split(t1 - t0, lag, tools_s, durations[tid] - (t1 - t0) - model_s - tools_s))
        if result.outcome == "completed":
            return TaskOutcome(tid, "completed")
        return TaskOutcome(tid, "failed", result.reason)

    scheduler = Scheduler({t: d for t, (_, d) in DAG.items()}, run_task, concurrency=Concurrency(len(DAG)))
    t0 = time.monotonic()
    outcomes = await scheduler.run()
    makespan = time.monotonic() - t0
    failed = {t: o.reason for t, o in outcomes.items() if o.verdict != "completed"}
    assert not failed, failed
    return Trial(makespan, durations, splits)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--frozen-specs",
        action="store_true",
        help="build each agent's tool specs once (what caching the JSON schemas would give)",
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    graph = {t: d for t, (_, d) in DAG.items()}
    nominal, chain = critical_path(graph, {t: n * latency for t, (n, _) in DAG.items()})
    trials = []
    with tempfile.TemporaryDirectory() as tmp:
        # The first trial pays for imports and first-use caches and is not counted.
        await trial(Path(tmp), latency, "warmup", frozen_specs=args.frozen_specs)
        for i in range(args.repeats):
            trials.append(await trial(Path(tmp), latency, f"run{i}", frozen_specs=args.frozen_specs))
    print(
        f"machine: {os.cpu_count()} cores; {len(DAG)} tasks, {sum(n for n, _ in DAG.values())} turns, "
        f"{args.latency_ms:.0f} ms model latency per turn; {args.repeats} runs after 1 warm-up"
        + ("; tool specs built once" if args.frozen_specs else "")
    )
    print(f"nominal critical path {nominal:.3f} s: {' -> '.join(chain)}")
    for i, t in enumerate(trials):
        measured, _ = critical_path(graph, t.durations)
        print(
            f"run {i}: makespan {t.makespan:.3f} s = {t.makespan / nominal:.3f}x nominal, "
            f"{t.makespan / measured:.3f}x measured critical path ({measured:.3f} s)"
        )
    splits = [s for t in trials for s in t.splits]

    def med_ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    print(
        f"per task beyond turns x latency: median {med_ms([s.total for s in splits])} = prepare() "
        f"{med_ms([s.prepare for s in splits])} + model-call lag {med_ms([s.model_lag for s in splits])} "
        f"+ tools {med_ms([s.tools for s in splits])} + loop {med_ms([s.harness for s in splits])} "
        "(medians of each part)"
    )
    ratio = statistics.median(t.makespan / nominal for t in trials)
    sched = statistics.median(t.makespan / critical_path(graph, t.durations)[0] for t in trials)
    print(f"median: {ratio:.3f}x nominal critical path, {sched:.3f}x measured critical path")
    print(f"target <= 1.15x nominal: {'met' if ratio <= 1.15 else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main())
