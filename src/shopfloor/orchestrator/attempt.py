"""One task, start to finish: worktree, agent, commits, the gate, retries, the merge queue.

A task's run depends only on (task, repository, settings): everything it shares with other tasks
goes through the RunContext, so an executor could run it elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio

from shopfloor.agent.events import Event
from shopfloor.agent.lease import Lease
from shopfloor.agent.loop import AgentResult
from shopfloor.agent.markers import clear_markers, mirror_marker
from shopfloor.agent.setup import AgentRun, PreparedAgent, Session, prepare
from shopfloor.config.settings import AgentConfig
from shopfloor.gate import (
    GateReport,
    format_failure_report,
    format_report_for_agent,
    marker_path,
    read_verdict_marker,
    run_gate,
    verdict_is_current,
    write_verdict_marker,
)
from shopfloor.layout import Layout
from shopfloor.orchestrator.briefs import agent_task, gate_task
from shopfloor.orchestrator.context import RunContext
from shopfloor.orchestrator.merge_queue import MergeConflict, Merged
from shopfloor.orchestrator.scheduler import TaskOutcome
from shopfloor.orchestrator.worktrees import Worktree, branch_name, commit_all, create_worktree
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import Task
from shopfloor.vcs import conflicted_files, git, git_path, rev_parse

# How often one session may be picked up again after provider throttling outlasted a call's retries.
THROTTLED_RESUMES = 5


@dataclass(frozen=True)
class AttemptEnd:
    """How one attempt ended: merged, or a reason and whether another attempt may help."""

    merged: Merged | None = None
    reason: str = ""
    retry: bool = True


class TaskRun:
    """Drives one task through its attempts. `run()` returns the scheduler's outcome."""

    def __init__(
        self,
        rc: RunContext,
        task: Task,
        deps: list[str],
        *,
        test_first: bool = False,
        protected: list[str] | None = None,
    ):
        self.test_first = test_first
        self.protected = protected or []
        self.rc = rc
        self.task = task
        self.deps = deps
        self.route = route(task, rc.settings.routing)
        self.attempts = rc.settings.run.attempts
        self.lease = Lease(rc.settings.run.lease_s)
        self.gate_rounds = 0
        self.last_report: GateReport | None = None

    async def run(self) -> TaskOutcome:
        rc, tid = self.rc, self.task.id
        deadline = rc.settings.run.task_deadline_s
        rc.spend.reserve(tid)
        try:
            rc.store.upsert_task(
                rc.run_id, tid, agent=self.route.agent, model=self.route.model, started=time.time()
            )
            rc.status(tid, "in_progress")
            outcome = TaskOutcome(tid, "failed", f"the task deadline ({deadline:.0f}s) passed")
            with anyio.move_on_after(deadline):
                outcome = await self._attempts()
        except anyio.get_cancelled_exc_class():
            # Stopped from outside (abort, Ctrl-C): the task waits again; resume goes on from its worktree.
            rc.status(tid, "pending", detail="the run stopped; the worktree is kept")
            raise
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
        if wt.reused:
            recovered = await self._recover(wt)
            if recovered is not None:
                return recovered
        base = (
            await anyio.to_thread.run_sync(lambda: git(wt.path, "merge-base", rc.integration, "HEAD"))
        ).output.strip()
        reason = "an earlier run stopped" if wt.reused else "no attempt ran"
        for attempt in range(1, self.attempts + 1):
            note = ""
            if wt.reused or attempt > 1:
                note = (
                    "NOTE: an earlier attempt at this task stopped before it was accepted "
                    f"({reason}). Its work is kept in this worktree; review it and carry on."
                )
            clear_markers(wt.path, tid)
            # Reading agent and skill files and asking git for the environment block stay off the loop.
            prepared = await anyio.to_thread.run_sync(self._prepare, wt, note)
            prepared.announce()
            record = rc.store.start_attempt(rc.run_id, tid)
            try:
                end = await self._attempt(wt, prepared, base, attempt)
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await self._save(wt, f"{tid}: work saved when the run stopped (attempt {attempt})")
                    rc.store.finish_attempt(
                        rc.run_id, tid, record.n, "interrupted", transcript=prepared.transcript.path
                    )
                raise
            except Exception as err:  # the agent or its machinery died: retryable, its work is kept
                while isinstance(err, ExceptionGroup) and len(err.exceptions) == 1:
                    err = err.exceptions[0]
                await self._save(wt, f"{tid}: work saved after the attempt crashed (attempt {attempt})")
                end = AttemptEnd(reason=f"the attempt crashed: {type(err).__name__}: {err}")
            finally:
                with anyio.CancelScope(shield=True):
                    await prepared.aclose()
            if end.merged is not None:
                rc.store.finish_attempt(
                    rc.run_id, tid, record.n, "completed", transcript=prepared.transcript.path
                )
                verified = self.last_report.tree_hash if self.last_report else None
                rc.store.upsert_task(rc.run_id, tid, merged_commit=end.merged.commit, verified_tree=verified)
                await anyio.to_thread.run_sync(mirror_marker, wt.path, rc.project, tid)
                return TaskOutcome(tid, "completed")
            reason = end.reason
            rc.store.finish_attempt(
                rc.run_id, tid, record.n, "failed", transcript=prepared.transcript.path, error=reason
            )
            if not end.retry:
                break
        return TaskOutcome(tid, "failed", reason)

    async def _attempt(self, wt: Worktree, prepared: PreparedAgent, base: str, attempt: int) -> AttemptEnd:
        """One agent session: run it, commit, gate (report back on failure), merge."""
        rc, tid = self.rc, self.task.id
        loop = prepared.loop
        result = await self._session(loop, loop.run)
        while True:
            await self._save(wt, f"{tid}: {self.route.agent} work (attempt {attempt})")
            if result is None:
                return AttemptEnd(reason=self._expired(attempt))
            if result.outcome != "completed":
                return AttemptEnd(
                    reason=f"agent ended {result.outcome}: {result.reason}",
                    retry=result.outcome != "budget_exceeded",
                )
            report = await self._gate(wt, base)
            if report.verdict == "pass":
                merged = await self._merge(wt, prepared, base, attempt)
                if isinstance(merged, Merged):
                    return AttemptEnd(merged=merged)
                return AttemptEnd(reason=merged)
            self.gate_rounds += 1
            reason = "verification failed: " + "; ".join(report.reasons)
            if self.gate_rounds >= self.attempts:
                path = self._failure_report(report)
                return AttemptEnd(reason=f"{reason} (failure report: {path})", retry=False)
            rc.status(tid, "in_progress", detail="gate failed, report sent to the agent")
            clear_markers(wt.path, tid)
            feedback = format_report_for_agent(report)
            result = await self._session(loop, partial(loop.send, feedback))

    async def _session(self, loop: Session, work: Callable[[], Awaitable[AgentResult]]) -> AgentResult | None:
        """Run `work` under the lease. A session the provider's throttling cut off (its retries ran out)
        goes on where it stopped once the shared backoff allows, instead of costing an attempt."""
        backoffs = self.rc.backoffs
        seen = backoffs.throttled_count
        result = await self.lease.hold(work)
        for _ in range(THROTTLED_RESUMES):
            cut_off = result is not None and result.outcome == "failed" and "model error" in result.reason
            if not cut_off or backoffs.throttled_count == seen:
                break
            seen = backoffs.throttled_count
            self.rc.status(self.task.id, "in_progress", detail="provider throttled; the session goes on")
            result = await self.lease.hold(loop.run)
        return result

    def _failure_report(self, report: GateReport) -> Path:
        """What failed, the last output and the diff summary, kept beside the state for a person to read."""
        rc, tid = self.rc, self.task.id
        path = Layout(rc.project).failure_report(tid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(format_failure_report(report, self.attempts), encoding="utf-8")
        rc.store.record_event(rc.run_id, "failure_report", {"path": str(path)}, task_id=tid)
        return path

    def _expired(self, attempt: int) -> str:
        rc, tid = self.rc, self.task.id
        seconds = self.lease.seconds
        rc.store.record_event(
            rc.run_id, "lease_expired", {"attempt": attempt, "lease_s": seconds}, task_id=tid
        )
        return f"the agent went silent for {seconds:g}s (lease expired); its worktree is kept for a retry"

    def _on_event(self, event: Event) -> None:
        self.lease.renew()
        self.rc.record(event)

    def _prepare(self, wt: Worktree, note: str) -> PreparedAgent:
        rc = self.rc
        limits = rc.settings.limits
        per_task = rc.settings.run.task_budget_usd
        if per_task is not None:
            limits = limits.model_copy(update={"budget_usd": per_task})
        run = AgentRun(
            agent=self.route.agent,
            task=agent_task(self.task, wt.path, note),
            settings=AgentConfig.of(rc.settings, limits=limits),
            model_spec=rc.model_spec_for(self.task.id, self.route.model),
            run_id=f"run-{rc.run_id}",
            transcript_root=rc.project,
            guards=[rc.spend.guard],
            on_event=self._on_event,
            backoffs=rc.backoffs,
            priced_as=self.route.model,
            cache_ttl=rc.cache_ttl_for(self.route.agent),
        )
        return prepare(run)

    async def _save(self, wt: Worktree, message: str) -> None:
        """Commit the worktree's work, unless a merge has unresolved conflicts (never commit markers)."""

        def save() -> None:
            if not conflicted_files(wt.path):
                commit_all(wt.path, message)

        await anyio.to_thread.run_sync(save)

    async def _recover(self, wt: Worktree) -> TaskOutcome | None:
        """Take over a worktree an earlier run left: keep its work and catch up on dependencies.

        Returns the outcome when the branch was already verified and merged (a run stopped just after
        its merge), so nothing verified is redone.
        """
        rc, tid = self.rc, self.task.id
        report = read_verdict_marker(marker_path(wt.path, tid))
        verified = (
            report is not None
            and report.verdict == "pass"
            and await verdict_is_current(wt.path, marker_path(wt.path, tid))
        )
        merged = await anyio.to_thread.run_sync(self._merge_commit, wt) if verified else None
        if report is not None and merged is not None:
            rc.store.upsert_task(rc.run_id, tid, merged_commit=merged, verified_tree=report.tree_hash)
            await anyio.to_thread.run_sync(mirror_marker, wt.path, rc.project, tid)
            return TaskOutcome(tid, "completed")
        await self._save(wt, f"{tid}: work left by an interrupted run")
        problem = await anyio.to_thread.run_sync(self._catch_up_dependencies, wt)
        return None if problem is None else TaskOutcome(tid, "failed", problem)

    def _merge_commit(self, wt: Worktree) -> str | None:
        """The integration branch's merge commit that took in this worktree's HEAD, if it did."""
        project, integration = self.rc.project, self.rc.integration
        tip = rev_parse(wt.path, "HEAD")
        if not git(project, "merge-base", "--is-ancestor", tip, integration, check=False).ok:
            return None
        found = git(
            project, "rev-list", "--merges", "--ancestry-path", "--reverse", f"{tip}..{integration}"
        ).stdout.split()
        return found[0] if found else rev_parse(project, integration)

    def _catch_up_dependencies(self, wt: Worktree) -> str | None:
        """Merge in dependency branches a reused worktree lacks (a run killed while creating it)."""
        if git_path(wt.path, "MERGE_HEAD").exists():
            return None  # a merge the agent had started: it finishes it
        for dep in self.deps:
            branch = branch_name(dep)
            if git(wt.path, "merge-base", "--is-ancestor", branch, "HEAD", check=False).ok:
                continue
            merged = git(
                wt.path, "merge", "-q", "--no-ff", "--no-edit", "--no-verify", "-m",
                f"Merge {branch} into {wt.branch} (dependency)", branch, check=False, identity=True,
            )  # fmt: skip
            if not merged.ok:
                files = conflicted_files(wt.path)
                git(wt.path, "merge", "--abort", check=False)
                return f"dependency branch {branch} conflicts in: {', '.join(files) or merged.output}"
        return None

    async def _gate(self, wt: Worktree, base: str) -> GateReport:
        rc, tid = self.rc, self.task.id
        rc.status(tid, "verifying")
        report = await run_gate(
            wt.path,
            task=gate_task(self.task, test_first=self.test_first, protected=self.protected),
            base_ref=base or None,
            settings=rc.settings.gate,
        )
        write_verdict_marker(wt.path, report)
        rc.store.record_event(rc.run_id, "gate_report", report, task_id=tid)
        said = f"gate {report.verdict}" + (": " + "; ".join(report.reasons) if report.reasons else "")
        rc.status(tid, "verifying", detail=said)
        self.last_report = report
        return report

    async def _merge(self, wt: Worktree, prepared: PreparedAgent, base: str, attempt: int) -> Merged | str:
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
            rc.store.record_event(
                rc.run_id, "merge_conflict", {"files": files, "integration": result.integration}, task_id=tid
            )
            clear_markers(wt.path, tid)
            message = (
                f"Your branch {wt.branch} conflicts with {result.integration} in: "
                f"{', '.join(result.files)}.\n{result.details}\n"
                "When it is resolved and committed, write the completion marker again."
            )
            answer = await self._session(prepared.loop, partial(prepared.loop.send, message))
            await self._save(wt, f"{tid}: resolve merge conflict")
            if answer is None:
                return self._expired(attempt)
            if answer.outcome != "completed":
                return f"merge conflict not resolved ({answer.outcome}: {answer.reason})"
            report = await self._gate(wt, base)
            if report.verdict != "pass":
                return "verification failed after resolving the merge: " + "; ".join(report.reasons)
        return f"merge conflict in {', '.join(files)} after {rc.settings.run.merge_attempts} tries"
