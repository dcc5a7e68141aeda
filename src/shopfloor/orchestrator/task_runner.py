"""One task, start to finish: worktree, agent, commits, the gate, retries, the merge queue.

A task's run depends only on (task, repository, settings): everything it shares with other tasks
goes through the RunContext, so an executor could run it elsewhere.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio

from shopfloor.agent import AgentLoop, AgentResult
from shopfloor.gate import GateReport, GateTask, format_report_for_agent, run_gate, write_verdict_marker
from shopfloor.orchestrator.context import RunContext
from shopfloor.orchestrator.git import git
from shopfloor.orchestrator.markers import clear_markers, mirror_marker
from shopfloor.orchestrator.merge_queue import MergeConflict, Merged
from shopfloor.orchestrator.routing import route
from shopfloor.orchestrator.scheduler import TaskOutcome
from shopfloor.orchestrator.worktrees import Worktree, branch_name, commit_all, create_worktree
from shopfloor.prompts import AgentTask
from shopfloor.runner import AgentRun, PreparedAgent, prepare
from shopfloor.tasks import Task


def agent_task(task: Task, workdir: Path, note: str = "") -> AgentTask:
    extra = []
    for title, value in (
        ("DATA MODELS", task.data_models),
        ("SECURITY REQUIREMENTS", task.security_requirements),
        ("FILES", task.files),
    ):
        if value:
            extra.append(f"{title}:\n{value}")
    if note:
        extra.append(note)
    return AgentTask(
        task_id=task.id,
        objective=task.objective,
        criteria=list(task.criteria),
        workdir=workdir,
        context="\n\n".join(extra),
    )


def gate_task(task: Task) -> GateTask:
    return GateTask(id=task.id, category=task.category, acceptance_criteria=list(task.criteria))


class TaskRun:
    """Drives one task through its attempts. `run()` returns the scheduler's outcome."""

    def __init__(self, rc: RunContext, task: Task, deps: list[str]):
        self.rc = rc
        self.task = task
        self.deps = deps
        self.route = route(task, rc.settings.routing)
        self.attempts = rc.settings.run.attempts

    async def run(self) -> TaskOutcome:
        rc, tid = self.rc, self.task.id
        rc.spend.reserve(tid)
        try:
            rc.store.upsert_task(
                rc.run_id, tid, agent=self.route.agent, model=self.route.model, started=time.time()
            )
            rc.status(tid, "in_progress")
            outcome = await self._attempts()
        finally:
            rc.spend.release(tid)
        rc.store.upsert_task(rc.run_id, tid, finished=time.time(), last_error=outcome.reason or None)
        rc.status(tid, outcome.verdict, reason=outcome.reason)
        return outcome

    async def _attempts(self) -> TaskOutcome:
        rc, tid = self.rc, self.task.id
        wt = await anyio.to_thread.run_sync(
            lambda: create_worktree(rc.project, tid, rc.integration, [branch_name(d) for d in self.deps])
        )
        rc.store.upsert_task(rc.run_id, tid, branch=wt.branch, worktree=str(wt.path))
        base = (
            await anyio.to_thread.run_sync(lambda: git(wt.path, "merge-base", rc.integration, "HEAD"))
        ).output.strip()
        reason = "no attempt ran"
        gate_rounds = 0
        for attempt in range(1, self.attempts + 1):
            note = ""
            if wt.reused or attempt > 1:
                note = (
                    "NOTE: an earlier attempt at this task stopped before it was accepted "
                    f"({reason}). Its work is committed in this worktree; review it and carry on."
                )
            clear_markers(wt.path, tid)
            record = rc.store.start_attempt(rc.run_id, tid)
            prepared = self._prepare(wt, note)
            try:
                result = await prepared.loop.run()
                while True:
                    await self._commit(wt, f"{tid}: {self.route.agent} work (attempt {attempt})")
                    if result.outcome != "completed":
                        reason = f"agent ended {result.outcome}: {result.reason}"
                        break
                    report = await self._gate(wt, base)
                    if report.verdict == "pass":
                        merged = await self._merge(wt, prepared.loop, base)
                        if isinstance(merged, Merged):
                            rc.store.finish_attempt(
                                rc.run_id, tid, record.n, "completed", transcript=prepared.transcript.path
                            )
                            rc.store.upsert_task(
                                rc.run_id, tid, merged_commit=merged.commit, verified_tree=report.tree_hash
                            )
                            await anyio.to_thread.run_sync(mirror_marker, wt.path, rc.project, tid)
                            return TaskOutcome(tid, "completed")
                        reason = merged
                        break
                    gate_rounds += 1
                    reason = "verification failed: " + "; ".join(report.reasons)
                    if gate_rounds >= self.attempts:
                        break
                    rc.status(tid, "in_progress", detail="gate failed, report sent to the agent")
                    clear_markers(wt.path, tid)
                    result = await prepared.loop.send(format_report_for_agent(report))
            finally:
                await prepared.aclose()
            rc.store.finish_attempt(
                rc.run_id, tid, record.n, "failed", transcript=prepared.transcript.path, error=reason
            )
            if result.outcome == "budget_exceeded" or gate_rounds >= self.attempts:
                break
        return TaskOutcome(tid, "failed", reason)

    def _prepare(self, wt: Worktree, note: str) -> PreparedAgent:
        rc = self.rc
        limits = rc.settings.limits
        per_task = rc.settings.run.task_budget_usd
        if per_task is not None:
            limits = limits.model_copy(update={"budget_usd": per_task})
        run = AgentRun(
            agent=self.route.agent,
            task=agent_task(self.task, wt.path, note),
            settings=rc.settings,
            model_spec=rc.model_spec_for(self.task.id, self.route.model),
            limits=limits,
            run_id=f"run-{rc.run_id}",
            transcript_root=rc.project,
            guards=[rc.spend.guard],
            on_event=rc.record,
            backoffs=rc.backoffs,
        )
        return prepare(run)

    async def _commit(self, wt: Worktree, message: str) -> None:
        await anyio.to_thread.run_sync(commit_all, wt.path, message)

    async def _gate(self, wt: Worktree, base: str) -> GateReport:
        rc, tid = self.rc, self.task.id
        rc.status(tid, "verifying")
        report = await run_gate(
            wt.path, task=gate_task(self.task), base_ref=base or None, settings=rc.settings.gate
        )
        write_verdict_marker(wt.path, report)
        rc.store.record_event(rc.run_id, "gate_report", report, task_id=tid)
        return report

    async def _merge(self, wt: Worktree, loop: AgentLoop, base: str) -> Merged | str:
        """Merge through the queue; a conflict goes back to the agent, then the gate runs again."""
        rc, tid = self.rc, self.task.id
        files: list[str] = []
        for _ in range(rc.settings.run.merge_attempts):
            rc.status(tid, "merging")
            result = await rc.merge_queue.merge(tid, wt.branch, f"Merge {tid}: {self.task.objective[:60]}")
            if isinstance(result, Merged):
                return result
            assert isinstance(result, MergeConflict)
            files = result.files
            clear_markers(wt.path, tid)
            answer: AgentResult = await loop.send(
                f"Your branch {wt.branch} conflicts with {result.integration} in: "
                f"{', '.join(result.files)}.\n{result.details}\n"
                "When it is resolved and committed, write the completion marker again."
            )
            await self._commit(wt, f"{tid}: resolve merge conflict")
            if answer.outcome != "completed":
                return f"merge conflict not resolved ({answer.outcome}: {answer.reason})"
            report = await self._gate(wt, base)
            if report.verdict != "pass":
                return "verification failed after resolving the merge: " + "; ".join(report.reasons)
        return f"merge conflict in {', '.join(files)} after {rc.settings.run.merge_attempts} tries"
