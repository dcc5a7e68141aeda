"""Integrating finished task branches into the project's checked-out branch, one at a time.

The merge itself is computed away from the main checkout (`git merge-tree`, or a scratch worktree on git
older than 2.38), so a conflict never leaves the main checkout mid-merge. A clean result is then taken in
with a fast-forward, which keeps the user's uncommitted changes when they do not touch the same files and
refuses, changing nothing, when they do.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread

from shopfloor.layout import Layout
from shopfloor.vcs import (
    GitError,
    conflicted_files,
    current_branch,
    git,
    git_path,
    git_version,
    rev_parse,
)

MergeMethod = Literal["auto", "merge-tree", "scratch"]
_IN_PROGRESS = ("MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply")


@dataclass(frozen=True)
class Merged:
    task_id: str
    branch: str
    commit: str
    """The integration branch's new head (its old head when there was nothing to merge)."""
    already_merged: bool = False


@dataclass(frozen=True)
class MergeConflict:
    """The branch conflicts with the integration branch; its agent must merge that in and resolve."""

    task_id: str
    branch: str
    integration: str
    files: list[str]
    details: str
    """What git said about the conflict."""


MergeResult = Merged | MergeConflict


class MergeRefused(RuntimeError):
    """The main checkout is not in a state to take a merge; nothing was changed."""


def merge_branch(
    project: Path,
    task_id: str,
    branch: str,
    *,
    integration: str | None = None,
    message: str | None = None,
    method: MergeMethod = "auto",
) -> MergeResult:
    """Merge `branch` into the checked-out branch with a merge commit (`--no-ff`), or report the conflict."""
    project = project.resolve()
    for marker in _IN_PROGRESS:
        if git_path(project, marker).exists():
            raise MergeRefused(
                f"{project} has a git operation in progress ({marker}); finish or abort it first"
            )
    checked_out = current_branch(project)
    if checked_out is None or (integration is not None and checked_out != integration):
        raise MergeRefused(
            f"{project} is on {checked_out or 'a detached HEAD'}, not {integration or 'a branch'}"
        )
    message = message or f"Merge {task_id} ({branch})"
    for _ in range(3):  # HEAD can move under us if the user commits meanwhile; start again then
        head, tip = rev_parse(project, "HEAD"), rev_parse(project, branch)
        if git(project, "merge-base", "--is-ancestor", tip, head, check=False).ok:
            return Merged(task_id, branch, head, already_merged=True)
        use = method if method != "auto" else ("merge-tree" if git_version() >= (2, 38) else "scratch")
        outcome = (_merge_tree if use == "merge-tree" else _merge_in_scratch)(project, head, tip, message)
        if isinstance(outcome, tuple):
            files, said = outcome
            return MergeConflict(
                task_id, branch, checked_out, files, _advice(branch, checked_out, files, said)
            )
        taken = git(project, "merge", "--ff-only", "--no-verify", "-q", outcome, check=False)
        if taken.ok:
            return Merged(task_id, branch, outcome)
        if rev_parse(project, "HEAD") == head:
            raise MergeRefused(
                f"merging {task_id} into {checked_out} would overwrite uncommitted changes in {project}; "
                f"commit or stash them and the merge can be retried. git said: {taken.output}"
            )
    raise MergeRefused(f"{checked_out} kept moving while {task_id} was being merged")


def _merge_tree(project: Path, head: str, tip: str, message: str) -> str | tuple[list[str], str]:
    """A merge commit built without touching any checkout, or (conflicted files, git's messages)."""
    result = git(project, "merge-tree", "--write-tree", "--name-only", head, tip, check=False)
    if result.code not in (0, 1):
        raise GitError(("merge-tree", head, tip), result.code, result.output)
    tree, _, rest = result.stdout.partition("\n")
    if result.code == 1:
        names, _, messages = rest.partition("\n\n")
        return [n for n in names.splitlines() if n], messages.strip()
    return git(
        project, "commit-tree", tree.strip(), "-p", head, "-p", tip, "-m", message, identity=True
    ).stdout.strip()


def _merge_in_scratch(project: Path, head: str, tip: str, message: str) -> str | tuple[list[str], str]:
    """The same in a private detached worktree, for git versions without `merge-tree --write-tree`."""
    scratch = Layout(project).worktrees_dir / "_merge"
    listed = git(project, "worktree", "list", "--porcelain").stdout
    if f"worktree {scratch}\n" not in listed + "\n" or not scratch.is_dir():
        shutil.rmtree(scratch, ignore_errors=True)  # only ever holds our own throwaway merges
        git(project, "worktree", "prune")
        git(project, "worktree", "add", "-q", "--detach", str(scratch), head)
    else:
        git(scratch, "merge", "--abort", check=False)
        git(scratch, "checkout", "-q", "--detach", "-f", head)
        git(scratch, "clean", "-fdq")
    merged = git(
        scratch,
        "merge",
        "-q",
        "--no-ff",
        "--no-edit",
        "--no-verify",
        "-m",
        message,
        tip,
        check=False,
        identity=True,
    )
    if merged.ok:
        return rev_parse(scratch, "HEAD")
    files = conflicted_files(scratch)
    said = "\n".join(
        line for line in merged.output.splitlines() if line.startswith(("CONFLICT", "Auto-merging"))
    )
    git(scratch, "merge", "--abort", check=False)
    return files, said


def _advice(branch: str, integration: str, files: list[str], said: str) -> str:
    listed = ", ".join(files) or "(see below)"
    return f"Merging {branch} into {integration} conflicts in: {listed}.\n{said}"


class MergeQueue:
    """Serialises merges into the integration branch; await `merge` from any number of tasks."""

    def __init__(self, project: Path, integration: str | None = None, method: MergeMethod = "auto") -> None:
        self.project = project
        self.integration = integration
        self.method: MergeMethod = method
        self._lock = anyio.Lock()

    async def merge(self, task_id: str, branch: str, message: str | None = None) -> MergeResult:
        async with self._lock:
            return await anyio.to_thread.run_sync(self._merge, task_id, branch, message)

    def _merge(self, task_id: str, branch: str, message: str | None) -> MergeResult:
        return merge_branch(
            self.project, task_id, branch, integration=self.integration, message=message, method=self.method
        )
