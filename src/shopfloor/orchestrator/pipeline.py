"""`shopfloor run`: PRD -> task queue -> routed agents in parallel worktrees -> gate -> merge queue."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from shopfloor.agent.events import Event
from shopfloor.config.settings import Settings
from shopfloor.layout import Layout
from shopfloor.models.base import ModelConfigError, Usage
from shopfloor.models.retry import BackoffRegistry, ThrottleEvent
from shopfloor.orchestrator.attempt import TaskRun
from shopfloor.orchestrator.context import RunContext, RunSpend
from shopfloor.orchestrator.merge_queue import MergeQueue
from shopfloor.orchestrator.pidfile import live_run_pid
from shopfloor.orchestrator.planning import PlanningError, decompose, queue_problems
from shopfloor.orchestrator.scheduler import Concurrency, Scheduler, TaskOutcome, Verdict
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.tdd import is_test_first, protected_test_files
from shopfloor.orchestrator.worktrees import ensure_repo
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import Status, load_task_queue, update_task_statuses
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


_QUEUE_STATUS: dict[str, Status] = {
    "completed": "completed",
    "failed": "failed",
    "blocked": "blocked",
    "skipped": "pending",
}


def open_context(project: Path, settings: Settings, options: RunOptions) -> RunContext:
    repo = ensure_repo(project)
    store = Store.for_project(project)
    run = None
    if options.resume:
        last = store.latest_run()
        if last is not None and last.status != "completed":
            run = last
            store.set_run_status(run.id, "running")
            _take_over(store, run.id)
    if run is None:
        run = store.open_run(budget_usd=settings.run.budget_usd, config=settings)
    run_id = run.id
    concurrency = Concurrency(settings.run.parallel)
    spend = RunSpend(settings.run.budget_usd, settings.run.task_budget_usd or settings.limits.budget_usd)
    spend.spent_usd = store.run_cost(run_id)

    def throttled(event: ThrottleEvent) -> None:
        concurrency.lower()
        store.record_event(
            run_id,
            "throttle",
            {
                "provider": event.provider,
                "status": event.status,
                "pause_s": event.pause_s,
                "throttled_count": event.throttled_count,
                "concurrency": concurrency.current,
            },
        )

    return RunContext(
        project=project,
        settings=settings,
        store=store,
        run_id=run_id,
        integration=repo.branch,
        merge_queue=MergeQueue(project, repo.branch),
        backoffs=BackoffRegistry(on_throttle=throttled),
        concurrency=concurrency,
        spend=spend,
        model_override=options.model,
    )


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
    listeners: list[Callable[[Event], None]] | None = None,
) -> RunReport:
    """Run the whole pipeline once; SIGTERM/SIGINT stop agents cleanly and keep every worktree."""
    project = project.resolve()
    queue_missing = not Layout(project).task_queue.exists()
    if (queue_missing or options.decompose) and not (project / "PRD.md").is_file():
        raise RunSetupError(PRD_HELP.format(project=project))
    running = live_run_pid(project)
    if running is not None:
        raise RunSetupError(
            f"another shopfloor run (pid {running}) is working in {project}; wait for it to end or stop "
            "it with `shopfloor abort`"
        )
    rc = open_context(project, settings, options)
    rc.listeners.extend(listeners or [])
    pid_file = Layout(project).run_lock
    pid_file.write_text(str(os.getpid()), encoding="utf-8")
    report: RunReport | None = None
    try:
        with anyio.CancelScope() as scope:
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(_stop_on_signal, scope)
                    report = await _run(rc, options, queue_missing)
                    tg.cancel_scope.cancel()
            except BaseExceptionGroup as group:  # one failing branch: surface its own error
                if len(group.exceptions) == 1:
                    raise group.exceptions[0] from None
                raise
        if report is None:  # cancelled by a signal
            report = _finish(rc, {}, aborted=True)
        return report
    finally:
        pid_file.unlink(missing_ok=True)
        rc.store.close()


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _run(rc: RunContext, options: RunOptions, queue_missing: bool) -> RunReport:
    if queue_missing or options.decompose:
        rc.store.record_event(rc.run_id, "run_status", {"status": "decomposing"})
        try:
            await decompose(rc)
        except PlanningError as err:
            raise RunSetupError(f"decomposition failed: {err}") from err
    problems = queue_problems(rc)
    if problems:
        raise RunSetupError("the task queue has problems:\n" + "\n".join(f"  {p}" for p in problems))
    preflight_models(rc)
    outcomes = await run_tasks(rc, options.task_ids)
    if options.loops:
        from shopfloor.orchestrator.improve import improvement_loops

        outcomes.update(await improvement_loops(rc, options.loops))
    return _finish(rc, outcomes)


def preflight_models(rc: RunContext) -> None:
    """Build each model the pending tasks are routed to once, so a missing key or a bad spec stops the
    run before any task starts instead of failing every task in turn."""
    from shopfloor.models.resolve import resolve_model

    seen: set[str] = set()
    for task in load_task_queue(rc.queue_path).tasks:
        if task.status == "completed":
            continue
        spec = rc.model_spec_for(task.id, route(task, rc.settings.routing).model) or "inherit"
        if spec in seen or spec.startswith("scripted:"):
            continue
        seen.add(spec)
        try:
            resolve_model(spec, agent_model=None, settings=rc.settings.models, base_dir=rc.project)
        except ModelConfigError as err:
            raise RunSetupError(f"{task.id}: {err}") from err


async def run_tasks(rc: RunContext, only: list[str] | None = None) -> dict[str, TaskOutcome]:
    """Schedule every unfinished task of the queue (or just `only`), keeping the queue file's statuses."""
    queue = load_task_queue(rc.queue_path)
    tasks = {t.id: t for t in queue.tasks}
    done: dict[str, Verdict] = {
        tid: "completed" for tid, t in tasks.items() if t.status == "completed" or _merged(rc, tid)
    }
    if only:
        done.update({tid: "completed" for tid in tasks if tid not in only and tid not in done})
    deps = {tid: [d for d in t.dependencies if d in tasks] for tid, t in tasks.items()}
    rc.tasks_per_agent = dict(
        Counter(route(t, rc.settings.routing).agent for t in tasks.values() if t.id not in done)
    )

    async def one(tid: str) -> TaskOutcome:
        update_task_statuses(rc.queue_path, {tid: "in_progress"})
        try:
            task = tasks[tid]
            protected = await anyio.to_thread.run_sync(protected_test_files, rc, task, tasks)
            runner = TaskRun(rc, task, deps[tid], test_first=is_test_first(task, tasks), protected=protected)
            outcome = await runner.run()
        except BaseException:
            update_task_statuses(rc.queue_path, {tid: "pending"})
            raise
        update_task_statuses(rc.queue_path, {tid: _QUEUE_STATUS[outcome.verdict]})
        return outcome

    scheduler = Scheduler(deps, one, concurrency=rc.concurrency, can_start=rc.spend.claim, done=dict(done))
    outcomes = await scheduler.run()
    for tid, outcome in outcomes.items():
        if outcome.verdict in ("blocked", "skipped") and tid not in done:
            rc.status(tid, outcome.verdict, reason=outcome.reason)
            update_task_statuses(rc.queue_path, {tid: _QUEUE_STATUS[outcome.verdict]})
    return outcomes


def _merged(rc: RunContext, task_id: str) -> bool:
    """Verified and merged by an earlier (perhaps killed) run: never redone."""
    record = rc.store.task(rc.run_id, task_id)
    return record is not None and record.merged_commit is not None


def _finish(rc: RunContext, outcomes: dict[str, TaskOutcome], *, aborted: bool = False) -> RunReport:
    bills = rc.store.task_costs(rc.run_id)
    costs = {c.task_id: c.cost_usd for c in bills}
    ok = all(o.verdict == "completed" for o in outcomes.values())
    status = "aborted" if aborted else ("completed" if ok else "failed")
    rc.store.finish_run(rc.run_id, status)
    rc.store.record_event(rc.run_id, "run_status", {"status": status, "finished": time.time()})
    return RunReport(
        run_id=rc.run_id,
        status=status,
        outcomes=outcomes,
        costs=costs,
        total_cost_usd=sum(costs.values()),
        aborted=aborted,
        usage=sum((c.usage for c in bills), Usage()),
        cache_saved_usd=sum(c.cache_saved_usd for c in bills),
    )
