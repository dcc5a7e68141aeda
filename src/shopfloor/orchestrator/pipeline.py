"""`shopfloor run`: PRD -> task queue -> routed agents in parallel worktrees -> gate -> merge queue."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from shopfloor.agent.events import Notice
from shopfloor.agent.setup import AgentSetupError, open_mcp
from shopfloor.config.settings import Settings
from shopfloor.layout import Layout
from shopfloor.models.base import ModelConfigError, Usage
from shopfloor.models.retry import BackoffRegistry, ThrottleEvent
from shopfloor.orchestrator.coordinator import Coordinator
from shopfloor.orchestrator.delivery import (
    Delivery,
    IntegrationError,
    Undelivered,
    deliver,
    start_integration,
)
from shopfloor.orchestrator.events import EventBus, ProviderThrottled, RunEvent, RunStatusChanged
from shopfloor.orchestrator.executors import build_executor
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.merge_queue import MergeQueue, is_ancestor
from shopfloor.orchestrator.pidfile import RunLock, live_run_pid
from shopfloor.orchestrator.planning import Planner, PlanningError, queue_problems
from shopfloor.orchestrator.preflight import RunSetupError, check_before_run, model_problems, model_uses
from shopfloor.orchestrator.recorder import GateReportWriter, QueueStatusWriter, StoreRecorder
from shopfloor.orchestrator.run_options import RunOptions
from shopfloor.orchestrator.scheduler import Concurrency, TaskOutcome
from shopfloor.orchestrator.spend import RunSpend
from shopfloor.orchestrator.state_records import RunRecord
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.store_errors import StoreError
from shopfloor.orchestrator.worktrees import WorktreeError, ensure_repo
from shopfloor.queue.tasks import load_task_queue
from shopfloor.vcs import GitError, git_path, tidy


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
    note: str = ""
    """What is left to do, when the run could not finish by itself (e.g. the checkout was not updated)."""

    @property
    def ok(self) -> bool:
        return (
            not self.aborted
            and not self.note
            and all(o.verdict == "completed" for o in self.outcomes.values())
        )


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
    branch: str
    """The user's branch, which gets the run's work when it ends."""
    integration: str
    """The branch the run merges verified tasks into meanwhile (see `delivery.py`)."""

    def deliver(self) -> Delivery:
        """The run's work onto the user's branch, then the repository tidied once (git's own upkeep, held
        back during the run)."""
        try:
            return deliver(self.project, self.branch, self.integration)
        except GitError as err:  # the branch deleted or renamed meanwhile, a repository in a bad state
            return Undelivered(
                self.branch,
                self.integration,
                [],
                f"the verified work is on {self.integration} but {self.branch} could not be updated ({err}); "
                f"merge it yourself (`git merge {self.integration}`)",
            )
        finally:
            tidy(self.project)


def open_run(
    project: Path, settings: Settings, options: RunOptions, listeners: list[Callable[[RunEvent], None]]
) -> Run:
    try:
        repo = ensure_repo(project)
        store = Store.for_project(project)
    except (WorktreeError, GitError, StoreError) as err:
        raise RunSetupError(str(err)) from err
    record = None
    if options.resume:
        last = store.latest_run()
        if last is not None and last.status != "completed":
            record = last
            _take_over(store, record.id)
    branch = (options.branch if options.resume else None) or repo.branch
    if record is None:
        stored = options.model_copy(update={"branch": branch, "resume": False})
        record = store.open_run(budget_usd=settings.run.budget_usd, config=settings, options=stored)
    try:
        integration = start_integration(project, branch)
    except (IntegrationError, GitError) as err:
        store.finish_run(record.id, "failed", str(err))
        store.close()
        raise RunSetupError(str(err)) from err
    run_id = record.id
    concurrency = Concurrency(settings.run.parallel)
    spend = RunSpend(settings.run.budget_usd, settings.run.task_budget_usd or settings.limits.budget_usd)
    spend.spent_usd = store.run_cost(run_id)
    statuses = QueueStatusWriter(Layout(project).task_queue)
    bus = EventBus([StoreRecorder(store, run_id), statuses, spend])
    bus.subscribe(GateReportWriter(project))
    for listener in listeners:
        bus.subscribe(listener)
    if options.resume:
        bus.emit(RunStatusChanged(status="running"))
    if repo.first is not None:
        bus.emit(Notice(message=repo.first.describe()))
    if not is_ancestor(project, integration, branch):
        bus.emit(
            Notice(
                message=f"{integration} holds verified work not yet in {branch}; this run builds on it and "
                f"brings it into {branch} when it ends"
            )
        )

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
        queue_written=statuses.flush,
        settings=settings,
        run_id=run_id,
        backoffs=BackoffRegistry(on_throttle=throttled),
        guard=spend.guard,
        model_override=options.model,
        mcp=open_mcp(project, log_dir=Layout(project).runs_dir / f"run-{run_id}"),
    )

    def merged_commit(task_id: str) -> str | None:
        found = store.task(run_id, task_id)
        return found.merged_commit if found is not None else None

    merge_queue = MergeQueue(project, integration)
    try:
        executor = build_executor(
            options.executor,
            project,
            integration,
            launcher,
            bus.emit,
            ray_address=options.ray_address,
            known=merge_queue,
        )
    except RunSetupError as err:
        store.finish_run(record.id, "failed", str(err))
        store.close()
        raise
    coordinator = Coordinator(
        project=project,
        settings=settings,
        executor=executor,
        merge_queue=merge_queue,
        spend=spend,
        concurrency=concurrency,
        emit=bus.emit,
        merged_commit=merged_commit,
    )
    bus.subscribe(coordinator.observe)
    planner = Planner(project, settings.run.tdd, launcher, bus.emit)
    return Run(project, settings, store, run_id, bus, launcher, planner, coordinator, branch, integration)


def last_run(project: Path) -> RunRecord | None:
    """The project's latest run, if any, read without changing anything."""
    db = Layout(project).state_db
    if not db.exists():
        return None
    try:
        with Store(db, read_only=True) as store:
            return store.latest_run()
    except StoreError as err:
        raise RunSetupError(str(err)) from err


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
    """Run the whole pipeline once; SIGTERM/SIGINT stop agents cleanly and keep every worktree.

    Everything that can be checked without a model is checked before anything is written (RunSetupError).
    """
    project = project.resolve()
    decompose = check_before_run(project, settings, options)
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
    servers = run.launcher.mcp
    try:
        if servers is not None:
            await servers.start()
        return await _run_guarded(run, options, decompose)
    except (RunSetupError, AgentSetupError, ModelConfigError) as err:
        run.bus.emit(RunStatusChanged(status="failed", finished=time.time(), note=str(err)))
        raise
    finally:
        try:
            if servers is not None:
                await servers.stop()
            await run.coordinator.executor.aclose()  # the run's services stop with it
        finally:
            run.store.close()
            lock.release()


async def _run_guarded(run: Run, options: RunOptions, decompose: bool) -> RunReport:
    """The run, stopped cleanly by SIGTERM/SIGINT (what was verified and merged still reaches the user)."""
    report: RunReport | None = None
    with anyio.CancelScope() as scope:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_stop_on_signal, scope)
                report = await _run(run, options, decompose)
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:  # one failing branch: surface its own error
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
    if report is None:  # cancelled by a signal: what was verified and merged still reaches the user
        delivery = await anyio.to_thread.run_sync(run.deliver)
        report = _finish(run, _where_it_stopped(run), delivery, aborted=True)
    return report


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _run(run: Run, options: RunOptions, decompose: bool) -> RunReport:
    if decompose:
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

        async def deliver_first() -> None:  # research reads the checkout: bring the work there first
            await anyio.to_thread.run_sync(run.deliver)

        outcomes.update(
            await improvement_loops(
                run.project, run.planner, run.coordinator, run.bus, options.loops, deliver_first
            )
        )
    return _finish(run, outcomes, await anyio.to_thread.run_sync(run.deliver))


def preflight_models(run: Run) -> None:
    """Build each model the pending tasks are routed to once (after decomposition wrote the queue), so a
    missing key or a bad spec stops the run before any task starts instead of failing every task in turn."""
    tasks = load_task_queue(Layout(run.project).task_queue).tasks
    uses = model_uses(run.project, run.settings, run.launcher.model_override, tasks)
    problems = model_problems(run.project, run.settings, uses)
    if problems:
        raise RunSetupError(problems[0])


def _where_it_stopped(run: Run) -> dict[str, TaskOutcome]:
    """Each task of the queue when a run is stopped: completed, or left for `shopfloor resume`."""
    try:
        tasks = load_task_queue(Layout(run.project).task_queue).tasks
    except (OSError, ValueError):
        return {}
    done = {t.task_id for t in run.store.tasks(run.run_id) if t.status == "completed"}
    return {
        t.id: TaskOutcome(t.id, "completed")
        if t.id in done or t.status == "completed"
        else TaskOutcome(t.id, "skipped", "the run stopped first")
        for t in tasks
    }


def _finish(
    run: Run, outcomes: dict[str, TaskOutcome], delivery: Delivery, *, aborted: bool = False
) -> RunReport:
    bills = run.store.task_costs(run.run_id)
    costs = {c.task_id: c.cost_usd for c in bills}
    ok = all(o.verdict == "completed" for o in outcomes.values())
    note = delivery.reason if isinstance(delivery, Undelivered) else ""
    status = "aborted" if aborted else ("paused" if note else "completed" if ok else "failed")
    if note:
        run.bus.emit(Notice(message=note))
    run.bus.emit(RunStatusChanged(status=status, finished=time.time(), note=note))
    return RunReport(
        run_id=run.run_id,
        status=status,
        outcomes=outcomes,
        costs=costs,
        total_cost_usd=sum(costs.values()),
        aborted=aborted,
        usage=sum((c.usage for c in bills), Usage()),
        cache_saved_usd=sum(c.cache_saved_usd for c in bills),
        note=note,
    )
