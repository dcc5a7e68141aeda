"""The coordinator: schedules the queue's tasks, drives each through its attempts, and merges.

It alone merges and decides what becomes of a task; what it learns goes out as events, which the state
store, the queue file and the live views record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
from anyio.abc import TaskGroup

from shopfloor.agent.events import ModelCalled
from shopfloor.config.settings import Settings
from shopfloor.gate.feedback import format_failure_report
from shopfloor.layout import Layout
from shopfloor.orchestrator.attempt import (
    AttemptResult,
    Crashed,
    GateCount,
    GateRejected,
    Verified,
    describe,
    may_retry,
    result_name,
)
from shopfloor.orchestrator.briefs import gate_task
from shopfloor.orchestrator.events import (
    AttemptEnded,
    AttemptStarted,
    FailureReported,
    MergeConflicted,
    RunEvent,
    TaskMerged,
    TaskPhase,
    TaskPlaced,
    TaskStarted,
    TaskStatus,
)
from shopfloor.orchestrator.executor import AlreadyMerged, Placement, VerifiedUnmerged
from shopfloor.orchestrator.executors import Executor, RunningAttempt
from shopfloor.orchestrator.merge_queue import MergeConflict, Merged, MergeQueue, MergeRefused
from shopfloor.orchestrator.scheduler import Concurrency, Scheduler, TaskOutcome, Verdict
from shopfloor.orchestrator.spend import RunSpend
from shopfloor.orchestrator.tdd import is_test_first, protected_test_files
from shopfloor.orchestrator.worktrees import Worktree
from shopfloor.queue.routing import Route, route
from shopfloor.queue.tasks import Task, load_task_queue
from shopfloor.queue.vocabulary import priority_rank


@dataclass(frozen=True)
class MergeFailed:
    """The verified work could not be merged: conflicts kept coming back, or the checkout refused."""

    reason: str
    retry: bool


Settled = Merged | MergeFailed | AttemptResult


class Coordinator:
    def __init__(
        self,
        *,
        project: Path,
        settings: Settings,
        executor: Executor,
        merge_queue: MergeQueue,
        spend: RunSpend,
        concurrency: Concurrency,
        emit: Callable[[RunEvent], None],
        merged_commit: Callable[[str], str | None],
    ) -> None:
        self.project = project
        self.settings = settings
        self.executor = executor
        self.merge_queue = merge_queue
        self.spend = spend
        self.concurrency = concurrency
        self.emit = emit
        self.merged_commit = merged_commit
        """The merge commit of a task verified and merged by this run or an earlier one, if any."""
        self._background: TaskGroup | None = None
        """Work no task waits for (building merges and worktrees ahead, removing merged worktrees)."""
        self._deps: dict[str, list[str]] = {}
        self._done: set[str] = set()
        self._started: set[str] = set()
        self._warm_up: GateWarmUp | None = None

    def observe(self, event: RunEvent) -> None:
        """A listener on the run's events: the first model request lets the gate's warm-up begin."""
        if isinstance(event, ModelCalled) and self._warm_up is not None:
            self._warm_up.begin()

    async def run_tasks(self, only: list[str] | None = None) -> dict[str, TaskOutcome]:
        """Schedule every unfinished task of the queue (or just `only`)."""
        queue = load_task_queue(Layout(self.project).task_queue)
        tasks = {t.id: t for t in queue.tasks}
        done: dict[str, Verdict] = {
            tid: "completed"
            for tid, t in tasks.items()
            if t.status == "completed" or self.merged_commit(tid) is not None
        }
        if only:
            done.update({tid: "completed" for tid in tasks if tid not in only and tid not in done})
        deps = {tid: [d for d in t.dependencies if d in tasks] for tid, t in tasks.items()}
        self._deps, self._done, self._started = deps, set(done), set()

        async def one(tid: str) -> TaskOutcome:
            return await self.drive(tasks[tid], deps[tid], tasks)

        scheduler = Scheduler(
            deps,
            one,
            concurrency=self.concurrency,
            can_start=self.spend.claim,
            done=done,
            priority=lambda tid: priority_rank(tasks[tid].priority),
        )
        async with anyio.create_task_group() as tg:
            self._background = tg
            # The gate's modules and scanners load while the first agents wait on their models: not in
            # their gates, and not while the first tasks are being set up (the imports would hold the
            # interpreter's lock that their setup needs).
            self._warm_up = warm = GateWarmUp(scanners=self.settings.gate.run_security)
            tg.start_soon(partial(anyio.to_thread.run_sync, warm.load, abandon_on_cancel=True))
            try:
                outcomes = await scheduler.run()
            finally:
                self._background = None
                warm.cancel()
            tg.start_soon(self.executor.drop_unused)
        for tid, outcome in outcomes.items():
            if outcome.verdict in ("blocked", "skipped") and tid not in done:
                self.emit(TaskStatus(task_id=tid, status=outcome.verdict, reason=outcome.reason))
        return outcomes

    async def drive(self, task: Task, deps: list[str], tasks: dict[str, Task]) -> TaskOutcome:
        """One task, start to finish, within its deadline; its budget reservation is held meanwhile."""
        tid = task.id
        routed = route(task, self.settings.routing)
        deadline = self.settings.run.task_deadline_s
        self._started.add(tid)
        self.spend.reserve(tid)
        try:
            self.emit(TaskStarted(task_id=tid, agent=routed.agent, model=routed.model))
            self.emit(TaskStatus(task_id=tid, status="in_progress"))
            self.emit(TaskPhase(task_id=tid, phase="setup", attempt=1))
            outcome = TaskOutcome(tid, "failed", f"the task deadline ({deadline:.0f}s) passed")
            with anyio.move_on_after(deadline):
                outcome = await self._attempts(task, routed, deps, tasks)
        except anyio.get_cancelled_exc_class():
            # Stopped from outside (abort, Ctrl-C): the task waits again; resume goes on from its worktree.
            self.emit(
                TaskStatus(task_id=tid, status="pending", detail="the run stopped; the worktree is kept")
            )
            raise
        finally:
            self.spend.release(tid)
        self.emit(TaskStatus(task_id=tid, status=outcome.verdict, reason=outcome.reason))
        return outcome

    async def _attempts(
        self, task: Task, routed: Route, deps: list[str], tasks: dict[str, Task]
    ) -> TaskOutcome:
        tid = task.id
        placement = await self.executor.place(tid, deps)
        wt = placement.worktree
        if placement.problem is not None:
            return TaskOutcome(tid, "failed", placement.problem)
        self.emit(TaskPlaced(task_id=tid, branch=wt.branch, worktree=str(wt.path), reused=wt.reused))
        match placement.recovered:
            case AlreadyMerged(commit=commit, report=report):
                return await self._merged(placement, Merged(tid, wt.branch, commit), report.tree_hash)
            case VerifiedUnmerged(report=report):
                merged = await self._merge_once(task, placement)
                if isinstance(merged, Merged):
                    return await self._merged(placement, merged, report.tree_hash)
                if isinstance(merged, MergeFailed):  # no agent can help with that: it waits for resume
                    return TaskOutcome(tid, "failed", merged.reason)
        protected = await anyio.to_thread.run_sync(
            protected_test_files, self.project, task, tasks, self.merged_commit
        )
        brief = gate_task(task, test_first=is_test_first(task, tasks), protected=protected)
        gates = GateCount()
        reason = "an earlier run stopped" if wt.reused else "no attempt ran"
        for n in range(1, self.settings.run.attempts + 1):
            note = ""
            if wt.reused or n > 1:
                note = (
                    "NOTE: an earlier attempt at this task stopped before it was accepted "
                    f"({reason}). Its work is kept in this worktree; review it and carry on."
                )
            attempt = self.executor.attempt(
                task,
                routed,
                placement,
                n,
                gate_task=brief,
                gates=gates,
                on_gate=partial(self._ahead, task, wt),
            )
            self.emit(AttemptStarted(task_id=tid, attempt=n))
            settled = await self._one_attempt(attempt, task, placement, note)
            if isinstance(settled, Merged):
                self._attempt_ended(attempt, "completed", "verified")
                tree = attempt.verified_tree
                return await self._merged(placement, settled, tree)
            if isinstance(settled, MergeFailed):
                reason = settled.reason
                self._attempt_ended(attempt, "failed", "merge_failed", reason)
                if not settled.retry:
                    break
                continue
            reason = describe(settled)
            self._attempt_ended(attempt, "failed", result_name(settled), reason)
            if isinstance(settled, GateRejected):
                path = await anyio.to_thread.run_sync(self._failure_report, tid, settled)
                return TaskOutcome(tid, "failed", f"{reason} (failure report: {path})")
            if not may_retry(settled):
                break
        return TaskOutcome(tid, "failed", reason)

    async def _one_attempt(
        self, attempt: RunningAttempt, task: Task, placement: Placement, note: str
    ) -> Settled:
        """Run the attempt and merge what it verifies; its work is saved however it ends."""
        try:
            result = await attempt.run(note)
            return await self._settle(attempt, task, placement, result)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await attempt.save("work saved when the run stopped")
                self._attempt_ended(attempt, "interrupted", "interrupted")
            raise
        except Exception as err:  # the agent or its machinery died: retryable, its work is kept
            while isinstance(err, ExceptionGroup) and len(err.exceptions) == 1:
                err = err.exceptions[0]
            await attempt.save("work saved after the attempt crashed")
            return Crashed(f"the attempt crashed: {type(err).__name__}: {err}")
        finally:
            await attempt.aclose()

    async def _settle(
        self, attempt: RunningAttempt, task: Task, placement: Placement, result: AttemptResult
    ) -> Settled:
        """Merge a verified result; a conflict goes back to the same session, which re-verifies."""
        tries = 0
        while isinstance(result, Verified):
            merged = await self._merge_once(task, placement, attempt.n)
            if not isinstance(merged, MergeConflict):
                return merged
            tries += 1
            if tries >= self.settings.run.merge_attempts:
                return MergeFailed(f"merge conflict in {', '.join(merged.files)} after {tries} tries", True)
            how = await self.executor.start_merge(placement, merged.integration)
            result = await attempt.resume(
                f"Your branch {merged.branch} conflicts with {merged.integration} in: "
                f"{', '.join(merged.files)}.\n{merged.details}\n\n{how}"
            )
        return result

    async def _merge_once(
        self, task: Task, placement: Placement, attempt: int = 1
    ) -> Merged | MergeConflict | MergeFailed:
        tid = task.id
        self.emit(TaskPhase(task_id=tid, phase="merge", attempt=attempt))
        self.emit(TaskStatus(task_id=tid, status="merging"))
        try:
            result = await self.merge_queue.merge(tid, placement.worktree.branch, _merge_message(task))
        except MergeRefused as err:
            return MergeFailed(str(err), False)
        if isinstance(result, MergeConflict):
            self.emit(MergeConflicted(task_id=tid, files=result.files, integration=result.integration))
        return result

    async def _merged(self, placement: Placement, merged: Merged, tree: str | None) -> TaskOutcome:
        tid = placement.worktree.task_id
        self.emit(TaskMerged(task_id=tid, commit=merged.commit, verified_tree=tree))
        self._done.add(tid)
        if self._background is not None:  # the tasks waiting on this one need not wait for these
            self._background.start_soon(self._wrap_up, placement)
        else:
            await self._wrap_up(placement)
        return TaskOutcome(tid, "completed")

    async def _wrap_up(self, placement: Placement) -> None:
        """The marker and verdict copied where a person looks for them (even when the run is being
        stopped), then the worktree removed unless kept."""
        with anyio.CancelScope(shield=True):
            await self.executor.finish(placement)
        if self.settings.run.keep_worktrees == "failed":
            await self.executor.release(placement)

    def _ahead(self, task: Task, wt: Worktree) -> None:
        """The task's gate started: build its merge and its dependents' worktrees beside it."""
        if self._background is not None:
            self._background.start_soon(self._look_ahead, task, wt)

    async def _look_ahead(self, task: Task, wt: Worktree) -> None:
        at = await self.merge_queue.prepare(task.id, wt.branch, _merge_message(task))
        for tid, deps in self._deps.items():
            waiting = task.id in deps and tid not in self._started and tid not in self._done
            if waiting and all(d in self._done or d == task.id for d in deps):
                await self.executor.make_ahead(tid, at)

    def _attempt_ended(self, attempt: RunningAttempt, outcome: str, result: str, reason: str = "") -> None:
        self.emit(
            AttemptEnded(
                task_id=attempt.task_id,
                attempt=attempt.n,
                outcome=outcome,
                result=result,
                reason=reason,
                transcript=attempt.transcript,
            )
        )

    def _failure_report(self, task_id: str, rejected: GateRejected) -> Path:
        """What failed, the last output and the diff summary, kept beside the state for a person to read."""
        path = Layout(self.project).failure_report(task_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            format_failure_report(rejected.report, self.settings.run.gate_rounds), encoding="utf-8"
        )
        self.emit(FailureReported(task_id=task_id, path=str(path)))
        return path


class GateWarmUp:
    """Imports what a gate runs, and loads the security scanners when the checklist runs, in a worker
    thread: once the run's first agent has sent its model request (the imports would otherwise hold the
    interpreter's lock that the first tasks' setup needs), or after a few seconds without one (a setup
    can be long: a project's first install). A gate that comes first imports what it needs itself."""

    WAIT_S = 3.0

    def __init__(self, *, scanners: bool) -> None:
        self.scanners = scanners
        self._go = threading.Event()
        self._cancelled = False

    def begin(self) -> None:
        """Let the loading start now (from any thread)."""
        self._go.set()

    def cancel(self) -> None:
        """The run's tasks are over: load nothing more (what is being imported finishes)."""
        self._cancelled = True
        self._go.set()

    def load(self) -> None:
        """Blocking: wait for the go, then import."""
        self._go.wait(self.WAIT_S)
        if self._cancelled:
            return
        import shopfloor.gate.verify  # noqa: F401

        if self.scanners:
            from shopfloor.gate.security import warm_up_scanners

            warm_up_scanners()


def _merge_message(task: Task) -> str:
    return f"Merge {task.id}: {task.objective[:60]}"
