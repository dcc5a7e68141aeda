"""How an executor tells that an earlier run merged a task's work: the integration branch's merge commit
that took the task's tip in, found with real git."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.config.settings import load_settings
from shopfloor.models.retry import BackoffRegistry
from shopfloor.orchestrator.executor_base import ExecutorBase
from shopfloor.orchestrator.launcher import AgentLauncher
from tests.orchestrator.gitrepo import isolate_git_config, sh, write

INTEGRATION = "shopfloor/integration/main"


@pytest.fixture
def executor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ExecutorBase:
    isolate_git_config(monkeypatch, tmp_path)
    project = tmp_path / "project"
    write(project / "README.md", "sample\n")
    sh(project, "init", "-q", "-b", "main")
    sh(project, "add", "-A")
    sh(project, "commit", "-q", "-m", "init")
    sh(project, "branch", INTEGRATION)
    settings = load_settings(project)
    launcher = AgentLauncher(project, settings, run_id=1, backoffs=BackoffRegistry(), guard=lambda: None)
    return ExecutorBase(project, INTEGRATION, launcher, lambda _event: None)


def commit_on(project: Path, branch: str, name: str) -> str:
    sh(project, "checkout", "-q", branch)
    write(project / name, f"{name}\n")
    sh(project, "add", name)
    sh(project, "commit", "-q", "-m", name)
    return sh(project, "rev-parse", "HEAD")


def test_the_merge_that_took_a_task_in_is_found_after_later_merges(executor: ExecutorBase) -> None:
    project = executor.project
    sh(project, "branch", "shopfloor/TASK-001", INTEGRATION)
    tip = commit_on(project, "shopfloor/TASK-001", "a.py")
    assert executor.merged_at(tip) is None  # not merged yet: an earlier run stopped before its merge

    # Merges before it that do not descend from the task's tip, and after it that do, are not the one.
    before = commit_on(project, "main", "b.py")
    after = commit_on(project, "main", "c.py")
    sh(project, "checkout", "-q", INTEGRATION)
    sh(project, "merge", "-q", "--no-ff", "-m", "Merge before", before)
    sh(project, "merge", "-q", "--no-ff", "-m", "Merge TASK-001", "shopfloor/TASK-001")
    merge = sh(project, "rev-parse", "HEAD")
    sh(project, "merge", "-q", "--no-ff", "-m", "Merge after", after)
    assert executor.merged_at(tip) == merge


def test_work_the_integration_branch_took_without_a_merge_commit_is_merged_at_its_tip(
    executor: ExecutorBase,
) -> None:
    project = executor.project
    tip = commit_on(project, INTEGRATION, "a.py")
    later = commit_on(project, INTEGRATION, "b.py")
    assert executor.merged_at(tip) == later
