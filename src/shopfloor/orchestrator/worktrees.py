"""One git worktree and branch per task: `.orchestrator/worktrees/<TASK-ID>` on `shopfloor/<TASK-ID>`."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from shopfloor.layout import ORCHESTRATOR_DIR, Layout
from shopfloor.orchestrator.first_commit import FirstCommit, first_commit
from shopfloor.vcs import (
    GitError,
    conflicted_files,
    current_branch,
    git,
    git_dir,
    git_path,
    ref_exists,
    rev_parse,
)

BRANCH_PREFIX = "shopfloor/"
_EXCLUDE_LINE = f"/{ORCHESTRATOR_DIR}/"
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class WorktreeError(RuntimeError):
    """A worktree cannot be created, reused or removed; the message says what to do."""


class DirtyWorktreeError(WorktreeError):
    """The worktree holds uncommitted work, so it is kept."""


class DependencyConflict(WorktreeError):
    """A dependency's branch does not merge cleanly into a new task branch."""

    def __init__(self, message: str, files: list[str]) -> None:
        super().__init__(message)
        self.files = files


@dataclass(frozen=True)
class RepoInfo:
    root: Path
    branch: str
    """The integration branch: the one checked out in the project."""
    created: bool
    """True when shopfloor ran `git init` (or made the first commit) just now."""
    first: FirstCommit | None = None
    """What that first commit took in and left out."""


@dataclass(frozen=True)
class Worktree:
    task_id: str
    path: Path
    branch: str
    reused: bool = False
    """True when an existing worktree was picked up (a retry or a resumed run)."""


def _repo_lock(project: Path) -> threading.Lock:
    """Worktree bookkeeping in .git is not safe against itself in parallel, so one change at a time."""
    with _locks_guard:
        return _locks.setdefault(project.resolve(), threading.Lock())


def worktree_path(project: Path, task_id: str) -> Path:
    return Layout(project.resolve()).worktree(task_id)


def branch_name(task_id: str) -> str:
    return f"{BRANCH_PREFIX}{task_id}"


def ensure_repo(project: Path) -> RepoInfo:
    """Make `project` a git repository with at least one commit, and return its integration branch."""
    project = project.resolve()
    created = False
    with _repo_lock(project):
        top = git(project, "rev-parse", "--show-toplevel", check=False)
        if not top.ok:
            git(project, "-c", "init.defaultBranch=main", "init", "-q")
            created = True
        elif Path(top.stdout.strip()).resolve() != project:
            raise WorktreeError(
                f"{project} is inside the git repository at {top.stdout.strip()}; "
                f"run shopfloor at the repository's root (`cd {top.stdout.strip()}`)"
            )
        exclude_orchestrator_dir(project)
        first = None
        if not ref_exists(project, "HEAD"):
            first = first_commit(project, made_repo=created)
            created = True
        branch = current_branch(project)
    if branch is None:
        raise WorktreeError(
            f"{project} has a detached HEAD; check out the branch tasks should merge into "
            "(`git switch BRANCH`), then run shopfloor again"
        )
    return RepoInfo(project, branch, created, first)


def exclude_orchestrator_dir(project: Path) -> None:
    """List `.orchestrator/` in the repository's info/exclude (shared by all its worktrees).

    Everything under it is run state, not project content: the queue, the state database, task worktrees
    nested inside the main checkout, and the completion markers agents write in their worktrees. Excluding
    it keeps `git add -A` in a task's worktree from committing markers or state into task branches (and from
    there into the integration branch), and keeps the worktrees from showing up as untracked files in the
    project. info/exclude rather than .gitignore so the user's tracked files are not touched.
    """
    exclude = git_path(project, "info/exclude")
    text = exclude.read_text(encoding="utf-8") if exclude.exists() else ""
    entries = {line.strip().strip("/") for line in text.splitlines()}
    if ORCHESTRATOR_DIR in entries:
        return
    exclude.parent.mkdir(parents=True, exist_ok=True)
    prefix = "" if not text or text.endswith("\n") else "\n"
    exclude.write_text(f"{text}{prefix}# shopfloor run state\n{_EXCLUDE_LINE}\n", encoding="utf-8")


def find_worktree(project: Path, task_id: str) -> Worktree | None:
    """The task's registered worktree, if it exists on disk."""
    wanted = worktree_path(project, task_id)
    listing = git(project, "worktree", "list", "--porcelain").stdout
    for record in listing.split("\n\n"):
        fields = dict(line.partition(" ")[::2] for line in record.splitlines() if line)
        if "worktree" in fields and Path(fields["worktree"]).resolve() == wanted and wanted.is_dir():
            branch = fields.get("branch", "").removeprefix("refs/heads/")
            return Worktree(task_id, wanted, branch or branch_name(task_id), reused=True)
    return None


def create_worktree(
    project: Path, task_id: str, base_ref: str, deps_branches: list[str] | tuple[str, ...] = ()
) -> Worktree:
    """The task's worktree: reused as it is if it exists, else new from `base_ref` with its deps merged in."""
    project = project.resolve()
    path, branch = worktree_path(project, task_id), branch_name(task_id)
    with _repo_lock(project):
        if path.exists():
            existing = find_worktree(project, task_id)
            if existing is not None:
                return existing
            if any(path.iterdir()):
                raise WorktreeError(
                    f"{path} exists but is not a git worktree of {project}; move it away (shopfloor never "
                    "deletes it)"
                )
            path.rmdir()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The usual case in one call; a branch left by an earlier run, or a stale record, take the long way.
        if not git(project, "worktree", "add", "-q", "-b", branch, str(path), base_ref, check=False).ok:
            git(project, "worktree", "prune")
            if ref_exists(project, f"refs/heads/{branch}"):
                git(project, "worktree", "add", "-q", str(path), branch)
            else:
                git(project, "worktree", "add", "-q", "-b", branch, str(path), base_ref)
    merge_dependencies(path, branch, deps_branches)
    Layout(path).marker_dir.mkdir(parents=True, exist_ok=True)
    return Worktree(task_id, path, branch)


def merge_dependencies(path: Path, branch: str, deps_branches: list[str] | tuple[str, ...]) -> bool:
    """Merge each dependency branch the worktree's HEAD lacks; True when any was merged.

    Usually every one is already in (it was merged into the branch the worktree started from): one git
    call says so. A dependency that does not merge cleanly raises DependencyConflict, nothing left merged.
    """
    if not deps_branches:
        return False
    missing = git(path, "rev-list", "--max-count=1", *deps_branches, "^HEAD", "--", check=False)
    if missing.ok and not missing.stdout.strip():
        return False
    for dep in deps_branches:
        merged = git(
            path,
            "merge",
            "-q",
            "--no-ff",
            "--no-edit",
            "--no-verify",
            "-m",
            f"Merge {dep} into {branch} (dependency)",
            dep,
            check=False,
            identity=True,
        )
        if not merged.ok:
            files = conflicted_files(path)
            git(path, "merge", "--abort", check=False)
            raise DependencyConflict(
                f"dependency branch {dep} conflicts with {branch} in: {', '.join(files) or merged.output}",
                files,
            )
    return True


def start_over_at(worktree: Path, commit: str) -> None:
    """Point a worktree nobody has worked in yet (made ahead of its task) and its branch at `commit`."""
    git(worktree, "reset", "-q", "--hard", commit)


_NOTHING_TO_COMMIT = re.compile(r"nothing (added )?to commit|no changes added to commit")


@dataclass(frozen=True)
class Saved:
    committed: bool
    """False when nothing had changed."""


def commit_work(worktree: Path, message: str) -> Saved:
    """Commit everything in the worktree (agents' work is committed as it goes); HEAD's tree is then the
    tree of everything in it."""
    git(worktree, "add", "-A")
    merging = (git_dir(worktree) / "MERGE_HEAD").exists()
    done = git(worktree, "commit", "-q", "--no-verify", "-m", message, check=False, identity=True)
    if done.ok:
        return Saved(True)
    if not merging and _NOTHING_TO_COMMIT.search(done.output):
        return Saved(False)
    raise GitError(("commit", "-q", "--no-verify", "-m", message), done.code, done.output)


def commit_all(worktree: Path, message: str) -> str | None:
    """`commit_work`, and the new commit's id (None when nothing changed)."""
    return rev_parse(worktree, "HEAD") if commit_work(worktree, message).committed else None


def is_dirty(worktree: Path) -> bool:
    """True when there are uncommitted changes or untracked (not ignored) files, or a merge in progress."""
    status = git(worktree, "status", "--porcelain", "--untracked-files=all").stdout
    return bool(status.strip()) or git_path(worktree, "MERGE_HEAD").exists()


def discard_worktree(project: Path, task_id: str) -> bool:
    """Remove a merged task's worktree, whatever its checks left in it; its branch stays (False if none).

    The folder is moved aside and git forgets it under the lock; deleting its files happens after, so
    a large tree does not hold up the next task's worktree.
    """
    project = project.resolve()
    path = worktree_path(project, task_id)
    aside = Layout(project).removed_worktrees / f"{task_id}-{os.getpid()}-{threading.get_ident()}"
    with _repo_lock(project):
        if not path.is_dir():
            return False
        aside.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(aside, ignore_errors=True)
        path.rename(aside)
        git(project, "worktree", "prune")
    shutil.rmtree(aside, ignore_errors=True)
    with _repo_lock(project), contextlib.suppress(OSError):  # another removal may be under way
        aside.parent.rmdir()
    return True


def remove_worktree(project: Path, task_id: str, *, delete_branch: bool = False) -> bool:
    """Remove the task's worktree (False if there is none); refuses while it holds uncommitted work.

    With `delete_branch`, the branch goes too, but only when its commits are merged into HEAD.
    """
    project = project.resolve()
    with _repo_lock(project):
        found = find_worktree(project, task_id)
        if found is None:
            return False
        if is_dirty(found.path):
            raise DirtyWorktreeError(
                f"{found.path} has uncommitted work; commit or discard it first (it is never deleted for you)"
            )
        git(project, "worktree", "remove", str(found.path))
        if delete_branch:
            try:
                git(project, "branch", "-d", found.branch)
            except GitError as err:
                raise WorktreeError(
                    f"kept branch {found.branch}: it has commits not merged into HEAD"
                ) from err
    return True
