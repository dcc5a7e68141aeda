"""Running a task's attempts on this machine: its worktree is the snapshot, git commits are the result.

`place()` makes (or takes over) the task's worktree from the integration branch and its dependencies and
sets up its project environment (with network, outside the agent's sandbox); `attempt()` returns an
`Attempt` wired to that worktree and environment. An executor elsewhere (a cluster) offers the same two
calls over a copy of the repository. `make_ahead()` may make a worktree before its task starts (see
`ahead.py`), and `release()` removes a merged task's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import anyio

from shopfloor.agent.events import Event, Notice
from shopfloor.agent.markers import clear_markers, mirror_marker
from shopfloor.agent.setup import PreparedAgent
from shopfloor.env import EnvBroken, Environments, ProjectEnv
from shopfloor.gate.blockers import setup_result
from shopfloor.gate.report import CheckResult, GateReport, GateTask
from shopfloor.gate.treehash import index_may_list_harness_state
from shopfloor.gate.verdict import read_verdict, verdict_is_current, verdict_path, write_verdict
from shopfloor.orchestrator.ahead import Integration, WorktreesAhead
from shopfloor.orchestrator.attempt import Attempt, AttemptLimits, GateCount
from shopfloor.orchestrator.briefs import agent_task
from shopfloor.orchestrator.events import EnvReady, RunEvent
from shopfloor.orchestrator.executor_base import RESOLVE_CONFLICTS, ExecutorBase
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
from shopfloor.vcs import GitError, check_worktree, conflicted_files, git, git_dir, git_path, rev_parse


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
    """Set when the worktree cannot be used (a dependency branch that does not merge, an environment that
    cannot be set up)."""
    env: ProjectEnv | None = None
    """The worktree's project environment, set up before the agent starts."""


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
    env: ProjectEnv | None = None
    environments: Environments | None = None
    on_gate: Callable[[], None] | None = None
    """Told when the gate starts, so work that does not wait for its verdict can go on beside it."""
    saved: bool = False
    """The last save committed everything: the gate that follows judges HEAD's tree."""

    def prepare(self, note: str, on_event: Callable[[Event], None]) -> PreparedAgent:
        brief = agent_task(self.task, self.worktree, note)
        overlay = self.env.overlay() if self.env is not None else None
        return self.launcher.prepare(self.agent, brief, on_event, routed_model=self.routed_model, env=overlay)

    async def save(self, message: str) -> None:
        self.saved = await anyio.to_thread.run_sync(
            save_checked, self.launcher.project, self.worktree, message
        )

    async def gate(self) -> GateReport:
        from shopfloor.gate.verify import run_gate  # loaded by the run's warm-up, or by the first gate

        await anyio.to_thread.run_sync(check_worktree, self.worktree, self.launcher.project)
        setup = await self._refresh_env()
        if self.on_gate is not None:
            self.on_gate()
        committed, self.saved = self.saved, False
        report = await run_gate(
            self.worktree,
            task=self.gate_task,
            base_ref=self.base or None,
            settings=self.launcher.settings.gate,
            env=self.env,
            setup=setup,
            sandbox=self.launcher.settings.sandbox,
            committed=committed,
        )
        write_verdict(self.worktree, report)
        return report

    async def _refresh_env(self) -> CheckResult | None:
        """Install again when the task changed its dependencies, and commit a lockfile that changed."""
        if self.env is None or self.environments is None:
            return None
        try:
            fresh = await self.environments.refresh(self.task.id, self.env)
        except EnvBroken as err:
            return setup_result(err)
        if fresh is not self.env:
            self.env = fresh
            await self.save(f"{self.task.id}: lockfile as setup wrote it for the new dependencies")
        return None

    def clear_marker(self) -> None:
        clear_markers(self.worktree, self.task.id)

    def throttled_count(self) -> int:
        return self.launcher.backoffs.throttled_count


_CONFLICT_MARKER = re.compile(rb"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)


def conflict_markers_left(worktree: Path, files: list[str]) -> list[str]:
    """The files among `files` that still hold a conflict marker line."""
    left = []
    for name in files:
        path = worktree / name
        if path.is_file() and not path.is_symlink() and _CONFLICT_MARKER.search(path.read_bytes()):
            left.append(name)
    return left


def save_work(worktree: Path, message: str) -> bool:
    """Commit the worktree's work. During a merge, only once no conflicted file holds a marker any more:
    the agent cannot stage files (git metadata is read-only for it), so resolving is editing them.

    True when everything in it is committed, so HEAD's tree is the tree the gate hashes (False when it
    did not commit, or when git tracks part of the harness folder, which the gate's hash leaves out)."""
    merging = (git_dir(worktree) / "MERGE_HEAD").exists()  # only shopfloor starts merges in a worktree
    conflicted = conflicted_files(worktree) if merging else []
    if conflicted and conflict_markers_left(worktree, conflicted):
        return False
    commit_work(worktree, message)
    return not index_may_list_harness_state(git_dir(worktree) / "index")


def save_checked(project: Path, worktree: Path, message: str) -> bool:
    """`save_work` after checking that the worktree's `.git` still leads to the project's repository."""
    check_worktree(worktree, project)
    return save_work(worktree, message)


class LocalExecutor(ExecutorBase):
    def __init__(
        self,
        project: Path,
        integration: str,
        launcher: AgentLauncher,
        emit: Callable[[RunEvent], None],
        environments: Environments | None = None,
        known: Integration | None = None,
    ) -> None:
        super().__init__(project, integration, launcher, emit)
        self.environments = environments or Environments(
            project, launcher.settings.env, launcher.settings.sandbox
        )
        self.ahead = WorktreesAhead(project, integration, known)

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
                return await self._set_up(Placement(made, base))
            wt = await anyio.to_thread.run_sync(
                lambda: create_worktree(self.project, task_id, self.integration, branches)
            )
        except DependencyConflict as err:
            return Placement(Worktree(task_id, Path(), ""), "", problem=str(err))
        base = (
            await anyio.to_thread.run_sync(lambda: git(wt.path, "merge-base", self.integration, "HEAD"))
        ).stdout.strip()
        placement = await self._take_over(wt, base, deps) if wt.reused else Placement(wt, base)
        if placement.problem is not None or placement.recovered is not None:
            return placement
        return await self._set_up(placement)

    async def _set_up(self, placement: Placement) -> Placement:
        """The worktree's environment, before the agent: a broken one fails the task without an attempt."""
        wt = placement.worktree
        try:
            env = await self.environments.prepare(wt.task_id, wt.path)
        except EnvBroken as err:
            return replace(placement, problem=f"environment broken: {err}")
        self.emit(
            EnvReady(task_id=wt.task_id, source=env.source, seconds=env.seconds, log=str(env.log or ""))
        )
        return replace(placement, env=env)

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
            merged = await anyio.to_thread.run_sync(lambda: self.merged_at(rev_parse(wt.path, "HEAD")))
            if merged is not None:
                return Placement(wt, base, recovered=AlreadyMerged(merged, report))
            return Placement(wt, base, recovered=VerifiedUnmerged(report))
        await anyio.to_thread.run_sync(
            save_checked, self.project, wt.path, f"{wt.task_id}: work left by an interrupted run"
        )
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
            env=placement.env,
            environments=self.environments,
            on_gate=on_gate,
        )
        limits = AttemptLimits(gate_rounds=settings.run.gate_rounds, lease_s=settings.run.lease_s)
        return Attempt(task.id, n, services, limits, self.emit, label=route.agent, gates=gates)

    async def aclose(self) -> None:
        """Stop what the run started for the environments (its services)."""
        await self.environments.aclose()

    async def save(self, placement: Placement, message: str) -> None:
        await anyio.to_thread.run_sync(save_checked, self.project, placement.worktree.path, message)

    async def start_merge(self, placement: Placement, integration: str) -> str:
        """Begin merging `integration` into the task's worktree, leaving the conflicts for its agent to
        edit; returns what to tell the agent. The agent cannot run the merge itself (read-only git)."""
        wt = placement.worktree.path

        def merge() -> list[str]:
            check_worktree(wt, self.project)
            if not git_path(wt, "MERGE_HEAD").exists():
                git(wt, "merge", "-q", "--no-ff", "--no-commit", "--no-verify", integration,
                    check=False, identity=True)  # fmt: skip
            return conflicted_files(wt)

        files = await anyio.to_thread.run_sync(merge)
        if not files:
            return (
                f"shopfloor merged {integration} into your worktree and git found no conflicts there; "
                "check that the result still builds and passes the checks, then write the marker again."
            )
        return (
            f"shopfloor has started merging {integration} into your worktree {wt}. Conflicted files: "
            f"{', '.join(files)}. Edit each {RESOLVE_CONFLICTS}"
        )

    async def finish(self, placement: Placement) -> None:
        """Copy the agent's marker and the gate's verdict to the project, where a person looks for them."""

        def copy() -> None:
            wt = placement.worktree
            mirror_marker(wt.path, self.project, wt.task_id)
            report = read_verdict(verdict_path(wt.path, wt.task_id))
            if report is not None:
                write_verdict(self.project, report)

        await anyio.to_thread.run_sync(copy)

    async def drop_unused(self) -> None:
        await self.ahead.drop_unused()

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
