"""Worktrees made ahead: while a task's gate runs, the tasks that wait only for it get their worktrees.

A worktree made ahead starts at the merge commit the gate's task would make (built ahead by the merge
queue), or at the integration branch. When its task starts, the worktree is brought to where the
integration branch really is then (one `git reset --hard` if the guess was wrong; no agent has worked in
it yet) and its dependencies are checked, as for a worktree made then; when the run's merge queue says
the integration branch is still at the commit it was made at, and every dependency is merged there, no
git call is needed. One never taken (its task did not start) is removed with its branch when the run's
tasks are done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import anyio

from shopfloor.orchestrator.worktrees import (
    Worktree,
    WorktreeError,
    create_worktree,
    discard_worktree,
    merge_dependencies,
    start_over_at,
)
from shopfloor.vcs import GitError, git


class Integration(Protocol):
    """What the run knows of its integration branch without asking git (the merge queue)."""

    @property
    def head(self) -> str | None:
        """Where the run last moved the branch, if it did."""
        ...

    @property
    def merged(self) -> set[str]:
        """Branches the run merged into it."""
        ...


class WorktreesAhead:
    def __init__(self, project: Path, integration: str, known: Integration | None = None) -> None:
        self.project = project
        self.integration = integration
        self.known = known
        self._starts: dict[str, str] = {}
        """The commit each worktree made ahead at a given commit started from."""
        self._made: dict[str, Worktree] = {}
        self._making: dict[str, anyio.Event] = {}

    async def make(self, task_id: str, at: str | None) -> None:
        """Make `task_id`'s worktree at commit `at` (default: the integration branch). Best effort: a
        worktree that cannot be made now is made when the task starts."""
        if task_id in self._made or task_id in self._making:
            return
        self._making[task_id] = done = anyio.Event()
        try:
            wt = await anyio.to_thread.run_sync(
                create_worktree, self.project, task_id, at or f"refs/heads/{self.integration}"
            )
            if not wt.reused:  # one left by an earlier run is the start's to take over, not ours
                self._made[task_id] = wt
                if at is not None:
                    self._starts[task_id] = at
        except (GitError, WorktreeError, OSError):
            pass
        finally:
            del self._making[task_id]
            done.set()

    async def take(self, task_id: str) -> Worktree | None:
        """The worktree made ahead for `task_id`, once it is made; None when there is none."""
        making = self._making.get(task_id)
        if making is not None:
            await making.wait()
        return self._made.pop(task_id, None)

    def settle(self, wt: Worktree, deps_branches: list[str]) -> str:
        """Bring a worktree made ahead to the integration branch as it is now, its dependencies merged;
        the commit its work starts from (blocking). Raises DependencyConflict like `create_worktree`."""
        start, known = self._starts.pop(wt.task_id, None), self.known
        if (
            known is not None
            and start is not None
            and start == known.head
            and known.merged >= {*deps_branches}
        ):
            return start  # the branch has not moved since and holds every dependency
        head, current = git(wt.path, "rev-parse", f"refs/heads/{self.integration}", "HEAD").stdout.split()
        if current != head:
            start_over_at(wt.path, head)
        if merge_dependencies(wt.path, wt.branch, deps_branches):
            return git(wt.path, "merge-base", self.integration, "HEAD").stdout.strip()
        return head

    async def drop_unused(self) -> None:
        """Remove the worktrees (and branches) made for tasks that never started."""
        for making in list(self._making.values()):
            await making.wait()
        unused, self._made = self._made, {}
        self._starts.clear()
        for wt in unused.values():
            await anyio.to_thread.run_sync(self._drop, wt)

    def _drop(self, wt: Worktree) -> None:
        try:
            discard_worktree(self.project, wt.task_id)
            git(self.project, "branch", "-D", wt.branch, check=False)
        except (GitError, OSError):
            pass
