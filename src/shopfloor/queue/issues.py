"""The issue queue (`.orchestrator/issue_queue.md`) fed by improvement loops: read, append, write back.

### ISSUE-001: Login has no rate limit
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Priority | high |

**Description:** Repeated failed logins are never slowed down.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.config.sections import Category
from shopfloor.queue.files import locked_update, read_text_exact
from shopfloor.queue.markdown import ID_PATTERN, Block, parse_document
from shopfloor.queue.record_file import QueueProblem, RecordQueue
from shopfloor.queue.tasks import CATEGORIES, norm_choice

IssueStatus = Literal["pending", "in_progress", "completed"]
Priority = Literal["critical", "high", "medium", "low"]
ISSUE_STATUSES: tuple[str, ...] = get_args(IssueStatus)
PRIORITIES: tuple[str, ...] = get_args(Priority)
_ISSUE_ID = re.compile(r"^ISSUE-(\d+)$")
_ROWS = (("status", "Status"), ("category", "Category"), ("priority", "Priority"), ("task", "Task"))
EMPTY_ISSUE_QUEUE = "# Issue Queue\n\nIssues found by research; pending ones become tasks in the next loop.\n"


class NewIssue(BaseModel):
    """An issue to append; the queue gives it an ID and the pending status."""

    title: str
    description: str
    category: Category = "backend"
    priority: Priority = "medium"


class Issue(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    title: str = ""
    status: IssueStatus = "pending"
    category: Category = "backend"
    priority: Priority = "medium"
    description: str = ""
    task: str | None = None
    """The task made from this issue, once there is one."""
    extra_fields: dict[str, str] = Field(default_factory=dict)
    extra_sections: dict[str, str] = Field(default_factory=dict)


def _read_issue(block: Block, path: str) -> tuple[Issue | None, list[QueueProblem]]:
    problems = [QueueProblem(path, line, block.id, msg) for line, msg in block.problems]
    values: dict[str, object] = {"id": block.id, "title": block.title or ""}
    for key, allowed, default in (
        ("status", ISSUE_STATUSES, "pending"),
        ("category", CATEGORIES, "backend"),
        ("priority", PRIORITIES, "medium"),
    ):
        row = block.rows.get(key)
        value = norm_choice(row.value) if row else default
        if row is not None and value not in allowed:
            hint = difflib.get_close_matches(value, allowed, n=1)
            msg = f"unknown {key} '{row.value}' (expected one of {', '.join(allowed)})"
            problems.append(
                QueueProblem(path, row.line, block.id, msg + (f"; did you mean '{hint[0]}'?" if hint else ""))
            )
        values[key] = value
    task_row = block.rows.get("task")
    values["task"] = task_row.value if task_row and task_row.value else None
    description = block.sections.get("description")
    values["description"] = description.text if description else ""
    values["extra_fields"] = {r.key: r.value for k, r in block.rows.items() if k not in dict(_ROWS)}
    values["extra_sections"] = {s.name: s.text for k, s in block.sections.items() if k != "description"}
    if len(problems) > len(block.problems):
        return None, problems
    return Issue.model_validate(values), problems


def _apply(block: Block, before: Issue, after: Issue) -> None:
    if (before.id, before.title) != (after.id, after.title):
        block.set_heading(after.id, after.title or None)
    for attr, name in _ROWS:
        if getattr(before, attr) != getattr(after, attr):
            block.set_row(name, getattr(after, attr))
    if before.description != after.description:
        existing = block.sections.get("description")
        block.set_section(existing.name if existing else "Description", after.description)
    for name in before.extra_fields.keys() | after.extra_fields.keys():
        if before.extra_fields.get(name) != after.extra_fields.get(name):
            block.set_row(name, after.extra_fields.get(name))
    for name in before.extra_sections.keys() | after.extra_sections.keys():
        if before.extra_sections.get(name) != after.extra_sections.get(name):
            block.set_section(name, after.extra_sections.get(name))


def render_issue(issue: Issue, newline: str = "\n") -> str:
    """A new issue block in the standard layout."""
    lines = [
        f"### {issue.id}" + (f": {issue.title}" if issue.title else ""),
        "| Field | Value |",
        "|-------|-------|",
    ]
    lines += [f"| {name} | {getattr(issue, attr)} |" for attr, name in _ROWS if getattr(issue, attr)]
    lines += [f"| {k} | {v} |" for k, v in issue.extra_fields.items()]
    for name, text in [("Description", issue.description), *issue.extra_sections.items()]:
        body = text.split("\n")
        lines += ["", f"**{name}:** {text}".rstrip()] if len(body) == 1 else ["", f"**{name}:**", *body]
    return newline.join(lines) + newline


class IssueQueue(RecordQueue[Issue]):
    """A parsed issue queue; edits to its issues are written back touching only what changed."""

    def _read(self, block: Block, path: str) -> tuple[Issue | None, list[QueueProblem]]:
        return _read_issue(block, path)

    def _apply(self, block: Block, before: Issue, after: Issue) -> None:
        _apply(block, before, after)

    def _render(self, record: Issue, newline: str) -> str:
        return render_issue(record, newline)

    @property
    def issues(self) -> list[Issue]:
        return self.records

    def pending(self) -> list[Issue]:
        return [i for i in self.issues if i.status == "pending"]

    def set_status(self, issue_id: str, status: IssueStatus) -> None:
        self.get(issue_id).status = status

    def next_id(self) -> str:
        numbers = [int(m.group(1)) for i in self.ids if (m := _ISSUE_ID.match(i))]
        return f"ISSUE-{max(numbers, default=0) + 1:03d}"

    def add(self, new: NewIssue) -> Issue:
        """Append an issue with the next free ID and status pending."""
        issue = Issue(id=self.next_id(), **new.model_dump())
        self._append(issue)
        return issue


def parse_issue_queue(text: str, path: str | Path = "issue_queue.md") -> IssueQueue:
    return IssueQueue(parse_document(text), str(path))


def load_issue_queue(path: Path) -> IssueQueue:
    """The queue in `path`, or an empty one when the file does not exist yet."""
    text = read_text_exact(path) if path.exists() else ""
    return parse_issue_queue(text, path)


def validate_issues(queue: IssueQueue) -> list[QueueProblem]:
    problems = list(queue.problems)
    first: dict[str, int] = {}
    for entry in queue._entries:
        block = entry.block
        if block.id in first:
            msg = f"duplicate issue ID (first defined on line {first[block.id]})"
            problems.append(QueueProblem(queue.path, block.line, block.id, msg))
        first.setdefault(block.id, block.line)
        issue = entry.record
        if issue is not None and not (issue.title.strip() or issue.description.strip()):
            msg = "issue has neither a title nor a **Description:**"
            problems.append(QueueProblem(queue.path, block.line, block.id, msg))
    return sorted(problems, key=lambda p: p.line)


def append_issues(path: Path, new: Sequence[NewIssue]) -> list[Issue]:
    """Add issues to the file as it is now, under the file lock, safe while a run reads or writes it."""

    def change(text: str) -> tuple[str, list[Issue]]:
        queue = parse_issue_queue(text or EMPTY_ISSUE_QUEUE, path)
        added = [queue.add(item) for item in new]
        return queue.render(), added

    return locked_update(path, change)


def update_issues(
    path: Path, statuses: Mapping[str, IssueStatus], tasks: Mapping[str, str] | None = None
) -> None:
    """Set statuses (and the linked task IDs) of issues in the file as it is now, under the file lock."""

    def change(text: str) -> tuple[str, None]:
        queue = parse_issue_queue(text, path)
        known = {issue.id for issue in queue.issues}
        for issue_id, status in statuses.items():
            if issue_id in known:
                queue.set_status(issue_id, status)
        for issue_id, task_id in (tasks or {}).items():
            if issue_id in known:
                queue.get(issue_id).task = task_id
        return queue.render(), None

    locked_update(path, change)
