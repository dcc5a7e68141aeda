"""The issue queue (`.orchestrator/issue_queue.md`) fed by improvement loops: read, append, write back.

### ISSUE-001: Login has no rate limit
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Priority | high |

**Description:** Repeated failed logins are never slowed down.

The seed's layouts read too: dated IDs (`ISSUE-20260110-001`), `## ISSUE-...` records, fields as
`- **Status**: pending` bullets, the title in a Summary (bold or `### Summary`), the text in Details,
and its statuses (`accepted`, `duplicate`, `complete`, `wont_fix`). New issues follow the file's style.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from shopfloor.config.sections import Category, Complexity
from shopfloor.queue.files import locked_update, read_text_exact
from shopfloor.queue.issue_style import IssueStyle, detect_style, next_issue_id, render_new_issue
from shopfloor.queue.markdown import ID_PATTERN, Block, norm_key, parse_document
from shopfloor.queue.record_file import QueueProblem, RecordQueue, find_all
from shopfloor.queue.task import CATEGORIES, COMPLEXITIES
from shopfloor.queue.task_blocks import parse_list
from shopfloor.queue.vocabulary import (
    CATEGORY_ALIASES,
    PRIORITIES,
    PRIORITY_ALIASES,
    Priority,
    norm_choice,
    read_choice,
)

IssueStatus = Literal["pending", "accepted", "in_progress", "completed", "complete", "duplicate", "wont_fix"]
ISSUE_STATUSES: tuple[str, ...] = get_args(IssueStatus)
_STATUS_ALIASES = {"won't_fix": "wont_fix", "wontfix": "wont_fix", "won't fix": "wont_fix"}
EMPTY_ISSUE_QUEUE = "# Issue Queue\n\nIssues found by research; pending ones become tasks in the next loop.\n"
# (attribute, name for a new field, accepted names, where a new one goes)
_FIELDS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("status", "Status", ("status",), "row"),
    ("category", "Category", ("category",), "row"),
    ("priority", "Priority", ("priority",), "row"),
    ("complexity", "Complexity", ("complexity",), "row"),
    ("task", "Task", ("task", "task ref"), "row"),
    ("description", "Description", ("description", "details", "failure details"), "section"),
    ("criteria", "Acceptance Criteria", ("acceptance criteria",), "section"),
)
_SUMMARY = ("summary", "title")
_PLACEHOLDER = re.compile(r"^\(.*\)$|^-?$")


class NewIssue(BaseModel):
    """An issue to append; the queue gives it an ID and the pending status."""

    title: str
    description: str
    category: Category = "backend"
    priority: Priority = "medium"
    criteria: list[str] = Field(default_factory=list)
    source: str = "user"
    """Who reported it, written where the file's issues say so (the seed's `Source` row)."""


class Issue(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    id: str = Field(pattern=f"^{ID_PATTERN}$")
    title: str = ""
    """The heading's title, or the issue's Summary."""
    status: IssueStatus = "pending"
    category: Category = "backend"
    priority: Priority = "medium"
    complexity: Complexity | None = None
    description: str = ""
    """The Description (or the seed's Details)."""
    criteria: list[str] = Field(default_factory=list)
    task: str | None = None
    """The task made from this issue, once there is one (`Task`, or the seed's `Task Ref`)."""
    extra_fields: dict[str, str] = Field(default_factory=dict)
    extra_sections: dict[str, str] = Field(default_factory=dict)

    @property
    def actionable(self) -> bool:
        """Waiting for a task: pending, or accepted with no task yet; never a halted one."""
        halted = norm_choice(self.extra_fields.get("Halted", "")) == "true"
        waiting = self.status == "pending" or (self.status == "accepted" and not self.task)
        return waiting and not halted


def _read_issue(block: Block, path: str) -> tuple[Issue | None, list[QueueProblem]]:
    problems = [QueueProblem(path, line, block.id, msg) for line, msg in block.problems]
    used: set[str] = set()
    values: dict[str, object] = {"id": block.id, "title": block.title or ""}
    if not block.title and (summary := find_all(block, _SUMMARY)):
        values["title"] = summary[0].text.split("\n")[0].strip()
        used.add(norm_key(summary[0].name))
    category_aliases = {k: v[0] for k, v in CATEGORY_ALIASES.items()}
    choices: dict[str, tuple[tuple[str, ...], Mapping[str, str] | None]] = {
        "status": (ISSUE_STATUSES, _STATUS_ALIASES),
        "category": (CATEGORIES, category_aliases),
        "priority": (PRIORITIES, PRIORITY_ALIASES),
        "complexity": (COMPLEXITIES, None),
    }
    bad = False
    for attr, _, keys, _ in _FIELDS:
        found = find_all(block, keys)
        if not found:
            continue
        at = found[0]
        used.add(norm_key(at.name))
        if attr in choices:
            allowed, aliases = choices[attr]
            value = read_choice(at.text, allowed, aliases)
            if value is None:
                bad = True
                hint = difflib.get_close_matches(norm_choice(at.text), allowed, n=1)
                msg = f"unknown {attr} '{at.text}' (expected one of {', '.join(allowed)})"
                msg += f"; did you mean '{hint[0]}'?" if hint else ""
                problems.append(QueueProblem(path, at.line, block.id, msg))
            values[attr] = value
        elif attr == "criteria":
            values[attr] = parse_list(at.text)
        elif attr == "task":
            values[attr] = None if _PLACEHOLDER.match(at.text.strip()) else at.text.strip()
        else:
            values[attr] = at.text
    values["extra_fields"] = {r.key: r.value for k, r in block.rows.items() if k not in used}
    values["extra_sections"] = {s.name: s.text for k, s in block.sections.items() if k not in used}
    if bad:
        return None, problems
    return Issue.model_validate(values), problems


def _field_text(attr: str, value: object) -> str | None:
    if attr == "criteria":
        assert isinstance(value, list)
        return "\n".join(f"- {item}" for item in value) or None
    return value if isinstance(value, str) else None


def _apply(block: Block, before: Issue, after: Issue) -> None:
    summary = find_all(block, _SUMMARY) if block.title is None else []
    if before.id != after.id or (before.title != after.title and not summary):
        block.set_heading(after.id, after.title or None)
    elif before.title != after.title:
        at = summary[0]
        (block.set_row if at.place == "row" else block.set_section)(at.name, after.title)
    for attr, name, keys, place in _FIELDS:
        if getattr(before, attr) == getattr(after, attr):
            continue
        text = _field_text(attr, getattr(after, attr))
        found = find_all(block, keys)
        if found:
            (block.set_row if found[0].place == "row" else block.set_section)(found[0].name, text)
            continue
        if attr == "task" and find_all(block, _SUMMARY):
            name = "Task Ref"  # the seed's name for the link
        (block.set_row if place == "row" else block.set_section)(name, text)
    for key in before.extra_fields.keys() | after.extra_fields.keys():
        if before.extra_fields.get(key) != after.extra_fields.get(key):
            block.set_row(key, after.extra_fields.get(key))
    for key in before.extra_sections.keys() | after.extra_sections.keys():
        if before.extra_sections.get(key) != after.extra_sections.get(key):
            block.set_section(key, after.extra_sections.get(key))


def render_issue(issue: Issue, newline: str = "\n", style: IssueStyle | None = None) -> str:
    """A new issue block, in shopfloor's layout unless a style is given."""
    rows = [(name, str(getattr(issue, attr))) for attr, name, _, place in _FIELDS if place == "row"]
    rows = [(k, v) for k, v in rows if v and v != "None"] + list(issue.extra_fields.items())
    style = style or IssueStyle()
    sections = [
        (style.details, issue.description),
        ("Acceptance Criteria", _field_text("criteria", issue.criteria) or ""),
        *issue.extra_sections.items(),
    ]
    return render_new_issue(issue.id, issue.title, rows, sections, style, newline)


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
        """Issues that should become tasks (see `Issue.actionable`)."""
        return [i for i in self.issues if i.actionable]

    def set_status(self, issue_id: str, status: IssueStatus) -> None:
        self.get(issue_id).status = status

    @property
    def style(self) -> IssueStyle:
        return detect_style(self._doc.blocks)

    def next_id(self, today: date | None = None) -> str:
        return next_issue_id(self.ids, self.style, today)

    def add(self, new: NewIssue, today: date | None = None) -> Issue:
        """Append an issue with the next free ID and status pending, in the style the file uses."""
        style = self.style
        rows = [("Status", "pending")]
        rows += [("Source", new.source)] if style.source_row else []
        rows += [("Category", new.category), ("Priority", new.priority)]
        if style.created_row:
            rows.append(("Created", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
        criteria = "\n".join(f"- {c}" for c in new.criteria)
        sections = [(style.details, new.description), ("Acceptance Criteria", criteria)]
        nl = self._doc.newline
        text = render_new_issue(self.next_id(today), new.title, rows, sections, style, nl)
        issue, _ = _read_issue(parse_document(text).blocks[0], self.path)
        assert issue is not None
        self._append(issue, text, prefix=f"---{nl}{nl}" if style.rule_before else "")
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
            msg = "issue has neither a title (or Summary) nor a Description (or Details)"
            problems.append(QueueProblem(queue.path, block.line, block.id, msg))
    return sorted(problems, key=lambda p: p.line)


def append_issues(path: Path, new: Sequence[NewIssue], *, today: date | None = None) -> list[Issue]:
    """Add issues to the file as it is now, under the file lock, safe while a run reads or writes it."""

    def change(text: str) -> tuple[str, list[Issue]]:
        queue = parse_issue_queue(text or EMPTY_ISSUE_QUEUE, path)
        added = [queue.add(item, today) for item in new]
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
