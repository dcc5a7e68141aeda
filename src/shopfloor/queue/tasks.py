"""Tasks and the task queue (`.orchestrator/task_queue.md`): read, check, edit, and write back unchanged."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.config.sections import Category, Complexity
from shopfloor.queue.files import atomic_write_text, locked_update, read_text_exact
from shopfloor.queue.markdown import ID_PATTERN, Block, Document, parse_document
from shopfloor.queue.record_file import QueueProblem, RecordQueue

Status = Literal["pending", "in_progress", "completed", "failed", "blocked"]
STATUSES: tuple[str, ...] = get_args(Status)
CATEGORIES: tuple[str, ...] = get_args(Category)
COMPLEXITIES: tuple[str, ...] = get_args(Complexity)


class Task(BaseModel):
    """One task of the queue; unknown table rows and sections ride along in the `extra_*` fields."""

    model_config = ConfigDict(validate_assignment=True)

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    title: str | None = None
    status: Status = "pending"
    category: Category
    complexity: Complexity = "normal"
    objective: str = ""
    criteria: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    agent: str | None = None
    model: str | None = None
    data_models: str | None = None
    security_requirements: str | None = None
    files: str | None = None
    extra_fields: dict[str, str] = Field(default_factory=dict)
    """Table rows shopfloor does not know, by name as written."""
    extra_sections: dict[str, str] = Field(default_factory=dict)
    """`**Section:**` blocks shopfloor does not know, by name as written."""


# (task attribute, section key, name to write, other accepted spellings)
_SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("objective", "objective", "Objective", ()),
    ("criteria", "acceptance criteria", "Acceptance Criteria", ("criteria",)),
    ("dependencies", "dependencies", "Dependencies", ("depends on",)),
    ("data_models", "data models", "Data Models", ()),
    ("security_requirements", "security requirements", "Security Requirements", ()),
    ("files", "files", "Files", ()),
)
_ROWS: tuple[tuple[str, str], ...] = (
    ("status", "Status"),
    ("category", "Category"),
    ("complexity", "Complexity"),
    ("agent", "Agent"),
    ("model", "Model"),
)
_NONE_WORDS = {"", "none", "n/a", "na", "-", "—", "nothing", "no dependencies"}
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_DEP_ID = re.compile(rf"^({ID_PATTERN})(?![A-Za-z0-9_])")


def norm_choice(value: str) -> str:
    """`In Progress`, `in-progress` and `` `in_progress` `` all read as `in_progress`."""
    return "_".join(value.strip().strip("`*_").lower().replace("-", " ").split())


def parse_list(text: str) -> list[str]:
    """Items of a Markdown list; indented lines continue the item above; plain lines are items too."""
    items: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        bullet = _BULLET.match(stripped)
        if bullet:
            items.append(bullet.group("text").strip())
        elif items and line[:1].isspace():
            items[-1] = f"{items[-1]} {stripped}"
        else:
            items.append(stripped)
    return [item for item in items if item]


def parse_dependencies(text: str) -> tuple[list[str], list[str]]:
    """Task IDs named in a Dependencies section, and the pieces that are not IDs."""
    if text.strip().strip(".").lower() in _NONE_WORDS:
        return [], []
    deps: list[str] = []
    unreadable: list[str] = []
    for piece in re.split(r"[,;\n]|\band\b", text):
        item = piece.strip()
        bullet = _BULLET.match(item)
        item = (bullet.group("text") if bullet else item).strip().strip("`*")
        if item.strip(".").lower() in _NONE_WORDS:
            continue
        found = _DEP_ID.match(item)
        if found:
            if found.group(1) not in deps:
                deps.append(found.group(1))
        else:
            unreadable.append(item)
    return deps, unreadable


def _section_name(block: Block, key: str, aliases: tuple[str, ...], default: str) -> str:
    for candidate in (key, *aliases):
        if candidate in block.sections:
            return block.sections[candidate].name
    return default


def _find_section(block: Block, key: str, aliases: tuple[str, ...]) -> tuple[str, int] | None:
    for candidate in (key, *aliases):
        if candidate in block.sections:
            section = block.sections[candidate]
            return section.text, section.line
    return None


def _read_task(block: Block, path: str) -> tuple[Task | None, list[QueueProblem]]:
    problems = [QueueProblem(path, line, block.id, msg) for line, msg in block.problems]
    fatal = False

    def choice(key: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        nonlocal fatal
        row = block.rows.get(key)
        if row is None:
            if default is None:
                fatal = True
                problems.append(QueueProblem(path, block.line, block.id, f"missing '{key.title()}' row"))
            return default
        value = norm_choice(row.value)
        if value not in allowed:
            fatal = True
            hint = difflib.get_close_matches(value, allowed, n=1)
            msg = f"unknown {key} '{row.value}' (expected one of {', '.join(allowed)})"
            problems.append(
                QueueProblem(path, row.line, block.id, msg + (f"; did you mean '{hint[0]}'?" if hint else ""))
            )
        return value

    status = choice("status", STATUSES, "pending")
    category = choice("category", CATEGORIES, None)
    complexity = choice("complexity", COMPLEXITIES, None)
    values: dict[str, object] = {}
    for attr, key, _, aliases in _SECTIONS:
        found = _find_section(block, key, aliases)
        if found is None:
            continue
        text, line = found
        if attr == "criteria":
            values[attr] = parse_list(text)
        elif attr == "dependencies":
            deps, unreadable = parse_dependencies(text)
            values[attr] = deps
            for item in unreadable:
                msg = f"cannot read dependency '{item}' (expected task IDs like TASK-001, or None)"
                problems.append(QueueProblem(path, line, block.id, msg))
        else:
            values[attr] = text
    known_sections = {name for _, key, _, aliases in _SECTIONS for name in (key, *aliases)}
    known_rows = {k for k, _ in _ROWS}
    for key, row in block.rows.items():
        if key in ("dependencies", "objective", "acceptance criteria"):
            msg = f"'{row.key}' belongs in a **{row.key}:** section below the table, not in the table"
            problems.append(QueueProblem(path, row.line, block.id, msg))
    if fatal:
        return None, problems
    values.update(
        id=block.id,
        title=block.title,
        status=status,
        category=category,
        complexity=complexity,
        agent=_cell(block, "agent"),
        model=_cell(block, "model"),
        extra_fields={r.key: r.value for k, r in block.rows.items() if k not in known_rows},
        extra_sections={s.name: s.text for k, s in block.sections.items() if k not in known_sections},
    )
    return Task.model_validate(values), problems


def _cell(block: Block, key: str) -> str | None:
    row = block.rows.get(key)
    return row.value if row is not None and row.value else None


def _section_text(attr: str, value: object) -> str | None:
    if attr == "criteria":
        assert isinstance(value, list)
        return "\n".join(f"- {item}" for item in value)
    if attr == "dependencies":
        assert isinstance(value, list)
        return ", ".join(value) or "None"
    return value if isinstance(value, str) else None


def _apply(block: Block, before: Task, after: Task) -> None:
    """Rewrite only the parts of `block` whose values differ between `before` and `after`."""
    if (before.id, before.title) != (after.id, after.title):
        block.set_heading(after.id, after.title)
    for attr, name in _ROWS:
        if getattr(before, attr) != getattr(after, attr):
            block.set_row(name, getattr(after, attr))
    for attr, key, name, aliases in _SECTIONS:
        if getattr(before, attr) != getattr(after, attr):
            block.set_section(
                _section_name(block, key, aliases, name), _section_text(attr, getattr(after, attr))
            )
    for row_name in before.extra_fields.keys() | after.extra_fields.keys():
        if before.extra_fields.get(row_name) != after.extra_fields.get(row_name):
            block.set_row(row_name, after.extra_fields.get(row_name))
    for sec_name in before.extra_sections.keys() | after.extra_sections.keys():
        if before.extra_sections.get(sec_name) != after.extra_sections.get(sec_name):
            block.set_section(sec_name, after.extra_sections.get(sec_name))


def render_task(task: Task, newline: str = "\n") -> str:
    """A new task block in the standard layout."""
    lines = [
        f"### {task.id}" + (f": {task.title}" if task.title else ""),
        "| Field | Value |",
        "|-------|-------|",
    ]
    for attr, name in _ROWS:
        if getattr(task, attr):
            lines.append(f"| {name} | {getattr(task, attr)} |")
    lines += [f"| {k} | {v} |" for k, v in task.extra_fields.items()]
    sections = [(name, _section_text(attr, getattr(task, attr))) for attr, _, name, _ in _SECTIONS]
    for name, text in [*sections, *task.extra_sections.items()]:
        if text is None:
            continue
        body = text.split("\n")
        inline = len(body) == 1 and not _BULLET.match(body[0])
        lines += ["", f"**{name}:** {text}".rstrip()] if inline else ["", f"**{name}:**", *body]
    return newline.join(lines) + newline


class TaskQueue(RecordQueue[Task]):
    """A parsed task queue. Edit tasks in place or via `set_status`/`add`; `render()` rewrites only those."""

    def __init__(self, doc: Document, path: str) -> None:
        super().__init__(doc, path)
        for line, text in doc.stray_headings:
            if text[3:].strip().lower().startswith("task"):
                msg = f"heading '{text.strip()}' is not a task ID (expected e.g. '### TASK-007')"
                self.problems.append(QueueProblem(path, line, None, msg))

    def _read(self, block: Block, path: str) -> tuple[Task | None, list[QueueProblem]]:
        return _read_task(block, path)

    def _apply(self, block: Block, before: Task, after: Task) -> None:
        _apply(block, before, after)

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
    dep_lines: dict[str, int] = {}
    for entry in entries:
        task, block = entry.record, entry.block
        if task is None:
            continue
        found = _find_section(block, "objective", ())
        if not task.objective.strip():
            line = found[1] if found else block.line
            problems.append(QueueProblem(path, line, task.id, "missing objective (add '**Objective:** ...')"))
        if not task.criteria:
            found = _find_section(block, "acceptance criteria", ("criteria",))
            msg = "no acceptance criteria (add '**Acceptance Criteria:**' with at least one '- ' item)"
            problems.append(QueueProblem(path, found[1] if found else block.line, task.id, msg))
        deps_at = _find_section(block, "dependencies", ("depends on",))
        line = deps_at[1] if deps_at else block.line
        dep_lines[task.id] = line
        for dep in task.dependencies:
            if dep == task.id:
                problems.append(QueueProblem(path, line, task.id, "depends on itself"))
            elif dep not in known:
                hint = difflib.get_close_matches(dep, sorted(known), n=1)
                extra = f"; did you mean {hint[0]}?" if hint else ""
                problems.append(QueueProblem(path, line, task.id, f"unknown dependency '{dep}'{extra}"))
        graph.setdefault(task.id, [d for d in task.dependencies if d in known and d != task.id])
    for cycle in find_cycles(graph):
        msg = "dependency cycle: " + " -> ".join([*cycle, cycle[0]])
        problems.append(QueueProblem(path, dep_lines.get(cycle[0], 1), cycle[0], msg))
    return sorted(problems, key=lambda p: p.line)
