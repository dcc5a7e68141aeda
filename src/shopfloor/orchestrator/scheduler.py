"""Running a task DAG: start what is ready, up to a concurrency that can shrink and grow, block dependents."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import anyio
from anyio.abc import TaskGroup

Verdict = Literal["completed", "failed", "blocked", "skipped"]


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    verdict: Verdict
    reason: str = ""


@dataclass
class Concurrency:
    """How many tasks may run at once. Throttling halves it; quiet time earns one slot back."""

    ceiling: int
    current: int = 0
    recover_after_s: float = 30.0
    _last_change: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.current = self.current or self.ceiling

    def lower(self) -> None:
        self.current = max(1, self.current // 2)
        self._last_change = time.monotonic()

    def maybe_raise(self) -> None:
        if self.current < self.ceiling and time.monotonic() - self._last_change >= self.recover_after_s:
            self.current += 1
            self._last_change = time.monotonic()


class Scheduler:
    """Runs `run_task(id)` for every task once its dependencies completed.

    A failed task blocks everything downstream of it (with the reason); the rest goes on. `can_start(id)`
    returns a reason when a task must not start (a budget that cannot cover it): it waits while other
    tasks run, and is skipped once none does. Tasks ready at the same time start in `priority` order
    (lower first; ties keep the order of `deps`).
    """

    def __init__(
        self,
        deps: Mapping[str, Sequence[str]],
        run_task: Callable[[str], Awaitable[TaskOutcome]],
        *,
        concurrency: Concurrency,
        can_start: Callable[[str], str | None] = lambda _id: None,
        done: Mapping[str, Verdict] | None = None,
        priority: Callable[[str], int] | None = None,
    ):
        self.deps = {k: list(v) for k, v in deps.items()}
        self.run_task = run_task
        self.concurrency = concurrency
        self.can_start = can_start
        self.priority = priority
        self.outcomes: dict[str, TaskOutcome] = {
            k: TaskOutcome(k, v) for k, v in (done or {}).items() if v in ("completed", "failed")
        }
        self._running: set[str] = set()

    def _ready(self) -> list[str]:
        ready = []
        for tid in self.deps:
            if tid in self.outcomes or tid in self._running:
                continue
            verdicts = [self.outcomes[d].verdict if d in self.outcomes else None for d in self.deps[tid]]
            bad = [
                d
                for d, v in zip(self.deps[tid], verdicts, strict=True)
                if v in ("failed", "blocked", "skipped")
            ]
            if bad:
                self.outcomes[tid] = TaskOutcome(tid, "blocked", f"dependency {bad[0]} did not complete")
                continue
            if all(v == "completed" for v in verdicts):
                ready.append(tid)
        return sorted(ready, key=self.priority) if self.priority else ready

    async def run(self) -> dict[str, TaskOutcome]:
        send, receive = anyio.create_memory_object_stream[TaskOutcome](max_buffer_size=len(self.deps) + 1)
        async with anyio.create_task_group() as tg, receive:
            while True:
                self._start_ready(tg, send)
                if not self._running:
                    break
                outcome = await receive.receive()
                self._running.discard(outcome.task_id)
                self.outcomes[outcome.task_id] = outcome
                self.concurrency.maybe_raise()
        # Anything still unresolved had a dependency that never completed.
        for tid in self.deps:
            self.outcomes.setdefault(tid, TaskOutcome(tid, "blocked", "dependencies did not complete"))
        return self.outcomes

    def _start_ready(self, tg: TaskGroup, send: anyio.abc.ObjectSendStream[TaskOutcome]) -> None:
        while True:  # blocking or skipping one task can settle others in the same pass
            settled = len(self.outcomes)
            for tid in self._ready():
                if len(self._running) >= self.concurrency.current:
                    return
                reason = self.can_start(tid)
                if reason is not None:
                    if self._running:
                        return  # running tasks may hand back part of what they reserved: decide then
                    self.outcomes[tid] = TaskOutcome(tid, "skipped", reason)
                    continue
                self._running.add(tid)
                tg.start_soon(self._one, tid, send)
            if len(self.outcomes) == settled:
                return

    async def _one(self, tid: str, send: anyio.abc.ObjectSendStream[TaskOutcome]) -> None:
        try:
            outcome = await self.run_task(tid)
        except Exception as err:  # a crash in one task's machinery must not take down the run
            outcome = TaskOutcome(tid, "failed", f"internal error: {type(err).__name__}: {err}")
        await send.send(outcome)
