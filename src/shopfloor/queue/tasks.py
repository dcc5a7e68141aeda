"""The task queue (`.orchestrator/task_queue.md`): read, check, edit, and write back unchanged."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from shopfloor.queue.commands import Commands, project_commands
from shopfloor.queue.dependencies import expand
from shopfloor.queue.files import atomic_write_text, locked_update, read_text_exact
from shopfloor.queue.markdown import Block, Document, parse_document
from shopfloor.queue.record_file import QueueProblem, RecordQueue
from shopfloor.queue.status_rows import write_statuses
from shopfloor.queue.task import CATEGORIES, COMPLEXITIES, STATUSES, Status, Task
from shopfloor.queue.task_blocks import TaskDeps, apply_task, find, parse_list, read_task, render_task
from shopfloor.queue.vocabulary import norm_choice

__all__ = [
    "CATEGORIES",
    "COMPLEXITIES",
    "STATUSES",
    "Status",
    "Task",
    "TaskQueue",
    "load_task_queue",
    "norm_choice",
    "parse_list",
    "parse_task_queue",
    "render_task",
    "save_task_queue",
    "update_task_statuses",
    "validate",
]


class TaskQueue(RecordQueue[Task]):
    """A parsed task queue. Edit tasks in place or via `set_status`/`add`; `render()` rewrites only those."""

    def __init__(self, doc: Document, path: str) -> None:
        self._deps: dict[int, TaskDeps] = {}
        super().__init__(doc, path)
        self.project_commands: Commands = project_commands(doc)
        """The file's `## Project Commands` (Build, Test), which every task inherits."""
        for line, text in doc.stray_headings:
            if text[3:].strip().lower().startswith("task"):
                msg = f"heading '{text.strip()}' is not a task ID (expected e.g. '### TASK-007')"
                self.problems.append(QueueProblem(path, line, None, msg))
        members = self.records
        for entry in self._entries:
            task = entry.record
            if task is None:
                continue
            task.project_commands = self.project_commands
            read = self._deps[id(entry.block)]
            if read.deps.groups or read.deps.ranges:
                task.dependencies = expand(read.deps, task.id, members)
            entry.original = task.model_copy(deep=True)

    def _read(self, block: Block, path: str) -> tuple[Task | None, list[QueueProblem]]:
        task, problems, deps = read_task(block, path)
        self._deps[id(block)] = deps
        return task, problems

    def _apply(self, block: Block, before: Task, after: Task) -> None:
        apply_task(block, before, after)

    def _render(self, record: Task, newline: str) -> str:
        return render_task(record, newline)

    @property
    def tasks(self) -> list[Task]:
        """Tasks that could be read, in file order."""
        return self.records

    def set_status(self, task_id: str, status: Status) -> None:
        self.get(task_id).status = status

    def add(self, task: Task) -> None:
        """Append a new task block at the end of the file."""
        if task.id in self.ids:
            raise ValueError(f"{task.id} is already in the queue")
        self._append(task)

    def dependency_line(self, task_id: str, dep: str) -> int:
        """The line a task's dependency on `dep` was written on (its heading's when it is not known)."""
        for entry in self._entries:
            if entry.block.id == task_id:
                read = self._deps[id(entry.block)]
                return read.lines.get(dep) or read.group_line or entry.block.line
        raise KeyError(task_id)


def parse_task_queue(text: str, path: str | Path = "task_queue.md") -> TaskQueue:
    """Read a queue; never raises for bad content (see `TaskQueue.problems` and `validate`)."""
    return TaskQueue(parse_document(text), str(path))


def load_task_queue(path: Path) -> TaskQueue:
    return parse_task_queue(read_text_exact(path), path)


def save_task_queue(queue: TaskQueue, path: Path) -> None:
    atomic_write_text(path, queue.render())


def update_task_statuses(path: Path, statuses: Mapping[str, Status]) -> None:
    """Set statuses in the file as it is now (a person may have edited it), under the file lock."""

    def change(text: str) -> tuple[str, None]:
        quick = write_statuses(text, dict(statuses))
        if quick is not None:
            return quick, None
        queue = parse_task_queue(text, path)
        for task_id, status in statuses.items():
            if task_id in queue:
                queue.set_status(task_id, status)
        return queue.render(), None

    locked_update(path, change)


def validate(queue: TaskQueue) -> list[QueueProblem]:
    """Everything wrong with the queue, sorted by line: reading problems, then IDs, content and the graph."""
    from shopfloor.queue.dag import find_cycles

    path = queue.path
    problems = list(queue.problems)
    entries = queue._entries
    if not entries:
        problems.append(QueueProblem(path, 1, None, "no tasks found (each task starts with '### TASK-001')"))
    first_line: dict[str, int] = {}
    for entry in entries:
        block = entry.block
        if block.id in first_line:
            msg = f"duplicate task ID (first defined on line {first_line[block.id]})"
            problems.append(QueueProblem(path, block.line, block.id, msg))
        first_line.setdefault(block.id, block.line)
    known = set(first_line)
    graph: dict[str, list[str]] = {}
    for entry in entries:
        task, block = entry.record, entry.block
        if task is None:
            continue
        problems += _content_problems(path, task, block)
        for dep in task.dependencies:
            line = queue.dependency_line(task.id, dep)
            if dep == task.id:
                problems.append(QueueProblem(path, line, task.id, "depends on itself"))
            elif dep not in known:
                hint = difflib.get_close_matches(dep, sorted(known - {task.id}), n=1)
                extra = f"; did you mean {hint[0]}?" if hint else ""
                problems.append(QueueProblem(path, line, task.id, f"unknown dependency '{dep}'{extra}"))
        graph.setdefault(task.id, [d for d in task.dependencies if d in known and d != task.id])
    for cycle in find_cycles(graph):
        msg = "dependency cycle: " + " -> ".join([*cycle, cycle[0]])
        line = queue.dependency_line(cycle[0], cycle[1] if len(cycle) > 1 else cycle[0])
        problems.append(QueueProblem(path, line, cycle[0], msg))
    return sorted(problems, key=lambda p: p.line)


def _content_problems(path: str, task: Task, block: Block) -> list[QueueProblem]:
    """A task needs something to do: an objective (or description), and criteria when it has a section."""
    out = []
    objective = find(block, "objective")
    if not task.objective.strip():
        line = objective.line if objective else block.line
        out.append(QueueProblem(path, line, task.id, "missing objective (add '**Objective:** ...')"))
    criteria = find(block, "criteria")
    if not task.criteria and (criteria is not None or not task.objective.strip()):
        msg = "no acceptance criteria (add '**Acceptance Criteria:**' with at least one '- ' item)"
        out.append(QueueProblem(path, criteria.line if criteria else block.line, task.id, msg))
    return out
