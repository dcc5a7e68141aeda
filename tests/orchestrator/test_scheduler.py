"""The scheduler runs a DAG with bounded parallelism and blocks what depends on a failure."""

from __future__ import annotations

import anyio
import pytest

from shopfloor.orchestrator.scheduler import Concurrency, Scheduler, TaskOutcome

pytestmark = pytest.mark.anyio


async def test_dependency_chain_runs_in_order_and_parallel_tasks_overlap() -> None:
    deps = {"A": [], "B": [], "C": ["A", "B"], "D": ["C"]}
    log: list[str] = []
    running = 0
    peak = 0

    async def run(tid: str) -> TaskOutcome:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        log.append(f"start {tid}")
        await anyio.sleep(0.01)
        log.append(f"end {tid}")
        running -= 1
        return TaskOutcome(tid, "completed")

    out = await Scheduler(deps, run, concurrency=Concurrency(4)).run()
    assert {k: v.verdict for k, v in out.items()} == dict.fromkeys("ABCD", "completed")
    assert peak == 2  # A and B together; C and D each alone
    assert log.index("start C") > max(log.index("end A"), log.index("end B"))
    assert log.index("start D") > log.index("end C")


async def test_failure_blocks_dependents_transitively_and_the_rest_goes_on() -> None:
    deps = {"A": [], "B": ["A"], "C": ["B"], "X": []}

    async def run(tid: str) -> TaskOutcome:
        return TaskOutcome(tid, "failed", "boom") if tid == "A" else TaskOutcome(tid, "completed")

    out = await Scheduler(deps, run, concurrency=Concurrency(2)).run()
    assert out["A"].verdict == "failed"
    assert out["B"].verdict == "blocked" and "A" in out["B"].reason
    assert out["C"].verdict == "blocked" and "B" in out["C"].reason
    assert out["X"].verdict == "completed"


async def test_concurrency_ceiling_is_respected_and_lowering_takes_effect() -> None:
    deps = {f"T{i}": [] for i in range(8)}
    conc = Concurrency(3)
    peak = 0
    running = 0
    lowered = False
    in_flight_at_start_after_lowering: list[int] = []

    async def run(tid: str) -> TaskOutcome:
        nonlocal running, peak, lowered
        running += 1
        peak = max(peak, running)
        if lowered:
            in_flight_at_start_after_lowering.append(running)
        if tid == "T0":
            await anyio.sleep(0)  # T1 and T2, started in the same pass, begin first
            conc.lower()
            conc.lower()
            lowered = True
            await anyio.sleep(0.2)  # T1 and T2 end meanwhile; nothing new may start beside T0
        else:
            await anyio.sleep(0.01)
        running -= 1
        return TaskOutcome(tid, "completed")

    out = await Scheduler(deps, run, concurrency=conc).run()
    assert peak == 3
    assert conc.current == 1
    assert {o.verdict for o in out.values()} == {"completed"}
    # Every task started after the ceiling dropped to one ran alone.
    assert in_flight_at_start_after_lowering == [1] * 5


async def test_can_start_refusal_skips_task_and_blocks_its_dependents() -> None:
    deps = {"A": [], "B": ["A"]}
    started: list[str] = []

    async def run(tid: str) -> TaskOutcome:
        started.append(tid)
        return TaskOutcome(tid, "completed")

    out = await Scheduler(deps, run, concurrency=Concurrency(2), can_start=lambda t: "no budget").run()
    assert started == []
    assert out["A"].verdict == "skipped" and out["A"].reason == "no budget"
    assert out["B"].verdict == "blocked"


async def test_already_done_tasks_are_not_run_again() -> None:
    deps = {"A": [], "B": ["A"]}
    started: list[str] = []

    async def run(tid: str) -> TaskOutcome:
        started.append(tid)
        return TaskOutcome(tid, "completed")

    out = await Scheduler(deps, run, concurrency=Concurrency(2), done={"A": "completed"}).run()
    assert started == ["B"]
    assert out["B"].verdict == "completed"


async def test_a_crashing_task_runner_fails_only_that_task() -> None:
    async def run(tid: str) -> TaskOutcome:
        if tid == "A":
            raise RuntimeError("disk full")
        return TaskOutcome(tid, "completed")

    out = await Scheduler({"A": [], "B": []}, run, concurrency=Concurrency(2)).run()
    assert out["A"].verdict == "failed" and "disk full" in out["A"].reason
    assert out["B"].verdict == "completed"


async def test_ready_tasks_start_in_priority_order_and_ties_keep_queue_order() -> None:
    deps = {"low": [], "first": [], "crit": [], "second": [], "after": ["crit"]}
    rank = {"crit": 0, "low": 3, "after": 0}
    started: list[str] = []

    async def run(tid: str) -> TaskOutcome:
        started.append(tid)
        return TaskOutcome(tid, "completed")

    await Scheduler(deps, run, concurrency=Concurrency(1), priority=lambda t: rank.get(t, 2)).run()
    assert started == ["crit", "after", "first", "second", "low"]
    started.clear()
    await Scheduler(deps, run, concurrency=Concurrency(1)).run()
    assert started == ["low", "first", "crit", "second", "after"]
