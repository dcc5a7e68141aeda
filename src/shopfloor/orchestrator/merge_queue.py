"""Integrating finished task branches into the run's integration branch, one at a time.

The integration branch (`shopfloor/integration/<branch>`, see `delivery.py`) is never checked out: each
merge commit is built away from every checkout (`git merge-tree`, or a scratch worktree on git older than
2.38) and the branch is moved to it with a compare-and-swap of its ref. The user's own checkout is not
touched while a run goes on; `delivery.py` brings it up to date once, at the end.

A merge commit may be built ahead (`prepare`, while the task's gate runs): it is only an object until
the ref moves, and `merge` uses it only if neither the integration branch nor the task's branch moved
since; else it builds the merge again. Merges still happen one at a time, in the order they are asked.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import anyio.to_thread

from shopfloor.layout import Layout
from shopfloor.vcs import GitError, branch_holder, conflicted_files, git, git_version, rev_parse

MergeMethod = Literal["auto", "merge-tree", "scratch"]
_CAS_TRIES = 5


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
    """The integration branch cannot take a merge now; nothing was changed. The message says why."""


@dataclass(frozen=True)
class Conflicted:
    files: list[str]
    said: str
    """git's own CONFLICT lines."""


@dataclass(frozen=True)
class Prepared:
    """A merge built ahead: of `tip` into `head`, with `message`."""

    head: str
    tip: str
    message: str
    outcome: str | Conflicted | None
    """The merge commit, the conflict, or None when `tip` was already in `head`."""

    def fits(self, head: str, tip: str, message: str) -> bool:
        return (self.head, self.tip, self.message) == (head, tip, message)


def is_ancestor(project: Path, older: str, newer: str) -> bool:
    return git(project, "merge-base", "--is-ancestor", older, newer, check=False).ok


def merge_commit(
    project: Path, head: str, tip: str, message: str, method: MergeMethod = "auto"
) -> str | Conflicted:
    """A merge commit of `tip` into `head` (parents in that order), built without touching a checkout."""
    use = method if method != "auto" else ("merge-tree" if git_version() >= (2, 38) else "scratch")
    return (_merge_tree if use == "merge-tree" else _merge_in_scratch)(project, head, tip, message)


def move_branch(project: Path, branch: str, new: str, old: str) -> bool:
    """Point `branch` at `new` only if it still points at `old` (False when it moved meanwhile)."""
    return git(project, "update-ref", f"refs/heads/{branch}", new, old, check=False).ok


def move_if_unmoved(project: Path, branch: str, new: str, prepared: Prepared, task_branch: str) -> bool:
    """Point `branch` at `new` only if it still points at the head `prepared` was built on and the task's
    branch still at its tip: both checked and the move made in one git transaction."""
    orders = (
        f"verify refs/heads/{task_branch} {prepared.tip}\nupdate refs/heads/{branch} {new} {prepared.head}\n"
    )
    return git(project, "update-ref", "--stdin", check=False, stdin=orders).ok


def merge_branch(
    project: Path,
    task_id: str,
    branch: str,
    *,
    integration: str,
    message: str | None = None,
    method: MergeMethod = "auto",
    prepared: Prepared | None = None,
) -> MergeResult:
    """Merge `branch` into `integration` with a merge commit (`--no-ff`), or report the conflict.

    `prepared` (from `prepare_merge`) is used when the two branches are still where it found them.
    """
    project = project.resolve()
    holder = branch_holder(project, integration)
    if holder is not None:
        raise MergeRefused(
            f"{integration} is checked out in {holder}; shopfloor merges into it without a checkout, so "
            "switch that checkout to another branch, then `shopfloor resume`"
        )
    message = message or f"Merge {task_id} ({branch})"
    if prepared is not None and prepared.message == message:
        commit = prepared.outcome
        if isinstance(commit, str) and move_if_unmoved(project, integration, commit, prepared, branch):
            return Merged(task_id, branch, commit)
    for _ in range(_CAS_TRIES):  # someone else may move the branch meanwhile; start again then
        head, tip = tips(project, integration, branch)
        if prepared is None or not prepared.fits(head, tip, message):
            prepared = _build(project, head, tip, message, method)
        outcome = prepared.outcome
        if outcome is None:
            return Merged(task_id, branch, head, already_merged=True)
        if isinstance(outcome, Conflicted):
            advice = _advice(branch, integration, outcome.files, outcome.said)
            return MergeConflict(task_id, branch, integration, outcome.files, advice)
        if move_branch(project, integration, outcome, head):
            return Merged(task_id, branch, outcome)
        prepared = None
    raise MergeRefused(f"{integration} kept moving while {task_id} was being merged; `shopfloor resume`")


def tips(project: Path, integration: str, branch: str) -> tuple[str, str]:
    """The commits the integration branch and `branch` point at, in one git call."""
    out = git(project, "rev-parse", f"refs/heads/{integration}^{{commit}}", f"{branch}^{{commit}}")
    head, tip = out.stdout.split()
    return head, tip


def prepare_merge(
    project: Path, integration: str, branch: str, message: str, method: MergeMethod = "auto"
) -> Prepared:
    """The merge of `branch` into `integration` as they are now, built without moving any ref."""
    head, tip = tips(project, integration, branch)
    return _build(project, head, tip, message, method)


def _build(project: Path, head: str, tip: str, message: str, method: MergeMethod) -> Prepared:
    if is_ancestor(project, tip, head):
        return Prepared(head, tip, message, None)
    return Prepared(head, tip, message, merge_commit(project, head, tip, message, method))


def _merge_tree(project: Path, head: str, tip: str, message: str) -> str | Conflicted:
    """A merge commit built without touching any checkout, or (conflicted files, git's messages)."""
    result = git(project, "merge-tree", "--write-tree", "--name-only", head, tip, check=False)
    if result.code not in (0, 1):
        raise GitError(("merge-tree", head, tip), result.code, result.output)
    tree, _, rest = result.stdout.partition("\n")
    if result.code == 1:
        names, _, messages = rest.partition("\n\n")
        return Conflicted([n for n in names.splitlines() if n], messages.strip())
    return git(
        project, "commit-tree", tree.strip(), "-p", head, "-p", tip, "-m", message, identity=True
    ).stdout.strip()


def _merge_in_scratch(project: Path, head: str, tip: str, message: str) -> str | Conflicted:
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
    return Conflicted(files, said)


def _advice(branch: str, integration: str, files: list[str], said: str) -> str:
    listed = ", ".join(files) or "(see below)"
    return f"Merging {branch} into {integration} conflicts in: {listed}.\n{said}"


class MergeQueue:
    """Serialises merges into the integration branch; await `merge` from any number of tasks."""

    def __init__(self, project: Path, integration: str, method: MergeMethod = "auto") -> None:
        self.project = project
        self.integration = integration
        self.method: MergeMethod = method
        self._lock = anyio.Lock()
        self.head: str | None = None
        """Where this queue last moved the integration branch (while a run holds the project's lock, no one
        else moves it)."""
        self.merged: set[str] = set()
        """The branches this queue merged: every one is in `head`."""
        self._prepared: dict[str, Prepared] = {}
        self._preparing: dict[str, anyio.Event] = {}

    async def prepare(self, task_id: str, branch: str, message: str) -> str | None:
        """Build the task's merge commit ahead (its gate is running); the commit, or None if there is none
        to make (a conflict, or nothing new). Nothing moves: `merge` decides."""
        self._preparing[task_id] = done = anyio.Event()
        try:
            made = await anyio.to_thread.run_sync(
                prepare_merge, self.project, self.integration, branch, message, self.method
            )
        except GitError:  # the merge itself will say what is wrong
            return None
        finally:
            del self._preparing[task_id]
            done.set()
        self._prepared[task_id] = made
        return made.outcome if isinstance(made.outcome, str) else None

    async def merge(self, task_id: str, branch: str, message: str | None = None) -> MergeResult:
        preparing = self._preparing.get(task_id)
        if preparing is not None:  # its gate was quicker than building the merge: it is nearly there
            await preparing.wait()
        async with self._lock:
            prepared = self._prepared.pop(task_id, None)
            result = await anyio.to_thread.run_sync(self._merge, task_id, branch, message, prepared)
            if isinstance(result, Merged):
                self.head = result.commit
                self.merged.add(branch)
            return result

    async def note(self, message: str) -> str:
        """An empty commit on the integration branch, saying what happened there (an improvement loop)."""
        async with self._lock:
            self.head = await anyio.to_thread.run_sync(self._note, message)
            return self.head

    def _merge(
        self, task_id: str, branch: str, message: str | None, prepared: Prepared | None
    ) -> MergeResult:
        return merge_branch(
            self.project,
            task_id,
            branch,
            integration=self.integration,
            message=message,
            method=self.method,
            prepared=prepared,
        )

    def _note(self, message: str) -> str:
        for _ in range(_CAS_TRIES):
            head = rev_parse(self.project, f"refs/heads/{self.integration}")
            commit = git(
                self.project, "commit-tree", f"{head}^{{tree}}", "-p", head, "-m", message, identity=True
            ).stdout.strip()
            if move_branch(self.project, self.integration, commit, head):
                return commit
        raise MergeRefused(f"{self.integration} kept moving while a note was added")
