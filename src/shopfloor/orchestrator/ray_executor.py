"""Running attempts on Ray: the coordinator keeps the checkout, the branches and the merge queue; each
attempt is a Ray task that gets its snapshot as a git bundle and returns new commits as one.

A task's branch lives only in the user's repository (no worktree here): `place()` makes it from the
integration branch with its dependencies merged (commits built by `git merge-tree`, as the merge queue
does), or takes over what an earlier run left there. Before a verified result is merged, the commits the
worker returned must hash to the very tree the gate's verdict names. A worker that dies mid-attempt is a
lost lease: that attempt ends `Crashed` and the next one starts from the last commits that came back.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from shopfloor.agent.markers import MarkerKind, marker_path
from shopfloor.gate.report import GateReport, GateTask
from shopfloor.gate.treehash import commit_tree
from shopfloor.gate.verdict import read_verdict, verdict_path, write_verdict
from shopfloor.layout import Layout
from shopfloor.models.retry import ThrottleEvent
from shopfloor.orchestrator.attempt import AttemptResult, Crashed, GateCount, Verified
from shopfloor.orchestrator.bundles import collect_configuration, fetch_bundle, make_bundle, user_identity
from shopfloor.orchestrator.events import RunEvent
from shopfloor.orchestrator.executor import AlreadyMerged, Placement, VerifiedUnmerged
from shopfloor.orchestrator.executor_base import RESOLVE_CONFLICTS, ExecutorBase
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.merge_queue import Conflicted, is_ancestor, merge_commit
from shopfloor.orchestrator.preflight import RunSetupError
from shopfloor.orchestrator.ray_backoff import start_pauses
from shopfloor.orchestrator.ray_channel import start_channel
from shopfloor.orchestrator.ray_worker import DONE, AttemptJob, RemoteOutcome, work_attempt
from shopfloor.orchestrator.worktrees import Worktree, branch_name
from shopfloor.queue.routing import Route
from shopfloor.queue.tasks import Task
from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.specs.approvals import approved_here
from shopfloor.specs.claude_settings import load_claude_settings
from shopfloor.vcs import git, ref_exists, rev_parse

FORWARDED_ENV = ("ANTHROPIC_", "OPENAI_", "SHOPFLOOR_")
"""Environment variables the workers get from the coordinator: provider keys and base URLs, settings."""
POLL_S = 1.0


def connect(address: str | None) -> bool:
    """Join the cluster at `address`, or start a local Ray; True when this call made the connection."""
    import ray

    if ray.is_initialized():
        return False
    env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}
    try:
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
            runtime_env={"env_vars": env} if env else None,
        )
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise RunSetupError(
            f"could not start or reach {where} ({err}); check --ray-address, or leave it out for a local Ray"
        ) from err
    return True


class RayExecutor(ExecutorBase):
    def __init__(
        self,
        project: Path,
        integration: str,
        launcher: AgentLauncher,
        emit: Callable[[RunEvent], None],
        *,
        address: str | None = None,
    ) -> None:
        import ray

        super().__init__(project, integration, launcher, emit)
        self._owns = connect(address)
        self.pauses = start_pauses()
        self.channel = start_channel()
        self.remote = ray.remote(max_retries=0)(work_attempt)
        self.identity = user_identity(project)
        self.configuration = collect_configuration(project)
        """The project's Claude Code configuration, read once as the run starts, as a local run reads it."""
        self.approved = approved_here(load_claude_settings(project), discover_agents(project))
        """The project's hooks and MCP servers as approved here: a worker's clone runs the same set."""
        self.markers: dict[str, tuple[MarkerKind, str]] = {}
        self.merges: dict[str, str] = {}
        """Tasks whose next session starts by merging this integration branch (after a conflict)."""
        self._stop: str | None = None

    # -- placing a task: its branch in the user's repository --

    async def place(self, task_id: str, deps: list[str]) -> Placement:
        return await anyio.to_thread.run_sync(self._place, task_id, deps)

    def _place(self, task_id: str, deps: list[str]) -> Placement:
        branch = branch_name(task_id)
        reused = ref_exists(self.project, f"refs/heads/{branch}")
        where = Worktree(task_id, Path(f"ray:{branch}"), branch, reused)
        old = rev_parse(self.project, branch) if reused else None
        if old is not None:
            recovered = self._recovered(task_id, branch, old)
            if recovered is not None:
                return Placement(where, self._base(branch), recovered=recovered)
        tip = old or rev_parse(self.project, f"refs/heads/{self.integration}")
        for dep in map(branch_name, deps):
            if is_ancestor(self.project, dep, tip):
                continue
            message = f"Merge {dep} into {branch} (dependency)"
            merged = merge_commit(self.project, tip, rev_parse(self.project, dep), message)
            if isinstance(merged, Conflicted):
                problem = f"dependency branch {dep} conflicts with {branch} in: {', '.join(merged.files)}"
                return Placement(where, "", problem=problem)
            tip = merged
        git(self.project, "update-ref", f"refs/heads/{branch}", tip, old or "")
        return Placement(where, self._base(branch))

    def _base(self, branch: str) -> str:
        return git(self.project, "merge-base", self.integration, branch).stdout.strip()

    def _recovered(self, task_id: str, branch: str, tip: str) -> AlreadyMerged | VerifiedUnmerged | None:
        """An earlier run's verified work on the branch: merged already, or waiting to be."""
        report = read_verdict(verdict_path(self.project, task_id))
        if report is None or report.verdict != "pass" or report.task_id != task_id:
            return None
        if commit_tree(self.project, tip) not in {report.tree_hash, report.tree_hash_after}:
            return None
        merged = self.merged_at(tip)
        return VerifiedUnmerged(report) if merged is None else AlreadyMerged(merged, report)

    # -- attempts --

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
    ) -> RemoteAttempt:
        """The gate runs on the worker, so there is no moment here to look ahead from (`on_gate`)."""
        return RemoteAttempt(self, task, route, placement, n, gate_task, gates)

    async def save(self, placement: Placement, message: str) -> None:
        """Nothing to do here: a worker commits its work and ships it back before its attempt ends."""

    async def finish(self, placement: Placement) -> None:
        """Put the agent's marker where a person looks for it (the verdict is there since the fetch)."""
        task_id = placement.worktree.task_id
        kept = self.markers.pop(task_id, None)
        if kept is None:
            return
        kind, text = kept

        def write() -> None:
            path = marker_path(self.project, task_id, kind)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            marker_path(self.project, task_id, "failed" if kind == "done" else "done").unlink(missing_ok=True)

        await anyio.to_thread.run_sync(write)

    async def make_ahead(self, task_id: str, at: str | None) -> None:
        """Nothing to make: a worker builds its task's worktree in its own clone."""

    async def release(self, placement: Placement) -> None:
        """Nothing to remove: the task's worktree lived on a worker; its branch stays here."""

    async def drop_unused(self) -> None:
        """Nothing was made ahead."""

    async def start_merge(self, placement: Placement, integration: str) -> str:
        """The next remote session starts by merging `integration` into its worktree (as shopfloor does
        for a local one), leaving the conflicts for the agent to edit."""
        self.merges[placement.worktree.task_id] = integration
        return (
            f"shopfloor starts merging {integration} into your worktree before you go on. Edit each "
            f"conflicted file {RESOLVE_CONFLICTS}"
        )

    async def aclose(self) -> None:
        import ray

        if self._owns and ray.is_initialized():
            ray.shutdown()

    # -- what the workers send up while attempts run --

    def relay(self, items: list[Any]) -> None:
        for item in items:
            if isinstance(item, ThrottleEvent):  # the coordinator's own backoff: events, concurrency
                self.launcher.backoffs.get(item.provider).throttle(item.status, item.pause_s)
            elif item != DONE:
                self.emit(item)
        reason = self.launcher.guard()
        if reason != self._stop:
            self._stop = reason
            self.channel.set_stop.remote(reason)


class RemoteAttempt:
    """One attempt at a task, run by a Ray worker; `resume` (after a merge conflict) is a fresh session
    on a worker that starts from the verified commits and is told about the conflict."""

    def __init__(
        self,
        executor: RayExecutor,
        task: Task,
        route: Route,
        placement: Placement,
        n: int,
        gate_task: GateTask,
        gates: GateCount,
    ) -> None:
        self.executor = executor
        self.task = task
        self.task_id = task.id
        self.route = route
        self.placement = placement
        self.n = n
        self.gate_task = gate_task
        self.gates = gates
        self.verified_tree: str | None = None

    @property
    def transcript(self) -> str | None:
        run = f"run-{self.executor.launcher.run_id}"
        return str(Layout(self.executor.project).transcript(run, self.task_id))

    async def run(self, note: str = "") -> AttemptResult:
        return await self._remote(note)

    async def resume(self, message: str) -> AttemptResult:
        return await self._remote(message)

    async def save(self, why: str) -> None:
        """The worker saved and shipped the work already; what it did not ship is lost with it."""

    async def aclose(self) -> None:
        """Nothing held here: the worker's scratch clone went away with its Ray task."""

    async def _remote(self, note: str) -> AttemptResult:
        import ray

        ex = self.executor
        branch = self.placement.worktree.branch
        start, snapshot = await anyio.to_thread.run_sync(self._snapshot, branch)
        launcher = ex.launcher
        job = AttemptJob(
            task=self.task,
            n=self.n,
            note=note,
            agent=self.route.agent,
            routed_model=self.route.model,
            model_spec=launcher.spec_for(self.task_id, self.route.model),
            gate_task=self.gate_task,
            settings=launcher.settings,
            run_id=launcher.run_id,
            branch=branch,
            start=start,
            base=self.placement.base,
            gates=GateCount(self.gates.runs, self.gates.failed),
            cache_ttl=launcher.cache_ttl(self.route.agent),
            identity=ex.identity,
            merge=ex.merges.pop(self.task_id, None),
            approved=ex.approved,
            configuration=ex.configuration,
        )
        key = f"{self.task_id}/{self.n}/{uuid.uuid4().hex[:8]}"
        ref = ex.remote.remote(job, ray.put(snapshot), ex.pauses, ex.channel, key)
        outcome: RemoteOutcome | None = None
        lost = ""
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._pump, key)  # until the worker's last event: none is dropped
                try:
                    outcome = await ref
                except ray.exceptions.RayError as err:
                    lost = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                    tg.cancel_scope.cancel()  # a dead worker sends nothing more
        except anyio.get_cancelled_exc_class():
            ray.cancel(ref)
            raise
        finally:
            ex.channel.forget.remote(key)
        if outcome is None:
            return Crashed(
                f"lost lease: the Ray worker running attempt {self.n} died ({lost}); the next attempt starts "
                "from the last commits it returned"
            )
        return await anyio.to_thread.run_sync(self._take, branch, start, outcome)

    async def _pump(self, key: str) -> None:
        while True:
            items = await self.executor.channel.take.remote(key, POLL_S)
            self.executor.relay(items)
            if DONE in items:
                return

    def _snapshot(self, branch: str) -> tuple[str, bytes]:
        """The branch's commit and a bundle of it with its history (and the integration branch's, which
        an agent merges to resolve a conflict)."""
        ex = self.executor
        start = rev_parse(ex.project, branch)
        data = make_bundle(ex.project, [branch, ex.integration])
        assert data is not None
        return start, data

    def _take(self, branch: str, start: str, outcome: RemoteOutcome) -> AttemptResult:
        """Bring the worker's commits onto the task's branch; a verified result must hash to the tree its
        verdict names, or it is not merged."""
        ex = self.executor
        self.gates.runs, self.gates.failed = outcome.gates.runs, outcome.gates.failed
        if outcome.transcript:
            path = Path(self.transcript or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as out:
                out.write(outcome.transcript)
        if outcome.bundle is not None:
            incoming = f"refs/shopfloor-incoming/{self.task_id}"
            fetch_bundle(ex.project, outcome.bundle, [f"+refs/heads/{branch}:{incoming}"])
            moved = git(ex.project, "update-ref", f"refs/heads/{branch}", outcome.tip, start, check=False)
            git(ex.project, "update-ref", "-d", incoming)
            if not moved.ok:
                return Crashed(
                    f"{branch} moved while attempt {self.n} ran on Ray; its commits were not taken"
                )
        if outcome.marker is not None:
            ex.markers[self.task_id] = outcome.marker
        result = outcome.result
        if isinstance(result, Verified):
            return self._verified(branch, result.report, result)
        return result

    def _verified(self, branch: str, report: GateReport, result: Verified) -> AttemptResult:
        tree = commit_tree(self.executor.project, branch)
        if tree not in {report.tree_hash, report.tree_hash_after}:
            return Crashed(
                f"the commits returned for {self.task_id} hash to tree {tree[:12]}, not the tree "
                f"{report.tree_hash[:12]} the gate verified; they are not merged"
            )
        write_verdict(self.executor.project, report)
        self.verified_tree = report.tree_hash
        return result
