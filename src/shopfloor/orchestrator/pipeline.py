"""`shopfloor run`: PRD -> task queue -> routed agents in parallel worktrees -> gate -> merge queue."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from shopfloor.config.settings import Settings
from shopfloor.layout import Layout
from shopfloor.models.base import ModelConfigError, Usage
from shopfloor.models.retry import BackoffRegistry, ThrottleEvent
from shopfloor.orchestrator.coordinator import Coordinator
from shopfloor.orchestrator.events import EventBus, ProviderThrottled, RunEvent, RunStatusChanged
from shopfloor.orchestrator.executor import LocalExecutor
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.merge_queue import MergeQueue
from shopfloor.orchestrator.pidfile import RunLock, live_run_pid
from shopfloor.orchestrator.planning import Planner, PlanningError, queue_problems
from shopfloor.orchestrator.recorder import GateReportWriter, QueueStatusWriter, StoreRecorder
from shopfloor.orchestrator.scheduler import Concurrency, TaskOutcome
from shopfloor.orchestrator.spend import RunSpend
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.worktrees import ensure_repo
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import load_task_queue
from shopfloor.tools.sandbox import refusal, sandbox_support
from shopfloor.vcs import git_path

PRD_HELP = (
    "PRD.md not found in {project}. Write one (what to build, for whom, requirements and acceptance "
    "criteria), or run `shopfloor init` to scaffold PRD.md and .shopfloor/ config."
)


class RunSetupError(Exception):
    """The project cannot be run as it stands (exit code 2); the message says what to do."""


@dataclass
class RunOptions:
    decompose: bool = False
    model: str | None = None
    """A model spec for every agent; `scripted:DIR` plays DIR/<TASK-ID>.yaml for each task."""
    loops: int = 0
    resume: bool = False
    task_ids: list[str] = field(default_factory=list)
    """Run only these tasks (and nothing else), when given."""


@dataclass
class RunReport:
    run_id: int
    status: str
    outcomes: dict[str, TaskOutcome]
    costs: dict[str, float]
    total_cost_usd: float
    aborted: bool = False
    usage: Usage = field(default_factory=Usage)
    """Every task's tokens together, cache reads and writes included."""
    cache_saved_usd: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.aborted and all(o.verdict == "completed" for o in self.outcomes.values())


@dataclass
class Run:
    """One run's parts, wired together: the bus and its listeners, the planner and the coordinator."""

    project: Path
    settings: Settings
    store: Store
    run_id: int
    bus: EventBus
    launcher: AgentLauncher
    planner: Planner
    coordinator: Coordinator


def open_run(
    project: Path, settings: Settings, options: RunOptions, listeners: list[Callable[[RunEvent], None]]
) -> Run:
    repo = ensure_repo(project)
    store = Store.for_project(project)
    record = None
    if options.resume:
        last = store.latest_run()
        if last is not None and last.status != "completed":
            record = last
            _take_over(store, record.id)
    if record is None:
        record = store.open_run(budget_usd=settings.run.budget_usd, config=settings)
    run_id = record.id
    concurrency = Concurrency(settings.run.parallel)
    spend = RunSpend(settings.run.budget_usd, settings.run.task_budget_usd or settings.limits.budget_usd)
    spend.spent_usd = store.run_cost(run_id)
    bus = EventBus([StoreRecorder(store, run_id), QueueStatusWriter(Layout(project).task_queue), spend])
    bus.subscribe(GateReportWriter(project))
    for listener in listeners:
        bus.subscribe(listener)
    if options.resume:
        bus.emit(RunStatusChanged(status="running"))

    def throttled(event: ThrottleEvent) -> None:
        concurrency.lower()
        bus.emit(
            ProviderThrottled(
                provider=event.provider,
                status=event.status,
                pause_s=event.pause_s,
                throttled_count=event.throttled_count,
                concurrency=concurrency.current,
            )
        )

    launcher = AgentLauncher(
        project=project,
        settings=settings,
        run_id=run_id,
        backoffs=BackoffRegistry(on_throttle=throttled),
        guard=spend.guard,
        model_override=options.model,
    )

    def merged_commit(task_id: str) -> str | None:
        found = store.task(run_id, task_id)
        return found.merged_commit if found is not None else None

    coordinator = Coordinator(
        project=project,
        settings=settings,
        executor=LocalExecutor(project, repo.branch, launcher, bus.emit),
        merge_queue=MergeQueue(project, repo.branch),
        spend=spend,
        concurrency=concurrency,
        emit=bus.emit,
        merged_commit=merged_commit,
    )
    planner = Planner(project, settings.run.tdd, launcher, bus.emit)
    return Run(project, settings, store, run_id, bus, launcher, planner, coordinator)


def _take_over(store: Store, run_id: int) -> None:
    """Close what a stopped or killed run left open: unfinished attempts, live statuses, git locks.

    Only shopfloor and its agents use a task's worktree, and no run is live (checked first), so an
    index.lock there is left from a git command the kill cut short.
    """
    for task in store.tasks(run_id):
        if task.worktree and Path(task.worktree).is_dir():
            git_path(Path(task.worktree), "index.lock").unlink(missing_ok=True)
        for attempt in store.attempts(run_id, task.task_id):
            if attempt.outcome is None:
                store.finish_attempt(run_id, task.task_id, attempt.n, "interrupted")
        if task.status in ("in_progress", "verifying", "merging"):
            store.upsert_task(run_id, task.task_id, status="pending")


async def run_project(
    project: Path,
    settings: Settings,
    options: RunOptions,
    listeners: list[Callable[[RunEvent], None]] | None = None,
) -> RunReport:
    """Run the whole pipeline once; SIGTERM/SIGINT stop agents cleanly and keep every worktree."""
    project = project.resolve()
    queue_missing = not Layout(project).task_queue.exists()
    if (queue_missing or options.decompose) and not (project / "PRD.md").is_file():
        raise RunSetupError(PRD_HELP.format(project=project))
    if settings.sandbox.enabled and not (support := sandbox_support()).available:
        # Every run runs agents' code: their Bash, and the gate's checks of what they wrote.
        raise RunSetupError(refusal(support.reason))
    lock = RunLock(project)
    if not lock.acquire():
        running = live_run_pid(project)
        who = f" (pid {running})" if running and running > 0 else ""
        raise RunSetupError(
            f"another shopfloor run{who} is working in {project}; wait for it to end or stop it with "
            "`shopfloor abort`"
        )
    try:
        run = open_run(project, settings, options, listeners or [])
    except BaseException:
        lock.release()
        raise
    report: RunReport | None = None
    try:
        with anyio.CancelScope() as scope:
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_stop_on_signal, scope)
                    report = await _run(run, options, queue_missing)
                    tg.cancel_scope.cancel()
            except BaseExceptionGroup as group:  # one failing branch: surface its own error
                if len(group.exceptions) == 1:
                    raise group.exceptions[0] from None
                raise
        if report is None:  # cancelled by a signal
            report = _finish(run, {}, aborted=True)
        return report
    finally:
        run.store.close()
        lock.release()


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _run(run: Run, options: RunOptions, queue_missing: bool) -> RunReport:
    if queue_missing or options.decompose:
        run.bus.emit(RunStatusChanged(status="decomposing"))
        try:
            await run.planner.decompose()
        except PlanningError as err:
            raise RunSetupError(f"decomposition failed: {err}") from err
    problems = queue_problems(Layout(run.project).task_queue)
    if problems:
        raise RunSetupError("the task queue has problems:\n" + "\n".join(f"  {p}" for p in problems))
    preflight_models(run)
    run.bus.emit(RunStatusChanged(status="running"))
    outcomes = await run.coordinator.run_tasks(options.task_ids)
    if options.loops:
        from shopfloor.orchestrator.improve import improvement_loops

        outcomes.update(
            await improvement_loops(run.project, run.planner, run.coordinator, run.bus, options.loops)
        )
    return _finish(run, outcomes)


def preflight_models(run: Run) -> None:
    """Build each model the pending tasks are routed to once, so a missing key or a bad spec stops the
    run before any task starts instead of failing every task in turn."""
    from shopfloor.models.resolve import resolve_model

    seen: set[str] = set()
    for task in load_task_queue(Layout(run.project).task_queue).tasks:
        if task.status == "completed":
            continue
        spec = run.launcher.spec_for(task.id, route(task, run.settings.routing).model) or "inherit"
        if spec in seen or spec.startswith("scripted:"):
            continue
        seen.add(spec)
        try:
            resolve_model(spec, agent_model=None, settings=run.settings.models, base_dir=run.project)
        except ModelConfigError as err:
            raise RunSetupError(f"{task.id}: {err}") from err


def _finish(run: Run, outcomes: dict[str, TaskOutcome], *, aborted: bool = False) -> RunReport:
    bills = run.store.task_costs(run.run_id)
    costs = {c.task_id: c.cost_usd for c in bills}
    ok = all(o.verdict == "completed" for o in outcomes.values())
    status = "aborted" if aborted else ("completed" if ok else "failed")
    run.bus.emit(RunStatusChanged(status=status, finished=time.time()))
    return RunReport(
        run_id=run.run_id,
        status=status,
        outcomes=outcomes,
        costs=costs,
        total_cost_usd=sum(costs.values()),
        aborted=aborted,
        usage=sum((c.usage for c in bills), Usage()),
        cache_saved_usd=sum(c.cache_saved_usd for c in bills),
    )
