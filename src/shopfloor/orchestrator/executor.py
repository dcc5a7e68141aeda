"""Running a task's attempts on this machine: its worktree is the snapshot, git commits are the result.

`place()` makes (or takes over) the task's worktree from the integration branch and its dependencies;
`attempt()` returns an `Attempt` wired to that worktree. An executor elsewhere (a cluster) offers the
same two calls over a copy of the repository. `make_ahead()` may make a worktree before its task starts
(see `ahead.py`), and `release()` removes a merged task's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

from shopfloor.agent.events import Event, Notice
from shopfloor.agent.markers import clear_markers, mirror_marker
from shopfloor.agent.setup import PreparedAgent
from shopfloor.gate.report import GateReport, GateTask
from shopfloor.gate.treehash import index_may_list_harness_state
from shopfloor.gate.verdict import read_verdict, verdict_is_current, verdict_path, write_verdict
from shopfloor.gate.verify import run_gate
from shopfloor.orchestrator.ahead import WorktreesAhead
from shopfloor.orchestrator.attempt import Attempt, AttemptLimits, GateCount
from shopfloor.orchestrator.briefs import agent_task
from shopfloor.orchestrator.events import RunEvent
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.worktrees import (
    DependencyConflict,
    Worktree,
    branch_name,
    commit_work,
    create_worktree,
    discard_worktree,
)
from shopfloor.queue.routing import Route
from shopfloor.queue.tasks import Task
from shopfloor.vcs import GitError, conflicted_files, git, git_dir, git_path, rev_parse


@dataclass(frozen=True)
class AlreadyMerged:
    """An earlier run verified and merged this worktree's work (it stopped just after the merge)."""

    commit: str
    report: GateReport


@dataclass(frozen=True)
class VerifiedUnmerged:
    """An earlier run verified this exact tree but stopped before merging it: merge, do not redo."""

    report: GateReport


@dataclass(frozen=True)
class Placement:
    worktree: Worktree
    base: str
    """The commit the task's work starts from (for the gate's diff)."""
    recovered: AlreadyMerged | VerifiedUnmerged | None = None
    problem: str | None = None
    """Set when the worktree cannot be used (a dependency branch that does not merge)."""


@dataclass
class LocalServices:
    """What an `Attempt` needs, for a worktree on this machine."""

    launcher: AgentLauncher
    agent: str
    routed_model: str
    task: Task
    gate_task: GateTask
    worktree: Path
    base: str
    on_gate: Callable[[], None] | None = None
    """Told when the gate starts, so work that does not wait for its verdict can go on beside it."""
    saved_tree: str | None = None
    """The tree the last save committed, which the gate that follows it judges."""

    def prepare(self, note: str, on_event: Callable[[Event], None]) -> PreparedAgent:
        brief = agent_task(self.task, self.worktree, note)
        return self.launcher.prepare(self.agent, brief, on_event, routed_model=self.routed_model)

    async def save(self, message: str) -> None:
        self.saved_tree = await anyio.to_thread.run_sync(save_work, self.worktree, message)

    async def gate(self) -> GateReport:
        if self.on_gate is not None:
            self.on_gate()
        hashed, self.saved_tree = self.saved_tree, None
        report = await run_gate(
            self.worktree,
            task=self.gate_task,
            base_ref=self.base or None,
            settings=self.launcher.settings.gate,
            hashed=hashed,
        )
        write_verdict(self.worktree, report)
        return report

    def clear_marker(self) -> None:
        clear_markers(self.worktree, self.task.id)

    def throttled_count(self) -> int:
        return self.launcher.backoffs.throttled_count


def save_work(worktree: Path, message: str) -> str | None:
    """Commit the worktree's work, unless a merge has unresolved conflicts (never commit markers); the
    tree it committed, as the gate hashes a tree (None when it did not commit, or the two may differ)."""
    if conflicted_files(worktree):
        return None
    tree = commit_work(worktree, message).tree
    # The gate's hash leaves out the harness folder; where git tracks some of it, let the gate hash.
    return None if index_may_list_harness_state(git_dir(worktree) / "index") else tree


class LocalExecutor:
    def __init__(
        self, project: Path, integration: str, launcher: AgentLauncher, emit: Callable[[RunEvent], None]
    ) -> None:
        self.project = project
        self.integration = integration
        self.launcher = launcher
        self.emit = emit
        self.ahead = WorktreesAhead(project, integration)

    async def make_ahead(self, task_id: str, at: str | None) -> None:
        """Make a task's worktree before it starts, at commit `at` (a merge its dependency's gate may
        allow) or the integration branch; `place` takes it then."""
        await self.ahead.make(task_id, at)

    async def place(self, task_id: str, deps: list[str]) -> Placement:
        """The task's worktree, new or taken over from an earlier run (its leftovers committed)."""
        branches = [branch_name(d) for d in deps]
        try:
            made = await self.ahead.take(task_id)
            if made is not None:
                base = await anyio.to_thread.run_sync(self.ahead.settle, made, branches)
                return Placement(made, base)
            wt = await anyio.to_thread.run_sync(
                lambda: create_worktree(self.project, task_id, self.integration, branches)
            )
        except DependencyConflict as err:
            return Placement(Worktree(task_id, Path(), ""), "", problem=str(err))
        base = (
            await anyio.to_thread.run_sync(lambda: git(wt.path, "merge-base", self.integration, "HEAD"))
        ).stdout.strip()
        if not wt.reused:
            return Placement(wt, base)
        return await self._take_over(wt, base, deps)

    async def _take_over(self, wt: Worktree, base: str, deps: list[str]) -> Placement:
        if await anyio.to_thread.run_sync(self._untouched, wt):  # made ahead, then the run stopped
            fresh = Worktree(wt.task_id, wt.path, wt.branch)
            branches = [branch_name(d) for d in deps]
            try:
                return Placement(fresh, await anyio.to_thread.run_sync(self.ahead.settle, fresh, branches))
            except DependencyConflict as err:
                return Placement(fresh, "", problem=str(err))
        report = read_verdict(verdict_path(wt.path, wt.task_id))
        path = verdict_path(wt.path, wt.task_id)
        if report is not None and report.verdict == "pass" and await verdict_is_current(wt.path, path):
            merged = await anyio.to_thread.run_sync(self._merge_commit, wt)
            if merged is not None:
                return Placement(wt, base, recovered=AlreadyMerged(merged, report))
            return Placement(wt, base, recovered=VerifiedUnmerged(report))
        await anyio.to_thread.run_sync(save_work, wt.path, f"{wt.task_id}: work left by an interrupted run")
        problem = await anyio.to_thread.run_sync(self._catch_up_dependencies, wt, deps)
        return Placement(wt, base, problem=problem)

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
    ) -> Attempt:
        settings = self.launcher.settings
        services = LocalServices(
            launcher=self.launcher,
            agent=route.agent,
            routed_model=route.model,
            task=task,
            gate_task=gate_task,
            worktree=placement.worktree.path,
            base=placement.base,
            on_gate=on_gate,
        )
        limits = AttemptLimits(gate_rounds=settings.run.gate_rounds, lease_s=settings.run.lease_s)
        return Attempt(task.id, n, services, limits, self.emit, label=route.agent, gates=gates)

    async def save(self, placement: Placement, message: str) -> None:
        await anyio.to_thread.run_sync(save_work, placement.worktree.path, message)

    async def finish(self, placement: Placement) -> None:
        """Copy the agent's marker and the gate's verdict to the project, where a person looks for them."""

        def copy() -> None:
            wt = placement.worktree
            mirror_marker(wt.path, self.project, wt.task_id)
            report = read_verdict(verdict_path(wt.path, wt.task_id))
            if report is not None:
                write_verdict(self.project, report)

        await anyio.to_thread.run_sync(copy)

    async def release(self, placement: Placement) -> None:
        """Remove a merged task's worktree; its branch stays. A worktree that cannot go is said and kept."""
        wt = placement.worktree
        try:
            await anyio.to_thread.run_sync(discard_worktree, self.project, wt.task_id)
        except (OSError, GitError) as err:
            self.emit(Notice(task_id=wt.task_id, message=f"kept the worktree {wt.path}: {err}"))

    def _untouched(self, wt: Worktree) -> bool:
        """No work in it: no commit of its own beyond the integration branch, nothing uncommitted."""
        if verdict_path(wt.path, wt.task_id).exists() or (git_path(wt.path, "MERGE_HEAD")).exists():
            return False
        if not git(wt.path, "merge-base", "--is-ancestor", "HEAD", self.integration, check=False).ok:
            return False
        return not git(wt.path, "status", "--porcelain", "--untracked-files=all").stdout.strip()

    def _merge_commit(self, wt: Worktree) -> str | None:
        """The integration branch's merge commit that took in this worktree's HEAD, if it did."""
        tip = rev_parse(wt.path, "HEAD")
        if not git(self.project, "merge-base", "--is-ancestor", tip, self.integration, check=False).ok:
            return None
        found = git(
            self.project, "rev-list", "--merges", "--ancestry-path", "--reverse", f"{tip}..{self.integration}"
        ).stdout.split()
        return found[0] if found else rev_parse(self.project, self.integration)

    def _catch_up_dependencies(self, wt: Worktree, deps: list[str]) -> str | None:
        """Merge in dependency branches a reused worktree lacks (a run killed while creating it)."""
        if git_path(wt.path, "MERGE_HEAD").exists():
            return None  # a merge the agent had started: it finishes it
        for dep in deps:
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
