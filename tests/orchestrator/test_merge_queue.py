"""Merge queue with real git: one branch at a time, conflicts reported with the main checkout left clean."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from shopfloor.orchestrator.merge_queue import (
    MergeConflict,
    Merged,
    MergeMethod,
    MergeQueue,
    MergeRefused,
    merge_branch,
)
from shopfloor.orchestrator.worktrees import commit_all, create_worktree, ensure_repo
from tests.orchestrator.gitrepo import isolate_git_config, sh, sh_may_fail, write

METHODS = pytest.mark.parametrize("method", ["merge-tree", "scratch"])


@pytest.fixture(autouse=True)
def _no_machine_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git_config(monkeypatch, tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "shared.txt", "one\ntwo\nthree\n")
    ensure_repo(root)
    return root.resolve()


def _branch(project: Path, task_id: str, files: dict[str, str]) -> str:
    wt = create_worktree(project, task_id, "main")
    for name, text in files.items():
        write(wt.path / name, text)
    commit_all(wt.path, f"{task_id} work")
    return wt.branch


def _assert_clean(project: Path) -> None:
    assert sh(project, "status", "--porcelain") == ""
    assert not (project / ".git" / "MERGE_HEAD").exists()
    assert sh(project, "branch", "--show-current") == "main"


@METHODS
@pytest.mark.anyio
async def test_branches_on_different_files_merge_one_at_a_time(project: Path, method: MergeMethod) -> None:
    a = _branch(project, "TASK-001", {"a.py": "A = 1\n"})
    b = _branch(project, "TASK-002", {"b.py": "B = 2\n"})
    queue = MergeQueue(project, "main", method=method)
    results: dict[str, object] = {}

    async def merge(task_id: str, branch: str) -> None:
        results[task_id] = await queue.merge(task_id, branch)

    async with anyio.create_task_group() as tg:
        tg.start_soon(merge, "TASK-001", a)
        tg.start_soon(merge, "TASK-002", b)
    assert all(isinstance(r, Merged) and not r.already_merged for r in results.values())
    _assert_clean(project)
    assert (project / "a.py").read_text() == "A = 1\n" and (project / "b.py").read_text() == "B = 2\n"
    log = sh(project, "log", "--first-parent", "--format=%s|%p", "main").splitlines()
    assert len(log) == 3
    assert sorted(line.split("|")[0] for line in log[:2]) == [
        "Merge TASK-001 (shopfloor/TASK-001)",
        "Merge TASK-002 (shopfloor/TASK-002)",
    ]
    assert all(len(line.split("|")[1].split()) == 2 for line in log[:2])  # real merge commits (--no-ff)
    head = sh(project, "rev-parse", "HEAD")
    again = merge_branch(project, "TASK-001", a, method=method)
    assert again == Merged("TASK-001", a, head, already_merged=True)


@METHODS
def test_same_lines_conflict_leaves_main_clean_and_resolution_merges(
    project: Path, method: MergeMethod
) -> None:
    first = _branch(project, "TASK-001", {"shared.txt": "one\nTWO from 1\nthree\n"})
    second = _branch(project, "TASK-002", {"shared.txt": "one\nTWO from 2\nthree\n", "other.py": "x = 1\n"})
    merged = merge_branch(project, "TASK-001", first, integration="main", method=method)
    assert isinstance(merged, Merged)
    head = sh(project, "rev-parse", "HEAD")

    conflict = merge_branch(project, "TASK-002", second, integration="main", method=method)
    assert isinstance(conflict, MergeConflict)
    assert (conflict.task_id, conflict.files, conflict.integration) == ("TASK-002", ["shared.txt"], "main")
    assert "CONFLICT" in conflict.details
    _assert_clean(project)
    assert sh(project, "rev-parse", "HEAD") == head
    assert (project / "shared.txt").read_text() == "one\nTWO from 1\nthree\n"
    assert not (project / "other.py").exists()

    # What the task's agent does: merge the integration branch into its own and resolve there.
    wt = create_worktree(project, "TASK-002", "main")
    assert wt.reused
    assert sh_may_fail(wt.path, "merge", "main") != 0
    assert "<<<<<<<" in (wt.path / "shared.txt").read_text()
    write(wt.path / "shared.txt", "one\nTWO from 1 and 2\nthree\n")
    assert commit_all(wt.path, "Resolve conflict with main") is not None
    retried = merge_branch(project, "TASK-002", second, integration="main", method=method)
    assert isinstance(retried, Merged)
    _assert_clean(project)
    assert (project / "shared.txt").read_text() == "one\nTWO from 1 and 2\nthree\n"
    assert (project / "other.py").read_text() == "x = 1\n"


@METHODS
def test_user_changes_in_main_are_kept_or_the_merge_refused(project: Path, method: MergeMethod) -> None:
    write(project / "notes.md", "tracked\n")
    sh(project, "add", "notes.md")
    sh(project, "commit", "-qm", "notes")
    a = _branch(project, "TASK-001", {"a.py": "A = 1\n"})
    b = _branch(project, "TASK-002", {"shared.txt": "changed by task\n"})
    write(project / "notes.md", "tracked, edited by the user\n")
    write(project / "shared.txt", "edited by the user\n")

    assert isinstance(merge_branch(project, "TASK-001", a, method=method), Merged)
    assert (project / "notes.md").read_text() == "tracked, edited by the user\n"
    assert (project / "a.py").exists()

    head = sh(project, "rev-parse", "HEAD")
    with pytest.raises(MergeRefused, match="uncommitted changes"):
        merge_branch(project, "TASK-002", b, method=method)
    assert sh(project, "rev-parse", "HEAD") == head
    assert (project / "shared.txt").read_text() == "edited by the user\n"
    assert not (project / ".git" / "MERGE_HEAD").exists()


def test_refuses_wrong_branch_or_a_merge_in_progress(project: Path) -> None:
    a = _branch(project, "TASK-001", {"shared.txt": "from task\n"})
    with pytest.raises(MergeRefused, match="not develop"):
        merge_branch(project, "TASK-001", a, integration="develop")
    write(project / "shared.txt", "user\n")
    sh(project, "commit", "-qam", "user edit")
    assert sh_may_fail(project, "merge", a) != 0
    assert (project / ".git" / "MERGE_HEAD").exists()
    with pytest.raises(MergeRefused, match="in progress"):
        merge_branch(project, "TASK-001", a)
