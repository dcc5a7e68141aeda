"""One attempt on a Ray worker: (task, snapshot, settings) in, (new commits, result) out.

The worker clones the snapshot bundle into a scratch repository, puts the project's Claude Code
configuration in the clone's own folder, and adds the task's worktree to it, as the local executor does
in the user's checkout; it starts the agent's MCP servers, sets up the project's environment there
(installed ones are kept in a cache on the worker's machine, shared by its attempts), runs the same
`Attempt` the local executor runs (agent, commits, gate rounds) with its events sent up the run's channel
and its model clients on the run's shared provider pause, then bundles the commits it added and hands
them back with the result, the transcript and the agent's marker. Nothing here merges or writes the
run's state.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from shopfloor.agent.events import Notice
from shopfloor.agent.markers import MarkerKind, read_marker
from shopfloor.agent.setup import AgentSetupError, approved_settings, open_mcp
from shopfloor.config.settings import Settings
from shopfloor.env.cache import EnvCache
from shopfloor.env.setup import EnvBroken, Environments
from shopfloor.gate.report import GateTask
from shopfloor.layout import Layout
from shopfloor.models.base import CacheTTL
from shopfloor.models.retry import BackoffRegistry, ThrottleEvent
from shopfloor.orchestrator.attempt import (
    Attempt,
    AttemptLimits,
    AttemptResult,
    Crashed,
    GateCount,
    PrepareFailed,
)
from shopfloor.orchestrator.bundles import ConfigFile, clone_bundle, make_bundle, write_configuration
from shopfloor.orchestrator.events import EnvReady, RunEvent
from shopfloor.orchestrator.executor import LocalServices
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.ray_backoff import RayPauseBoard
from shopfloor.orchestrator.worktrees import create_worktree
from shopfloor.queue.tasks import Task
from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.vcs import git, rev_parse

NODE_ENV_CACHE = Path(tempfile.gettempdir()) / "shopfloor-ray" / "env-cache"
"""Installed environments on this machine, kept for every attempt it runs (entries are immutable and
written under a temporary name, so several worker processes share it safely)."""
DONE = "shopfloor:attempt-done"
"""The last item a worker puts on the channel; everything it sent before is there by then."""


@dataclass(frozen=True)
class AttemptJob:
    """What a worker needs besides the snapshot; every path in it is the worker's own."""

    task: Task
    n: int
    note: str
    agent: str
    routed_model: str
    model_spec: str | None
    """Resolved by the coordinator (a `scripted:DIR` already names the task's file)."""
    gate_task: GateTask
    settings: Settings
    run_id: int
    branch: str
    start: str
    """The branch's commit in the snapshot: the returned bundle holds what came after it."""
    base: str
    """The commit the task's work started from (the gate's diff)."""
    gates: GateCount
    cache_ttl: CacheTTL
    identity: tuple[str, str] | None
    merge: str | None = None
    """An integration branch to start merging before the session (after a merge conflict)."""
    approved: str | None = None
    """The digest of the project's hooks and MCP servers as approved on the coordinator's machine."""
    configuration: tuple[ConfigFile, ...] = ()
    """The project's `.claude/` and `.mcp.json` as the coordinator reads them."""


@dataclass(frozen=True)
class RemoteOutcome:
    result: AttemptResult
    tip: str
    bundle: bytes | None
    """The commits after `AttemptJob.start`, None when the attempt added none."""
    transcript: bytes
    marker: tuple[MarkerKind, str] | None
    gates: GateCount
    verified_tree: str | None


@dataclass(frozen=True)
class _Launcher(AgentLauncher):
    """The run's launcher on a worker: its cache lifetime was decided where the whole queue is known."""

    ttl: CacheTTL = "5m"

    def cache_ttl(self, agent: str) -> CacheTTL:
        return self.ttl


class _Channel:
    """The worker's end of the run channel: fire-and-forget puts, in order, and the run's stop reason."""

    def __init__(self, actor: Any, key: str) -> None:
        self.actor = actor
        self.key = key

    def emit(self, item: RunEvent | ThrottleEvent) -> None:
        self.actor.put.remote(self.key, [item])

    def guard(self) -> str | None:
        import ray

        try:
            reason: str | None = ray.get(self.actor.stop.remote(), timeout=30)
        except ray.exceptions.RayError:
            return None  # the coordinator's budget still holds its reservations
        return reason

    def close(self) -> None:
        import ray

        ray.get(self.actor.put.remote(self.key, [DONE]))


def work_attempt(job: AttemptJob, snapshot: bytes, pauses: Any, channel: Any, key: str) -> RemoteOutcome:
    """The Ray task's body (see the module's doc)."""
    import ray

    link = _Channel(channel, key)
    where = ray.get_runtime_context().get_node_id()[:12]
    link.emit(
        Notice(task_id=job.task.id, message=f"attempt {job.n} runs on Ray node {where} (pid {os.getpid()})")
    )
    try:
        with tempfile.TemporaryDirectory(prefix=f"shopfloor-{job.task.id}-") as tmp:
            repo = clone_bundle(snapshot, Path(tmp) / "repo", None, job.identity)
            write_configuration(repo, job.configuration)
            worktree = create_worktree(repo, job.task.id, job.branch).path
            return anyio.run(_attempt, job, repo, worktree, pauses, link)
    finally:
        link.close()


async def _attempt(job: AttemptJob, repo: Path, worktree: Path, pauses: Any, link: _Channel) -> RemoteOutcome:
    backoffs = BackoffRegistry(board=RayPauseBoard(pauses), on_throttle=link.emit)
    try:  # nothing of the project's runs here unless it is the set approved on the coordinator
        approved_settings(repo, discover_agents(repo), job.approved)
    except AgentSetupError as err:
        refused = PrepareFailed(f"on its Ray worker: {err}")
        return await anyio.to_thread.run_sync(_outcome, job, repo, worktree, None, refused)
    # The agent's own MCP servers and the project's, for this attempt: a run's pool lives on the
    # coordinator, and a worker may be another machine.
    servers = open_mcp(repo, [job.agent], log_dir=Layout(repo).runs_dir / f"run-{job.run_id}")
    launcher = _Launcher(
        project=repo,
        settings=job.settings,
        run_id=job.run_id,
        backoffs=backoffs,
        guard=link.guard,
        model_override=job.model_spec,
        mcp=servers,
        approved=job.approved,
        ttl=job.cache_ttl,
    )
    environments = Environments(repo, job.settings.env, job.settings.sandbox)
    environments.cache = EnvCache(NODE_ENV_CACHE)
    try:
        await servers.start()
        try:
            env = await environments.prepare(job.task.id, worktree)
        except EnvBroken as err:
            result: AttemptResult = PrepareFailed(f"environment broken on its Ray worker: {err}")
            return await anyio.to_thread.run_sync(_outcome, job, repo, worktree, None, result)
        link.emit(EnvReady(task_id=job.task.id, source=env.source, seconds=env.seconds))
        if job.merge is not None:
            await anyio.to_thread.run_sync(_start_merge, worktree, job.merge)
        services = LocalServices(
            launcher=launcher,
            agent=job.agent,
            routed_model=job.routed_model,
            task=job.task,
            gate_task=job.gate_task,
            worktree=worktree,
            base=job.base,
            env=env,
            environments=environments,
        )
        result, attempt = await _run(job, services, link)
    finally:
        with anyio.CancelScope(shield=True):
            await servers.stop()
        await environments.aclose()
    held = sum(sum(b.holds) for b in backoffs)
    if held > 0:
        link.emit(Notice(task_id=job.task.id, message=f"held {held:.1f}s by the provider's shared pause"))
    return await anyio.to_thread.run_sync(_outcome, job, repo, worktree, attempt, result)


async def _run(job: AttemptJob, services: LocalServices, link: _Channel) -> tuple[AttemptResult, Attempt]:
    settings = job.settings.run
    limits = AttemptLimits(gate_rounds=settings.gate_rounds, lease_s=settings.lease_s)
    attempt = Attempt(job.task.id, job.n, services, limits, link.emit, label=job.agent, gates=job.gates)
    try:
        return await attempt.run(job.note), attempt
    except Exception as err:  # the agent's machinery died: its work is kept, another attempt may go on
        while isinstance(err, ExceptionGroup) and len(err.exceptions) == 1:
            err = err.exceptions[0]
        await services.save(f"{job.task.id}: work saved after a crash")
        return Crashed(f"the attempt crashed on its Ray worker: {type(err).__name__}: {err}"), attempt
    finally:
        await attempt.aclose()


def _start_merge(worktree: Path, integration: str) -> None:
    """What the local executor does in the task's worktree after a conflict: the merge, left open."""
    git(worktree, "merge", "-q", "--no-ff", "--no-commit", "--no-verify", integration,
        check=False, identity=True)  # fmt: skip


def _outcome(
    job: AttemptJob, repo: Path, worktree: Path, attempt: Attempt | None, result: AttemptResult
) -> RemoteOutcome:
    transcript = Layout(repo).transcript(f"run-{job.run_id}", job.task.id)
    marker = read_marker(worktree, job.task.id)
    return RemoteOutcome(
        result=result,
        tip=rev_parse(worktree, "HEAD"),
        bundle=make_bundle(repo, [job.branch], exclude=[job.start]),
        transcript=transcript.read_bytes() if transcript.is_file() else b"",
        marker=(marker.kind, marker.text) if marker is not None else None,
        gates=attempt.gates if attempt is not None else job.gates,
        verified_tree=attempt.verified_tree if attempt is not None else None,
    )
