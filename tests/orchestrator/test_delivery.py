"""Delivery with real git: the run's verified work reaches the user's branch once, at the end, keeping every
uncommitted change, or saying exactly what to commit or stash."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopfloor.orchestrator.delivery import (
    Delivered,
    IntegrationError,
    Undelivered,
    deliver,
    start_integration,
)
from shopfloor.orchestrator.merge_queue import Merged, merge_branch
from shopfloor.orchestrator.worktrees import commit_all, create_worktree, ensure_repo
from tests.orchestrator.gitrepo import isolate_git_config, sh, write

INTEGRATION = "shopfloor/integration/main"


@pytest.fixture(autouse=True)
def _no_machine_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git_config(monkeypatch, tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "app" / "main.py", "print('hello')\n")
    write(root / "notes.md", "notes\n")
    ensure_repo(root)
    start_integration(root.resolve(), "main")
    return root.resolve()


def _task(project: Path, task_id: str, files: dict[str, str]) -> None:
    wt = create_worktree(project, task_id, INTEGRATION)
    for name, text in files.items():
        write(wt.path / name, text)
    commit_all(wt.path, f"{task_id} work")
    assert isinstance(merge_branch(project, task_id, wt.branch, integration=INTEGRATION), Merged)


def test_a_clean_checkout_gets_the_work_with_one_fast_forward(project: Path) -> None:
    _task(project, "TASK-001", {"app/main.py": "print('hello, world')\n", "b.py": "B = 1\n"})
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Delivered) and result.changed
    assert sh(project, "rev-parse", "main") == sh(project, "rev-parse", INTEGRATION)
    assert (project / "app" / "main.py").read_text() == "print('hello, world')\n"
    assert sh(project, "status", "--porcelain") == ""
    assert deliver(project, "main", INTEGRATION) == Delivered("main", result.commit, changed=False)


def test_uncommitted_changes_elsewhere_are_kept(project: Path) -> None:
    _task(project, "TASK-001", {"app/main.py": "print('hello, world')\n"})
    write(project / "notes.md", "my own notes, not committed\n")
    write(project / "scratch.txt", "untracked\n")
    assert isinstance(deliver(project, "main", INTEGRATION), Delivered)
    assert (project / "app" / "main.py").read_text() == "print('hello, world')\n"
    assert (project / "notes.md").read_text() == "my own notes, not committed\n"
    assert (project / "scratch.txt").read_text() == "untracked\n"


def test_an_uncommitted_change_to_a_file_the_work_changed_stops_it_and_says_what_to_do(
    project: Path,
) -> None:
    _task(project, "TASK-001", {"app/main.py": "print('hello, world')\n", "b.py": "B = 1\n"})
    write(project / "app" / "main.py", "print('mine')\n")
    head = sh(project, "rev-parse", "HEAD")
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Undelivered)
    assert result.files == ["app/main.py"]
    assert "commit or stash your changes to app/main.py, then `shopfloor resume`" in result.reason
    assert INTEGRATION in result.reason
    # Nothing moved: the branch, the user's edit, and no half-applied work.
    assert sh(project, "rev-parse", "HEAD") == head
    assert (project / "app" / "main.py").read_text() == "print('mine')\n"
    assert not (project / "b.py").exists()
    # The user stashes, the next delivery goes through, and their change comes back on top.
    sh(project, "stash")
    assert isinstance(deliver(project, "main", INTEGRATION), Delivered)
    assert (project / "b.py").read_text() == "B = 1\n"
    sh(project, "checkout", "stash@{0}", "--", "app/main.py")
    assert (project / "app" / "main.py").read_text() == "print('mine')\n"


def test_an_untracked_file_in_the_way_is_named(project: Path) -> None:
    _task(project, "TASK-001", {"b.py": "B = 1\n"})
    write(project / "b.py", "the user's own b\n")
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Undelivered)
    assert "move or commit your untracked b.py" in result.reason
    assert (project / "b.py").read_text() == "the user's own b\n"


def test_commits_the_user_made_during_the_run_are_merged_with_the_work(project: Path) -> None:
    _task(project, "TASK-001", {"b.py": "B = 1\n"})
    write(project / "notes.md", "committed meanwhile\n")
    sh(project, "commit", "-qam", "user's commit")
    mine = sh(project, "rev-parse", "HEAD")
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Delivered)
    assert sh(project, "rev-parse", "HEAD^1") == mine  # the user's line of history comes first
    assert (project / "b.py").read_text() == "B = 1\n"
    assert (project / "notes.md").read_text() == "committed meanwhile\n"
    assert sh(project, "rev-parse", INTEGRATION) == sh(project, "rev-parse", "main")


def test_a_branch_not_checked_out_is_moved_without_touching_any_checkout(project: Path) -> None:
    _task(project, "TASK-001", {"b.py": "B = 1\n"})
    sh(project, "switch", "-q", "-c", "elsewhere")
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Delivered)
    assert sh(project, "rev-parse", "main") == sh(project, "rev-parse", INTEGRATION)
    assert not (project / "b.py").exists()


def test_the_integration_branch_keeps_undelivered_work_and_takes_in_new_commits(project: Path) -> None:
    _task(project, "TASK-001", {"b.py": "B = 1\n"})
    work = sh(project, "rev-parse", INTEGRATION)
    assert start_integration(project, "main") == INTEGRATION
    assert sh(project, "rev-parse", INTEGRATION) == work  # not reset: that work is verified
    write(project / "notes.md", "new notes\n")
    sh(project, "commit", "-qam", "user's commit")
    start_integration(project, "main")
    assert sh(project, "show", f"{INTEGRATION}:notes.md") == "new notes"
    assert sh(project, "show", f"{INTEGRATION}:b.py") == "B = 1"


def test_conflicting_user_commits_stop_the_next_run_with_what_to_do(project: Path) -> None:
    _task(project, "TASK-001", {"notes.md": "from the task\n"})
    write(project / "notes.md", "from the user\n")
    sh(project, "commit", "-qam", "user's commit")
    result = deliver(project, "main", INTEGRATION)
    assert isinstance(result, Undelivered) and f"git merge {INTEGRATION}" in result.reason
    with pytest.raises(IntegrationError, match=r"conflict with it in notes\.md.*git merge"):
        start_integration(project, "main")
