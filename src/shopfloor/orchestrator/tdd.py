"""Test-first runs: which tasks write tests first, and which files their build tasks must leave alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from shopfloor.queue.tasks import Task
from shopfloor.vcs import git

_TEST_TASK_ID = re.compile(r"-T\d+$")


def is_test_first(task: Task, tasks: Mapping[str, Task]) -> bool:
    """A testing task whose tests come before the code: its mode says so (`write`), a build task depends
    on it, or it is named TASK-Tnn and depends on no build task (tests written after the code they test
    are not test-first, as in the seed's layouts where test tasks follow the build tasks)."""
    if task.category != "testing" or task.mode == "verify":
        return False
    if task.mode == "write" or any(
        task.id in t.dependencies and t.category != "testing" for t in tasks.values()
    ):
        return True
    after_build = any(d in tasks and tasks[d].category != "testing" for d in task.dependencies)
    return bool(_TEST_TASK_ID.search(task.id)) and not after_build


def says_regression(task: Task) -> bool:
    """The task pins down behaviour that exists already, so its tests may pass at once."""
    text = " ".join([task.objective, *task.criteria]).lower()
    return "regression" in text


def protected_test_files(
    project: Path, task: Task, tasks: Mapping[str, Task], merged_commit: Callable[[str], str | None]
) -> list[str]:
    """Files the task's test-first dependencies wrote (as merged): the build task must not change them."""
    files: list[str] = []
    for dep in task.dependencies:
        dep_task = tasks.get(dep)
        if dep_task is None or not is_test_first(dep_task, tasks):
            continue
        merged = merged_commit(dep)
        if not merged:
            continue
        changed = git(project, "diff", "--name-only", f"{merged}^1", merged, check=False)
        if changed.ok:
            files += [line for line in changed.output.splitlines() if line.strip()]
    return sorted(set(files))
