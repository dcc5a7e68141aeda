"""One task's record in the queue file: read into a Task wherever its fields are, edits written back
where they were, and new tasks rendered in the standard layout.

A field shopfloor understands is read from a table row, a `- **Field**: value` bullet or a section, under
any of its accepted names (`Depends On` or `Dependencies`, `Description` or `Objective`); whatever else
the record holds rides along in `extra_fields` and `extra_sections`, which reach the agent's prompt.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from shopfloor.queue.commands import clean_command
from shopfloor.queue.dependencies import HOW_TO_WRITE, Dependencies, parse_dependencies
from shopfloor.queue.infer import infer_category, infer_complexity
from shopfloor.queue.markdown import Block, norm_key
from shopfloor.queue.md_lines import section_lines
from shopfloor.queue.record_file import Found, QueueProblem, find_all
from shopfloor.queue.task import CATEGORIES, COMPLEXITIES, STATUSES, Task
from shopfloor.queue.vocabulary import (
    CATEGORY_ALIASES,
    MODE_ALIASES,
    PRIORITIES,
    PRIORITY_ALIASES,
    TEST_MODES,
    norm_choice,
    read_choice,
)


@dataclass(frozen=True)
class FieldSpec:
    attr: str
    name: str
    """The name written for a field the record does not have yet."""
    keys: tuple[str, ...]
    """Accepted names (normalised), in order of preference."""
    place: Literal["row", "section"]
    """Where a field the record does not have yet is written."""


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("status", "Status", ("status",), "row"),
    FieldSpec("category", "Category", ("category",), "row"),
    FieldSpec("complexity", "Complexity", ("complexity",), "row"),
    FieldSpec("priority", "Priority", ("priority",), "row"),
    FieldSpec("agent", "Agent", ("agent",), "row"),
    FieldSpec("model", "Model", ("model",), "row"),
    FieldSpec("mode", "Mode", ("mode", "test mode"), "row"),
    FieldSpec("build_command", "Build Command", ("build command",), "row"),
    FieldSpec("test_command", "Test Command", ("test command",), "row"),
    FieldSpec("services", "Required Services", ("required services", "services"), "row"),
    FieldSpec("objective", "Objective", ("objective", "description"), "section"),
    FieldSpec(
        "criteria",
        "Acceptance Criteria",
        ("acceptance criteria", "criteria", "expected result", "expected results"),
        "section",
    ),
    FieldSpec("dependencies", "Dependencies", ("dependencies", "depends on", "dependency"), "section"),
    FieldSpec("data_models", "Data Models", ("data models",), "section"),
    FieldSpec("security_requirements", "Security Requirements", ("security requirements",), "section"),
    FieldSpec("files", "Files", ("files",), "section"),
)
SPEC = {spec.attr: spec for spec in FIELDS}
_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_PLAIN_DEPS = re.compile(
    r"^[ \t]*(?P<name>dependencies|depends on)[ \t]*:[ \t]*(?P<value>.*)$", re.IGNORECASE
)
_NONE_WORDS = {"", "none", "n/a", "na", "-", "—"}


@dataclass
class TaskDeps:
    """What a task's dependency values named, with the line each ID (and each group) was written on."""

    deps: Dependencies = field(default_factory=Dependencies)
    lines: dict[str, int] = field(default_factory=dict)
    group_line: int = 0


def find(block: Block, attr: str) -> Found | None:
    found = find_all(block, SPEC[attr].keys)
    return found[0] if found else None


def dependency_sources(block: Block) -> list[Found]:
    """Every dependency value of the record: rows, sections and plain `Dependencies: ...` lines."""
    out = find_all(block, SPEC["dependencies"].keys)
    for piece in block.pieces:
        if piece.kind == "raw" and len(piece.lines) == 1:
            plain = _PLAIN_DEPS.match(piece.lines[0].rstrip("\r\n"))
            if plain:
                out.append(Found(plain.group("name"), plain.group("value"), piece.line, "line"))
    return out


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


def _words(text: str) -> list[str]:
    return [
        w for w in (p.strip().strip("`") for p in re.split(r"[,\n]", text)) if w.lower() not in _NONE_WORDS
    ]


def read_task(block: Block, path: str) -> tuple[Task | None, list[QueueProblem], TaskDeps]:
    """The task a record describes, what is wrong with it (with lines), and its dependency values."""
    problems = [QueueProblem(path, line, block.id, msg) for line, msg in block.problems]
    fatal = False
    used_rows: set[str] = set()
    used_sections: set[str] = set()
    values: dict[str, object] = {"id": block.id, "title": block.title}
    assumed: list[str] = []

    def take(attr: str) -> Found | None:
        found = find(block, attr)
        if found is not None:
            (used_rows if found.place == "row" else used_sections).add(norm_key(found.name))
        return found

    def choice(attr: str, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> str | None:
        nonlocal fatal
        found = take(attr)
        if found is None:
            return None
        value = read_choice(found.text, allowed, aliases)
        if value is None:
            fatal = True
            word = norm_choice(found.text)
            hint = difflib.get_close_matches(word, allowed, n=1)
            msg = f"unknown {attr} '{found.text}' (expected one of {', '.join(allowed)})"
            problems.append(
                QueueProblem(
                    path, found.line, block.id, msg + (f"; did you mean '{hint[0]}'?" if hint else "")
                )
            )
        return value

    values["status"] = choice("status", STATUSES) or "pending"
    category_aliases = {k: v[0] for k, v in CATEGORY_ALIASES.items()}
    category_at = find(block, "category")
    values["category"] = choice("category", CATEGORIES, category_aliases)
    values["complexity"] = choice("complexity", COMPLEXITIES)
    values["priority"] = choice("priority", PRIORITIES, PRIORITY_ALIASES)
    values["mode"] = choice("mode", TEST_MODES, MODE_ALIASES)
    if values["mode"] is None and category_at is not None:
        values["mode"] = CATEGORY_ALIASES.get(norm_choice(category_at.text), ("testing", None))[1]
    for attr in ("agent", "model"):
        found = take(attr)
        values[attr] = found.text if found is not None and found.text else None
    for attr in ("build_command", "test_command"):
        found = take(attr)
        values[attr] = clean_command(found.text) if found is not None else None
    services = take("services")
    values["services"] = _words(services.text) if services is not None else []
    for attr in ("objective", "data_models", "security_requirements", "files"):
        found = take(attr)
        if found is not None:
            values[attr] = found.text
    criteria = take("criteria")
    values["criteria"] = parse_list(criteria.text) if criteria is not None else []

    deps = TaskDeps()
    for source in dependency_sources(block):
        if source.place != "line":
            (used_rows if source.place == "row" else used_sections).add(norm_key(source.name))
        read = parse_dependencies(source.text)
        for dep in read.ids:
            deps.lines.setdefault(dep, source.line)
        if read.groups or read.ranges:
            deps.group_line = deps.group_line or source.line
        deps.deps.extend(read)
        for item in read.unreadable:
            msg = f"cannot read dependency '{item}' ({HOW_TO_WRITE})"
            problems.append(QueueProblem(path, source.line, block.id, msg))
    values["dependencies"] = list(deps.deps.ids)

    if values["category"] is None and category_at is None:
        values["category"], why = infer_category(block.id, str(values.get("objective", "")))
        assumed.append(f"no Category: assumed {values['category']} ({why})")
    if values["complexity"] is None and find(block, "complexity") is None and values["category"]:
        values["complexity"], why = infer_complexity(values["category"])  # type: ignore[arg-type]
        assumed.append(f"no Complexity: assumed {values['complexity']} ({why})")
    if not values["criteria"] and criteria is None and str(values.get("objective", "")).strip():
        assumed.append("no acceptance criteria: the objective and the project's checks decide")
    if fatal:
        return None, problems, deps
    values.update(
        extra_fields={r.key: r.value for k, r in block.rows.items() if k not in used_rows},
        extra_sections={s.name: s.text for k, s in block.sections.items() if k not in used_sections},
        assumed=assumed,
    )
    return Task.model_validate(values), problems, deps


def _text(attr: str, value: object) -> str | None:
    """A field's value as it is written into the file (None drops it)."""
    if attr == "criteria":
        assert isinstance(value, list)
        return "\n".join(f"- {item}" for item in value)
    if attr == "dependencies":
        assert isinstance(value, list)
        return ", ".join(value) or "None"
    if attr == "services":
        assert isinstance(value, list)
        return ", ".join(value) or None
    return value if isinstance(value, str) else None


def apply_task(block: Block, before: Task, after: Task) -> None:
    """Rewrite only the parts of `block` whose values differ between `before` and `after`, where they are."""
    if (before.id, before.title) != (after.id, after.title):
        block.set_heading(after.id, after.title)
    for spec in FIELDS:
        if getattr(before, spec.attr) == getattr(after, spec.attr):
            continue
        text = _text(spec.attr, getattr(after, spec.attr))
        if spec.attr == "dependencies":
            _write_dependencies(block, text or "None")
            continue
        found = find(block, spec.attr)
        if found is None:
            (block.set_row if spec.place == "row" else block.set_section)(spec.name, text)
        elif found.place == "row":
            block.set_row(found.name, text)
        else:
            block.set_section(found.name, text)
    for row_name in before.extra_fields.keys() | after.extra_fields.keys():
        if before.extra_fields.get(row_name) != after.extra_fields.get(row_name):
            block.set_row(row_name, after.extra_fields.get(row_name))
    for sec_name in before.extra_sections.keys() | after.extra_sections.keys():
        if before.extra_sections.get(sec_name) != after.extra_sections.get(sec_name):
            block.set_section(sec_name, after.extra_sections.get(sec_name))


def _write_dependencies(block: Block, text: str) -> None:
    """The new list goes where the first dependency value was; other values are dropped so it holds."""
    sources = dependency_sources(block)
    if not sources:
        block.set_section("Dependencies", text)
        return
    for n, source in enumerate(sources):
        value = text if n == 0 else None
        if source.place == "row":
            block.set_row(source.name, value)
        elif source.place == "section":
            block.set_section(source.name, value)
        else:
            for i, piece in enumerate(block.pieces):
                if piece.kind == "raw" and piece.line == source.line:
                    ending = piece.lines[0][len(piece.lines[0].rstrip("\r\n")) :]
                    if value is None:
                        del block.pieces[i]
                    else:
                        piece.lines[0] = f"{source.name}: {value}{ending}"
                    break


def render_task(task: Task, newline: str = "\n") -> str:
    """A new task block in the standard layout."""
    lines = [
        f"### {task.id}" + (f": {task.title}" if task.title else ""),
        "| Field | Value |",
        "|-------|-------|",
    ]
    for spec in FIELDS:
        if spec.place == "row" and getattr(task, spec.attr):
            lines.append(f"| {spec.name} | {_text(spec.attr, getattr(task, spec.attr))} |")
    lines += [f"| {k} | {v} |" for k, v in task.extra_fields.items()]
    sections = [(s.name, _text(s.attr, getattr(task, s.attr))) for s in FIELDS if s.place == "section"]
    for name, text in [*sections, *task.extra_sections.items()]:
        if text is not None:
            lines += ["", *(line.rstrip("\n") for line in section_lines(name, text))]
    return newline.join(lines) + newline
