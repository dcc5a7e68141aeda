"""Merge queue with real git: one branch at a time into the integration branch, conflicts reported, and the
user's own checkout never touched while it happens."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from shopfloor.orchestrator.delivery import start_integration
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
INTEGRATION = "shopfloor/integration/main"


@pytest.fixture(autouse=True)
def _no_machine_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git_config(monkeypatch, tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "shared.txt", "one\ntwo\nthree\n")
    ensure_repo(root)
    assert start_integration(root.resolve(), "main") == INTEGRATION
    return root.resolve()


def _branch(project: Path, task_id: str, files: dict[str, str]) -> str:
    wt = create_worktree(project, task_id, INTEGRATION)
    for name, text in files.items():
        write(wt.path / name, text)
    commit_all(wt.path, f"{task_id} work")
    return wt.branch


def _assert_untouched(project: Path, head: str) -> None:
    """The user's checkout: same commit, same branch, no merge state, nothing changed in its files."""
    assert sh(project, "status", "--porcelain") == ""
    assert not (project / ".git" / "MERGE_HEAD").exists()
    assert sh(project, "branch", "--show-current") == "main"
    assert sh(project, "rev-parse", "main") == head


@METHODS
@pytest.mark.anyio
async def test_branches_on_different_files_merge_one_at_a_time(project: Path, method: MergeMethod) -> None:
    a = _branch(project, "TASK-001", {"a.py": "A = 1\n"})
    b = _branch(project, "TASK-002", {"b.py": "B = 2\n"})
    start = sh(project, "rev-parse", "main")
    queue = MergeQueue(project, INTEGRATION, method=method)
    results: dict[str, object] = {}

    async def merge(task_id: str, branch: str) -> None:
        results[task_id] = await queue.merge(task_id, branch)

    async with anyio.create_task_group() as tg:
        tg.start_soon(merge, "TASK-001", a)
        tg.start_soon(merge, "TASK-002", b)
    assert all(isinstance(r, Merged) and not r.already_merged for r in results.values())
    _assert_untouched(project, start)
    assert not (project / "a.py").exists() and not (project / "b.py").exists()
    assert (
        sh(project, "show", f"{INTEGRATION}:a.py") == "A = 1"
        and sh(project, "show", f"{INTEGRATION}:b.py") == "B = 2"
    )
    log = sh(project, "log", "--first-parent", "--format=%s|%p", INTEGRATION).splitlines()
    assert len(log) == 3
    assert sorted(line.split("|")[0] for line in log[:2]) == [
        "Merge TASK-001 (shopfloor/TASK-001)",
        "Merge TASK-002 (shopfloor/TASK-002)",
    ]
    assert all(len(line.split("|")[1].split()) == 2 for line in log[:2])  # real merge commits (--no-ff)
    head = sh(project, "rev-parse", INTEGRATION)
    again = merge_branch(project, "TASK-001", a, integration=INTEGRATION, method=method)
    assert again == Merged("TASK-001", a, head, already_merged=True)


@METHODS
def test_same_lines_conflict_leaves_main_clean_and_resolution_merges(
    project: Path, method: MergeMethod
) -> None:
    first = _branch(project, "TASK-001", {"shared.txt": "one\nTWO from 1\nthree\n"})
    second = _branch(project, "TASK-002", {"shared.txt": "one\nTWO from 2\nthree\n", "other.py": "x = 1\n"})
    start = sh(project, "rev-parse", "main")
    merged = merge_branch(project, "TASK-001", first, integration=INTEGRATION, method=method)
    assert isinstance(merged, Merged)
    head = sh(project, "rev-parse", INTEGRATION)

    conflict = merge_branch(project, "TASK-002", second, integration=INTEGRATION, method=method)
    assert isinstance(conflict, MergeConflict)
    assert (conflict.task_id, conflict.files, conflict.integration) == (
        "TASK-002",
        ["shared.txt"],
        INTEGRATION,
    )
    assert "CONFLICT" in conflict.details
    _assert_untouched(project, start)
    assert sh(project, "rev-parse", INTEGRATION) == head
    assert sh(project, "show", f"{INTEGRATION}:shared.txt") == "one\nTWO from 1\nthree"
    assert sh_may_fail(project, "cat-file", "-e", f"{INTEGRATION}:other.py") != 0

    # What shopfloor starts in the task's worktree (the agent then edits the markers away), and commits.
    wt = create_worktree(project, "TASK-002", INTEGRATION)
    assert wt.reused
    assert sh_may_fail(wt.path, "merge", INTEGRATION) != 0
    assert "<<<<<<<" in (wt.path / "shared.txt").read_text()
    write(wt.path / "shared.txt", "one\nTWO from 1 and 2\nthree\n")
    assert commit_all(wt.path, "Resolve conflict") is not None
    retried = merge_branch(project, "TASK-002", second, integration=INTEGRATION, method=method)
    assert isinstance(retried, Merged)
    _assert_untouched(project, start)
    assert sh(project, "show", f"{INTEGRATION}:shared.txt") == "one\nTWO from 1 and 2\nthree"
    assert sh(project, "show", f"{INTEGRATION}:other.py") == "x = 1"


@METHODS
def test_uncommitted_changes_in_the_users_checkout_never_stop_a_merge(
    project: Path, method: MergeMethod
) -> None:
    b = _branch(project, "TASK-002", {"shared.txt": "changed by task\n"})
    write(project / "shared.txt", "edited by the user\n")
    head = sh(project, "rev-parse", "HEAD")

    merged = merge_branch(project, "TASK-002", b, integration=INTEGRATION, method=method)
    assert isinstance(merged, Merged)
    assert sh(project, "show", f"{INTEGRATION}:shared.txt") == "changed by task"
    # Not a byte of the checkout changed: same commit, and the user's edit as they left it.
    assert sh(project, "rev-parse", "HEAD") == head
    assert (project / "shared.txt").read_text() == "edited by the user\n"
    assert sh(project, "status", "--porcelain") == "M shared.txt"


def test_refuses_an_integration_branch_someone_checked_out(project: Path) -> None:
    a = _branch(project, "TASK-001", {"a.py": "A = 1\n"})
    sh(project, "worktree", "add", "-q", str(project.parent / "look"), INTEGRATION)
    with pytest.raises(MergeRefused, match=r"checked out in .*look"):
        merge_branch(project, "TASK-001", a, integration=INTEGRATION)


@pytest.mark.anyio
async def test_a_note_is_an_empty_commit_on_the_integration_branch(project: Path) -> None:
    start = sh(project, "rev-parse", "main")
    commit = await MergeQueue(project, INTEGRATION).note("shopfloor: improvement loop 1")
    assert sh(project, "rev-parse", INTEGRATION) == commit
    assert sh(project, "log", "-1", "--format=%s|%P", INTEGRATION) == f"shopfloor: improvement loop 1|{start}"
    assert sh(project, "rev-parse", "main") == start


@METHODS
@pytest.mark.anyio
async def test_a_merge_built_ahead_is_used_only_while_both_branches_stay_put(
    project: Path, method: MergeMethod
) -> None:
    a = _branch(project, "TASK-001", {"a.py": "A = 1\n"})
    b = _branch(project, "TASK-002", {"b.py": "B = 2\n"})
    c = _branch(project, "TASK-003", {"c.py": "C = 3\n"})
    queue = MergeQueue(project, INTEGRATION, method=method)
    built = await queue.prepare("TASK-001", a, "Merge TASK-001")
    assert built is not None and sh(project, "rev-parse", INTEGRATION) != built  # built, nothing moved
    assert await queue.merge("TASK-001", a, "Merge TASK-001") == Merged("TASK-001", a, built)
    # Built ahead, then the integration branch moved on (TASK-003 merged first): built again on top.
    early = await queue.prepare("TASK-002", b, "Merge TASK-002")
    third = await queue.merge("TASK-003", c, "Merge TASK-003")
    merged = await queue.merge("TASK-002", b, "Merge TASK-002")
    assert isinstance(third, Merged) and isinstance(merged, Merged) and merged.commit != early
    assert sh(project, "rev-parse", f"{merged.commit}^1") == third.commit
    # Built ahead, then the task's own branch moved (its agent changed the work after a failed gate).
    d = _branch(project, "TASK-004", {"d.py": "D = 0\n"})
    stale = await queue.prepare("TASK-004", d, "Merge TASK-004")
    write(project / ".orchestrator" / "worktrees" / "TASK-004" / "d.py", "D = 4\n")
    commit_all(project / ".orchestrator" / "worktrees" / "TASK-004", "TASK-004 fixed")
    fourth = await queue.merge("TASK-004", d, "Merge TASK-004")
    assert isinstance(fourth, Merged) and fourth.commit != stale
    assert sh(project, "show", f"{INTEGRATION}:d.py") == "D = 4"
    log = sh(project, "log", "--first-parent", "--format=%s", INTEGRATION).splitlines()
    assert log[:4] == ["Merge TASK-004", "Merge TASK-002", "Merge TASK-003", "Merge TASK-001"]
