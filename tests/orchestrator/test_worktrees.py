"""Worktrees with real git: repo setup, per-task worktrees with dependencies merged, commits, tree hashes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import anyio
import pytest

from shopfloor.gate.treehash import commit_tree
from shopfloor.gate.treehash import tree_hash as hash_tree
from shopfloor.orchestrator.worktrees import (
    DependencyConflict,
    DirtyWorktreeError,
    WorktreeError,
    commit_all,
    create_worktree,
    ensure_repo,
    find_worktree,
    is_dirty,
    remove_worktree,
)
from shopfloor.vcs import identity_env, tidy
from tests.orchestrator.gitrepo import isolate_git_config, sh, write


@pytest.fixture(autouse=True)
def _no_machine_git_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git_config(monkeypatch, tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write(root / "app.py", "print('hello')\n")
    write(root / ".orchestrator" / "task_queue.md", "# queue\n")
    ensure_repo(root)
    return root.resolve()


def test_ensure_repo_initialises_an_empty_dir(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    info = ensure_repo(empty)
    assert (info.branch, info.created) == ("main", True)
    assert sh(empty, "log", "--format=%s|%an") == "Initial commit|shopfloor"
    again = ensure_repo(empty)
    assert again.created is False
    assert sh(empty, "rev-list", "--count", "HEAD") == "1"


def test_ensure_repo_commits_what_is_there_but_not_run_state(project: Path) -> None:
    # The first commit also takes the .gitignore shopfloor writes for secrets and dependencies.
    assert sh(project, "ls-files").splitlines() == [".gitignore", "app.py"]
    assert sh(project, "status", "--porcelain") == ""
    assert "/.orchestrator/" in (project / ".git" / "info" / "exclude").read_text()


def test_ensure_repo_on_existing_repo_keeps_its_branch_and_refuses_subdirs(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo / "sub" / "x.txt", "x\n")
    sh(tmp_path, "init", "-q", "-b", "develop", str(repo))
    sh(repo, "add", "-A")
    sh(repo, "commit", "-qm", "mine")
    info = ensure_repo(repo)
    assert (info.branch, info.created) == ("develop", False)
    assert sh(repo, "log", "--format=%s") == "mine"
    with pytest.raises(WorktreeError, match="repository's root"):
        ensure_repo(repo / "sub")


def _task_branch(project: Path, task_id: str, files: dict[str, str]) -> str:
    wt = create_worktree(project, task_id, "main")
    for name, text in files.items():
        write(wt.path / name, text)
    assert commit_all(wt.path, f"{task_id} work") is not None
    return wt.branch


def test_worktree_starts_from_base_with_dependencies_merged(project: Path) -> None:
    dep1 = _task_branch(project, "TASK-001", {"models.py": "class User: ...\n"})
    dep2 = _task_branch(project, "TASK-002", {"routes.py": "ROUTES = []\n"})
    wt = create_worktree(project, "TASK-003", "main", [dep1, dep2])
    assert wt.path == project / ".orchestrator" / "worktrees" / "TASK-003"
    assert wt.branch == "shopfloor/TASK-003"
    assert sorted(p.name for p in wt.path.iterdir() if p.name != ".git") == [
        ".gitignore",
        ".orchestrator",
        "app.py",
        "models.py",
        "routes.py",
    ]
    assert (wt.path / ".orchestrator" / "complete").is_dir()
    assert sh(wt.path, "branch", "--show-current") == "shopfloor/TASK-003"
    assert sh(project, "status", "--porcelain") == ""  # nested worktrees are not untracked files
    assert not is_dirty(wt.path)


def test_existing_worktree_is_reused_with_its_uncommitted_work(project: Path) -> None:
    first = create_worktree(project, "TASK-001", "main")
    write(first.path / "draft.py", "x = 1\n")
    again = create_worktree(project, "TASK-001", "main")
    assert (again.path, again.branch, again.reused) == (first.path, first.branch, True)
    assert (again.path / "draft.py").read_text() == "x = 1\n"
    assert find_worktree(project, "TASK-404") is None


def test_dependency_conflict_is_reported(project: Path) -> None:
    left = _task_branch(project, "TASK-001", {"app.py": "print('left')\n"})
    right = _task_branch(project, "TASK-002", {"app.py": "print('right')\n"})
    with pytest.raises(DependencyConflict) as caught:
        create_worktree(project, "TASK-003", "main", [left, right])
    assert caught.value.files == ["app.py"]
    wt = find_worktree(project, "TASK-003")
    assert wt is not None
    assert not (wt.path / sh(wt.path, "rev-parse", "--git-path", "MERGE_HEAD")).exists()  # merge aborted
    assert sh(wt.path, "status", "--porcelain") == ""
    assert (wt.path / "app.py").read_text() == "print('left')\n"


def test_commit_all_commits_work_but_not_markers(project: Path) -> None:
    wt = create_worktree(project, "TASK-001", "main")
    write(wt.path / "api.py", "def get(): ...\n")
    write(wt.path / ".orchestrator" / "complete" / "TASK-001.done", "ok\n")
    sha = commit_all(wt.path, "TASK-001: add api")
    assert sha == sh(wt.path, "rev-parse", "HEAD")
    assert sh(wt.path, "show", "--name-only", "--format=%s|%an", "HEAD").splitlines() == [
        "TASK-001: add api|shopfloor",
        "",
        "api.py",
    ]
    assert commit_all(wt.path, "nothing new") is None
    assert sh(project, "branch", "--show-current") == "main"


def tree_hash(tree: Path) -> str:
    return anyio.run(hash_tree, tree)


def test_tree_hash_follows_the_working_tree_and_leaves_the_index_alone(project: Path) -> None:
    wt = create_worktree(project, "TASK-001", "main")
    clean = tree_hash(wt.path)
    assert clean == sh(wt.path, "rev-parse", "HEAD^{tree}")
    write(wt.path / "app.py", "print('changed')\n")
    edited = tree_hash(wt.path)
    assert edited != clean
    write(wt.path / "new.py", "")
    with_new = tree_hash(wt.path)
    assert with_new not in (clean, edited)
    assert sh(wt.path, "diff", "--cached", "--name-only") == ""  # nothing was staged for real
    write(wt.path / ".orchestrator" / "complete" / "TASK-001.done", "done\n")
    assert tree_hash(wt.path) == with_new  # markers are not part of the tree
    commit_all(wt.path, "work")
    assert tree_hash(wt.path) == with_new == sh(wt.path, "rev-parse", "HEAD^{tree}")
    write(wt.path / "app.py", "print('hello')\n")
    (wt.path / "new.py").unlink()
    assert tree_hash(wt.path) == clean


def test_a_commit_s_tree_reads_as_the_gate_hashes_it_checked_out(project: Path) -> None:
    wt = create_worktree(project, "TASK-001", "main")
    write(wt.path / "app.py", "print('changed')\n")
    commit_all(wt.path, "work")
    assert commit_tree(project, "shopfloor/TASK-001") == tree_hash(wt.path)
    # A project that tracks its task queue: the gate's hash leaves the harness folder out, so must this.
    write(wt.path / ".orchestrator" / "task_queue.md", "# Tasks\n")
    sh(wt.path, "add", "--force", ".orchestrator/task_queue.md")
    sh(wt.path, "commit", "-q", "-m", "queue")
    assert commit_tree(project, "shopfloor/TASK-001") == tree_hash(wt.path)
    assert commit_tree(project, "shopfloor/TASK-001") != sh(wt.path, "rev-parse", "HEAD^{tree}")


def test_dirty_worktree_is_never_removed(project: Path) -> None:
    wt = create_worktree(project, "TASK-001", "main")
    write(wt.path / "unsaved.py", "important = True\n")
    assert is_dirty(wt.path)
    with pytest.raises(DirtyWorktreeError, match="uncommitted work"):
        remove_worktree(project, "TASK-001")
    assert (wt.path / "unsaved.py").read_text() == "important = True\n"
    commit_all(wt.path, "save")
    with pytest.raises(WorktreeError, match="not merged"):
        remove_worktree(project, "TASK-001", delete_branch=True)
    assert not wt.path.exists()
    assert sh(project, "branch", "--list", "shopfloor/TASK-001") != ""  # the work is still on its branch
    assert remove_worktree(project, "TASK-001") is False


def test_removed_worktree_comes_back_on_its_branch(project: Path) -> None:
    branch = _task_branch(project, "TASK-001", {"kept.py": "k = 1\n"})
    assert remove_worktree(project, "TASK-001") is True
    again = create_worktree(project, "TASK-001", "main")
    assert again.branch == branch and not again.reused
    assert (again.path / "kept.py").read_text() == "k = 1\n"


def test_stray_directory_in_the_way_is_not_deleted(project: Path) -> None:
    stray = write(project / ".orchestrator" / "worktrees" / "TASK-009" / "notes.txt", "mine\n")
    with pytest.raises(WorktreeError, match="move it away"):
        create_worktree(project, "TASK-009", "main")
    assert stray.read_text() == "mine\n"


def test_identity_env_lets_an_agent_commit_in_a_repo_without_identity(project: Path) -> None:
    env = identity_env(project)
    assert env == {
        "GIT_AUTHOR_NAME": "shopfloor",
        "GIT_COMMITTER_NAME": "shopfloor",
        "GIT_AUTHOR_EMAIL": "shopfloor@localhost",
        "GIT_COMMITTER_EMAIL": "shopfloor@localhost",
    }
    wt = create_worktree(project, "TASK-001", "main")
    write(wt.path / "app.py", "print('agent')\n")
    done = subprocess.run(
        ["git", "commit", "-qam", "agent commit"], cwd=wt.path, env={**os.environ, **env}, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    write(wt.path / "early.py", "")
    commit_all(wt.path, "shopfloor's own commit, before the repository had an identity")
    assert sh(wt.path, "log", "-1", "--format=%an") == "shopfloor"
    sh(project, "config", "user.name", "Dana")
    sh(project, "config", "user.email", "dana@example.com")
    assert identity_env(project) == {}
    write(wt.path / "more.py", "")
    commit_all(wt.path, "with the repo's identity")
    assert sh(wt.path, "log", "-1", "--format=%an <%ae>") == "Dana <dana@example.com>"


def commit_graph(repo: Path) -> bool:
    info = repo / ".git" / "objects" / "info"
    return (info / "commit-graph").exists() or (info / "commit-graphs").is_dir()


def test_git_upkeep_waits_for_the_run_end_and_then_runs_once(project: Path) -> None:
    # git would write a commit-graph after any commit that leaves one or more commits out of it
    sh(project, "config", "maintenance.commit-graph.enabled", "true")
    sh(project, "config", "maintenance.commit-graph.auto", "1")
    wt = create_worktree(project, "TASK-001", "main")
    for n in range(3):
        write(wt.path / f"m{n}.py", f"N = {n}\n")
        commit_all(wt.path, f"step {n}")
    assert not commit_graph(project)  # shopfloor's commits left git's upkeep for later
    tidy(project)
    assert commit_graph(project)
