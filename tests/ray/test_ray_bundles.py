"""What comes back from a worker is checked before it can be merged: the returned commits must hash to the
tree the gate's verdict names. Real git on both sides; the executor joins the session's local Ray."""

from __future__ import annotations

import datetime
from pathlib import Path

import anyio

from shopfloor.config.settings import load_settings
from shopfloor.gate.report import GateReport, GateTask
from shopfloor.gate.treehash import commit_tree
from shopfloor.gate.verdict import read_verdict, verdict_path
from shopfloor.models.retry import BackoffRegistry
from shopfloor.orchestrator.attempt import Crashed, GateCount, Verified
from shopfloor.orchestrator.bundles import clone_bundle, make_bundle
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.ray_executor import RayExecutor
from shopfloor.orchestrator.ray_worker import RemoteOutcome
from shopfloor.queue.routing import Route
from shopfloor.queue.tasks import load_task_queue
from shopfloor.vcs import git, rev_parse
from tests.e2e.test_orchestrator_faults import make_project

INTEGRATION = "shopfloor/integration/main"
BRANCH = "shopfloor/TASK-001"


def report(tree_hash: str) -> GateReport:
    now = datetime.datetime.now(datetime.UTC)
    return GateReport(
        task_id="TASK-001",
        tree="(worker)",
        tree_hash=tree_hash,
        verdict="pass",
        started_at=now,
        finished_at=now,
    )


def worker_commits(project: Path, tmp: Path) -> tuple[str, bytes, str]:
    """What a worker does to the snapshot: clone it, commit, bundle what is new. (start, bundle, tip)"""
    start = rev_parse(project, BRANCH)
    snapshot = make_bundle(project, [BRANCH, INTEGRATION])
    assert snapshot is not None
    clone = clone_bundle(snapshot, tmp / "clone", BRANCH, ("Worker", "worker@example.invalid"))
    (clone / "a.py").write_text("A = 1\n")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "TASK-001: work")
    bundle = make_bundle(clone, [BRANCH], exclude=[start])
    assert bundle is not None and make_bundle(clone, [BRANCH], exclude=[rev_parse(clone, "HEAD")]) is None
    return start, bundle, rev_parse(clone, "HEAD")


def test_returned_commits_must_hash_to_the_verified_tree(tmp_path: Path, ray_address: str) -> None:
    project = make_project(tmp_path, [("TASK-001", [])])
    git(project, "branch", INTEGRATION)
    task = load_task_queue(project / ".orchestrator" / "task_queue.md").tasks[0]
    launcher = AgentLauncher(
        project=project,
        settings=load_settings(project),
        run_id=1,
        backoffs=BackoffRegistry(),
        guard=lambda: None,
    )
    executor = RayExecutor(project, INTEGRATION, launcher, lambda _event: None, address=ray_address)
    try:
        placement = anyio.run(executor.place, "TASK-001", [])
        assert placement.problem is None and placement.worktree.branch == BRANCH
        attempt = executor.attempt(
            task, Route("backend-agent", "sonnet"), placement, 1, gate_task=GateTask(id="TASK-001"),
            gates=GateCount(),
        )  # fmt: skip
        start, bundle, tip = worker_commits(project, tmp_path)
        # A verdict on some other tree: the commits are kept on the branch, but not offered for merging.
        wrong = RemoteOutcome(
            Verified(report(commit_tree(project, start))), tip, bundle, b"", None, GateCount(1), None
        )
        result = attempt._take(BRANCH, start, wrong)
        assert isinstance(result, Crashed) and "not the tree" in result.reason
        assert rev_parse(project, BRANCH) == tip
        assert attempt.verified_tree is None
        assert read_verdict(verdict_path(project, "TASK-001")) is None
        # The verdict on the very tree that came back: verified, and the verdict is kept for a resume.
        right = report(commit_tree(project, tip))
        again = RemoteOutcome(Verified(right), tip, None, b"", ("done", "ok"), GateCount(2), None)
        assert isinstance(attempt._take(BRANCH, tip, again), Verified)
        assert attempt.verified_tree == right.tree_hash
        assert read_verdict(verdict_path(project, "TASK-001")) == right
        # A later run finds the branch verified and not yet merged.
        taken_over = anyio.run(executor.place, "TASK-001", [])
        assert taken_over.worktree.reused and taken_over.recovered is not None
    finally:
        anyio.run(executor.aclose)
