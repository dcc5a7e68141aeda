"""Where a run's attempts happen: the contract every executor keeps, and the choice between them.

The coordinator places a task (its branch, and its worktree on this machine), asks for attempts, merges
what they verify, and finishes the task. `local` runs attempts in worktrees here; `ray` runs each one on a
Ray worker from a git bundle and takes the new commits back (`ray_executor.py`, imported only when chosen,
since Ray is an optional extra).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from shopfloor.gate.report import GateTask
from shopfloor.orchestrator.ahead import Integration
from shopfloor.orchestrator.attempt import AttemptResult, GateCount
from shopfloor.orchestrator.events import RunEvent
from shopfloor.orchestrator.executor import LocalExecutor, Placement
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.preflight import RunSetupError
from shopfloor.queue.routing import Route
from shopfloor.queue.tasks import Task

ExecutorKind = Literal["local", "ray"]
RAY_MISSING = "--executor ray needs Ray, an optional extra: pip install 'shopfloor[ray]'"


class RunningAttempt(Protocol):
    """One attempt as the coordinator drives it (`attempt.Attempt` here; a remote one on Ray)."""

    task_id: str
    n: int
    verified_tree: str | None

    @property
    def transcript(self) -> str | None: ...

    async def run(self, note: str = "") -> AttemptResult: ...

    async def resume(self, message: str) -> AttemptResult: ...

    async def save(self, why: str) -> None: ...

    async def aclose(self) -> None: ...


class Executor(Protocol):
    async def place(self, task_id: str, deps: list[str]) -> Placement: ...

    def attempt(
        self,
        task: Task,
        route: Route,
        placement: Placement,
        n: int,
        *,
        gate_task: GateTask,
        gates: GateCount,
        on_gate: Callable[[], None] | None = None,
    ) -> RunningAttempt:
        """One attempt; `on_gate` is called when its gate starts (so the coordinator may look ahead)."""
        ...

    async def save(self, placement: Placement, message: str) -> None: ...

    async def start_merge(self, placement: Placement, integration: str) -> str:
        """Have the task's tree merge `integration` (left for its agent to resolve); what to tell it."""
        ...

    async def finish(self, placement: Placement) -> None: ...

    async def make_ahead(self, task_id: str, at: str | None) -> None:
        """Prepare a task's place before it starts, at commit `at` or the integration branch (may do
        nothing where places are made elsewhere)."""
        ...

    async def release(self, placement: Placement) -> None:
        """A merged task's place is no longer needed (its branch stays)."""
        ...

    async def drop_unused(self) -> None:
        """Places prepared ahead for tasks that never started are removed; the run is ending."""
        ...

    async def aclose(self) -> None:
        """Release what the executor holds (services, a Ray connection); the run is over."""
        ...


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def build_executor(
    kind: ExecutorKind,
    project: Path,
    integration: str,
    launcher: AgentLauncher,
    emit: Callable[[RunEvent], None],
    *,
    ray_address: str | None = None,
    known: Integration | None = None,
) -> Executor:
    """`known`: what the run's merge queue knows of the integration branch (saves git calls)."""
    if kind == "local":
        return LocalExecutor(project, integration, launcher, emit, known=known)
    if not ray_available():
        raise RunSetupError(RAY_MISSING)
    from shopfloor.orchestrator.ray_executor import RayExecutor

    return RayExecutor(project, integration, launcher, emit, address=ray_address)
